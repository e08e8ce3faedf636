"""Status building: a Snapshot and the thresholds in, one DiagnosticStatus per task out. Pure.

Conventions (design.md, docs/protocol.md "system_metrics statuses"): levels are the byte
constants of DiagnosticStatus, names are "<node name>: <task>", the message is always set and
names every threshold crossed, values are plain numbers as strings with the unit in the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

from chedweb_ros.sampling import (
    CpuSample,
    DiskSample,
    MemorySample,
    NetworkSample,
    ProcessSample,
    Snapshot,
    TemperatureSample,
)

OK: bytes = DiagnosticStatus.OK
WARN: bytes = DiagnosticStatus.WARN
ERROR: bytes = DiagnosticStatus.ERROR
STALE: bytes = DiagnosticStatus.STALE
_RANK = {OK: 0, WARN: 1, ERROR: 2, STALE: 3}

TASKS = ("CPU", "Memory", "Temperature", "Disk", "Network", "Processes")
# Each task's name, as the builders below and build_statuses use it (status names, debounce
# and KeyValueReuse keys): taken from the table, so a name is written once.
CPU_TASK, MEMORY_TASK, TEMPERATURE_TASK, DISK_TASK, NETWORK_TASK, PROCESSES_TASK = TASKS

MIB = 1024.0 ** 2
GIB = 1024.0 ** 3


@dataclass(frozen=True)
class Limit:
    """A warn and an error threshold: a value at or above one of them raises the level."""

    warn: float
    error: float


@dataclass(frozen=True)
class Thresholds:
    """One Limit per checked quantity; the defaults are the parameters' (chedweb_ros/params.py)."""

    cpu_percent: Limit
    memory_percent: Limit
    disk_percent: Limit
    temperature_celsius: Limit


@dataclass(frozen=True)
class Debounce:
    """How a threshold level is kept from flapping (issue: CPU at 10 Hz flipped between ERROR and
    OK nine times in two minutes):
    - hold: a higher level is reported only once the value has stayed at it for this many seconds;
      a lower one at once, since a recovery is news too and waiting would hide it;
    - margin (hysteresis): a level, once reached, clears only when the value falls more than this
      below its threshold (percent points, or degC for temperatures)."""

    hold: float = 0.0
    margin: float = 0.0


@dataclass
class _Track:
    level: bytes = OK  # after hysteresis, before the hold
    reported: bytes = OK
    warn_since: float | None = None  # since when `level` has been WARN or worse, unbroken
    error_since: float | None = None


def threshold_level(value: float, limit: Limit, previous: bytes, margin: float) -> bytes:
    """The level of `value` against `limit`, with hysteresis: a level is entered at its threshold
    and left only below the threshold minus `margin`."""
    if value >= limit.error or (previous == ERROR and value > limit.error - margin):
        return ERROR
    if value >= limit.warn or (previous in (WARN, ERROR) and value > limit.warn - margin):
        return WARN
    return OK


class LevelFilter:
    """Debounce per checked quantity (a key such as "CPU/usage" or "Disk//data used"): the state
    one tick hands to the next. Pure: the caller gives the time."""

    def __init__(self, debounce: Debounce = Debounce()) -> None:
        self.debounce = debounce
        self._tracks: dict[str, _Track] = {}

    def level(self, key: str, value: float, limit: Limit, now: float) -> tuple[bytes, bytes]:
        """(level reported now, level the value is at); they differ while a raise is held."""
        t = self._tracks.setdefault(key, _Track())
        t.level = threshold_level(value, limit, t.level, self.debounce.margin)
        t.warn_since = (t.warn_since if t.warn_since is not None else now) if t.level != OK else None
        t.error_since = (t.error_since if t.error_since is not None else now) if t.level == ERROR else None
        hold = self.debounce.hold
        if _RANK[t.level] <= _RANK[t.reported]:
            t.reported = t.level  # down (or the same): at once
        elif t.error_since is not None and now - t.error_since >= hold:
            t.reported = ERROR
        elif t.warn_since is not None and now - t.warn_since >= hold:
            t.reported = WARN
        return t.reported, t.level


def worst(levels: Sequence[bytes]) -> bytes:
    return max(levels, key=_RANK.__getitem__, default=OK)


