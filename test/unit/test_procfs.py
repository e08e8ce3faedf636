"""LinuxProbes against psutil: every figure sampling reads must be psutil's own, to the bit.

psutil reads /proc through psutil.PROCFS_PATH, so each test points it and LinuxProbes at the same
files: a snapshot of this machine's /proc, or crafted contents for the layouts this machine does
not have (old kernels' diskstats lines, counters that wrap, MemAvailable above MemTotal). /sys
and the interface ioctls are this machine's own, read by both at once.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from chedweb_ros import sampling
from chedweb_ros.proc_files import KeptFile
from chedweb_ros.procfs import (
    LinuxProbes,
    WrapCorrector,
    hwmon_bases,
    lines_starting,
    parse_cpuinfo_frequency,
    parse_meminfo,
    read_hwmon,
)
from test.helpers.procs import in_test_netns

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and /sys")

PROC_FILES = ("stat", "meminfo", "vmstat", "cpuinfo", "diskstats", "net/dev")


@pytest.fixture
def proc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of this machine's /proc files that both psutil and LinuxProbes read."""
    root = tmp_path / "proc"
    (root / "net").mkdir(parents=True)
    for name in PROC_FILES:
        if os.path.exists(f"/proc/{name}"):
            (root / name).write_bytes(Path(f"/proc/{name}").read_bytes())
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(root))
    psutil.disk_io_counters.cache_clear()  # type: ignore[attr-defined]  # psutil's nowrap memory
    psutil.net_io_counters.cache_clear()  # type: ignore[attr-defined]
    yield root
    psutil.disk_io_counters.cache_clear()  # type: ignore[attr-defined]
    psutil.net_io_counters.cache_clear()  # type: ignore[attr-defined]


@pytest.fixture
def probes(proc: Path) -> Iterator[LinuxProbes]:
    p = LinuxProbes(psutil, proc_root=str(proc))
    yield p
    p.close()


def test_per_core_times_equal_psutils(probes: LinuxProbes) -> None:
    ours, theirs = probes.cpu_times(percpu=True), psutil.cpu_times(percpu=True)
    assert [tuple(t) for t in ours] == [tuple(t) for t in theirs]
    assert [t._fields for t in ours] == [t._fields for t in theirs]
    assert [sampling.cpu_times_of(t) for t in ours] == [sampling.cpu_times_of(t) for t in theirs]


def test_frequency_equals_psutils(probes: LinuxProbes) -> None:
    ours, theirs = probes.cpu_freq(), psutil.cpu_freq()
    assert (ours is None) == (theirs is None)
    if theirs is not None:
        assert ours.current == theirs.current


def test_frequency_is_the_mean_of_the_cpuinfo_lines_in_psutils_order() -> None:
    lines = b"".join(b"processor\t: %d\ncpu MHz\t\t: %s\n\n" % (i, mhz)
                     for i, mhz in enumerate((b"2596.136", b"1800.5", b"3000.001")))
    freq = parse_cpuinfo_frequency(lines)
    assert freq is not None and freq.current == ((0.0 + 2596.136) + 1800.5 + 3000.001) / 3.0
    assert parse_cpuinfo_frequency(b"processor\t: 0\nBogoMIPS\t: 108.00\n") is None  # ARM: no MHz line


def test_lines_starting_is_splitting_and_testing_each_line() -> None:
    """Every text of up to 7 pieces over an alphabet with line ends, empty lines and prefixes
    that run into each other."""
    pieces = (b"a", b"b", b"\n", b"ab")
    for n in range(8):
        for parts in itertools.product(pieces, repeat=n):
            data = b"".join(parts)
            for prefix in (b"a", b"ab", b"b"):
                assert lines_starting(data, prefix) == [
                    line for line in data.split(b"\n") if line.startswith(prefix)], (data, prefix)


