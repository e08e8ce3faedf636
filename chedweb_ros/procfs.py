"""Linux probes for system_metrics' 1 Hz tick: the part of psutil's API that chedweb_ros.sampling
calls, giving the same numbers as psutil 7.2 for every field sampling reads, at a fraction of the
cost (issue 12: the node at most 0.35 % of a core).

Where the cost was (docs/benchmarks.md, "system_metrics"): on this VM a syscall costs several
microseconds and psutil spends far more than that in Python around each file. Per tick, psutil
read /proc/meminfo twice and /proc/vmstat once (swap in/out, which nothing reports), /proc/net/dev
twice, made three ioctls per interface through three fresh sockets (MTU, duplex and speed,
unreported), and globbed /sys five times for temperatures. Here each file is read once with one
os.read where it fits, parsed for the fields sampling uses, and the link state is one
SIOCGIFFLAGS ioctl per interface on one socket kept open.

The numbers are psutil's own: the same parsing rules, the same arithmetic in the same order (so
the floats are equal, not just close), and psutil's "nowrap" correction of counters that wrap
(WrapCorrector). test/unit/test_procfs.py checks each probe against psutil reading the same files.
Rare layouts whose psutil path is costly to mirror exactly (no MemAvailable, no /proc/diskstats,
cpufreq in /sys, temperatures from thermal zones only) are passed to psutil itself.

The parsers are pure functions of the file contents; LinuxProbes is the thin I/O around them.
"""

from __future__ import annotations

import errno
import fcntl
import operator
import os
import select
import socket
import struct
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from chedweb_ros.proc_files import KeptFile, read_file, read_optional

# ---------------------------------------------------------------- CPU

CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice")


def cpu_times_type(first_line_values: int) -> Any:
    """psutil's scputimes for a /proc/stat whose first line has this many numbers: 7 fields,
    then steal, guest and guest_nice as the kernel adds them."""
    count = min(max(first_line_values, 7), len(CPU_FIELDS))
    return _CPU_TYPES[count]


_CPU_TYPES = {n: namedtuple("scputimes", CPU_FIELDS[:n]) for n in range(7, len(CPU_FIELDS) + 1)}


def parse_per_cpu_times(data: bytes, clock_ticks: int) -> list[Any]:
    """Each core's times from /proc/stat, in seconds, as psutil.cpu_times(percpu=True)."""
    lines = data.split(b"\n")
    kind = cpu_times_type(len(lines[0].split()) - 1)
    n = len(kind._fields)
    out = []
    for line in lines[1:]:
        if line.startswith(b"cpu"):
            out.append(kind(*[float(x) / clock_ticks for x in line.split()[1:n + 1]]))
    return out


class Frequency(NamedTuple):
    current: float
    min: float
    max: float


def lines_starting(data: bytes, prefix: bytes) -> list[bytes]:
    """The lines of `data` that start with `prefix`, in order: what splitting it into lines and
    testing each would give, found with bytes.find instead (/proc/cpuinfo has some 30 lines a
    core and one of them is wanted: a fifth of the cost)."""
    needle = b"\n" + prefix
    out = []
    if data.startswith(prefix):
        start = 0
    else:
        found = data.find(needle)
        start = found + 1 if found >= 0 else -1
    while start >= 0:
        end = data.find(b"\n", start)
        if end < 0:
            out.append(data[start:])
            break
        out.append(data[start:end])
        found = data.find(needle, end)
        start = found + 1 if found >= 0 else -1
    return out


def parse_cpuinfo_frequency(data: bytes) -> Frequency | None:
    """psutil.cpu_freq() where /sys has no cpufreq: the mean of /proc/cpuinfo's 'cpu MHz' lines
    (summed in order from 0.0, as psutil does, so the float is the same), min and max 0.0; None
    when there is no such line."""
    mhz = [float(line.split(b":", 1)[1]) for line in lines_starting(data.lower(), b"cpu mhz")]
    if not mhz:
        return None
    if len(mhz) == 1:
        return Frequency(mhz[0], 0.0, 0.0)
    total = 0.0
    for value in mhz:
        total += value
    return Frequency(total / float(len(mhz)), 0.0, 0.0)


X86_MACHINES = ("x86_64", "i386", "i486", "i586", "i686")