def num(value: float) -> str:
    """A float as the plain number string rqt and the page expect: '12.50'."""
    return f"{value:.2f}"


@dataclass(frozen=True)
class _Checking:
    """What a task's threshold checks need beyond the sample: the debounce state and the time."""

    levels: LevelFilter
    now: float
    task: str


class KeyValueReuse:
    """Each task's KeyValues of the last tick, by key: a KeyValue whose value string is the same
    this tick is reused rather than built again. At 1 Hz about half of the node's values do
    not change from one tick to the next (totals, counts, link states, load averages), and a
    KeyValue costs more to build (the message class's __init__ and setters) than to look up.
    A KeyValue handed out is never changed: one reused is equal to a new one in every field, so
    a status built with reuse equals one built without. Only the keys of the last tick are
    kept, so interfaces or sensors that come and go do not grow it. The caller keeps it from one
    tick to the next, like LevelFilter."""

    def __init__(self) -> None:
        self._last: dict[str, dict[str, tuple[str, KeyValue]]] = {}

    def task(self, task: str) -> dict[str, tuple[str, KeyValue]]:
        """The task's KeyValues of the last tick; the ones kept for the next tick replace them
        through keep()."""
        return self._last.get(task, {})

    def keep(self, task: str, values: dict[str, tuple[str, KeyValue]]) -> None:
        self._last[task] = values


class _Status:
    """Collects one task's values, threshold crossings and probe failures."""

    def __init__(self, errors: Sequence[str], checking: _Checking | None = None,
                 reuse: KeyValueReuse | None = None, task: str = "") -> None:
        self.values: list[KeyValue] = []
        self.level = ERROR if errors else OK
        self.problems = [f"probe failed: {e}" for e in errors]
        self.crossings: list[tuple[bytes, str]] = []
        self.checking = checking
        self._reuse = reuse
        self._task = task
        self._last = reuse.task(task) if reuse is not None else {}
        # key -> (value, its KeyValue): the value kept beside it, as reading KeyValue.value is a
        # Python-level property call.
        self._kept: dict[str, tuple[str, KeyValue]] = {}

    def add(self, key: str, value: str) -> None:
        last = self._last.get(key)
        if last is not None and last[0] == value:
            self.values.append(last[1])
            self._kept[key] = last
            return
        kv = KeyValue(key=key, value=value)
        self.values.append(kv)
        self._kept[key] = (value, kv)

    def check(self, what: str, value: float, limit: Limit, unit: str) -> None:
        c = self.checking
        if c is None:  # no debounce: the level of this sample alone
            reported = at = threshold_level(value, limit, OK, 0.0)
        else:
            reported, at = c.levels.level(f"{c.task}/{what}", value, limit, c.now)
        if at == OK and reported == OK:
            return
        shown = at if _RANK[at] >= _RANK[reported] else reported
        name, mark = ("error", limit.error) if shown == ERROR else ("warn", limit.warn)
        if value >= mark:
            text = f"{what} {value:.1f} {unit} >= {name} threshold {mark:.1f} {unit}"
        else:  # held by the clear margin
            margin = c.levels.debounce.margin if c is not None else 0.0
            text = f"{what} {value:.1f} {unit}, {name} until below {mark - margin:.1f} {unit}"
        if _RANK[at] > _RANK[reported] and c is not None:
            text += f" (raised once it lasts {c.levels.debounce.hold:g} s)"
        self.crossings.append((reported, text))

    def build(self, name: str, hardware_id: str, ok_message: str = "OK") -> DiagnosticStatus:
        level = worst([self.level, *(lvl for lvl, _ in self.crossings)])
        # Errors first, then the worst crossings, so a truncated view still shows what matters.
        crossings = [text for _, text in sorted(self.crossings, key=lambda c: -_RANK[c[0]])]
        message = "; ".join(self.problems + crossings) or ok_message
        if self._reuse is not None:
            self._reuse.keep(self._task, self._kept)
        return DiagnosticStatus(level=level, name=name, message=message, hardware_id=hardware_id,
                                values=self.values)