def _cpuinfo(mhz: str, flags: str = "fpu tsc constant_tsc hypervisor") -> str:
    return "".join(f"processor\t: {i}\ncpu MHz\t\t: {mhz}\nflags\t\t: {flags}\n\n" for i in range(2))


def _frequency_probes(tmp_path: Path, cpuinfo: str, machine: str = "x86_64") -> tuple[LinuxProbes, Path]:
    proc, sys_root = tmp_path / "proc", tmp_path / "sys"
    proc.mkdir()
    (sys_root / "devices" / "system" / "cpu" / "cpu0").mkdir(parents=True)
    (proc / "cpuinfo").write_text(cpuinfo)
    return LinuxProbes(psutil, proc_root=str(proc), sys_root=str(sys_root), machine=machine), proc


def test_a_boot_constant_frequency_is_read_once(tmp_path: Path) -> None:
    """x86 without APERF/MPERF or cpufreq: the kernel writes cpu_khz, which never changes, so
    the file is not read again (rewritten here only to show that it is not)."""
    probes, proc = _frequency_probes(tmp_path, _cpuinfo("2596.136"))
    assert probes.cpu_freq().current == 2596.136
    (proc / "cpuinfo").write_text(_cpuinfo("1000.000"))
    assert probes.cpu_freq().current == 2596.136
    probes.close()


@pytest.mark.parametrize("case", ["aperfmperf", "not x86", "cpufreq comes up"])
def test_a_frequency_that_can_change_is_read_every_time(tmp_path: Path, case: str) -> None:
    flags = "fpu tsc aperfmperf constant_tsc" if case == "aperfmperf" else "fpu tsc"
    probes, proc = _frequency_probes(tmp_path, _cpuinfo("2596.136", flags),
                                     machine="aarch64" if case == "not x86" else "x86_64")
    assert probes.cpu_freq().current == 2596.136
    if case == "cpufreq comes up":  # a driver loaded after start: the kernel writes its figure
        (tmp_path / "sys" / "devices" / "system" / "cpu" / "cpu0" / "cpufreq").mkdir()
    (proc / "cpuinfo").write_text(_cpuinfo("1800.500", flags))
    assert probes.cpu_freq().current == 1800.5
    probes.close()


def test_a_kept_file_reads_the_kernels_fresh_text_each_time() -> None:
    """pread from offset 0 on a descriptor kept open: /proc/stat's context switch count moves
    between two reads as it does between two opens."""
    kept = KeptFile("/proc/stat")
    try:
        def switches(data: bytes) -> int:
            return int(lines_starting(data, b"ctxt ")[0].split()[1])
        first = switches(kept.read())
        time.sleep(0.05)  # this very sleep switches context
        second = switches(kept.read())
        assert second > first
        assert kept.read().split(b"\n")[0].startswith(b"cpu ")  # offset 0 each time, not the end
    finally:
        kept.close()


def test_a_kept_file_that_fails_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "f"
    kept = KeptFile(str(path))
    with pytest.raises(FileNotFoundError):
        kept.read()
    assert kept.read_optional() is None
    path.write_bytes(b"x" * 70000)  # more than one read's worth
    assert kept.read() == b"x" * 70000
    path.write_bytes(b"short")  # rewritten in place, as the tests' copies of /proc are
    assert kept.read() == b"short"
    kept.close()
    kept.close()  # twice is harmless


