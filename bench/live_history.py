"""The in-memory history at a full window (issue 12, "RSS idle < 90 MiB" once the bridge has run a
while): its cost per message on the loop, its memory, and a connect snapshot's copy and decimation.

No ROS graph: the bridge's history (chedweb_bridge/history.py) fed the arrays bench.fixed_cost
records (50 statuses x 20 keys, 17 of them readings that change every message), decoded and
parsed as the ROS callback does, at a simulated 10 Hz on the receive clock. It is first filled
for `--seconds` + 60 s of that clock (the window full, whatever the tree keeps of it); then
rounds of `--block` messages, thread CPU time per message, median of the rounds, then as many
timed one by one (p99 and slowest: a message that closes buckets costs more). Floor, in the
same rounds: rclpy's own deserialize_message of the same bytes (bench.fixed_cost's floor).
`--against DIR` loads DIR/chedweb_bridge/history.py too (another tree, e.g. main's worktree)
and alternates the two in the same rounds, so both see the same load.

Memory: the history's arrays as allocated (sys.getsizeof of every column: the figure tracemalloc
gave for them, without tracing the fill). Snapshot: `snapshot_copy()` (on the loop) and the
decimation of the copy (in the worker thread), median of 5.

  .venv/bin/python -m bench.live_history [--quick] [--seconds 3600] [--block 240] [--rounds 21]
                                         [--against DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.serialization import deserialize_message

from bench.__main__ import run_header
from bench.fixed_cost import RATE, recorded
from chedweb_bridge import cdr, codec
from chedweb_bridge import history as this_history


def load(tree: str) -> ModuleType:
    path = Path(tree) / "chedweb_bridge" / "history.py"
    spec = importlib.util.spec_from_file_location("other_history", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def allocated(history: Any) -> int:
    """Bytes of every status's arrays (capacity included)."""
    total = 0
    for series in history.series():
        arrays = [series._t, series._received, series._level, *series._values.values()]
        total += sum(sys.getsizeof(a) for a in arrays)
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3600.0, help="history_seconds")
    parser.add_argument("--block", type=int, default=240, help="messages a round")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--against", help="another tree whose history.py runs in the same rounds")
    parser.add_argument("--quick", action="store_true", help="a 600 s window, 5 rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 600.0, 5
    print(run_header())
    raws = recorded(200)
    arrays = []
    for raw in raws:
        _, _, statuses = cdr.decode_diagnostic_array(raw)
        codec.sanitize_levels(statuses)
        arrays.append((statuses, [codec.numeric_values(s["values"]) for s in statuses]))
    trees = {"this tree": this_history}
    if args.against:
        trees[f"{args.against}"] = load(args.against)
    histories = {name: module.History(args.seconds) for name, module in trees.items()}
    clocks = dict.fromkeys(trees, 1_800_000_000.0)

    slowest: dict[str, list[float]] = {name: [] for name in trees}

    def feed(name: str, count: int, start: int, each: bool = False) -> float:
        """Thread CPU seconds a message; `each`: every message's own time kept too (the
        slowest messages are those that close buckets)."""
        history, t = histories[name], clocks[name]
        clock = time.thread_time
        began = clock()
        for i in range(start, start + count):
            t += 1.0 / RATE
            statuses, numbers = arrays[i % len(arrays)]
            if each:
                one = clock()
                history.add(t, statuses, t, numbers)
                slowest[name].append(clock() - one)
            else:
                history.add(t, statuses, t, numbers)
        clocks[name] = t
        return (clock() - began) / count

    fill = int((args.seconds + 60) * RATE)
    for name in trees:
        spent = feed(name, fill, 0)
        print(f"# {name}: filled with {fill} messages ({spent * 1e3:.3f} ms a message while filling)")
    per_message: dict[str, list[float]] = {name: [] for name in trees}
    floor: list[float] = []
    start = fill
    for r in range(args.rounds):
        order = list(trees) if r % 2 else list(reversed(trees))
        for name in order:
            per_message[name].append(feed(name, args.block, start))
            feed(name, args.block, start + args.block, each=True)
        began = time.thread_time()
        for i in range(start, start + args.block):
            deserialize_message(raws[i % len(raws)], DiagnosticArray)
        floor.append((time.thread_time() - began) / args.block)
        start += 2 * args.block
    floor_ms = statistics.median(floor) * 1e3
    print(f"  floor (rclpy deserialize_message): {floor_ms:.3f} ms a message")
    for name in trees:
        history = histories[name]
        ms = statistics.median(per_message[name]) * 1e3
        copies, decimations = [], []
        for _ in range(5):
            began = time.perf_counter()
            snapshot = history.snapshot_copy()
            copies.append(time.perf_counter() - began)
            began = time.perf_counter()
            points = sum(len(c.decimated()) for c in snapshot)
            decimations.append(time.perf_counter() - began)
        rows = history.sample_count() / max(1, len(history))
        each = sorted(slowest[name])
        p99, worst = each[int(0.99 * (len(each) - 1))] * 1e3, each[-1] * 1e3
        print(f"  {name}: add {ms:.3f} ms a message ({ms / floor_ms:.3f}x floor, "
              f"{ms * RATE / 10:.3f} % of a core at {RATE:g} Hz; one message p99 {p99:.3f} ms, "
              f"slowest {worst:.3f} ms); {rows:.0f} rows a status, "
              f"{allocated(history) / 2**20:.2f} MiB of arrays; snapshot copy "
              f"{statistics.median(copies) * 1e3:.2f} ms on the loop, decimation "
              f"{statistics.median(decimations) * 1e3:.1f} ms in the worker ({points} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
