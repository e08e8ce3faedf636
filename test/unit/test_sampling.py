"""Sampling with an injected psutil fake: rates from previous counters, and every probe failure
turning into a reason in its own task while the other tasks carry on."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from chedweb_ros import sampling
from chedweb_ros.sampling import Counters, IoCounters, ProcessCounters, ProcessStat
from test.unit.fake_psutil import FakePsutil, NetIo, Temp, access_denied, cpu


def no_processes() -> list[ProcessStat]:
    return []


NO_COUNTERS = Counters()


def tick(ps: FakePsutil, prev: Counters = NO_COUNTERS, now: float = 0.0, *,
         disk_paths: tuple[str, ...] = ("/",), interfaces: tuple[str, ...] = (), top_n: int = 5,
         processes: sampling.ProcessSource = no_processes) -> tuple[sampling.Snapshot, Counters]:
    return sampling.sample_all(ps, processes, prev, now, disk_paths=disk_paths, interfaces=interfaces,
                               top_n=top_n)


# ------------------------------------------------------------------ CPU


def test_cpu_usage_comes_from_the_difference_of_two_readings() -> None:
    ps = FakePsutil()
    first, counters = tick(ps)
    assert first.cpu.usage_percent is None and first.cpu.core_percent == ()
    # core 0: +30 busy of +40 → 75 %; core 1: +10 busy of +40 → 25 %; total 40 of 80 → 50 %
    ps.per_core = [cpu(40.0, 100.0), cpu(40.0, 100.0)]
    second, _ = tick(ps, counters, 1.0)
    assert second.cpu.core_percent == pytest.approx((75.0, 25.0))
    assert second.cpu.usage_percent == pytest.approx(50.0)
    assert second.cpu.load == (0.5, 0.4, 0.3)
    assert second.cpu.frequency_mhz == 2400.0
    assert second.cpu.cores == 2
    assert second.cpu.errors == ()


def test_cpu_times_of_matches_psutil_on_this_machine() -> None:
    """Our busy/total split must give the same percentage as psutil's own calculation."""
    before = psutil.cpu_times()
    after = psutil.cpu_times()
    ours = sampling.usage_percent(sampling.cpu_times_of(before), sampling.cpu_times_of(after))
    theirs = psutil._cpu_busy_time(after) - psutil._cpu_busy_time(before)  # type: ignore[attr-defined]
    total = psutil._cpu_tot_time(after) - psutil._cpu_tot_time(before)  # type: ignore[attr-defined]
    expected = 0.0 if total <= 0 else max(0.0, min(100.0, theirs / total * 100))
    assert ours == pytest.approx(expected)


def test_no_frequency_reported_leaves_it_out() -> None:
    ps = FakePsutil()
    ps.freq = None
    snap, _ = tick(ps)
    assert snap.cpu.frequency_mhz is None and snap.cpu.errors == ()


def test_missing_proc_stat_fails_cpu_only() -> None:
    ps = FakePsutil()
    ps.raises["cpu_times"] = FileNotFoundError(2, "No such file or directory", "/proc/stat")
    snap, counters = tick(ps)
    assert snap.cpu.errors == ("cpu times: No such file or directory: /proc/stat",)
    assert snap.cpu.load == (0.5, 0.4, 0.3)  # the rest of the task is still filled in
    assert counters.cpu is None
    assert snap.memory.errors == () and snap.disk.errors == () and snap.network.errors == ()


# ------------------------------------------------------------------ Temperature


def test_no_sensors_is_an_empty_supported_sample() -> None:
    ps = FakePsutil()
    ps.temps = {}
    snap, _ = tick(ps)
    assert snap.temperature == sampling.TemperatureSample(readings=(), supported=True, errors=())


def test_platform_without_sensor_support() -> None:
    class NoSensors(FakePsutil):
        sensors_temperatures = None  # type: ignore[assignment]

    snap, _ = tick(NoSensors())
    assert snap.temperature.supported is False and snap.temperature.errors == ()