def test_the_tick_opens_no_file_after_the_first(probes: LinuxProbes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every /proc file read each tick goes through a descriptor kept open (KeptFile)."""
    sampling.sample_all(probes, list, sampling.Counters(), 0.0, disk_paths=("/",), interfaces=(), top_n=0)
    opened: list[str] = []
    real_open = os.open

    def counting_open(path: str, *args: object, **kwargs: object) -> int:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", counting_open)
    sampling.sample_all(probes, list, sampling.Counters(), 1.0, disk_paths=("/",), interfaces=(), top_n=0)
    assert [p for p in opened if p.startswith(str(probes._proc))] == []


def test_memory_and_swap_equal_psutils(probes: LinuxProbes) -> None:
    vm, theirs = probes.virtual_memory(), psutil.virtual_memory()
    assert (vm.total, vm.available, vm.percent, vm.used, vm.free) == (
        theirs.total, theirs.available, theirs.percent, theirs.used, theirs.free)
    swap, their_swap = probes.swap_memory(), psutil.swap_memory()
    assert (swap.total, swap.used, swap.free, swap.percent) == (
        their_swap.total, their_swap.used, their_swap.free, their_swap.percent)


@pytest.mark.filterwarnings("ignore:shared, active, inactive memory stats:RuntimeWarning")
def test_crafted_memory_figures_equal_psutils(proc: Path, probes: LinuxProbes) -> None:
    # MemAvailable above MemTotal (an LXC container sees the host's): psutil takes MemFree.
    (proc / "meminfo").write_text("MemTotal:  1000 kB\nMemFree:  300 kB\nMemAvailable:  5000 kB\n"
                                  "Buffers:  1 kB\nCached:  2 kB\nSwapTotal:  3000 kB\nSwapFree:  1000 kB\n")
    vm, theirs = probes.virtual_memory(), psutil.virtual_memory()
    assert (vm.total, vm.available, vm.percent, vm.used) == (theirs.total, theirs.available,
                                                              theirs.percent, theirs.used)
    assert vm.available == 300 * 1024
    swap = probes.swap_memory()
    assert (swap.percent, swap.used) == (psutil.swap_memory().percent, 2000 * 1024)


def test_swap_comes_from_the_meminfo_read_of_virtual_memory_once(proc: Path, probes: LinuxProbes) -> None:
    def meminfo(swap_free_kb: int) -> None:
        (proc / "meminfo").write_text("MemTotal:  1000 kB\nMemFree:  300 kB\nMemAvailable:  500 kB\n"
                                      f"SwapTotal:  3000 kB\nSwapFree:  {swap_free_kb} kB\n")

    meminfo(1000)
    probes.virtual_memory()
    meminfo(2000)  # after the read: the swap figures of that read are the ones sampling gets
    assert probes.swap_memory().free == 1000 * 1024
    assert probes.swap_memory().free == 2000 * 1024  # a second call reads the file again


def test_memory_without_mem_available_is_psutils_estimate(proc: Path, probes: LinuxProbes) -> None:
    (proc / "meminfo").write_text("MemTotal:  1000 kB\nMemFree:  300 kB\nBuffers:  10 kB\nCached:  200 kB\n"
                                  "Active(file):  100 kB\nInactive(file):  100 kB\nSReclaimable:  20 kB\n"
                                  "SwapTotal:  0 kB\nSwapFree:  0 kB\n")
    (proc / "zoneinfo").write_text("Node 0, zone   Normal\n        low      10\n")
    with pytest.warns(RuntimeWarning):  # psutil's own warning about the fields it misses
        vm = probes.virtual_memory()
    with pytest.warns(RuntimeWarning):
        theirs = psutil.virtual_memory()
    assert (vm.available, vm.percent) == (theirs.available, theirs.percent)


def test_disk_io_equals_psutils(probes: LinuxProbes) -> None:
    ours, theirs = probes.disk_io_counters(), psutil.disk_io_counters()
    assert (ours is None) == (theirs is None)
    if theirs is not None:
        assert ours is not None
        assert (ours.read_bytes, ours.write_bytes) == (theirs.read_bytes, theirs.write_bytes)


def _a_block_device() -> str:
    names = sorted(os.listdir("/sys/block"))
    if not names:
        pytest.skip("no block device on this machine")
    return names[0]


def test_every_diskstats_layout_and_partitions_equal_psutils(proc: Path, probes: LinuxProbes) -> None:
    disk = _a_block_device()
    (proc / "diskstats").write_text(
        f"   8       0 {disk} 100 2 300 4 500 6 700 8 9 10 11 12 13 14 15 16 17\n"  # 5.5+: 20 fields
        f"   8       1 {disk}9 1 2000 3 4000\n"  # a partition (7 fields): not in /sys/block
        f"   8       2 chedweb-not-a-device 5 6 7 8 9 10 11 12 13 14 15\n"  # 14 fields, no /sys entry
        f"   3       0   8 {disk} 8 9 10 11 12 13 14 15 16 17 18\n")  # Linux 2.4: 15 fields
    ours, theirs = probes.disk_io_counters(), psutil.disk_io_counters()
    assert theirs is not None and ours is not None
    assert (ours.read_bytes, ours.write_bytes) == (theirs.read_bytes, theirs.write_bytes)
    assert ours.read_bytes == 9 * 512  # the 2.4 line names the same disk: the last line wins, in both


def test_no_block_device_is_none_as_psutil(proc: Path, probes: LinuxProbes) -> None:
    (proc / "diskstats").write_text("   8       2 chedweb-not-a-device 5 6 7 8 9 10 11 12 13 14 15\n")
    assert probes.disk_io_counters() is None and psutil.disk_io_counters() is None


def test_counters_that_wrap_are_corrected_as_psutil_does(proc: Path, probes: LinuxProbes) -> None:
    disk = _a_block_device()

    def write(nic_rx: int, nic_tx: int, sectors: int, *, with_nic: bool = True) -> None:
        head = "Inter-|   Receive\n face |bytes    packets\n"
        nic = f"  eth9: {nic_rx} 1 0 0 0 0 0 0 {nic_tx} 2 0 0 0 0 0 0\n" if with_nic else ""
        (proc / "net" / "dev").write_text(head + "    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n" + nic)
        (proc / "diskstats").write_text(f"   8 0 {disk} 1 0 {sectors} 0 1 0 {sectors} 0 0 0 0\n")

    def both() -> None:
        ours, theirs = probes.net_io_counters(pernic=True), psutil.net_io_counters(pernic=True)
        assert {n: tuple(v) for n, v in ours.items()} == {n: tuple(v) for n, v in theirs.items()}
        d, their_d = probes.disk_io_counters(), psutil.disk_io_counters()
        assert d is not None and their_d is not None
        assert (d.read_bytes, d.write_bytes) == (their_d.read_bytes, their_d.write_bytes)

    for rx, tx, sectors in ((4_000_000_000, 10, 4_000_000_000), (4_100_000_000, 20, 4_100_000_000),
                            (50, 30, 70), (60, 5, 80), (10, 6, 90)):  # two wraps of rx, one of tx
        write(rx, tx, sectors)
        both()
    assert probes.net_io_counters(pernic=True)["eth9"].bytes_recv == 4_100_000_000 + 60 + 10
    write(0, 0, 100, with_nic=False)  # the interface goes away: its corrections go with it
    both()
    write(7, 8, 110)
    both()
    assert probes.net_io_counters(pernic=True)["eth9"].bytes_recv == 7


def test_wrap_corrector_passes_tables_through_until_a_value_goes_down() -> None:
    w: WrapCorrector[str] = WrapCorrector()
    first: dict[str, tuple[int, ...]] = {"a": (1, 2)}
    assert w.correct(first) is first
    second: dict[str, tuple[int, ...]] = {"a": (3, 4), "b": (0, 0)}
    assert w.correct(second) is second
    assert w.correct({"a": (1, 5), "b": (0, 0)}) == {"a": (4, 5), "b": (0, 0)}


def test_network_counters_and_link_state_equal_psutils(probes: LinuxProbes) -> None:
    ours, theirs = probes.net_io_counters(pernic=True), psutil.net_io_counters(pernic=True)
    assert {n: tuple(v) for n, v in ours.items()} == {n: tuple(v) for n, v in theirs.items()}
    links, their_links = probes.net_if_stats(), psutil.net_if_stats()
    assert {n: (s.isup, s.flags) for n, s in links.items()} == {
        n: (s.isup, s.flags) for n, s in their_links.items()}
    # The same sample both ways, loopback selection included.
    assert sampling.sample_network(probes, (), {}, 0.0) == sampling.sample_network(psutil, (), {}, 0.0)


def test_an_interface_that_went_away_has_no_link_state(proc: Path, probes: LinuxProbes) -> None:
    (proc / "net" / "dev").write_text("Inter-|\n face |\n    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n"
                                      "cwgone9: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n")
    probes.net_io_counters(pernic=True)
    assert set(probes.net_if_stats()) == set(psutil.net_if_stats()) == {"lo"}


def test_temperatures_equal_psutils_on_this_machine() -> None:
    probes = LinuxProbes(psutil)
    assert probes.sensors_temperatures() == psutil.sensors_temperatures()


@pytest.fixture
def sys_root() -> Iterator[Path]:
    """A directory for a crafted /sys without '_' in its path (psutil, and so LinuxProbes, cut
    each hwmon path at its first '_', which /sys itself never has before the file name)."""
    root = Path("/tmp") / f"chedwebsys{uuid.uuid4().hex}"  # mkdtemp's names may hold a '_'
    root.mkdir()
    yield root
    shutil.rmtree(root)


def test_hwmon_readings_follow_psutils_rules(sys_root: Path) -> None:
    """psutil hard-codes /sys, so its rules are spelled out here on a crafted tree: sorted bases,
    label, marks in millidegrees, a missing high mark taking the critical one (and back), an
    entry whose input cannot be read skipped, the device/ subdirectory included."""
    tmp_path = sys_root
    hw0 = tmp_path / "class" / "hwmon" / "hwmon0"
    hw1 = tmp_path / "class" / "hwmon" / "hwmon1" / "device"
    hw1.mkdir(parents=True)
    hw0.mkdir(parents=True)
    (hw0 / "name").write_text("coretemp\n")
    (hw0 / "temp1_input").write_text("45000\n")
    (hw0 / "temp1_label").write_text("Package id 0\n")
    (hw0 / "temp1_crit").write_text("100000\n")
    (hw0 / "temp2_input").write_text("bad\n")  # unreadable value: skipped
    (hw0 / "temp3_input").write_text("50500\n")
    (hw0 / "temp3_max").write_text("80000\n")
    (hw0 / "temp3_crit").write_text("oops\n")
    (hw1.parent / "name").write_text("nvme\n")  # a device/ entry's name is in its own directory
    (hw1 / "name").write_text("nvme\n")
    (hw1 / "temp1_input").write_text("38000\n")
    bases = hwmon_bases(str(tmp_path))
    assert bases and bases == sorted(bases)
    readings = read_hwmon(bases)
    assert readings["coretemp"] == [("Package id 0", 45.0, 100.0, 100.0), ("", 50.5, 80.0, 80.0)]
    assert readings["nvme"] == [("", 38.0, None, None)]


class _ThermalPsutil:
    calls = 0
    disk_usage = cpu_count = staticmethod(lambda *a, **k: None)

    def sensors_temperatures(self) -> dict[str, list[object]]:
        self.calls += 1
        return {"cpu-thermal": []}


def test_thermal_zones_alone_are_left_to_psutil(sys_root: Path) -> None:
    (sys_root / "class" / "thermal" / "thermal_zone0").mkdir(parents=True)
    ps = _ThermalPsutil()
    assert LinuxProbes(ps, sys_root=str(sys_root)).sensors_temperatures() == {"cpu-thermal": []}
    assert ps.calls == 1
    # psutil's coretemp entries read nothing but keep it from the thermal zones: {} as psutil.
    coretemp = sys_root / "devices" / "platform" / "coretemp.0" / "hwmon" / "hwmon3"
    coretemp.mkdir(parents=True)
    (coretemp / "temp1_input").write_text("40000\n")
    assert LinuxProbes(ps, sys_root=str(sys_root)).sensors_temperatures() == {}
    shutil.rmtree(sys_root / "devices")
    shutil.rmtree(sys_root / "class" / "thermal" / "thermal_zone0")
    assert LinuxProbes(ps, sys_root=str(sys_root)).sensors_temperatures() == {}
    assert ps.calls == 1


def test_whole_disks_are_asked_again_when_the_device_list_changes(proc: Path, probes: LinuxProbes) -> None:
    disk = _a_block_device()
    (proc / "diskstats").write_text(f"   8 0 {disk} 1 0 10 0 1 0 20 0 0 0 0\n")
    assert probes.disk_io_counters() == (10 * 512, 20 * 512)
    (proc / "diskstats").write_text(f"   8 0 {disk} 1 0 11 0 1 0 21 0 0 0 0\n"
                                    f"   8 1 {disk}p7 1 500 1 600\n")  # a partition appears: not counted
    assert probes.disk_io_counters() == (11 * 512, 21 * 512)
    assert psutil.disk_io_counters() is not None  # (psutil's nowrap starts here: compare the next)
    (proc / "diskstats").write_text(f"   8 0 {disk} 1 0 12 0 1 0 22 0 0 0 0\n")
    theirs = psutil.disk_io_counters()
    assert theirs is not None and probes.disk_io_counters() == (theirs.read_bytes, theirs.write_bytes)


def test_a_whole_sample_equals_psutils(probes: LinuxProbes) -> None:
    """Every task but the process table (read the same way both times), from the same files."""
    prev = sampling.Counters()
    ours, _ = sampling.sample_all(probes, list, prev, 1.0, disk_paths=("/",), interfaces=(), top_n=0)
    psutil.disk_io_counters.cache_clear()  # type: ignore[attr-defined]
    psutil.net_io_counters.cache_clear()  # type: ignore[attr-defined]
    theirs, _ = sampling.sample_all(psutil, list, prev, 1.0, disk_paths=("/",), interfaces=(), top_n=0)
    assert ours.cpu == theirs.cpu and ours.memory == theirs.memory and ours.network == theirs.network
    assert ours.temperature == theirs.temperature
    # disk_usage("/") is a live statvfs: compare what does not move between two calls.
    assert [u.total_bytes for u in ours.disk.usages] == [u.total_bytes for u in theirs.disk.usages]


def test_disk_usage_equals_psutils(monkeypatch: pytest.MonkeyPatch) -> None:
    """One statvfs for both (psutil calls os.statvfs too): a live one moves between two calls."""
    st = os.statvfs("/")
    monkeypatch.setattr(os, "statvfs", lambda path: st)
    ours, theirs = LinuxProbes(psutil).disk_usage("/"), psutil.disk_usage("/")
    assert (ours.total, ours.used, ours.free, ours.percent) == (
        theirs.total, theirs.used, theirs.free, theirs.percent)
    empty = os.statvfs_result((4096, 4096, 0, 0, 0, 0, 0, 0, 0, 255))
    monkeypatch.setattr(os, "statvfs", lambda path: empty)
    assert LinuxProbes(psutil).disk_usage("/").percent == psutil.disk_usage("/").percent == 0.0


def test_a_whole_tick_on_linux_does_not_import_psutil() -> None:
    """psutil is for the rare layouts and other systems: on this machine the node samples every
    task, the process table included, without loading it (2.6 MiB of RSS)."""
    code = ("import sys\n"
            "from chedweb_ros import procfs, sampling\n"
            "probes, processes = procfs.default_probes(), sampling.default_process_source()\n"
            "prev = sampling.Counters()\n"
            "for now in (0.0, 1.0):\n"
            "    snap, prev = sampling.sample_all(probes, processes, prev, now, disk_paths=('/',),\n"
            "                                     interfaces=(), top_n=5, period=1.0, process_period=1.0)\n"
            "assert snap.cpu.usage_percent is not None and snap.processes.top, snap\n"
            "assert not [e for e in (snap.cpu.errors + snap.memory.errors + snap.disk.errors\n"
            "            + snap.network.errors + snap.temperature.errors)], snap\n"
            "print('psutil' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not in_test_netns(), reason="changes links: only inside scripts/in-test-netns")
def test_link_state_follows_every_change_while_answering_from_what_it_read() -> None:
    """The link states are read again only after rtnetlink says a link changed (LinkEvents);
    each change below must show at once, and an unchanged namespace costs no ioctl."""
    probes = LinuxProbes(psutil)
    subprocess.run(["ip", "link", "add", "cwlink0", "type", "veth", "peer", "name", "cwlink1"], check=True)
    try:
        def state() -> tuple[bool, str] | None:
            probes.net_io_counters(pernic=True)  # the interface list, as sampling reads it first
            link = probes.net_if_stats().get("cwlink0")
            return (link.isup, link.flags) if link is not None else None

        def theirs() -> tuple[bool, str] | None:
            link = psutil.net_if_stats().get("cwlink0")
            return (link.isup, link.flags) if link is not None else None

        assert state() == theirs() and state() is not None and not state()[0]  # type: ignore[index]
        subprocess.run(["ip", "link", "set", "cwlink0", "up"], check=True)
        subprocess.run(["ip", "link", "set", "cwlink1", "up"], check=True)  # carrier: running
        deadline = time.monotonic() + 5.0
        while not psutil.net_if_stats()["cwlink0"].isup and time.monotonic() < deadline:
            time.sleep(0.01)  # the carrier comes through the kernel's linkwatch, a moment later
        assert state() == theirs() and state()[0]  # type: ignore[index]
        subprocess.run(["ip", "link", "set", "cwlink0", "promisc", "on"], check=True)
        assert state() == theirs() and "promisc" in state()[1]  # type: ignore[index]
        calls: list[object] = []
        real_ioctl = fcntl.ioctl
        with pytest.MonkeyPatch.context() as mp:
            def counting_ioctl(fd: socket.socket, request: int, arg: bytes) -> bytes:
                calls.append(request)
                return real_ioctl(fd, request, arg)

            mp.setattr(fcntl, "ioctl", counting_ioctl)
            assert state() == theirs()
            assert calls == []  # nothing changed since the last read: no ioctl
            subprocess.run(["ip", "link", "set", "cwlink1", "down"], check=True)  # carrier lost
            deadline = time.monotonic() + 5.0
            while psutil.net_if_stats()["cwlink0"].isup and time.monotonic() < deadline:
                time.sleep(0.01)
            assert state() == theirs() and not state()[0]  # type: ignore[index]
    finally:
        subprocess.run(["ip", "link", "del", "cwlink0"], check=False)
    assert state() is None  # gone with its peer
    probes.close()


def test_meminfo_keys_are_read_as_psutil_reads_every_line() -> None:
    """psutil splits each line and keeps the last value of a key; the rfind reading must agree,
    on this machine's file and where a key repeats, comes first or last, or lacks its newline."""
    def psutils(data: bytes, wanted: tuple[bytes, ...]) -> dict[bytes, int]:
        mems = {}
        for line in data.split(b"\n"):
            fields = line.split()
            if fields:
                mems[fields[0]] = int(fields[1]) * 1024
        return {k: v for k, v in mems.items() if k in wanted}

    wanted = (b"MemTotal:", b"MemFree:", b"MemAvailable:", b"SwapTotal:", b"SwapFree:")
    for data in (Path("/proc/meminfo").read_bytes(),
                 b"MemTotal:  1000 kB\nMemFree:  300 kB\nMemFree:  200 kB\nSwapFree: 7 kB",
                 b"SwapFree: 1 kB\nMemTotal:  5 kB\nXMemTotal: 9 kB\n",
                 b"Buffers: 1 kB\n"):
        assert parse_meminfo(data, wanted) == psutils(data, wanted), data
