"""Status building: each threshold at both of its sides, messages that name what crossed which
threshold, probe failures as ERROR, the byte level constants, and the keys docs/protocol.md fixes."""

from __future__ import annotations

import itertools

import pytest
from diagnostic_msgs.msg import DiagnosticStatus

from chedweb_ros import status
from chedweb_ros.sampling import (
    CpuSample,
    DiskSample,
    DiskUsage,
    InterfaceSample,
    MemorySample,
    NetworkSample,
    ProcessInfo,
    ProcessSample,
    Snapshot,
    TemperatureReading,
    TemperatureSample,
)
from chedweb_ros.status import ERROR, OK, WARN, Limit, Thresholds

LIMITS = Thresholds(cpu_percent=Limit(70.0, 90.0), memory_percent=Limit(80.0, 95.0),
                    disk_percent=Limit(85.0, 97.0), temperature_celsius=Limit(75.0, 85.0))
GIB = 1024 ** 3


def values(s: DiagnosticStatus) -> dict[str, str]:
    return {kv.key: kv.value for kv in s.values}


def snapshot(**overrides: object) -> Snapshot:
    parts: dict[str, object] = dict(
        cpu=CpuSample(12.5, (10.0, 15.0), (0.2, 0.3, 0.4), 2400.0, 2),
        memory=MemorySample(25.0, 2 * GIB, 6 * GIB, 8 * GIB, 1.5),
        temperature=TemperatureSample((TemperatureReading("coretemp Package id 0", 45.0, 80.0, 100.0),)),
        disk=DiskSample((DiskUsage("/", 40.0, 40 * GIB, 60 * GIB, 100 * GIB),), 1024.0, 2048.0),
        network=NetworkSample((InterfaceSample("eth0", 100.0, 50.0, 1, 2, 3, 4, 5, 6, True),), 100.0, 50.0),
        processes=ProcessSample((ProcessInfo("python3", 42, 3.25, 64 * 1024 * 1024),)),
    )
    parts.update(overrides)
    return Snapshot(**parts)  # type: ignore[arg-type]


def build(**overrides: object) -> dict[str, DiagnosticStatus]:
    statuses = status.build_statuses(snapshot(**overrides), LIMITS, "system_metrics", "robot-1")
    return {s.name.split(": ", 1)[1]: s for s in statuses}


# ------------------------------------------------------------------ conventions


def test_one_status_per_task_named_after_the_node() -> None:
    statuses = status.build_statuses(snapshot(), LIMITS, "metrics_2", "robot-1")
    assert [s.name for s in statuses] == [f"metrics_2: {t}" for t in status.TASKS]
    assert all(s.hardware_id == "robot-1" and s.message for s in statuses)
    assert all("/" not in t for t in status.TASKS)


def test_levels_are_exactly_the_byte_constants() -> None:
    assert (OK, WARN, ERROR, status.STALE) == (b"\x00", b"\x01", b"\x02", b"\x03")
    assert (OK, WARN, ERROR) == (DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR)
    seen = set()
    for cpu in (10.0, 75.0, 95.0):
        for s in build(cpu=CpuSample(cpu)).values():
            assert type(s.level) is bytes and len(s.level) == 1
            assert s.level in (DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR,
                               DiagnosticStatus.STALE)
            seen.add(s.level)
    assert seen == {OK, WARN, ERROR}


def test_values_are_plain_number_strings_with_units_in_keys() -> None:
    all_values = {k: v for s in build().values() for k, v in values(s).items()}
    for key, value in all_values.items():
        if key.endswith(" name"):
            continue
        float(value)  # raises if not a plain number
        assert value.strip() == value and "%" not in value and "MiB" not in value, (key, value)