def test_sensor_readings_names_and_marks() -> None:
    ps = FakePsutil()
    ps.temps = {
        "nvme": [Temp("Composite", 40.0, 84.85, 0.0), Temp("Composite", 41.0, None, None)],
        "acpitz": [Temp("", 30.0, None, 105.0)],
        "coretemp": [Temp("", 50.0, 80.0, 100.0), Temp("", 51.0, 80.0, 100.0)],
    }
    snap, _ = tick(ps)
    readings = {r.name: r for r in snap.temperature.readings}
    assert list(readings) == ["acpitz", "coretemp 0", "coretemp 1", "nvme Composite", "nvme Composite #2"]
    assert readings["acpitz"].high is None and readings["acpitz"].critical == 105.0
    assert readings["nvme Composite"].critical is None  # 0.0 means "not set"


def test_access_denied_reading_sensors_fails_temperature_only() -> None:
    ps = FakePsutil()
    ps.raises["sensors_temperatures"] = access_denied()
    snap, _ = tick(ps)
    assert snap.temperature.errors == ("sensors: access denied (permission to read sensors)",)
    assert snap.cpu.errors == () and snap.memory.errors == () and snap.disk.errors == ()


# ------------------------------------------------------------------ Disk


def test_missing_disk_path_fails_disk_and_keeps_the_other_paths() -> None:
    ps = FakePsutil()
    snap, _ = tick(ps, disk_paths=("/", "/no/such/mount"))
    assert [u.path for u in snap.disk.usages] == ["/"]
    assert snap.disk.errors == ("/no/such/mount: No such file or directory",)
    assert snap.cpu.errors == () and snap.network.errors == ()


def test_access_denied_on_disk_usage() -> None:
    ps = FakePsutil()
    ps.raises["disk_usage"] = psutil.AccessDenied()
    snap, _ = tick(ps)
    assert snap.disk.usages == () and snap.disk.errors == ("/: access denied",)


def test_disk_rates_from_the_second_sample_on() -> None:
    ps = FakePsutil()
    first, counters = tick(ps, now=10.0)
    assert first.disk.read_bps is None and first.disk.write_bps is None
    ps.disk_io = ps.disk_io._replace(read_bytes=1_000_000 + 4096, write_bytes=2_000_000 + 8192)
    second, _ = tick(ps, counters, 12.0)
    assert (second.disk.read_bps, second.disk.write_bps) == (2048.0, 4096.0)


def test_machine_without_block_devices_has_no_rates_and_no_error() -> None:
    ps = FakePsutil()
    ps.disk_io = None
    snap, counters = tick(ps)
    snap, _ = tick(ps, counters, 1.0)
    assert snap.disk.read_bps is None and snap.disk.errors == ()


def test_rate_refuses_backwards_counters_and_stopped_time() -> None:
    assert sampling.rate(IoCounters(100, 100, 1.0), IoCounters(50, 200, 2.0)) is None
    assert sampling.rate(IoCounters(100, 100, 1.0), IoCounters(200, 200, 1.0)) is None
    assert sampling.rate(IoCounters(100, 100, 1.0), IoCounters(300, 150, 3.0)) == (100.0, 25.0)


# ------------------------------------------------------------------ Network


def test_default_interfaces_are_all_but_loopback_with_rates() -> None:
    ps = FakePsutil()
    ps.nics["wlan0"] = NetIo(0, 0, 0, 0, 0, 0, 0, 0)
    first, counters = tick(ps, now=0.0)
    assert [i.name for i in first.network.interfaces] == ["eth0", "wlan0"]
    assert first.network.rx_bps is None
    ps.nics["eth0"] = NetIo(bytes_sent=1500, bytes_recv=3000, packets_sent=11, packets_recv=21,
                            errin=1, errout=2, dropin=3, dropout=4)
    ps.nics["wlan0"] = NetIo(100, 200, 1, 1, 0, 0, 0, 0)
    second, _ = tick(ps, counters, 0.5)
    eth0 = second.network.interfaces[0]
    assert (eth0.rx_bps, eth0.tx_bps) == (2000.0, 1000.0)
    assert (eth0.rx_packets, eth0.tx_packets, eth0.errors_in, eth0.drops_out, eth0.up) == (21, 11, 1, 4, True)
    assert (second.network.rx_bps, second.network.tx_bps) == (2400.0, 1200.0)