def cpu_status(s: CpuSample, limits: Thresholds, name: str, hardware_id: str,
               checking: _Checking | None = None,
               reuse: KeyValueReuse | None = None) -> DiagnosticStatus:
    st = _Status(s.errors, checking, reuse, CPU_TASK)
    if s.usage_percent is not None:
        st.add("usage %", num(s.usage_percent))
        st.check("usage", s.usage_percent, limits.cpu_percent, "%")
    for i, pct in enumerate(s.core_percent):
        st.add(f"core {i} %", num(pct))
    if s.load is not None:
        for minutes, value in zip((1, 5, 15), s.load, strict=True):
            st.add(f"load {minutes} min", num(value))
    if s.frequency_mhz is not None:
        st.add("frequency MHz", num(s.frequency_mhz))
    if s.cores is not None:
        st.add("cores", str(s.cores))
    ok = "OK" if s.usage_percent is not None or s.errors else "OK (usage from the second sample on)"
    return st.build(name, hardware_id, ok)


def memory_status(s: MemorySample, limits: Thresholds, name: str, hardware_id: str,
                  checking: _Checking | None = None,
                  reuse: KeyValueReuse | None = None) -> DiagnosticStatus:
    st = _Status(s.errors, checking, reuse, MEMORY_TASK)
    if s.percent is not None:
        st.add("used %", num(s.percent))
        st.check("used", s.percent, limits.memory_percent, "%")
    for key, value in (("used MiB", s.used_bytes), ("available MiB", s.available_bytes),
                       ("total MiB", s.total_bytes)):
        if value is not None:
            st.add(key, num(value / MIB))
    if s.swap_percent is not None:
        st.add("swap used %", num(s.swap_percent))
    return st.build(name, hardware_id)


def temperature_status(s: TemperatureSample, limits: Thresholds, name: str, hardware_id: str,
                       checking: _Checking | None = None,
                       reuse: KeyValueReuse | None = None) -> DiagnosticStatus:
    st = _Status(s.errors, checking, reuse, TEMPERATURE_TASK)
    for r in s.readings:
        st.add(f"{r.name} degC", num(r.celsius))
        if r.high is not None:
            st.add(f"{r.name} high degC", num(r.high))
        if r.critical is not None:
            st.add(f"{r.name} critical degC", num(r.critical))
        st.check(r.name, r.celsius, limits.temperature_celsius, "degC")
    st.add("sensors", str(len(s.readings)))
    if not s.supported:
        ok = "temperature sensors not supported on this platform"
    elif not s.readings:
        # OK, not STALE: a STALE status turns diagnostic_aggregator's top level to ERROR, and a
        # machine without sensors (a VM, a container) is not a fault.
        ok = "no temperature sensors reported"
    else:
        ok = "OK"
    return st.build(name, hardware_id, ok)


def disk_status(s: DiskSample, limits: Thresholds, name: str, hardware_id: str,
                checking: _Checking | None = None,
                reuse: KeyValueReuse | None = None) -> DiagnosticStatus:
    st = _Status(s.errors, checking, reuse, DISK_TASK)
    for u in s.usages:
        st.add(f"{u.path} used %", num(u.percent))
        st.add(f"{u.path} used GiB", num(u.used_bytes / GIB))
        st.add(f"{u.path} free GiB", num(u.free_bytes / GIB))
        st.add(f"{u.path} total GiB", num(u.total_bytes / GIB))
        st.check(f"{u.path} used", u.percent, limits.disk_percent, "%")
    if s.read_bps is not None and s.write_bps is not None:
        st.add("read B/s", num(s.read_bps))
        st.add("write B/s", num(s.write_bps))
    return st.build(name, hardware_id)


def network_status(s: NetworkSample, name: str, hardware_id: str,
                   reuse: KeyValueReuse | None = None) -> DiagnosticStatus:
    st = _Status(s.errors, None, reuse, NETWORK_TASK)
    if s.rx_bps is not None and s.tx_bps is not None:
        st.add("rx B/s", num(s.rx_bps))
        st.add("tx B/s", num(s.tx_bps))
    for i in s.interfaces:
        if i.rx_bps is not None and i.tx_bps is not None:
            st.add(f"{i.name} rx B/s", num(i.rx_bps))
            st.add(f"{i.name} tx B/s", num(i.tx_bps))
        for key, count in (("rx packets", i.rx_packets), ("tx packets", i.tx_packets),
                           ("errors in", i.errors_in), ("errors out", i.errors_out),
                           ("drops in", i.drops_in), ("drops out", i.drops_out)):
            st.add(f"{i.name} {key}", str(count))
        if i.up is not None:
            st.add(f"{i.name} up", "1" if i.up else "0")
    return st.build(name, hardware_id, "OK" if s.interfaces or s.errors else "no network interfaces")


