"""What start-up builds is frozen out of the cyclic GC's walks (chedweb_ros/long_lived.py).

A full collection walks every tracked object with the GIL held: at 50 peers the bridge's took
60-80 ms, during which no peer is sent anything (docs/benchmarks.md, "Full collections"). The
nodes freeze what start-up built, and the bridge freezes aiortc's modules once its lazy import
is done. Each case runs in a fresh interpreter: a freeze is for a process's life.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> list[int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return [int(x) for x in out.split()]


def test_a_node_freezes_what_start_up_built_before_it_spins() -> None:
    # The node's first callback sees the freeze, then stops the node as a signal would.
    code = """
import gc, os, signal
from chedweb_ros import node_main
seen = []
def build():
    from rclpy.node import Node
    node = Node("long_lived_test")
    def first_tick():
        seen.append(gc.get_freeze_count())
        os.kill(os.getpid(), signal.SIGINT)
    node.create_timer(0.01, first_tick)
    return node
code = node_main.run_node("long_lived_test", build, [])
print(code, seen[0] if seen else -1)
"""
    exit_code, frozen = _run(code)
    assert exit_code == 0
    assert frozen > 10_000, f"{frozen} objects frozen when the node started spinning"


def test_aiortcs_lazy_import_is_frozen_once_loaded() -> None:
    code = """
import gc
from chedweb_bridge import lazy_aiortc
gc.freeze()
before = gc.get_freeze_count()
lazy_aiortc.load()
print(before, gc.get_freeze_count(), len(gc.get_objects()))
"""
    before, after, still_walked = _run(code)
    assert after - before > 10_000, f"aiortc's import froze {after - before} objects"
    assert still_walked < 2_000, f"{still_walked} objects left for a full collection to walk"
