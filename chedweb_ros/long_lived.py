"""What start-up builds lives as long as the process: the cyclic GC need not walk it again.

CPython's full (generation-2) collection walks every object it tracks, with the GIL held. After
start-up a node holds tens of thousands (rclpy, numpy, this package), and the bridge's Flask app (built by
its first request) and aiortc import (at its first browser) add as many again; at 50 peers a full
collection took 60-80 ms, every 40 s or so, during which no peer is sent anything
(docs/benchmarks.md, "Full collections").
`gc.freeze()` moves every object that exists now into a generation the collector never walks:
a full collection then costs what was made since.

Frozen objects are still freed by reference counting; only a reference cycle among them that
becomes garbage later stays for the process's life. So it runs once a collection has cleared
what start-up left, at the moments when what exists is code and long-lived state.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Collect start-up's garbage, then exclude every object alive now from later collections."""
    gc.collect()
    gc.freeze()