def cpufreq_in_sys(sys_root: str = "/sys") -> bool:
    """psutil's test (made once, at its import) for a cpufreq driver's figures in /sys."""
    return (os.path.exists(f"{sys_root}/devices/system/cpu/cpufreq/policy0")
            or os.path.exists(f"{sys_root}/devices/system/cpu/cpu0/cpufreq"))


def cpuinfo_frequency_is_boot_constant(data: bytes) -> bool:
    """Whether an x86 /proc/cpuinfo's 'cpu MHz' is cpu_khz, set at boot: the kernel
    (arch/x86/kernel/cpu/proc.c, arch_freq_get_on_cpu) writes the APERF/MPERF estimate on a
    CPU with the 'aperfmperf' flag, else cpufreq's current figure, else cpu_khz. Here: every
    processor has a 'flags' line and none has 'aperfmperf' (the caller checks cpufreq)."""
    flags = lines_starting(data, b"flags")
    return bool(flags) and not any(b"aperfmperf" in line.split() for line in flags)


# ---------------------------------------------------------------- memory


def usage_percent(used: float, total: float) -> float:
    """psutil._common.usage_percent(used, total, round_=1)."""
    if total == 0:
        return 0.0
    return round((float(used) / total) * 100, 1)


def parse_meminfo(data: bytes, wanted: Sequence[bytes]) -> dict[bytes, int]:
    """The `wanted` /proc/meminfo keys (with their colon) in bytes, read as psutil reads them
    (the second field of the line the key starts, times 1024; of the last such line should one
    repeat), each found with bytes.rfind rather than by splitting the file's 50-odd lines."""
    out: dict[bytes, int] = {}
    for key in wanted:
        at = data.rfind(b"\n" + key)
        if at >= 0:
            start = at + 1
        elif data.startswith(key):
            start = 0
        else:
            continue
        end = data.find(b"\n", start)
        out[key] = int((data[start:end] if end >= 0 else data[start:]).split()[1]) * 1024
    return out


class VirtualMemory(NamedTuple):
    total: int
    available: int
    percent: float
    used: int
    free: int


_MEMORY_KEYS = (b"MemTotal:", b"MemFree:", b"MemAvailable:")


def virtual_memory_of(mems: Mapping[bytes, int]) -> VirtualMemory | None:
    """psutil.virtual_memory()'s total, available, percent, used and free, from /proc/meminfo;
    None where psutil would estimate MemAvailable itself (a kernel before 3.14, or one reporting
    0: psutil issue 1915), which the caller then leaves to psutil."""
    total, free, avail = mems.get(b"MemTotal:"), mems.get(b"MemFree:"), mems.get(b"MemAvailable:")
    if total is None or free is None or not avail:
        return None
    if avail > total:  # psutil: an LXC container showing the host's figures
        avail = free
    return VirtualMemory(total, avail, usage_percent(total - avail, total), total - avail, free)


class SwapMemory(NamedTuple):
    """psutil.swap_memory() without sin/sout: nothing reports them, and they cost a read of
    /proc/vmstat."""

    total: int
    used: int
    free: int
    percent: float


_SWAP_KEYS = (b"SwapTotal:", b"SwapFree:")


def swap_memory_of(mems: Mapping[bytes, int]) -> SwapMemory | None:
    total, free = mems.get(b"SwapTotal:"), mems.get(b"SwapFree:")
    if total is None or free is None:
        return None  # psutil falls back to sysinfo(2): leave it to psutil
    return SwapMemory(total, total - free, free, usage_percent(total - free, total))


# ---------------------------------------------------------------- counters that wrap


K = TypeVar("K", str, bytes)


class WrapCorrector(Generic[K]):
    """psutil's nowrap for one counter table (_common._WrapNumbers, per function name): a value
    lower than the last reading of its key and field is taken as a wrap, and the old value is
    added to it from then on. The first table passes unchanged; a key seen for the first time
    passes unchanged; a key that went away loses its corrections."""

    def __init__(self) -> None:
        self._last: dict[K, tuple[int, ...]] | None = None
        self._added: dict[tuple[K, int], int] = {}

    def correct(self, table: dict[K, tuple[int, ...]]) -> dict[K, tuple[int, ...]]:
        last, self._last = self._last, table
        if last is None:
            return table
        added = self._added
        if added:
            for gone in set(last) - set(table):
                for key in [k for k in added if k[0] == gone]:
                    del added[key]
        for name, values in table.items():
            before = last.get(name)
            if before is None or all(map(operator.ge, values, before)):  # (the usual case: none went down)
                continue
            for i, (value, old) in enumerate(zip(values, before, strict=True)):
                if value < old:
                    added[(name, i)] = added.get((name, i), 0) + old
        if not added:  # nothing ever wrapped (every tick on a 64-bit kernel): the table as read
            return table
        # A name absent from the last table has no corrections left (they went with it above).
        return {name: tuple(v + added.get((name, i), 0) for i, v in enumerate(values))
                for name, values in table.items()}