def test_keys_follow_the_protocol_doc() -> None:
    s = build()
    assert values(s["CPU"]) == {"usage %": "12.50", "core 0 %": "10.00", "core 1 %": "15.00",
                                "load 1 min": "0.20", "load 5 min": "0.30", "load 15 min": "0.40",
                                "frequency MHz": "2400.00", "cores": "2"}
    assert values(s["Memory"]) == {"used %": "25.00", "used MiB": "2048.00", "available MiB": "6144.00",
                                   "total MiB": "8192.00", "swap used %": "1.50"}
    assert values(s["Temperature"]) == {"coretemp Package id 0 degC": "45.00",
                                        "coretemp Package id 0 high degC": "80.00",
                                        "coretemp Package id 0 critical degC": "100.00", "sensors": "1"}
    assert values(s["Disk"]) == {"/ used %": "40.00", "/ used GiB": "40.00", "/ free GiB": "60.00",
                                 "/ total GiB": "100.00", "read B/s": "1024.00", "write B/s": "2048.00"}
    assert values(s["Network"]) == {"rx B/s": "100.00", "tx B/s": "50.00", "eth0 rx B/s": "100.00",
                                    "eth0 tx B/s": "50.00", "eth0 rx packets": "1", "eth0 tx packets": "2",
                                    "eth0 errors in": "3", "eth0 errors out": "4", "eth0 drops in": "5",
                                    "eth0 drops out": "6", "eth0 up": "1"}
    assert values(s["Processes"]) == {"1 name": "python3", "1 pid": "42", "1 cpu %": "3.25",
                                      "1 rss MiB": "64.00"}
    assert all(st.level == OK and st.message == "OK" for st in s.values())


# ------------------------------------------------------------------ thresholds, both sides


@pytest.mark.parametrize(("usage", "level"), [(69.99, OK), (70.0, WARN), (89.99, WARN), (90.0, ERROR)])
def test_cpu_thresholds(usage: float, level: bytes) -> None:
    s = build(cpu=CpuSample(usage))["CPU"]
    assert s.level == level
    if level == WARN:
        assert s.message == f"usage {usage:.1f} % >= warn threshold 70.0 %"
    elif level == ERROR:
        assert s.message == "usage 90.0 % >= error threshold 90.0 %"
    else:
        assert s.message == "OK"


@pytest.mark.parametrize(("used", "level"), [(79.9, OK), (80.0, WARN), (94.9, WARN), (95.0, ERROR)])
def test_memory_thresholds(used: float, level: bytes) -> None:
    s = build(memory=MemorySample(percent=used))["Memory"]
    assert s.level == level
    assert ("threshold" in s.message) == (level != OK)
    if level != OK:
        assert s.message.startswith(f"used {used:.1f} % >= {'warn' if level == WARN else 'error'} threshold")


@pytest.mark.parametrize(("used", "level"), [(84.9, OK), (85.0, WARN), (96.9, WARN), (97.0, ERROR)])
def test_disk_thresholds_name_the_path(used: float, level: bytes) -> None:
    usages = (DiskUsage("/", 10.0, 1, 9, 10), DiskUsage("/data", used, 1, 1, 2))
    s = build(disk=DiskSample(usages))["Disk"]
    assert s.level == level
    if level == ERROR:
        assert s.message == "/data used 97.0 % >= error threshold 97.0 %"
    elif level == WARN:
        assert s.message.startswith("/data used") and "warn threshold 85.0 %" in s.message


@pytest.mark.parametrize(("celsius", "level"), [(74.9, OK), (75.0, WARN), (84.9, WARN), (85.0, ERROR)])
def test_temperature_thresholds_name_the_sensor(celsius: float, level: bytes) -> None:
    readings = (TemperatureReading("acpitz", 30.0),
                TemperatureReading("coretemp Core 1", celsius, 80.0, 100.0))
    s = build(temperature=TemperatureSample(readings))["Temperature"]
    assert s.level == level
    if level != OK:
        kind = "warn" if level == WARN else "error"
        mark = 75.0 if level == WARN else 85.0
        assert s.message == f"coretemp Core 1 {celsius:.1f} degC >= {kind} threshold {mark:.1f} degC"


