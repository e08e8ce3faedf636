"""Sampling: one pure function per task, each taking psutil (or a fake with the same API) as an
argument and returning a frozen sample plus the counters the next call needs for rates.

No function here keeps hidden state: rates (CPU %, bytes per second, process CPU %) come from the
previous counters passed in, not from psutil's module-level "since last call" memory, so a sample
depends only on its inputs and the unit tests drive every path with fakes.

A probe that raises never escapes: the failure becomes a reason in the sample's `errors`, the
rest of that task is still filled in where it can be, and the other tasks are unaffected.
"""

from __future__ import annotations

import os
import re
import resource
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from chedweb_ros.proc_files import KeptFile, read_file

T = TypeVar("T")


def describe_error(exc: BaseException) -> str:
    """A short, human reason for a failed probe: 'No such file or directory', 'access denied', ..."""
    name = type(exc).__name__
    if name == "AccessDenied":  # psutil.AccessDenied; matched by name so fakes need not import psutil
        detail = getattr(exc, "msg", "") or ""
        return f"access denied ({detail})" if detail else "access denied"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    text = str(exc)
    return f"{name}: {text}" if text else name


def _attempt(errors: list[str], what: str, probe: Callable[[], T]) -> T | None:
    """Run one probe; on any exception record '<what>: <reason>' and return None."""
    try:
        return probe()
    except Exception as exc:  # a probe must never take the node down
        reason = describe_error(exc)
        if reason.endswith(f": {what}"):  # "/data: No such file or directory: /data"
            reason = reason[: -len(what) - 2]
        errors.append(f"{what}: {reason}")
        return None


# ---------------------------------------------------------------- CPU


@dataclass(frozen=True)
class CpuTimes:
    """Busy and total jiffies-as-seconds of one core, the inputs of a usage percentage."""

    busy: float
    total: float


def cpu_times_of(times: Any) -> CpuTimes:
    """psutil's own busy/total split (Linux: guest time is already inside user and nice; idle and
    iowait are not busy), so our percentages match psutil.cpu_percent()."""
    total = float(sum(times))
    total -= float(getattr(times, "guest", 0.0)) + float(getattr(times, "guest_nice", 0.0))
    idle = float(getattr(times, "idle", 0.0)) + float(getattr(times, "iowait", 0.0))
    return CpuTimes(busy=total - idle, total=total)


def usage_percent(prev: CpuTimes, now: CpuTimes) -> float:
    busy = now.busy - prev.busy
    total = now.total - prev.total
    if total <= 0.0:
        return 0.0
    return max(0.0, min(100.0, busy / total * 100.0))


@dataclass(frozen=True)
class CpuSample:
    usage_percent: float | None  # None until there are two samples to compare
    core_percent: tuple[float, ...] = ()
    load: tuple[float, float, float] | None = None
    frequency_mhz: float | None = None  # None where the machine does not report it
    cores: int | None = None
    errors: tuple[str, ...] = ()


def sample_cpu(ps: Any, prev: Sequence[CpuTimes] | None) -> tuple[CpuSample, tuple[CpuTimes, ...] | None]:
    """CPU usage from per-core times (one read of /proc/stat on Linux), load average, frequency,
    core count. Returns the sample and the per-core times for the next call."""
    errors: list[str] = []
    raw = _attempt(errors, "cpu times", lambda: ps.cpu_times(percpu=True))
    now = tuple(cpu_times_of(t) for t in raw) if raw else None
    usage: float | None = None
    cores_pct: tuple[float, ...] = ()
    if now is not None and prev is not None and len(prev) == len(now):
        cores_pct = tuple(usage_percent(p, n) for p, n in zip(prev, now, strict=True))
        usage = usage_percent(
            CpuTimes(sum(p.busy for p in prev), sum(p.total for p in prev)),
            CpuTimes(sum(n.busy for n in now), sum(n.total for n in now)),
        )
    load = _attempt(errors, "load average", ps.getloadavg)
    freq = _attempt(errors, "frequency", ps.cpu_freq)
    # The per-core times already count the cores; ask psutil only when they failed.
    count = len(now) if now else _attempt(errors, "core count", lambda: ps.cpu_count(logical=True))
    sample = CpuSample(
        usage_percent=usage,
        core_percent=cores_pct,
        load=(float(load[0]), float(load[1]), float(load[2])) if load is not None else None,
        # cpu_freq() returns None, or current == 0.0, where the machine reports no frequency.
        frequency_mhz=float(freq.current) if freq is not None and freq.current else None,
        cores=int(count) if count else None,
        errors=tuple(errors),
    )
    return sample, now