# ---------------------------------------------------------------- disk

DISK_SECTOR_SIZE = 512


def parse_diskstats(data: bytes) -> list[tuple[bytes, int, int]]:
    """(name, read bytes, write bytes) of every /proc/diskstats line, by psutil's three layouts.
    Names stay bytes: they are only keys, decoded when /sys is asked about them."""
    out = []
    for line in data.split(b"\n"):
        fields = line.split()
        flen = len(fields)
        if not flen:
            continue
        if flen == 15:  # Linux 2.4
            name, rbytes, wbytes = fields[3], int(fields[5]), int(fields[9])
        elif flen == 14 or flen >= 18:  # 2.6+, a disk
            name, rbytes, wbytes = fields[2], int(fields[5]), int(fields[9])
        elif flen == 7:  # 2.6+, a partition
            name, rbytes, wbytes = fields[2], int(fields[4]), int(fields[6])
        else:
            raise ValueError(f"not sure how to interpret line {line!r}")
        out.append((name, rbytes * DISK_SECTOR_SIZE, wbytes * DISK_SECTOR_SIZE))
    return out


class DiskIo(NamedTuple):
    read_bytes: int
    write_bytes: int


def is_storage_device(name: str, sys_root: str = "/sys") -> bool:
    """psutil's test: a whole disk (or a virtual one) has /sys/block/<name>; a partition not."""
    return os.access(f"{sys_root}/block/{name.replace('/', '!')}", os.F_OK)


# ---------------------------------------------------------------- network


class NetIo(NamedTuple):
    bytes_sent: int
    bytes_recv: int
    packets_sent: int
    packets_recv: int
    errin: int
    errout: int
    dropin: int
    dropout: int


def parse_net_dev(data: bytes) -> dict[str, tuple[int, ...]]:
    """Each interface of /proc/net/dev, in psutil's net_io_counters field order."""
    out: dict[str, tuple[int, ...]] = {}
    for line in data.split(b"\n")[2:]:
        colon = line.rfind(b":")
        if colon <= 0:
            continue
        f = [int(x) for x in line[colon + 1:].split()]
        if len(f) != 16:
            raise ValueError(f"not sure how to interpret line {line!r}")
        out[os.fsdecode(line[:colon].strip())] = (f[8], f[0], f[9], f[1], f[2], f[10], f[3], f[11])
    return out


SIOCGIFFLAGS = 0x8913
# psutil's names for the interface flags, in the order it lists them (net_if_stats().flags).
IFF_NAMES = (
    (0x1, "up"), (0x2, "broadcast"), (0x4, "debug"), (0x8, "loopback"), (0x10, "pointopoint"),
    (0x20, "notrailers"), (0x40, "running"), (0x80, "noarp"), (0x100, "promisc"),
    (0x200, "allmulti"), (0x400, "master"), (0x800, "slave"), (0x1000, "multicast"),
    (0x2000, "portsel"), (0x4000, "automedia"), (0x8000, "dynamic"),
)
IFF_RUNNING = 0x40


class LinkState(NamedTuple):
    """psutil.net_if_stats()'s isup (the interface is running) and flags, without the MTU,
    duplex and speed that nothing reports (each another ioctl)."""

    isup: bool
    flags: str


def link_state_of(flags: int) -> LinkState:
    return LinkState(bool(flags & IFF_RUNNING), ",".join(n for bit, n in IFF_NAMES if flags & bit))


RTMGRP_LINK = 1  # rtnetlink's multicast group of link notifications (linux/rtnetlink.h)


