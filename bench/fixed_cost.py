"""The bridge's own work per DiagnosticArray, stage by stage (issue 12, "1 peer <= 2x the floor").

No ROS graph and no peers: the bridge's per-message code run in one thread on recorded inputs,
so each stage's cost shows apart from rclpy's executor, the peers' sockets and the other
threads. Inputs: `--arrays` DiagnosticArrays of 50 statuses x 20 keys, 17 of them readings that
change every message (as test/helpers/ros_publisher.py --varying-values sends them), serialized
by rclpy (the bytes the bridge's raw subscription receives). Each pass feeds them in order at a
simulated 10 Hz, the store flushed every 5 s of that clock as its thread does; the first pass
warms up and is not counted.

Stages, thread CPU time per message (time.thread_time, so other processes' load counts little):
decode (cdr.py) and the numbers parsed once (codec.numeric_values, where the code has it), the
level rule, /metrics' latest table, the durable store's add and flush (store/tiers.py: on its
own thread in the bridge), the live JSON text, its raw DEFLATE (only when a deflate-raw peer is
connected), the in-memory history. Floor, in the same run: rclpy's own deserialisation of the
same bytes into message objects (what any rclpy subscriber that reads its messages pays).

  .venv/bin/python -m bench.fixed_cost [--quick] [--arrays 200] [--passes 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.serialization import deserialize_message, serialize_message

from bench.__main__ import run_header
from chedweb_bridge import cdr, codec
from chedweb_bridge.history import History
from chedweb_bridge.latest import LatestStatuses
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.tiers import TieredStore, default_tiers

STATUSES, EXTRA = 50, 17
RATE = 10.0
FLUSH_S = 5.0
STAGES = ("decode", "level rule", "latest", "store add", "store flush", "text", "deflate", "history")


def recorded(count: int) -> list[bytes]:
    rnd = random.Random(1)
    out = []
    for index in range(1, count + 1):
        msg = DiagnosticArray()
        for i in range(STATUSES):
            s = DiagnosticStatus(name=f"test_pub: status {i}", hardware_id="test-host", level=bytes([i % 4]),
                                 message=f"message {index}")
            s.values = [KeyValue(key="pub index", value=str(index)),
                        KeyValue(key="value", value=f"{(index * 7 + i) % 100:.2f}"),
                        KeyValue(key="label", value="text, not a number"),
                        *(KeyValue(key=f"extra {k}", value=f"{rnd.uniform(0, 1000):.2f}")
                          for k in range(EXTRA))]
            msg.status.append(s)
        msg.header.stamp.sec = 1_800_000_000 + index // 10
        out.append(serialize_message(msg))
    return out


def run(raws: Sequence[bytes], passes: int) -> tuple[dict[str, float], float, int]:
    """Per stage, thread CPU seconds per message; the floor's; messages counted."""
    parsed_once = hasattr(codec, "numeric_values")  # this tree parses numbers once (issue 12)
    history, latest = History(5.0), LatestStatuses()
    store = TieredStore(MemoryRepository(), default_tiers())
    spent = dict.fromkeys(STAGES, 0.0)
    floor = 0.0
    counted = 0
    clock = time.thread_time
    t = 1_800_000_000.0
    last_flush = t
    for n in range(passes):
        for seq, raw in enumerate(raws):
            t += 1.0 / RATE
            marks = [clock()]
            _, _, statuses = cdr.decode_diagnostic_array(raw)
            numbers = [codec.numeric_values(s["values"]) for s in statuses] if parsed_once else None
            marks.append(clock())
            codec.sanitize_levels(statuses)
            marks.append(clock())
            latest.update(t, statuses)
            marks.append(clock())
            _call(store.add, t, statuses, numbers)
            marks.append(clock())
            if t - last_flush >= FLUSH_S:
                store.flush(t)
                last_flush = t
            marks.append(clock())
            payloads = codec.LivePayloads(seq, "/diagnostics", t, statuses)
            payloads.texts()
            marks.append(clock())
            payloads.frames(deflate=True)
            marks.append(clock())
            _call(history.add, t, statuses, t, numbers)
            marks.append(clock())
            deserialize_message(raw, DiagnosticArray)
            marks.append(clock())
            if n:
                for i, stage in enumerate(STAGES):
                    spent[stage] += marks[i + 1] - marks[i]
                floor += marks[-1] - marks[-2]
                counted += 1
    return {k: v / counted for k, v in spent.items()}, floor / counted, counted


def _call(fn: Callable[..., None], *args: object) -> None:
    """fn(*args), without the trailing `numbers` where this tree's code does not take it."""
    if args[-1] is None:
        args = args[:-1]
    fn(*args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arrays", type=int, default=200, help="recorded arrays, fed in order each pass")
    parser.add_argument("--passes", type=int, default=3, help="passes over them (the first not counted)")
    parser.add_argument("--quick", action="store_true", help="100 arrays, 2 passes")
    args = parser.parse_args(argv)
    if args.quick:
        args.arrays, args.passes = 100, 2
    print(run_header())
    print(f"# {STATUSES} statuses x {EXTRA + 3} keys, {EXTRA} varying; {args.arrays} arrays x "
          f"{args.passes - 1} counted passes")
    spent, floor, counted = run(recorded(args.arrays), args.passes)
    at_rate = 100.0 * RATE / 1000.0  # ms per message -> % of one core at RATE
    for stage in STAGES:
        ms = spent[stage] * 1e3
        print(f"  {stage:12s} {ms:7.3f} ms  {ms * at_rate:5.2f} % of a core at {RATE:g} Hz  "
              f"{spent[stage] / floor:5.2f}x floor")
    no_deflate = sum(v for k, v in spent.items() if k != "deflate")
    print(f"  {'floor':12s} {floor * 1e3:7.3f} ms  (rclpy's deserialize_message of the same bytes)")
    print(f"  total, 0 peers (no deflate): {no_deflate * 1e3:.3f} ms a message = "
          f"{no_deflate * 1e3 * at_rate:.2f} % of a core = {no_deflate / floor:.2f}x floor")
    print(f"  total, with deflate:         {sum(spent.values()) * 1e3:.3f} ms a message = "
          f"{sum(spent.values()) / floor:.2f}x floor  ({counted} messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