def test_several_crossings_worst_first() -> None:
    readings = (TemperatureReading("a", 76.0), TemperatureReading("b", 86.0))
    s = build(temperature=TemperatureSample(readings))["Temperature"]
    assert s.level == ERROR
    assert s.message == "b 86.0 degC >= error threshold 85.0 degC; a 76.0 degC >= warn threshold 75.0 degC"


# ------------------------------------------------------------------ special cases


def test_no_temperature_sensors_is_ok_not_stale() -> None:
    s = build(temperature=TemperatureSample())["Temperature"]
    assert s.level == OK
    assert s.message == "no temperature sensors reported"
    assert values(s) == {"sensors": "0"}


def test_unsupported_sensors_is_ok() -> None:
    s = build(temperature=TemperatureSample(supported=False))["Temperature"]
    assert s.level == OK and "not supported" in s.message


def test_probe_failure_is_error_with_the_reason_and_keeps_other_values() -> None:
    disk = DiskSample((DiskUsage("/", 10.0, 1, 9, 10),), errors=("/data: No such file or directory",))
    s = build(disk=disk)
    assert s["Disk"].level == ERROR
    assert s["Disk"].message == "probe failed: /data: No such file or directory"
    assert values(s["Disk"])["/ used %"] == "10.00"
    assert all(st.level == OK for name, st in s.items() if name != "Disk")


def test_probe_failure_comes_before_a_crossing() -> None:
    cpu = CpuSample(80.0, errors=("load average: access denied",))
    s = build(cpu=cpu)["CPU"]
    assert s.level == ERROR
    assert s.message == "probe failed: load average: access denied; usage 80.0 % >= warn threshold 70.0 %"


def test_first_cpu_sample_without_usage() -> None:
    s = build(cpu=CpuSample(None, cores=4))["CPU"]
    assert s.level == OK and "usage %" not in values(s) and values(s)["cores"] == "4"
    assert "second sample" in s.message


def test_no_rates_yet_leaves_rate_keys_out() -> None:
    iface = InterfaceSample("eth0", None, None, 0, 0, 0, 0, 0, 0, None)
    s = build(disk=DiskSample(()), network=NetworkSample((iface,)))
    assert "read B/s" not in values(s["Disk"])
    assert not any(k.endswith("B/s") for k in values(s["Network"]))
    assert "eth0 up" not in values(s["Network"])


def test_interface_down_reports_zero() -> None:
    iface = InterfaceSample("wlan0", 0.0, 0.0, 0, 0, 0, 0, 0, 0, False)
    s = build(network=NetworkSample((iface,), 0.0, 0.0))["Network"]
    assert values(s)["wlan0 up"] == "0"


def test_level_changes_are_logged_at_most_once_per_window_per_task() -> None:
    def statuses(cpu: bytes, disk: bytes = OK) -> list[DiagnosticStatus]:
        return [DiagnosticStatus(name="m: CPU", level=cpu), DiagnosticStatus(name="m: Disk", level=disk)]

    changes = status.LevelChanges(quiet=10.0)
    assert changes.to_log(statuses(OK), 0.0) == []  # OK at start is not news
    assert [s.name for s in changes.to_log(statuses(ERROR, WARN), 1.0)] == ["m: CPU", "m: Disk"]
    # CPU flaps every second: nothing more until the window has passed...
    for t in range(2, 11):
        assert changes.to_log(statuses(OK if t % 2 else ERROR, WARN), float(t)) == []
    # ...then the level it is at, if that differs from the last one logged.
    assert [s.level for s in changes.to_log(statuses(OK, WARN), 11.0)] == [OK]
    assert changes.to_log(statuses(OK, WARN), 30.0) == []


# ------------------------------------------------------------------ hold time and clear margin

WARN_ERR = Limit(70.0, 90.0)