class LinkEvents:
    """Whether any network interface of this namespace may have changed since the last look.

    A netlink socket in rtnetlink's link group: the kernel sends it an RTM_NEWLINK or
    RTM_DELLINK message each time an interface is added or removed or its flags change (up or
    down, carrier, promiscuous: what `ip monitor link` shows). Nothing queued means no flag
    changed, and the link states read last are still the kernel's answer; the ioctls (one per
    interface, each tick) are then not needed. A lost notification (a full socket buffer:
    ENOBUFS) counts as a change. Opening needs no privilege."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_NETLINK,
                                     socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC,
                                     socket.NETLINK_ROUTE)
        try:
            self._socket.bind((0, RTMGRP_LINK))
        except OSError:
            self._socket.close()
            raise
        self._poll = select.poll()  # poll(0): an answer without an exception when nothing is queued
        self._poll.register(self._socket, select.POLLIN)
        # Only drained, never parsed: a notification longer than this is cut short, and that is
        # all right (one recv still takes one whole message off the queue).
        self._buffer = bytearray(4096)

    def changed(self) -> bool:
        """True if a notification came since the last call (all of them are read here)."""
        if not self._poll.poll(0):
            return False
        for _ in range(10_000):  # bounded: a namespace busy with links cannot hold the tick here
            try:
                self._socket.recv_into(self._buffer)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:  # ENOBUFS: some were lost, and the queue goes on
                    raise
        return True

    def close(self) -> None:
        self._socket.close()


# ---------------------------------------------------------------- temperatures


class Temperature(NamedTuple):
    label: str
    current: float
    high: float | None
    critical: float | None


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _glob_names(directory: str, matches: Callable[[str], bool]) -> list[str]:
    """glob's one-level match (listing order, hidden names never match) without its overhead."""
    return [f"{directory}/{n}" for n in _listdir(directory) if not n.startswith(".") and matches(n)]


def _is_temp_entry(name: str) -> bool:  # glob 'temp*_*'
    return name.startswith("temp") and "_" in name[4:]


def _text(data: bytes) -> str:
    return data.decode(errors="surrogateescape")


def _milli(data: bytes | None) -> float | None:
    if data is None:
        return None
    try:
        return float(data) / 1000.0
    except ValueError:
        return None


def hwmon_bases(sys_root: str = "/sys") -> list[str]:
    """psutil's hwmon entries: the sorted '<dir>/tempN' bases under /sys/class/hwmon/hwmon* and
    their device/ subdirectory ('_' cuts the path as psutil cuts it)."""
    found: list[str] = []
    for hwmon in _glob_names(f"{sys_root}/class/hwmon", lambda n: n.startswith("hwmon")):
        found.extend(_glob_names(hwmon, _is_temp_entry))
        found.extend(_glob_names(f"{hwmon}/device", _is_temp_entry))
    return sorted({path.split("_")[0] for path in found})


def has_coretemp_entries(sys_root: str = "/sys") -> bool:
    """Whether psutil finds coretemp entries under /sys/devices/platform. It adds them under a
    name that never reads (the '_input' suffix twice), so they give no reading, but they keep it
    from falling back to thermal zones."""
    return any(
        _glob_names(hwmon, _is_temp_entry)
        for platform in _glob_names(f"{sys_root}/devices/platform", lambda n: n.startswith("coretemp."))
        for hwmon in _glob_names(f"{platform}/hwmon", lambda n: n.startswith("hwmon")))


def read_hwmon(bases: Iterable[str]) -> dict[str, list[Temperature]]:
    """psutil.sensors_temperatures() from hwmon bases: a base whose input or name cannot be read
    is skipped; a missing high mark takes the critical one and the other way round."""
    out: dict[str, list[Temperature]] = {}
    for base in bases:
        try:
            current = float(read_file(base + "_input")) / 1000.0
            unit = _text(read_file(os.path.join(os.path.dirname(base), "name"))).strip()
        except (OSError, ValueError):
            continue
        high = _milli(read_optional(base + "_max"))
        critical = _milli(read_optional(base + "_crit"))
        label_data = read_optional(base + "_label")
        label = _text(label_data).strip() if label_data is not None else ""
        if high and not critical:
            critical = high
        elif critical and not high:
            high = critical
        out.setdefault(unit, []).append(Temperature(label, current, high, critical))
    return out


# ---------------------------------------------------------------- the probes


class DiskUsage(NamedTuple):
    total: int
    used: int
    free: int
    percent: float


def disk_usage_of(st: os.statvfs_result) -> DiskUsage:
    """psutil.disk_usage() on Linux from one statvfs: total and used for the whole file system,
    free and percent for what a user may write (root's reserve left out)."""
    total = st.f_blocks * st.f_frsize
    used = total - st.f_bfree * st.f_frsize
    free = st.f_bavail * st.f_frsize
    return DiskUsage(total, used, free, usage_percent(used, used + free))


