"""webrtc_bridge: what ending acknowledgements costs the ROS callback (issue 11 item 4).

The callback looks, in every DiagnosticArray, for acknowledged statuses now at another level
(alert_state.changed_acks) while anything is acknowledged. This times that look-up per array,
against a floor measured in the same run: the callback's own CDR decode of the same array
(cdr.decode_diagnostic_array), which every array costs anyway. Figures are medians and p99 of
many repetitions, in microseconds, and the ratio of the look-up's median to the floor's.

  .venv/bin/python -m bench.alert_acks [--quick]
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Callable

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.serialization import serialize_message

from bench.procstat import percentile
from chedweb_bridge import alert_state, cdr
from chedweb_bridge.alert_state import AlertBook


def array(statuses: int, keys: int) -> bytes:
    msg = DiagnosticArray()
    for i in range(statuses):
        s = DiagnosticStatus(name=f"node{i}: task", hardware_id="robot", level=b"\x02", message="over")
        s.values = [KeyValue(key=f"key {k}", value=f"{k + i * 0.5:.2f}") for k in range(keys)]
        msg.status.append(s)
    return bytes(serialize_message(msg))


def timed(fn: Callable[[], object], reps: int) -> tuple[float, float]:
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e6)
    return percentile(samples, 50), percentile(samples, 99)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    reps = 300 if parser.parse_args().quick else 3000
    print(f"load average {os.getloadavg()[0]:.2f}")
    for n in (50, 1000):
        raw = array(n, 10)
        statuses = cdr.decode_diagnostic_array(raw)[2]
        floor, floor99 = timed(functools.partial(cdr.decode_diagnostic_array, raw), reps)
        print(f"{n} statuses x 10 keys: floor (CDR decode) median {floor:.1f} us, p99 {floor99:.1f} us")
        cases = {"nothing acknowledged": AlertBook(),
                 "1,000 acks, none of these statuses": AlertBook(),
                 "every status acknowledged, at its level": AlertBook()}
        for i in range(1000):
            cases["1,000 acks, none of these statuses"].ack(f"status:other\0s{i}", 2, "ann", 0.0)
        for s in statuses[:1000]:
            cases["every status acknowledged, at its level"].ack(
                f"status:{s['hardware_id']}\0{s['name']}", 2, "ann", 0.0)
        for label, book in cases.items():
            look = functools.partial(alert_state.changed_acks, book.acks, statuses)
            med, p99 = timed(look, reps)
            print(f"  changed_acks, {label}: median {med:.1f} us, p99 {p99:.1f} us, "
                  f"{med / floor:.3f} x floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