def processes_status(s: ProcessSample, name: str, hardware_id: str) -> DiagnosticStatus:
    st = _Status(s.errors)
    for rank, p in enumerate(s.top, start=1):
        st.add(f"{rank} name", p.name)
        st.add(f"{rank} pid", str(p.pid))
        st.add(f"{rank} cpu %", num(p.cpu_percent))
        st.add(f"{rank} rss MiB", num(p.rss_bytes / MIB))
    return st.build(name, hardware_id)


class ProcessesStatusMemo:
    """The last Processes status and what it was built from. The process table is read once per
    `process_period` and sampling hands the same ProcessSample on between reads, so its status
    (four KeyValues a row) is built once per read instead of every tick. The caller keeps it
    from one tick to the next, like LevelFilter; the status is never changed once built."""

    def __init__(self) -> None:
        self._built: tuple[ProcessSample, str, str, DiagnosticStatus] | None = None

    def status(self, sample: ProcessSample, name: str, hardware_id: str) -> DiagnosticStatus:
        built = self._built
        if built is not None and built[0] is sample and built[1] == name and built[2] == hardware_id:
            return built[3]
        status = processes_status(sample, name, hardware_id)
        self._built = (sample, name, hardware_id, status)  # holding the sample: `is` stays sound
        return status


def build_statuses(snapshot: Snapshot, limits: Thresholds, node_name: str, hardware_id: str,
                   levels: LevelFilter | None = None, now: float = 0.0,
                   processes_memo: ProcessesStatusMemo | None = None,
                   reuse: KeyValueReuse | None = None) -> list[DiagnosticStatus]:
    """One status per task, in TASKS order. With `levels` (kept by the caller from one tick to
    the next, `now` a monotonic time in seconds), threshold levels are debounced: held before
    they are raised, and cleared only past the margin. With `processes_memo`, the Processes
    status is reused while the process sample is the same; with `reuse`, each KeyValue whose
    value is the same as the last tick's."""

    def name(task: str) -> str:
        return f"{node_name}: {task}"

    def checking(task: str) -> _Checking | None:
        return _Checking(levels, now, task) if levels is not None else None

    return [
        cpu_status(snapshot.cpu, limits, name(CPU_TASK), hardware_id, checking(CPU_TASK), reuse),
        memory_status(snapshot.memory, limits, name(MEMORY_TASK), hardware_id, checking(MEMORY_TASK), reuse),
        temperature_status(snapshot.temperature, limits, name(TEMPERATURE_TASK), hardware_id,
                           checking(TEMPERATURE_TASK), reuse),
        disk_status(snapshot.disk, limits, name(DISK_TASK), hardware_id, checking(DISK_TASK), reuse),
        network_status(snapshot.network, name(NETWORK_TASK), hardware_id, reuse),
        processes_memo.status(snapshot.processes, name(PROCESSES_TASK), hardware_id) if processes_memo
        else processes_status(snapshot.processes, name(PROCESSES_TASK), hardware_id),
    ]


class LevelChanges:
    """Which statuses deserve a log line: a task whose level differs from the last one logged
    for it, at most once per `quiet` seconds per task. A level that flaps (a CPU hovering at a
    threshold) then costs one line per window instead of one per tick, and the level it ends on
    is still logged once the window has passed."""

    def __init__(self, quiet: float = 10.0) -> None:
        self.quiet = quiet
        self._logged: dict[str, tuple[bytes, float]] = {}

    def to_log(self, statuses: Sequence[DiagnosticStatus], now: float) -> list[DiagnosticStatus]:
        out = []
        for s in statuses:
            level, at = self._logged.get(s.name, (OK, float("-inf")))
            if s.level == level or now - at < self.quiet:
                continue
            self._logged[s.name] = (s.level, now)
            out.append(s)
        return out
