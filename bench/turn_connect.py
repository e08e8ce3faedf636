"""Connect time through a TURN relay (issue 13, item 2): an aiortc client and the bridge in
namespaces that exchange no UDP directly, coturn between them (test/helpers/relay_topology.py).
Each connect is timed from the client's GET /config (which gives it the TURN server and
credentials) to the bridge's `hello` on the DataChannel, one client at a time: over TURN/UDP,
then over TURN/TCP with every UDP packet dropped.

  scripts/in-test-netns .venv/bin/python -m bench.turn_connect [--quick] [--connects N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.procstat import percentile
from test.helpers.relay_stack import relay_stack
from test.helpers.webrtc_client import BridgeClient


async def connect_once(url: str) -> tuple[float, tuple[str, str]]:
    client = BridgeClient(url, ice_from_config=True)
    started = time.monotonic()
    try:
        await client.connect(timeout=20)
        return time.monotonic() - started, client.selected_candidate_types()
    finally:
        await client.close()


async def measure(url: str, connects: int) -> tuple[list[float], set[tuple[str, str]]]:
    times, pairs = [], set()
    for _ in range(connects):
        elapsed, pair = await connect_once(url)
        times.append(elapsed * 1000)
        pairs.add(pair)
        await asyncio.sleep(0.3)  # the bridge closes the last peer before the next one comes
    return times, pairs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 connects per transport")
    parser.add_argument("--connects", type=int, default=0, help="connects per transport (default 20)")
    args = parser.parse_args(argv)
    connects = args.connects or (3 if args.quick else 20)
    with tempfile.TemporaryDirectory(prefix="chedweb-turn-bench-") as tmp:
        for transport in ("udp", "tcp"):
            with relay_stack(Path(tmp), transport, f"bench-turn-{transport}") as stack:
                asyncio.run(connect_once(stack.bridge.url))  # warm-up: imports, first allocation
                times, pairs = asyncio.run(measure(stack.bridge.url, connects))
            print(f"TURN/{transport}: {connects} connects, GET /config to hello: median "
                  f"{statistics.median(times):.0f} ms, p90 {percentile(times, 90):.0f} ms, "
                  f"min {min(times):.0f}, max {max(times):.0f}; pairs {sorted(pairs)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