# ---------------------------------------------------------------- Memory


@dataclass(frozen=True)
class MemorySample:
    percent: float | None = None
    used_bytes: int | None = None
    available_bytes: int | None = None
    total_bytes: int | None = None
    swap_percent: float | None = None
    errors: tuple[str, ...] = ()


def sample_memory(ps: Any) -> MemorySample:
    errors: list[str] = []
    vm = _attempt(errors, "virtual memory", ps.virtual_memory)
    swap = _attempt(errors, "swap", ps.swap_memory)
    return MemorySample(
        percent=float(vm.percent) if vm is not None else None,
        used_bytes=int(vm.used) if vm is not None else None,
        available_bytes=int(vm.available) if vm is not None else None,
        total_bytes=int(vm.total) if vm is not None else None,
        swap_percent=float(swap.percent) if swap is not None else None,
        errors=tuple(errors),
    )


# ---------------------------------------------------------------- Temperature


@dataclass(frozen=True)
class TemperatureReading:
    name: str  # "<sensor> <label>", unique within a sample
    celsius: float
    high: float | None = None
    critical: float | None = None


@dataclass(frozen=True)
class TemperatureSample:
    readings: tuple[TemperatureReading, ...] = ()
    supported: bool = True  # False where psutil has no sensors_temperatures (macOS, Windows)
    errors: tuple[str, ...] = ()


def reading_names(sensor: str, labels: Sequence[str]) -> list[str]:
    """'<sensor> <label>' for each entry of one sensor; an empty label becomes the entry's index
    (or just the sensor name when it is the only entry), and repeats get ' #2', ' #3'."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):
        label = label.strip()
        if label:
            base = f"{sensor} {label}"
        elif len(labels) == 1:
            base = sensor
        else:
            base = f"{sensor} {i}"
        count = seen.get(base, 0) + 1
        seen[base] = count
        names.append(base if count == 1 else f"{base} #{count}")
    return names


def _marks(value: Any) -> float | None:
    # psutil gives None, or sometimes 0.0, for a mark the sensor does not set.
    return float(value) if value else None


def sample_temperature(ps: Any) -> TemperatureSample:
    probe = getattr(ps, "sensors_temperatures", None)
    if probe is None:
        return TemperatureSample(supported=False)
    errors: list[str] = []
    sensors: Mapping[str, Sequence[Any]] | None = _attempt(errors, "sensors", probe)
    readings: list[TemperatureReading] = []
    for sensor, entries in sorted((sensors or {}).items()):
        names = reading_names(sensor, [str(e.label or "") for e in entries])
        for name, entry in zip(names, entries, strict=True):
            if entry.current is None:
                continue
            readings.append(TemperatureReading(name, float(entry.current), _marks(entry.high),
                                               _marks(entry.critical)))
    return TemperatureSample(readings=tuple(readings), errors=tuple(errors))


# ---------------------------------------------------------------- Disk


@dataclass(frozen=True)
class DiskUsage:
    path: str
    percent: float
    used_bytes: int
    free_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class IoCounters:
    """Two cumulative byte counters (read/write, or received/sent) at a monotonic time."""

    first: int
    second: int
    time: float


def rate(prev: IoCounters | None, now: IoCounters | None) -> tuple[float, float] | None:
    """Bytes per second of both counters between two readings; None without two readings, when
    time did not advance, or when a counter went backwards (reset, or a device that went away)."""
    if prev is None or now is None:
        return None
    dt = now.time - prev.time
    d1, d2 = now.first - prev.first, now.second - prev.second
    if dt <= 0.0 or d1 < 0 or d2 < 0:
        return None
    return d1 / dt, d2 / dt


@dataclass(frozen=True)
class DiskSample:
    usages: tuple[DiskUsage, ...] = ()
    read_bps: float | None = None
    write_bps: float | None = None
    errors: tuple[str, ...] = ()


def sample_disk(ps: Any, paths: Sequence[str], prev: IoCounters | None,
                now_time: float) -> tuple[DiskSample, IoCounters | None]:
    """Usage of each path, and the machine's read/write bytes per second since `prev`."""
    errors: list[str] = []
    usages: list[DiskUsage] = []
    for path in paths:
        u = _attempt(errors, path, lambda p=path: ps.disk_usage(p))  # type: ignore[misc]
        if u is not None:
            usages.append(DiskUsage(path, float(u.percent), int(u.used), int(u.free), int(u.total)))
    io = _attempt(errors, "I/O counters", ps.disk_io_counters)
    # disk_io_counters() returns None on a machine with no block devices: no rates, not a fault.
    now = IoCounters(int(io.read_bytes), int(io.write_bytes), now_time) if io is not None else None
    rates = rate(prev, now)
    sample = DiskSample(
        usages=tuple(usages),
        read_bps=rates[0] if rates else None,
        write_bps=rates[1] if rates else None,
        errors=tuple(errors),
    )
    return sample, now


