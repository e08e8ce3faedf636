"""The webrtc_bridge executable with a per-message stage trace, for bench.fanout --trace only.

  python -m bench.fanout_trace TRACE_FILE [webrtc_bridge arguments...]

Runs the real bridge (chedweb_bridge.webrtc_bridge_node.main) after wrapping four of its steps
so that each live message's times are written to TRACE_FILE, one JSON line a message:
  seq, stamp  the message's header.stamp (the publisher's clock: time.time() on this machine)
  cb0, cb1    the ROS callback's entry and exit (decode, encode once, deflate once; the loop may
              start on the message at its hand-off, before cb1)
  loop0       on_diagnostics' entry on the asyncio loop
  send0, send1  the first and the last peer's channel.send (the loop's send calls)
  loop1       on_diagnostics' exit (which held the in-memory history's add before 2026-12-02)
  store       how long the store's thread was busy (its batches) between loop0 and the last tx
  tx          each peer's SCTP flush completion for this message, in the order they ran: the
              moment its last DTLS record went to the kernel (aiortc's _data_channel_flush task)
All times are time.time(), the clock the peers measure with. The wrappers add a few
microseconds a peer a message; they change no behaviour.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from typing import Any


class Trace:
    def __init__(self, path: str) -> None:
        self._out = open(path, "w", buffering=1 << 16)  # noqa: SIM115 - the process's lifetime
        self.rows: dict[int, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None
        self.store: deque[tuple[float, float]] = deque(maxlen=200)  # the store thread's batches

    def row(self, seq: int) -> dict[str, Any]:
        return self.rows.setdefault(seq, {"seq": seq, "tx": []})

    def finish_older(self, seq: int) -> None:
        """Rows a few messages old are complete (their flushes ran): written, forgotten."""
        for old in [s for s in self.rows if s < seq - 3]:
            row = self.rows.pop(old)
            if row["tx"] and "loop0" in row:
                a, b = row["loop0"], row["tx"][-1]
                row["store"] = sum(max(0.0, min(b, t1) - max(a, t0)) for t0, t1 in self.store)
            self._out.write(json.dumps(row) + "\n")
        self._out.flush()


def install(trace: Trace) -> None:
    from aiortc.rtcsctptransport import RTCSctpTransport

    from chedweb_bridge import peers, webrtc_bridge_node
    from chedweb_bridge.store.worker import StoreWorker

    callback_for = webrtc_bridge_node.WebRtcBridge._callback_for

    def traced_callback_for(self: Any, topic: str) -> Any:
        inner = callback_for(self, topic)

        def callback(raw: bytes) -> None:
            t0 = time.time()
            inner(raw)
            row = trace.row(self._seq)
            row["cb0"], row["cb1"] = t0, time.time()
        return callback

    on_diagnostics = peers.PeerRegistry.on_diagnostics

    def traced_on_diagnostics(self: Any, payloads: Any, *args: Any, **kwargs: Any) -> None:
        row = trace.row(payloads.seq)
        row["loop0"], row["stamp"] = time.time(), payloads.stamp
        trace.current = row
        on_diagnostics(self, payloads, *args, **kwargs)
        row["loop1"] = time.time()
        trace.finish_older(payloads.seq)

    send_live = peers.PeerRegistry._send_live

    def traced_send_live(self: Any, session: Any, payloads: Any) -> None:
        send_live(self, session, payloads)
        row = trace.current
        if row is not None and row["seq"] == payloads.seq:
            now = time.time()
            row.setdefault("send0", now)
            row["send1"] = now

    flush = RTCSctpTransport._data_channel_flush

    async def traced_flush(self: Any) -> None:
        # Only the flushes that send a message count (aiortc also flushes on every SACK).
        queued = len(self._data_channel_queue)
        await flush(self)
        row = trace.current
        if len(self._data_channel_queue) < queued and row is not None:
            row["tx"].append(time.time())

    batch = StoreWorker._batch

    def traced_batch(self: Any, *args: Any, **kwargs: Any) -> None:
        t0 = time.time()
        batch(self, *args, **kwargs)
        trace.store.append((t0, time.time()))

    StoreWorker._batch = traced_batch  # type: ignore[method-assign]
    webrtc_bridge_node.WebRtcBridge._callback_for = traced_callback_for  # type: ignore[method-assign]
    peers.PeerRegistry.on_diagnostics = traced_on_diagnostics  # type: ignore[method-assign]
    peers.PeerRegistry._send_live = traced_send_live  # type: ignore[method-assign]
    RTCSctpTransport._data_channel_flush = traced_flush  # type: ignore[method-assign]


def main() -> int:
    path = sys.argv[1]
    sys.argv = ["webrtc_bridge", *sys.argv[2:]]
    install(Trace(path))
    from chedweb_bridge.webrtc_bridge_node import main as bridge_main

    return int(bridge_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