def test_named_interface_that_does_not_exist_is_an_error() -> None:
    ps = FakePsutil()
    snap, _ = tick(ps, interfaces=("eth0", "wlan9"))
    assert [i.name for i in snap.network.interfaces] == ["eth0"]
    assert snap.network.errors == ("wlan9: no such interface",)


def test_link_state_failure_keeps_the_counters() -> None:
    ps = FakePsutil()
    ps.raises["net_if_stats"] = OSError(24, "Too many open files")
    snap, _ = tick(ps)
    # No flags to tell loopback: it is recognised by its name.
    assert [i.name for i in snap.network.interfaces] == ["eth0"]
    assert snap.network.interfaces[0].up is None
    assert snap.network.errors == ("link state: Too many open files",)


# ------------------------------------------------------------------ Processes


def test_top_processes_by_cpu_since_the_previous_reading() -> None:
    first = [ProcessStat(1, "init", 10.0, 100, 1.0), ProcessStat(2, "busy", 5.0, 200, 2.0),
             ProcessStat(3, "idle", 1.0, 300, 3.0)]
    top, counters = sampling.top_processes(first, None, 100.0, 2)
    assert [p.cpu_percent for p in top] == [0.0, 0.0]  # nothing to compare with yet
    second = [ProcessStat(1, "init", 10.1, 100, 1.0), ProcessStat(2, "busy", 6.5, 200, 2.0),
              ProcessStat(3, "idle", 1.0, 300, 3.0), ProcessStat(4, "new", 9.0, 50, 4.0)]
    top, _ = sampling.top_processes(second, counters, 102.0, 2)
    assert [(p.name, p.pid) for p in top] == [("busy", 2), ("init", 1)]
    assert [p.cpu_percent for p in top] == pytest.approx([75.0, 5.0])


def test_reused_pid_is_a_new_process() -> None:
    _, counters = sampling.top_processes([ProcessStat(7, "old", 50.0, 1, 1.0)], None, 0.0, 1)
    top, _ = sampling.top_processes([ProcessStat(7, "new", 0.5, 1, 99.0)], counters, 1.0, 1)
    assert top[0].cpu_percent == 0.0


def test_process_source_failure_fails_processes_only() -> None:
    def denied() -> list[ProcessStat]:
        raise psutil.AccessDenied(pid=1)

    snap, counters = tick(FakePsutil(), processes=denied)
    assert snap.processes.top == () and snap.processes.errors[0].startswith("process list: access denied")
    assert counters.processes is None and snap.cpu.errors == ()


def test_zero_top_processes_skips_the_scan() -> None:
    def must_not_run() -> list[ProcessStat]:
        raise AssertionError("scanned")

    snap, _ = tick(FakePsutil(), top_n=0, processes=must_not_run)
    assert snap.processes.top == () and snap.processes.errors == ()


def test_process_table_is_read_once_per_process_period() -> None:
    """Period 1 s, process_period 5 s: read at start, at once again for the first rates, then
    every fifth tick; in between the last list is repeated unchanged."""
    reads: list[float] = []
    clock = [0.0]

    def source() -> list[ProcessStat]:
        reads.append(clock[0])
        return [ProcessStat(1, "busy", clock[0] * 0.5, 1, 0.0)]  # half a core, always

    counters, shown = Counters(), []
    for t in range(13):
        clock[0] = t + (0.003 if t % 2 else -0.003)  # timer jitter either side
        snap, counters = sampling.sample_all(FakePsutil(), source, counters, clock[0], disk_paths=(),
                                             interfaces=(), top_n=1, period=1.0, process_period=5.0)
        shown.append(snap.processes.top[0].cpu_percent)
    assert [round(r) for r in reads] == [0, 1, 6, 11]
    assert shown[0] == 0.0 and all(p == pytest.approx(50.0, abs=0.5) for p in shown[1:])