@pytest.mark.parametrize(("value", "previous", "level"), [
    (70.0, OK, WARN),             # a threshold is entered at its value
    (69.99, OK, OK),
    (65.01, WARN, WARN),          # left only below threshold - margin (5)...
    (65.0, WARN, OK),             # ...so exactly threshold - margin clears
    (85.01, ERROR, ERROR),
    (85.0, ERROR, WARN),          # ERROR clears to WARN while still at or above warn
    (65.01, ERROR, WARN),         # and to WARN's own margin below that
    (65.0, ERROR, OK),
    (90.0, OK, ERROR),
])
def test_threshold_level_hysteresis_at_the_boundaries(value: float, previous: bytes, level: bytes) -> None:
    assert status.threshold_level(value, WARN_ERR, previous, margin=5.0) == level


def test_no_margin_is_the_plain_threshold() -> None:
    assert status.threshold_level(69.99, WARN_ERR, WARN, margin=0.0) == OK
    assert status.threshold_level(70.0, WARN_ERR, WARN, margin=0.0) == WARN


def test_a_raise_is_reported_once_it_has_lasted_hold_seconds() -> None:
    levels = status.LevelFilter(status.Debounce(hold=3.0))
    assert levels.level("CPU/usage", 75.0, WARN_ERR, 10.0) == (OK, WARN)
    assert levels.level("CPU/usage", 75.0, WARN_ERR, 12.99) == (OK, WARN)  # just before: held
    assert levels.level("CPU/usage", 75.0, WARN_ERR, 13.0) == (WARN, WARN)  # exactly hold: raised
    # ERROR has its own hold, counted from when the value first reached it.
    assert levels.level("CPU/usage", 95.0, WARN_ERR, 14.0) == (WARN, ERROR)
    assert levels.level("CPU/usage", 95.0, WARN_ERR, 16.99) == (WARN, ERROR)
    assert levels.level("CPU/usage", 95.0, WARN_ERR, 17.0) == (ERROR, ERROR)
    assert levels.level("CPU/usage", 10.0, WARN_ERR, 17.5) == (OK, OK)  # lowered at once


def test_a_dip_restarts_the_hold_and_keys_are_independent() -> None:
    levels = status.LevelFilter(status.Debounce(hold=3.0))
    levels.level("CPU/usage", 75.0, WARN_ERR, 0.0)
    levels.level("CPU/usage", 60.0, WARN_ERR, 2.0)  # below: the streak ends
    assert levels.level("CPU/usage", 75.0, WARN_ERR, 3.0) == (OK, WARN)
    assert levels.level("CPU/usage", 75.0, WARN_ERR, 5.99) == (OK, WARN)
    assert levels.level("CPU/usage", 75.0, WARN_ERR, 6.0) == (WARN, WARN)
    assert levels.level("Disk// used", 75.0, WARN_ERR, 6.0) == (OK, WARN)


def test_flapping_value_is_one_raise_with_hold_and_margin() -> None:
    """A CPU at 10 Hz around the error threshold (the flapping the issue saw): 88..92 %."""
    plain, debounced = status.LevelFilter(), status.LevelFilter(status.Debounce(hold=2.0, margin=5.0))
    reported_plain, reported = [], []
    for i in range(200):
        value = 88.0 if i % 3 == 0 else 92.0
        reported_plain.append(plain.level("CPU/usage", value, WARN_ERR, i / 10)[0])
        reported.append(debounced.level("CPU/usage", value, WARN_ERR, i / 10)[0])
    changes = sum(a != b for a, b in itertools.pairwise(reported))
    assert sum(a != b for a, b in itertools.pairwise(reported_plain)) > 100
    # OK while both levels are held; WARN (reached at 0.0 s) at 2.0 s; ERROR (reached at 0.1 s,
    # kept through the 88 % dips by the margin) at 2.1 s, and from then on.
    assert changes == 2
    assert reported[:20] == [OK] * 20 and reported[20] == WARN and set(reported[21:]) == {ERROR}