# ---------------------------------------------------------------- Network


@dataclass(frozen=True)
class InterfaceSample:
    name: str
    rx_bps: float | None
    tx_bps: float | None
    rx_packets: int
    tx_packets: int
    errors_in: int
    errors_out: int
    drops_in: int
    drops_out: int
    up: bool | None  # None where the link state is unknown


@dataclass(frozen=True)
class NetworkSample:
    interfaces: tuple[InterfaceSample, ...] = ()
    rx_bps: float | None = None  # totals over the interfaces that have rates
    tx_bps: float | None = None
    errors: tuple[str, ...] = ()


def is_loopback(name: str, stats: Any) -> bool:
    flags = getattr(stats, "flags", "") if stats is not None else ""
    return "loopback" in str(flags).split(",") or name == "lo"


def select_interfaces(wanted: Sequence[str], counters: Mapping[str, Any],
                      stats: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The interfaces to report, and the wanted ones that do not exist. No wanted list: every
    interface but loopback, sorted by name."""
    if not wanted:
        return sorted(n for n in counters if not is_loopback(n, stats.get(n))), []
    return [n for n in wanted if n in counters], [n for n in wanted if n not in counters]


def sample_network(ps: Any, wanted: Sequence[str], prev: Mapping[str, IoCounters],
                   now_time: float) -> tuple[NetworkSample, dict[str, IoCounters]]:
    errors: list[str] = []
    counters: Mapping[str, Any] = (
        _attempt(errors, "I/O counters", lambda: ps.net_io_counters(pernic=True)) or {})
    stats: Mapping[str, Any] = _attempt(errors, "link state", ps.net_if_stats) or {}
    names, missing = select_interfaces(wanted, counters, stats)
    errors.extend(f"{n}: no such interface" for n in missing)
    now: dict[str, IoCounters] = {}
    interfaces: list[InterfaceSample] = []
    for name in names:
        c = counters[name]
        now[name] = IoCounters(int(c.bytes_recv), int(c.bytes_sent), now_time)
        rates = rate(prev.get(name), now[name])
        st = stats.get(name)
        interfaces.append(InterfaceSample(
            name=name, rx_bps=rates[0] if rates else None, tx_bps=rates[1] if rates else None,
            rx_packets=int(c.packets_recv), tx_packets=int(c.packets_sent),
            errors_in=int(c.errin), errors_out=int(c.errout),
            drops_in=int(c.dropin), drops_out=int(c.dropout),
            up=bool(st.isup) if st is not None else None,
        ))
    with_rates = [i for i in interfaces if i.rx_bps is not None and i.tx_bps is not None]
    sample = NetworkSample(
        interfaces=tuple(interfaces),
        rx_bps=sum(i.rx_bps or 0.0 for i in with_rates) if with_rates else None,
        tx_bps=sum(i.tx_bps or 0.0 for i in with_rates) if with_rates else None,
        errors=tuple(errors),
    )
    return sample, now


# ---------------------------------------------------------------- Processes


class ProcessStat(NamedTuple):
    """One process's cumulative CPU time, as any process source reports it. A NamedTuple, not a
    frozen dataclass: one is built per process per tick, and this is several times cheaper."""

    pid: int
    name: str
    cpu_seconds: float
    rss_bytes: int
    start: float = 0.0  # start time, so a reused pid is not taken for the old process


@dataclass(frozen=True)
class ProcessInfo:
    name: str
    pid: int
    cpu_percent: float  # of one core, like top: may exceed 100 for a multi-threaded process
    rss_bytes: int


@dataclass(frozen=True)
class ProcessSample:
    top: tuple[ProcessInfo, ...] = ()
    errors: tuple[str, ...] = ()
    rated: bool = False  # CPU % measured between two reads (False on the first read: all zero)
    requested: int = 0  # the N this top-N was made for


ProcessKey = tuple[int, float]


@dataclass(frozen=True)
class ProcessCounters:
    cpu_seconds: Mapping[ProcessKey, float] = field(default_factory=dict)
    time: float = 0.0


def top_processes(stats: Iterable[ProcessStat], prev: ProcessCounters | None, now_time: float,
                  n: int) -> tuple[tuple[ProcessInfo, ...], ProcessCounters]:
    """The `n` processes that used most CPU since `prev` (ties: larger RSS first). A process
    not seen before counts from zero only once it has a previous reading."""
    now: dict[ProcessKey, float] = {}
    previous: Mapping[ProcessKey, float] = prev.cpu_seconds if prev is not None else {}
    before_of = previous.get
    dt = now_time - prev.time if prev is not None else 0.0
    # (-CPU %, -RSS, pid, stat): sorting these is sorting by the order above (pids are unique in
    # one read, so the stat itself is never compared); a ProcessInfo is made for the top n only,
    # not for each of the hundreds of processes.
    ranked: list[tuple[float, int, int, ProcessStat]] = []
    for s in stats:
        key = (s.pid, s.start)
        now[key] = s.cpu_seconds
        before = before_of(key)
        pct = (s.cpu_seconds - before) / dt * 100.0 if before is not None and dt > 0 else 0.0
        ranked.append((-max(0.0, pct), -s.rss_bytes, s.pid, s))
    ranked.sort()
    top = tuple(ProcessInfo(s.name, s.pid, -neg_pct, s.rss_bytes)
                for neg_pct, _, _, s in ranked[: max(0, n)])
    return top, ProcessCounters(now, now_time)


def psutil_process_stats(ps: Any) -> list[ProcessStat]:
    """Every process through psutil (portable; about ten times the cost of read_proc_stats on
    Linux). Processes we may not read, or that ended meanwhile, are skipped."""
    out: list[ProcessStat] = []
    for proc in ps.process_iter(["name", "cpu_times", "memory_info", "create_time"]):
        info = proc.info
        times, mem = info.get("cpu_times"), info.get("memory_info")
        if times is None or mem is None:  # AccessDenied or gone: psutil filled in None
            continue
        out.append(ProcessStat(int(proc.pid), str(info.get("name") or ""),
                               float(times.user) + float(times.system), int(mem.rss),
                               float(info.get("create_time") or 0.0)))
    return out


def parse_proc_stat(pid: int, data: bytes, clock_ticks: int, page_size: int) -> ProcessStat:
    """One /proc/<pid>/stat line (proc(5)). The name sits in parentheses and may itself contain
    spaces and ')', so the fields are split after the last ')'."""
    rpar = data.rindex(b")")
    name = data[data.index(b"(") + 1: rpar].decode(errors="replace")
    fields = data[rpar + 2:].split(None, 22)
    # fields[0] is field 3 (state): utime is field 14, stime 15, starttime 22, rss 24.
    return ProcessStat(pid, name, (int(fields[11]) + int(fields[12])) / clock_ticks,
                       max(0, int(fields[21])) * page_size, float(fields[19]))


def read_proc_stats(proc_root: str = "/proc") -> list[ProcessStat]:
    """Every process from /proc/<pid>/stat: one open, read and close per process (ProcStatReader
    keeps the files open instead). psutil reads two or three files per process and does far more
    work in Python: bench/tick.py shows both."""
    clock_ticks = os.sysconf("SC_CLK_TCK")
    page_size = os.sysconf("SC_PAGE_SIZE")
    open_, read, close, rdonly = os.open, os.read, os.close, os.O_RDONLY
    out: list[ProcessStat] = []
    for entry in os.listdir(proc_root):
        if not entry.isdigit():
            continue
        try:
            fd = open_(f"{proc_root}/{entry}/stat", rdonly)
            try:
                data = read(fd, 4096)
            finally:
                close(fd)
            out.append(parse_proc_stat(int(entry), data, clock_ticks, page_size))
        except (OSError, ValueError, IndexError):
            continue  # the process ended between listdir and open, or is not ours to read
    return out


def default_max_open(limit: int | None = None) -> int:
    """512 kept files, or a quarter of the descriptor limit where that is lower (1024 is common)."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0] if limit is None else limit
    return 512 if soft == resource.RLIM_INFINITY else max(0, min(512, soft // 4))


class ProcStatReader:
    """read_proc_stats with each /proc/<pid>/stat kept open from one read of the table to the
    next and read again with pread: the same bytes (the kernel writes the file anew at each read
    from offset 0) for a third of the syscalls, and no path lookup in /proc. Opening and closing
    were half the cost of a read of the table (issue 12; docs/benchmarks.md).

    A kept file belongs to its process, not to its pid: once that process has ended, pread fails
    (ESRCH), the file is closed, and a process that has since taken the pid is opened afresh. The
    files of pids no longer listed are closed after each read. At most `max_open` files are kept
    (a descriptor each, and at most a quarter of the descriptor limit; beyond that, processes are
    read the open-read-close way), so that a machine with thousands of processes cannot take the
    node near its descriptor limit."""

    def __init__(self, proc_root: str = "/proc", max_open: int | None = None) -> None:
        self._root = proc_root
        self._max_open = max_open if max_open is not None else default_max_open()
        self._open: dict[str, int] = {}
        # Each pid's last stat text and what it parsed to. Most processes are asleep: their
        # text is the same byte for byte at the next read (70 % of them over 5 s here), and
        # comparing bytes costs far less than parsing them again.
        self._parsed: dict[str, tuple[bytes, ProcessStat]] = {}
        self._clock_ticks = os.sysconf("SC_CLK_TCK")
        self._page_size = os.sysconf("SC_PAGE_SIZE")
        # The last listing of /proc, and the last pid the kernel had handed out before it (see
        # _listing). /proc/loadavg gives that pid for the reader's pid namespace, so it is used
        # only where this /proc is of that namespace: its `self` is our own pid.
        self._listed: list[str] | None = None
        self._listed_after: int | None = None
        self._loadavg = KeptFile(f"{proc_root}/loadavg")
        try:
            self._own_namespace = os.readlink(f"{proc_root}/self") == str(os.getpid())
        except OSError:
            self._own_namespace = False

    def _last_pid(self) -> int | None:
        """The last pid handed out (threads included), from /proc/loadavg; None if unknown."""
        if not self._own_namespace:
            return None
        try:
            return int(self._loadavg.read().split()[4])
        except (OSError, ValueError, IndexError):
            return None

    def _listing(self) -> list[str]:
        """The pids to read. Listing /proc is a fifth of a read of the table (the kernel walks
        every task). No new process or thread can exist unless a pid was handed out since the
        last listing; where none was (a quiet machine), the last listing is every process there
        is, less those that ended, which the reads below drop."""
        last_pid = self._last_pid()
        listed = self._listed
        if listed is None or last_pid is None or last_pid != self._listed_after:
            listed = [e for e in os.listdir(self._root) if e.isdigit()]
        self._listed_after = last_pid  # read before listing: a pid handed out since shows next time
        return listed

    def __call__(self) -> list[ProcessStat]:
        root, kept, clock_ticks, page_size = self._root, self._open, self._clock_ticks, self._page_size
        parsed, last_of = self._parsed, self._parsed.get
        open_, pread, close, rdonly = os.open, os.pread, os.close, os.O_RDONLY
        out: list[ProcessStat] = []
        listed = self._listing()
        ended: list[str] = []
        for entry in listed:
            fd = kept.get(entry)
            data = None
            if fd is not None:
                try:
                    data = pread(fd, 4096, 0)
                except OSError:  # that process ended: the pid may be another one's by now
                    close(fd)
                    del kept[entry]
            if data is None:
                try:
                    fd = open_(f"{root}/{entry}/stat", rdonly)
                except OSError:
                    ended.append(entry)
                    continue  # ended between listdir and open, or not ours to read
                try:
                    data = pread(fd, 4096, 0)
                except OSError:
                    close(fd)
                    continue
                if len(kept) < self._max_open:
                    kept[entry] = fd
                else:
                    close(fd)
            last = last_of(entry)
            if last is not None and last[0] == data:  # the same text parses to the same stat
                out.append(last[1])
                continue
            try:
                stat = parse_proc_stat(int(entry), data, clock_ticks, page_size)
            except (ValueError, IndexError):
                continue
            parsed[entry] = (data, stat)
            out.append(stat)
        if ended:
            gone = set(ended)
            listed = [e for e in listed if e not in gone]
        self._listed = listed
        present = set(listed)
        for entry in kept.keys() - present:  # processes that ended and were reaped
            close(kept.pop(entry))
        for entry in parsed.keys() - present:
            del parsed[entry]
        return out

    def open_files(self) -> int:
        return len(self._open)

    def close(self) -> None:
        for fd in self._open.values():
            os.close(fd)
        self._open.clear()
        self._loadavg.close()
        self._listed = None


ProcessSource = Callable[[], Iterable[ProcessStat]]
CmdlineReader = Callable[[int], "Sequence[str] | None"]

_PYTHON = re.compile(r"^python[0-9.]*$")


def display_name(cmdline: Sequence[str], stat_name: str) -> str:
    """What an engineer needs to tell processes apart: on a ROS robot most are `python3`, cut to
    15 characters in /proc/<pid>/stat. The ROS node name where the command line remaps it
    (`__node:=`, with `__ns:=` in front when given); else the script or module a Python
    interpreter runs; else the executable's file name; else (no command line: a kernel thread, a
    zombie) the stat name."""
    node = ns = ""
    for arg in cmdline:
        if arg.startswith("__node:="):
            node = arg[len("__node:="):]
        elif arg.startswith("__ns:="):
            ns = arg[len("__ns:="):].rstrip("/")
    if node:
        return f"{ns}/{node}" if ns else node
    if not cmdline or not cmdline[0]:
        return stat_name
    exe = os.path.basename(cmdline[0])
    if _PYTHON.match(exe):
        args = iter(cmdline[1:])
        for arg in args:
            if arg == "-m":
                return next(args, exe)
            if arg == "-c":
                return exe
            if not arg.startswith("-"):
                return os.path.basename(arg)
    return exe


_CMDLINE_SIZE = 65536


def read_proc_cmdline(pid: int, proc_root: str = "/proc") -> list[str] | None:
    """/proc/<pid>/cmdline as arguments; None when it cannot be read (ended, not ours, no /proc)."""
    try:  # the first 64 KiB, as f.read(65536) gave
        data = read_file(f"{proc_root}/{pid}/cmdline", _CMDLINE_SIZE)
    except OSError:
        return None
    return [a.decode(errors="replace") for a in data.split(b"\0") if a]


def named(top: Sequence[ProcessInfo], cmdline: CmdlineReader) -> tuple[ProcessInfo, ...]:
    """The top rows with display names: one command-line read per row shown, never for the
    hundreds of other processes, to keep the tick cheap."""
    out = []
    for p in top:
        args = cmdline(p.pid)
        out.append(p if args is None else ProcessInfo(display_name(args, p.name), p.pid, p.cpu_percent,
                                                       p.rss_bytes))
    return tuple(out)


def default_process_source() -> ProcessSource:
    """A ProcStatReader where /proc exists (Linux), else psutil (imported only then)."""
    if os.path.exists("/proc/self/stat"):
        return ProcStatReader()
    import psutil

    return lambda: psutil_process_stats(psutil)


def sample_processes(source: ProcessSource, prev: ProcessCounters | None, now_time: float,
                     n: int, cmdline: CmdlineReader = read_proc_cmdline,
                     ) -> tuple[ProcessSample, ProcessCounters | None]:
    if n <= 0:  # nothing to report: skip the scan, its cost grows with the process count
        return ProcessSample(rated=True), None
    errors: list[str] = []
    stats = _attempt(errors, "process list", lambda: list(source()))
    if stats is None:
        return ProcessSample(errors=tuple(errors), requested=n), prev
    top, counters = top_processes(stats, prev, now_time, n)
    top = named(top, cmdline)
    return ProcessSample(top=top, errors=tuple(errors), rated=prev is not None, requested=n), counters


def process_scan_due(last: ProcessSample | None, counters: ProcessCounters | None, now_time: float, *,
                     n: int, process_period: float, period: float) -> bool:
    """Whether to read the process table this tick. It is read once per `process_period`
    (each process's CPU % is then averaged over that window), and at once when the last read
    has no rates yet, failed, or was for another N. Half a tick of slack keeps jitter from
    pushing a read to the tick after."""
    if last is None or counters is None or not last.rated or last.errors or last.requested != n:
        return True
    return now_time - counters.time + period / 2.0 >= process_period


# ---------------------------------------------------------------- One tick


@dataclass(frozen=True)
class Snapshot:
    cpu: CpuSample
    memory: MemorySample
    temperature: TemperatureSample
    disk: DiskSample
    network: NetworkSample
    processes: ProcessSample


@dataclass(frozen=True)
class Counters:
    """What one tick hands to the next so that rates can be computed."""

    cpu: tuple[CpuTimes, ...] | None = None
    disk_io: IoCounters | None = None
    network: Mapping[str, IoCounters] = field(default_factory=dict)
    processes: ProcessCounters | None = None
    last_processes: ProcessSample | None = None  # repeated until the next process-table read


def sample_all(ps: Any, processes: ProcessSource, prev: Counters, now_time: float, *,
               disk_paths: Sequence[str], interfaces: Sequence[str], top_n: int,
               period: float = 0.0, process_period: float = 0.0) -> tuple[Snapshot, Counters]:
    """Every task once (the process table only when process_scan_due says so). `now_time` is a
    monotonic clock reading in seconds; `period` the time between two calls."""
    cpu, cpu_c = sample_cpu(ps, prev.cpu)
    disk, disk_c = sample_disk(ps, disk_paths, prev.disk_io, now_time)
    net, net_c = sample_network(ps, interfaces, prev.network, now_time)
    if prev.last_processes is not None and not process_scan_due(
            prev.last_processes, prev.processes, now_time, n=top_n, process_period=process_period,
            period=period):
        procs, proc_c = prev.last_processes, prev.processes
    else:
        procs, proc_c = sample_processes(processes, prev.processes, now_time, top_n)
    snapshot = Snapshot(cpu, sample_memory(ps), sample_temperature(ps), disk, net, procs)
    return snapshot, Counters(cpu_c, disk_c, net_c, proc_c, procs)