def test_process_table_is_read_again_when_top_n_changes() -> None:
    reads = []

    def source() -> list[ProcessStat]:
        reads.append(1)
        return [ProcessStat(1, "a", 1.0, 1, 0.0), ProcessStat(2, "b", 1.0, 1, 0.0)]

    counters = Counters()
    for t, n in ((0.0, 1), (1.0, 1), (2.0, 1), (3.0, 2)):
        snap, counters = sampling.sample_all(FakePsutil(), source, counters, t, disk_paths=(), interfaces=(),
                                             top_n=n, period=1.0, process_period=5.0)
    assert len(reads) == 3 and len(snap.processes.top) == 2


def test_process_period_at_or_below_period_reads_every_tick() -> None:
    last = sampling.ProcessSample(rated=True, requested=5)
    counters = ProcessCounters({}, 10.0)
    assert sampling.process_scan_due(last, counters, 11.0, n=5, process_period=1.0, period=1.0)
    assert sampling.process_scan_due(last, counters, 10.2, n=5, process_period=0.1, period=0.2)
    assert not sampling.process_scan_due(last, counters, 11.0, n=5, process_period=5.0, period=1.0)
    failed = sampling.ProcessSample(errors=("process list: access denied",), rated=True, requested=5)
    assert sampling.process_scan_due(failed, counters, 11.0, n=5, process_period=5.0, period=1.0)


def test_parse_proc_stat_with_spaces_and_parentheses_in_the_name() -> None:
    line = b"42 (my (odd) proc) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 12345 1000 256 rest\n"
    stat = sampling.parse_proc_stat(42, line, clock_ticks=100, page_size=4096)
    assert stat == ProcessStat(42, "my (odd) proc", 3.0, 256 * 4096, 12345.0)


def test_read_proc_stats_from_a_proc_tree(tmp_path: Path) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "12").mkdir()
    (tmp_path / "12" / "stat").write_bytes(
        b"12 (worker) R 1 12 12 0 -1 0 0 0 0 0 300 100 0 0 20 0 1 0 777 0 10 rest\n")
    (tmp_path / "13").mkdir()  # a process that ended between listdir and open: no stat file
    (tmp_path / "14").mkdir()
    (tmp_path / "14" / "stat").write_bytes(b"garbage")
    stats = sampling.read_proc_stats(str(tmp_path))
    assert [(s.pid, s.name, s.start) for s in stats] == [(12, "worker", 777.0)]


def test_read_proc_stats_agrees_with_psutil_for_this_process() -> None:
    import os

    mine = {s.pid: s for s in sampling.read_proc_stats()}[os.getpid()]
    proc = psutil.Process()
    times = proc.cpu_times()
    assert mine.name == proc.name()[:15]
    assert mine.cpu_seconds == pytest.approx(times.user + times.system, abs=0.05)
    assert mine.rss_bytes == pytest.approx(proc.memory_info().rss, rel=0.2)


def _stat_line(pid: int, name: str, utime: int, start: int) -> bytes:
    fields = f"R 1 {pid} {pid} 0 -1 0 0 0 0 0 {utime} 0 0 0 20 0 1 0 {start} 0 10 rest"
    return f"{pid} ({name}) {fields}\n".encode()