def test_statuses_say_a_raise_is_held_and_a_level_is_kept_by_the_margin() -> None:
    levels = status.LevelFilter(status.Debounce(hold=2.0, margin=5.0))

    def cpu(usage: float, now: float) -> DiagnosticStatus:
        return status.build_statuses(snapshot(cpu=CpuSample(usage)), LIMITS, "m", "h", levels, now)[0]

    first = cpu(91.0, 0.0)
    assert first.level == OK
    assert first.message == "usage 91.0 % >= error threshold 90.0 % (raised once it lasts 2 s)"
    assert cpu(91.0, 2.0).level == ERROR
    kept = cpu(86.0, 3.0)  # below error, above error - margin
    assert kept.level == ERROR and kept.message == "usage 86.0 %, error until below 85.0 %"
    assert cpu(84.0, 4.0).level == WARN  # past the margin: down at once, to WARN (>= 70)


def test_default_debounce_is_the_plain_thresholds() -> None:
    for usage in (69.99, 70.0, 89.99, 90.0, 50.0):
        plain = status.build_statuses(snapshot(cpu=CpuSample(usage)), LIMITS, "m", "h")[0]
        kept = status.build_statuses(snapshot(cpu=CpuSample(usage)), LIMITS, "m", "h",
                                     status.LevelFilter(), 1.0)[0]
        assert (plain.level, plain.message) == (kept.level, kept.message)


def test_processes_status_is_built_once_per_process_sample() -> None:
    memo = status.ProcessesStatusMemo()
    snap = snapshot()
    first = status.build_statuses(snap, LIMITS, "system_metrics", "robot-1", processes_memo=memo)
    again = status.build_statuses(snapshot(processes=snap.processes), LIMITS, "system_metrics", "robot-1",
                                  processes_memo=memo)
    assert again[-1] is first[-1]  # the same sample handed on between reads of the table
    plain = status.build_statuses(snap, LIMITS, "system_metrics", "robot-1")
    assert first[-1] == plain[-1]
    other = ProcessSample((ProcessInfo("ros2", 7, 1.0, 1024),))
    fresh = status.build_statuses(snapshot(processes=other), LIMITS, "system_metrics", "robot-1",
                                  processes_memo=memo)[-1]
    assert values(fresh)["1 name"] == "ros2"
    renamed = status.build_statuses(snapshot(processes=other), LIMITS, "system_metrics", "robot-2",
                                    processes_memo=memo)[-1]
    assert renamed.hardware_id == "robot-2" and renamed is not fresh


def test_key_value_reuse_changes_nothing_that_is_published() -> None:
    """With KeyValueReuse, a KeyValue whose value did not change since the last tick is the same
    object again, one that changed is new, and every status equals one built without reuse."""
    reuse = status.KeyValueReuse()
    first = status.build_statuses(snapshot(), LIMITS, "system_metrics", "robot-1", reuse=reuse)
    busier = snapshot(cpu=CpuSample(55.0, (50.0, 60.0), (0.2, 0.3, 0.4), 2400.0, 2))
    second = status.build_statuses(busier, LIMITS, "system_metrics", "robot-1", reuse=reuse)
    assert second == status.build_statuses(busier, LIMITS, "system_metrics", "robot-1")
    before, after = ({kv.key: kv for kv in s.values} for s in (first[0], second[0]))
    assert after["usage %"] is not before["usage %"] and after["usage %"].value == "55.00"
    assert before["usage %"].value == "12.50"  # the first tick's message is left as it was built
    assert after["load 1 min"] is before["load 1 min"] and after["cores"] is before["cores"]
    for old, new in zip(first[1:5], second[1:5], strict=True):  # nothing else changed
        assert all(a is b for a, b in zip(old.values, new.values, strict=True))


def test_key_value_reuse_keeps_only_the_last_ticks_keys() -> None:
    """Interfaces that come and go (a container's veth pairs) do not grow what is kept."""
    reuse = status.KeyValueReuse()
    for i in range(50):
        nic = InterfaceSample(f"veth{i}", 1.0, 2.0, 1, 2, 3, 4, 5, 6, True)
        status.build_statuses(snapshot(network=NetworkSample((nic,), 1.0, 2.0)), LIMITS, "m", "h",
                              reuse=reuse)
    kept = reuse.task("Network")
    assert {k.split(" ", 1)[0] for k in kept} == {"rx", "tx", "veth49"}