def _import_psutil() -> Any:
    import psutil  # only for the rare layouts: see LinuxProbes

    return psutil


class LinuxProbes:
    """The psutil calls sampling makes, answered from /proc and /sys (see the module docstring).

    `ps` is psutil (or a stand-in), for the calls passed on to it; by default psutil is imported
    only when one is, so that a node on a common Linux machine never loads it (2.6 MiB of RSS
    and, on a small robot computer, a noticeable part of start-up)."""

    def __init__(self, ps: Any = None, proc_root: str = "/proc", sys_root: str = "/sys",
                 machine: str | None = None) -> None:
        self._given_ps = ps
        self._proc = proc_root
        self._sys = sys_root
        self._clock_ticks = os.sysconf("SC_CLK_TCK")
        # psutil chooses between its two cpu_freq() once, at import, by the same test.
        self._cpufreq_in_sys = cpufreq_in_sys(sys_root)
        # A cpufreq driver coming up makes cpu0/cpufreq (one access() a tick: no exception).
        self._cpu0_cpufreq = f"{sys_root}/devices/system/cpu/cpu0/cpufreq"
        self._x86 = (machine if machine is not None else os.uname().machine) in X86_MACHINES
        self._boot_frequency: Frequency | None = None  # see cpu_freq
        self._disk_wrap: WrapCorrector[bytes] = WrapCorrector()
        self._whole_disks: dict[bytes, bool] = {}  # is_storage_device of each diskstats name
        self._net_wrap: WrapCorrector[str] = WrapCorrector()
        self._interfaces: list[str] | None = None  # those of the last net_io_counters()
        self._swap_from_last_read: SwapMemory | None = None  # virtual_memory()'s meminfo
        self._socket: socket.socket | None = None
        self._events: LinkEvents | None = None  # opened by _link_events
        self._no_events = False  # netlink could not be opened
        self._links: dict[str, LinkState] | None = None  # the last ioctls' answer, and for which names
        self._links_of: list[str] = []
        # The files read every tick, each through a descriptor kept open (KeptFile).
        self._stat = KeptFile(f"{proc_root}/stat")
        self._cpuinfo = KeptFile(f"{proc_root}/cpuinfo")
        self._meminfo = KeptFile(f"{proc_root}/meminfo")
        self._diskstats = KeptFile(f"{proc_root}/diskstats")
        self._net_dev = KeptFile(f"{proc_root}/net/dev")
        self.getloadavg = os.getloadavg  # what psutil.getloadavg is on Linux

    @property
    def _ps(self) -> Any:
        if self._given_ps is None:
            self._given_ps = _import_psutil()
        return self._given_ps

    def disk_usage(self, path: str) -> DiskUsage:
        return disk_usage_of(os.statvfs(path))

    def cpu_count(self, logical: bool = True) -> Any:
        return self._ps.cpu_count(logical=logical)  # asked only when the per-core times failed

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        for kept in (self._stat, self._cpuinfo, self._meminfo, self._diskstats, self._net_dev):
            kept.close()
        if self._events is not None:
            self._events.close()
        self._events, self._links = None, None

    # CPU
    def cpu_times(self, percpu: bool = False) -> list[Any]:
        if not percpu:
            raise ValueError("LinuxProbes.cpu_times answers percpu=True only")
        return parse_per_cpu_times(self._stat.read(), self._clock_ticks)

    def cpu_freq(self) -> Any:
        """psutil's cpu_freq(). Without cpufreq, that is /proc/cpuinfo's 'cpu MHz' lines, which
        an x86 kernel writes from APERF/MPERF where the CPU has them, else from cpufreq (none
        here), else from cpu_khz: a constant, calibrated at boot. In that last case the lines
        never change, so the file (the kernel's costliest here, and the Python's too) is read
        once; it is read again at every tick should a cpufreq driver come up meanwhile (the
        kernel would then write its figures)."""
        if self._cpufreq_in_sys:
            return self._ps.cpu_freq()
        if self._boot_frequency is not None and not os.access(self._cpu0_cpufreq, os.F_OK):
            return self._boot_frequency
        data = self._cpuinfo.read()
        frequency = parse_cpuinfo_frequency(data)
        if self._x86 and frequency is not None and cpuinfo_frequency_is_boot_constant(data):
            self._boot_frequency = frequency
        else:
            self._boot_frequency = None
        return frequency

    # memory
    def virtual_memory(self) -> Any:
        """psutil's figures from one read of /proc/meminfo, which also serves the swap_memory()
        call sampling makes right after (psutil reads and parses the whole file for each)."""
        mems = parse_meminfo(self._meminfo.read(), _MEMORY_KEYS + _SWAP_KEYS)
        self._swap_from_last_read = swap_memory_of(mems)
        vm = virtual_memory_of(mems)
        return vm if vm is not None else self._ps.virtual_memory()

    def swap_memory(self) -> Any:
        swap, self._swap_from_last_read = self._swap_from_last_read, None  # used once
        if swap is None:
            swap = swap_memory_of(parse_meminfo(self._meminfo.read(), _SWAP_KEYS))
        return swap if swap is not None else self._ps.swap_memory()

    # temperatures
    def sensors_temperatures(self) -> Mapping[str, Sequence[Any]]:
        bases = hwmon_bases(self._sys)
        if bases:
            return read_hwmon(bases)
        # Nothing in hwmon: psutil reads thermal zones, unless coretemp entries exist (which
        # read nothing). Zones are looked for first: without any, the answer is {} either way.
        if not _glob_names(f"{self._sys}/class/thermal", lambda n: n.startswith("thermal_zone")):
            return {}
        if has_coretemp_entries(self._sys):
            return {}
        return self._ps.sensors_temperatures()  # thermal zones: psutil's own reading

    # disk
    def disk_io_counters(self) -> DiskIo | None:
        data = self._diskstats.read_optional()
        if data is None:
            return self._ps.disk_io_counters()  # psutil reads /sys/block instead
        table: dict[bytes, tuple[int, ...]] = {}
        rows = parse_diskstats(data)
        whole = self._whole_disks
        if whole.keys() != {name for name, _, _ in rows}:
            # A device came or went: ask /sys again. A name is a whole disk or a partition for as
            # long as it exists (sda, sda1), so the answers hold until the list changes.
            whole = self._whole_disks = {name: is_storage_device(os.fsdecode(name), self._sys)
                                         for name, _, _ in rows}
        for name, rbytes, wbytes in rows:
            if whole[name]:  # partitions are inside their disk's figures
                table[name] = (rbytes, wbytes)
        if not table:
            return None
        table = self._disk_wrap.correct(table)
        return DiskIo(sum(t[0] for t in table.values()), sum(t[1] for t in table.values()))

    # network
    def net_io_counters(self, pernic: bool = False) -> dict[str, NetIo]:
        if not pernic:
            raise ValueError("LinuxProbes.net_io_counters answers pernic=True only")
        table = parse_net_dev(self._net_dev.read())
        self._interfaces = list(table)
        if not table:  # psutil returns before its nowrap sees an empty table
            return {}
        table = self._net_wrap.correct(table)
        return {name: NetIo(*values) for name, values in table.items()}

    def net_if_stats(self) -> dict[str, LinkState]:
        """The link state of the interfaces the last net_io_counters() listed (sampling calls
        it just before; psutil reads /proc/net/dev a second time for the same list)."""
        names = self._interfaces if self._interfaces is not None else list(
            parse_net_dev(self._net_dev.read()))
        events = self._link_events()
        # Read before the ioctls below, so that a change made while they run is news next tick.
        changed = events is None or events.changed()
        if not changed and self._links is not None and names == self._links_of:
            return dict(self._links)  # no interface came, went or changed a flag: the same answer
        if self._socket is None:
            self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out: dict[str, LinkState] = {}
        for name in names:
            try:
                answer = fcntl.ioctl(self._socket, SIOCGIFFLAGS, struct.pack("16sH22x", name.encode(), 0))
            except OSError as exc:
                if exc.errno == errno.ENODEV:  # went away since the list was read: as psutil
                    continue
                raise
            out[name] = link_state_of(struct.unpack_from("16xH", answer)[0])
        if events is not None:
            self._links, self._links_of = dict(out), names
        return out

    def _link_events(self) -> LinkEvents | None:
        """The LinkEvents of this namespace, opened at the first call; None where netlink cannot
        be opened (a sandbox without it): then the ioctls run every tick, as before."""
        if self._events is None and not self._no_events:
            try:
                self._events = LinkEvents()
            except OSError:
                self._no_events = True
        return self._events


def default_probes() -> Any:
    """LinuxProbes where /proc/stat can be read (Linux), else psutil itself."""
    if os.access("/proc/stat", os.R_OK) and os.path.isdir("/sys/block"):
        return LinuxProbes()
    return _import_psutil()