def test_proc_stat_reader_keeps_files_open_and_reads_them_afresh(tmp_path: Path) -> None:
    for pid in (12, 13):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_bytes(_stat_line(pid, "worker", 300, 777))
    (tmp_path / "14").mkdir()
    (tmp_path / "14" / "stat").write_bytes(b"garbage")
    reader = sampling.ProcStatReader(str(tmp_path))
    try:
        first = reader()
        assert sorted(first) == sorted(sampling.read_proc_stats(str(tmp_path)))
        assert reader.open_files() == 3
        (tmp_path / "12" / "stat").write_bytes(_stat_line(12, "worker", 500, 777))  # CPU time went on
        shutil.rmtree(tmp_path / "13")  # ended and reaped: its file is closed
        second = {s.pid: s for s in reader()}
        assert set(second) == {12} and second[12].cpu_seconds == 5.0
        assert reader.open_files() == 2
    finally:
        reader.close()
    assert reader.open_files() == 0


def test_proc_stat_reader_parses_only_the_texts_that_changed(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A sleeping process's stat text is the same at the next read: its last stat is handed out
    again, unparsed; a changed text, or a new process on a reused pid, is parsed afresh."""
    for pid in (40, 41, 42):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_bytes(_stat_line(pid, "idle", 100, 7))
    parsed: list[int] = []
    real_parse = sampling.parse_proc_stat

    def counting_parse(pid: int, data: bytes, clock_ticks: int, page_size: int) -> sampling.ProcessStat:
        parsed.append(pid)
        return real_parse(pid, data, clock_ticks, page_size)

    monkeypatch.setattr(sampling, "parse_proc_stat", counting_parse)
    reader = sampling.ProcStatReader(str(tmp_path))
    try:
        reader()
        assert sorted(parsed) == [40, 41, 42]
        parsed.clear()
        (tmp_path / "41" / "stat").write_bytes(_stat_line(41, "busy", 250, 7))
        # The pid taken by another process (another start time; here through the same file).
        (tmp_path / "42" / "stat").write_bytes(_stat_line(42, "newer", 100, 9))
        second = {s.pid: s for s in reader()}
        assert sorted(parsed) == [41, 42]
        assert second == {s.pid: s for s in sampling.read_proc_stats(str(tmp_path))}
        assert (second[41].cpu_seconds, second[42].name, second[42].start) == (2.5, "newer", 9.0)
        shutil.rmtree(tmp_path / "40")
        reader()
        assert set(reader._parsed) == {"41", "42"}  # an ended process's text is not kept
    finally:
        reader.close()


def _proc_of_this_namespace(root: Path, last_pid: int) -> None:
    """A fake /proc that passes for ours: `self` is our pid, /proc/loadavg names the last pid."""
    if not (root / "self").is_symlink():
        (root / "self").symlink_to(str(os.getpid()))
    (root / "loadavg").write_text(f"0.10 0.20 0.30 1/99 {last_pid}\n")


def _count_listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths os.listdir is called on from now on (the test's end undoes the patch)."""
    listings: list[str] = []
    real_listdir = os.listdir

    def counting_listdir(path: str) -> list[str]:
        listings.append(path)
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", counting_listdir)
    return listings


def test_proc_is_listed_again_only_once_a_pid_was_handed_out(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """No process can appear without a new pid: while /proc/loadavg's last pid stays, the last
    listing is read again (less the processes that ended), without listing /proc."""
    for pid in (60, 61):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_bytes(_stat_line(pid, "p", 1, pid))
    _proc_of_this_namespace(tmp_path, 61)
    listings = _count_listings(monkeypatch)
    reader = sampling.ProcStatReader(str(tmp_path), max_open=1)  # one kept, one read the other way
    try:
        assert sorted(s.pid for s in reader()) == [60, 61] and len(listings) == 1
        (tmp_path / "61" / "stat").unlink()  # ended (and its file, not kept, is gone)
        assert sorted(s.pid for s in reader()) == [60] and len(listings) == 1
        assert sorted(s.pid for s in reader()) == [60] and reader._listed == ["60"]
        (tmp_path / "62").mkdir()
        (tmp_path / "62" / "stat").write_bytes(_stat_line(62, "new", 1, 62))
        _proc_of_this_namespace(tmp_path, 62)  # the kernel handed out pid 62
        assert sorted(s.pid for s in reader()) == [60, 62] and len(listings) == 2
    finally:
        reader.close()


def test_proc_of_another_pid_namespace_is_listed_every_time(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc/loadavg speaks of the reader's pid namespace: a /proc mounted from another one (its
    `self` is not our pid) is listed at every read."""
    (tmp_path / "70").mkdir()
    (tmp_path / "70" / "stat").write_bytes(_stat_line(70, "p", 1, 70))
    (tmp_path / "self").symlink_to("1")
    (tmp_path / "loadavg").write_text("0.10 0.20 0.30 1/99 70\n")
    listings = _count_listings(monkeypatch)
    reader = sampling.ProcStatReader(str(tmp_path))
    try:
        reader()
        reader()
        assert len(listings) == 2
    finally:
        reader.close()


def test_proc_stat_reader_keeps_at_most_max_open_files(tmp_path: Path) -> None:
    for pid in range(20, 30):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_bytes(_stat_line(pid, f"p{pid}", pid, pid))
    reader = sampling.ProcStatReader(str(tmp_path), max_open=4)
    try:
        assert len(reader()) == 10 and len(reader()) == 10
        assert reader.open_files() == 4
    finally:
        reader.close()


def test_kept_files_stay_under_a_quarter_of_the_descriptor_limit() -> None:
    assert sampling.default_max_open(1024) == 256
    assert sampling.default_max_open(100_000) == 512
    assert sampling.default_max_open(resource.RLIM_INFINITY) == 512


def test_proc_stat_reader_on_this_machine_equals_read_proc_stats() -> None:
    """A process that ends while its file is kept open is dropped, and the rest read as the
    open-read-close way reads them."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    reader = sampling.ProcStatReader()
    later = None
    try:
        assert child.pid in {s.pid for s in reader()}
        child.kill()
        child.wait()
        later = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        again = {s.pid: s for s in reader()}
        assert later.pid in again  # started after the last listing: a new pid, so /proc is listed
        fresh = {s.pid: s for s in sampling.read_proc_stats()}
        assert child.pid not in again
        me = os.getpid()
        assert (again[me].name, again[me].start, again[me].pid) == (fresh[me].name, fresh[me].start, me)
        assert again[me].cpu_seconds == pytest.approx(fresh[me].cpu_seconds, abs=0.05)
        assert set(again).issuperset({me, os.getppid()})
    finally:
        for proc in (child, later):
            if proc is not None:
                proc.kill()
                proc.wait()
        reader.close()


def test_psutil_process_stats_skips_denied_processes() -> None:
    class Proc:
        def __init__(self, pid: int, info: dict[str, object]) -> None:
            self.pid, self.info = pid, info

    times = psutil.Process().cpu_times()
    mem = psutil.Process().memory_info()

    class Ps:
        def process_iter(self, attrs: list[str]) -> list[Proc]:
            return [Proc(1, {"name": "ok", "cpu_times": times, "memory_info": mem, "create_time": 5.0}),
                    Proc(2, {"name": "secret", "cpu_times": None, "memory_info": None, "create_time": None})]

    stats = sampling.psutil_process_stats(Ps())
    assert [(s.pid, s.name, s.start) for s in stats] == [(1, "ok", 5.0)]


# ------------------------------------------------------------------ Errors in general


def test_describe_error() -> None:
    assert sampling.describe_error(FileNotFoundError(2, "No such file or directory", "/x")) == \
        "No such file or directory: /x"
    assert sampling.describe_error(psutil.AccessDenied()) == "access denied"
    assert sampling.describe_error(RuntimeError("boom")) == "RuntimeError: boom"
    assert sampling.describe_error(KeyError()) == "KeyError"


def test_every_probe_failing_still_gives_a_snapshot() -> None:
    ps = FakePsutil()
    for name in ("cpu_times", "getloadavg", "cpu_freq", "cpu_count", "virtual_memory", "swap_memory",
                 "sensors_temperatures", "disk_usage", "disk_io_counters", "net_io_counters", "net_if_stats"):
        ps.raises[name] = RuntimeError(name)
    snap, _ = tick(ps)
    for task in (snap.cpu, snap.memory, snap.temperature, snap.disk, snap.network):
        assert task.errors, task
    assert len(snap.cpu.errors) == 4 and len(snap.memory.errors) == 2


def test_process_counters_are_carried_over() -> None:
    stats = [ProcessStat(1, "a", 1.0, 1, 0.0)]
    _, counters = tick(FakePsutil(), processes=lambda: stats)
    assert counters.processes == ProcessCounters({(1, 0.0): 1.0}, 0.0)


# ---------------------------------------------------------------- process names


@pytest.mark.parametrize(("cmdline", "name"), [
    (["/usr/bin/python3", "/opt/ros/jazzy/lib/nav2_amcl/amcl_node", "--ros-args", "-r", "__node:=amcl"],
     "amcl"),
    (["python3", "x.py", "--ros-args", "--remap", "__ns:=/robot1/", "-r", "__node:=planner"],
     "/robot1/planner"),
    (["/usr/bin/python3", "-u", "/home/me/ws/install/pkg/lib/pkg/talker", "--ros-args"], "talker"),
    (["/usr/bin/python3.11", "-m", "chedweb_bridge.main"], "chedweb_bridge.main"),
    (["python3", "-c", "print(1)"], "python3"),
    (["/opt/ros/jazzy/lib/robot_state_publisher/robot_state_publisher", "--ros-args"],
     "robot_state_publisher"),
    ([], "kworker/0:1"),
])
def test_display_name(cmdline: list[str], name: str) -> None:
    assert sampling.display_name(cmdline, "kworker/0:1") == name


def test_command_lines_are_read_for_the_top_rows_only() -> None:
    stats = [ProcessStat(pid, "python3", 0.0, pid, 1.0) for pid in range(1, 101)]
    read: list[int] = []

    def cmdline(pid: int) -> list[str] | None:
        read.append(pid)
        return None if pid == 99 else ["python3", f"/bin/node{pid}"]

    sample, _ = sampling.sample_processes(lambda: stats, None, 0.0, 3, cmdline)
    assert sorted(read) == [98, 99, 100]  # the three largest RSS: the top rows, nothing else
    assert [p.name for p in sample.top] == ["node100", "python3", "node98"]  # unreadable: stat name


def test_a_real_ros_style_process_is_named_by_its_node() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "--ros-args", "-r",
                              "__node:=probe_node"])
    try:
        args = sampling.read_proc_cmdline(child.pid)
        deadline = time.monotonic() + 10.0
        while not args and time.monotonic() < deadline:  # empty until the child has exec'd
            time.sleep(0.01)
            args = sampling.read_proc_cmdline(child.pid)
        assert args is not None and sampling.display_name(args, "python3") == "probe_node"
    finally:
        child.kill()
        child.wait()
    assert sampling.read_proc_cmdline(child.pid) is None  # gone: the stat name stays


def test_a_command_line_is_read_up_to_its_first_64_kib() -> None:
    """As f.read(65536) gave: a longer command line is cut there (one read, not the whole of it)."""
    long_args = ["a" * 40000, "b" * 40000]
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", *long_args])
    try:
        whole = b"\0".join(a.encode() for a in [sys.executable, "-c", "import time; time.sleep(30)",
                                                 *long_args])
        expected = [a.decode() for a in whole[:65536].split(b"\0") if a]
        args = sampling.read_proc_cmdline(child.pid)
        deadline = time.monotonic() + 10.0
        while args != expected and time.monotonic() < deadline:  # until the child has exec'd
            time.sleep(0.01)
            args = sampling.read_proc_cmdline(child.pid)
        assert args == expected and len(args[-1]) < 40000
    finally:
        child.kill()
        child.wait()
