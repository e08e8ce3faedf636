"""Full collections of the cyclic GC in the bridge's process, with and without freezing what
start-up built (chedweb_ros/long_lived.py).

    .venv/bin/python -m bench.gc_pauses [--quick] [--arrays 200] [--passes 6]

A full (generation-2) collection walks every object the GC tracks, with the GIL held: no peer
is sent anything meanwhile. Each mode runs in a fresh interpreter: the bridge's imports (rclpy,
the bridge node's modules, Flask), then aiortc's (what lazy_aiortc.load imports at the first
browser); *frozen* freezes after each, as the nodes do (run_node, lazy_aiortc.load), *as before*
does not. Then the bridge's own per-message work (bench/fixed_cost.run: decode, store, live
texts and DEFLATE, history) on recorded arrays of 50 statuses x 20 keys at a simulated 10 Hz.
gc.callbacks time every full collection, and count the objects it walked (every tracked
object outside the frozen generation).

Printed per mode: full collections, their median and longest pause, objects walked; and the
longest pause as before / frozen. The floor is the frozen mode: the same work, the same process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from bench.__main__ import run_header

MODES = ("as before", "frozen")


def child(mode: str, arrays: int, passes: int) -> dict[str, object]:
    import chedweb_bridge.webrtc_bridge_node  # noqa: F401  (the bridge's start-up imports)
    from bench import fixed_cost
    from chedweb_ros.long_lived import freeze_long_lived

    if mode == "frozen":
        freeze_long_lived()
    import aiortc  # noqa: F401  (the first browser's import)
    if mode == "frozen":
        freeze_long_lived()
    pauses: list[float] = []
    walked: list[int] = []
    started = [0.0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            walked.append(len(gc.get_objects()))
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    raws = fixed_cost.recorded(arrays)
    gc.callbacks.append(timed)
    fixed_cost.run(raws, passes)
    gc.callbacks.remove(timed)
    return {"pauses_ms": [p * 1e3 for p in pauses], "walked": walked, "messages": arrays * passes,
            "frozen": gc.get_freeze_count()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arrays", type=int, default=200)
    parser.add_argument("--passes", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="100 arrays, 3 passes")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.arrays, args.passes = 100, 3
    if args.child:
        print(json.dumps(child(args.child, args.arrays, args.passes)))
        return 0
    print(run_header())
    longest: dict[str, float] = {}
    for mode in MODES:
        out = subprocess.run([sys.executable, "-m", "bench.gc_pauses", "--child", mode,
                              "--arrays", str(args.arrays), "--passes", str(args.passes)],
                             capture_output=True, text=True, check=True, env=os.environ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        pauses, walked = r["pauses_ms"], r["walked"]
        longest[mode] = max(pauses, default=0.0)
        print(f"{mode:9s}: {len(pauses)} full collections in {r['messages']} messages; pause "
              f"median {statistics.median(pauses) if pauses else 0:.1f} ms, longest "
              f"{longest[mode]:.1f} ms; objects walked up to {max(walked, default=0):,} "
              f"({r['frozen']:,} frozen)")
    if longest["frozen"] > 0:
        print(f"longest pause, as before / frozen: {longest['as before'] / longest['frozen']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
