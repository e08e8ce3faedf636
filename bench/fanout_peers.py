"""The processes bench/fanout.py runs besides the bridge, each its own OS process so that the
bridge's figures are not bent by a client sharing its interpreter:

  python -m bench.fanout_peers aiortc URL [COMPRESSION]   # aiortc clients, as many as told to add
  python -m bench.fanout_peers browser URL [COMPRESSION]  # RTCPeerConnections in Chromium pages

The two peer kinds take one JSON command a line on stdin and answer one JSON line on stdout:
  {"cmd": "add", "n": N}  connect N more peers    -> {"peers": total, "failed": k, "errors": [...]}
  {"cmd": "start"}        forget, start recording -> {"peers": total}
  {"cmd": "stop"}         stop recording          -> {"lat": [ms, ...], "gaps": g, "messages": m, ...}
  {"cmd": "quit"}
Recording is cheap on purpose (the clients share the bridge's two cores): a live message's
`seq` and `stamp` are read from its first bytes (the codec writes them first), never by parsing
the whole ~25 KB of JSON; of a binary (deflate-raw) message an aiortc client inflates only those
first bytes. The Chromium peers inflate all of it with DecompressionStream, in order, as the page
does (web/src/inflate.ts), and take the receive time once it is inflated.

Both peer kinds offer `compression: ["deflate-raw"]` as the page does (docs/protocol.md,
"Compression") unless told "none"; a bridge that does not know the field ignores it.

Both declare the interest a page that nobody touched declares (capability "interest", where the
bridge offers it) once their snapshot is in, as the page does: `default_interest`, the page's
rule (web/src/interest.ts) applied to the hello's hostname and the snapshot's statuses, checked
against the page by the cases both test suites read (test/contract/interest_cases.json).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from bench.page_signal import SIGNAL_JS

# The codec's compact JSON puts type, seq, topic and stamp first (codec._diagnostics), in this
# order; test/unit/test_fanout_peers.py checks it against the codec's real output.
LIVE_PREFIX = re.compile(r'\{"type":"diagnostics","seq":(\d+),'
                         r'"topic":"(?:[^"\\]|\\.)*","stamp":([-0-9.eE+]+)')
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 # Every page is a peer in the foreground: never throttle a page's timers or renderer.
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
CONNECT_BATCH = 4  # peers signalling at once, per process (the bridge limits pending sockets)
DEFLATE_RAW = "deflate-raw"
PREFIX_BYTES = 512  # enough for type, seq, topic and stamp
# The system_metrics tasks whose statuses a page's cards and charts read (web/src/metrics.ts).
_TASK = re.compile(r"^(.*): (CPU|Memory|Temperature|Disk|Network|Processes)$")
INTEREST = "interest"


def default_interest(hostname: str, statuses: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The interest of a page with no row open and no chart panel of its own (web/src/interest.ts
    interestOf with metrics.ts's chooseMachine): the system_metrics statuses of the machine the
    page picks (the bridge's host if it publishes them, else the first in order), the first status
    of each task. `statuses`: (hardware_id, name) in the order the page first saw them."""
    machines = sorted({hw for hw, name in statuses if _TASK.match(name)})
    machine = hostname if hostname in machines else (machines[0] if machines else "")
    first: dict[str, tuple[str, str]] = {}
    for hw, name in statuses:
        match = _TASK.match(name)
        if hw == machine and match is not None:
            first.setdefault(match.group(2), (hw, name))
    return [{"hardware_id": hw, "name": name} for hw, name in first.values()]


def interest_request(hello: dict[str, Any], statuses: Sequence[tuple[str, str]]) -> str | None:
    """The `interest` request a page sends after this hello and snapshot; None where the bridge
    does not offer the capability (the page then sends none)."""
    if INTEREST not in hello.get("capabilities", ()):
        return None
    return json.dumps({"type": INTEREST, "id": 1,
                       "statuses": default_interest(str(hello.get("hostname", "")), statuses)})


def head_text(data: str | bytes) -> tuple[str, bool]:
    """The first bytes of a message as text, and whether it came binary (deflate-raw: only
    those bytes are inflated)."""
    if isinstance(data, str):
        return data, False
    head = zlib.decompressobj(-15).decompress(data, PREFIX_BYTES)
    return head.decode("utf-8", errors="ignore"), True


def live_seq_stamp(text: str) -> tuple[int, float] | None:
    """(seq, stamp) of a live `diagnostics` message, None for any other message."""
    match = LIVE_PREFIX.match(text, 0, PREFIX_BYTES) if text.startswith('{"type":"diagnostics"') else None
    return (int(match.group(1)), float(match.group(2))) if match else None


def seq_gaps(seqs: set[int]) -> int:
    """Live messages missing between the first and the last one seen."""
    return max(seqs) - min(seqs) + 1 - len(seqs) if seqs else 0


class Tally:
    """What one process's peers saw while recording: latencies (ms) and each peer's seqs."""

    def __init__(self) -> None:
        self.recording = False
        self.lat: list[float] = []
        self.lat_seq: list[int] = []  # the seq of each latency, for bench.fanout --trace
        self.seqs: dict[int, set[int]] = {}
        self.binary = 0

    def start(self) -> None:
        self.lat, self.lat_seq, self.seqs, self.binary, self.recording = [], [], {}, 0, True

    def record(self, peer: int, data: str | bytes, now: float) -> None:
        if not self.recording:
            return
        text, binary = head_text(data)
        live = live_seq_stamp(text)
        if live is not None:
            self.seqs.setdefault(peer, set()).add(live[0])
            self.lat.append(round((now - live[1]) * 1000, 2))
            self.lat_seq.append(live[0])
            self.binary += binary

    def stop(self) -> dict[str, Any]:
        self.recording = False
        return {"lat": self.lat, "lat_seq": self.lat_seq,
                "gaps": sum(seq_gaps(s) for s in self.seqs.values()),
                "messages": len(self.lat), "peers_heard": len(self.seqs), "binary": self.binary}


def connection_states(states: Iterable[str]) -> dict[str, int]:
    """How many peers are in each RTCPeerConnection.connectionState."""
    return dict(Counter(states))


def reply(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# ---- aiortc clients --------------------------------------------------------------------------

async def aiortc_main(url: str, compression: list[str]) -> None:
    from chedweb_bridge import consent
    from test.helpers.webrtc_client import BridgeClient

    # These clients stand in for browsers: consent freshness as a browser does it (RFC 7675, 30 s
    # without any answer), not aioice's 0.5 s rule, under which a client closed itself whenever
    # the bridge, starved on a loaded machine, answered its checks late for ~30 s.
    consent.install()

    tally = Tally()
    # A BridgeClient from before the compression capability has no such argument: it offers none.
    offers = "compression" in inspect.signature(BridgeClient).parameters
    options: dict[str, Any] = {"compression": compression} if compression and offers else {}

    class LiveClient(BridgeClient):
        """A BridgeClient that keeps nothing after `hello` and its snapshot (read for the interest
        it then declares, as the page does): its live messages go to the tally."""

        def __init__(self, index: int) -> None:
            super().__init__(url, **options)
            self.index = index
            self.seen: list[tuple[str, str]] = []
            self.snapshot_in = False

        def _on_message(self, data: str | bytes) -> None:
            if not self._hello.is_set():
                super()._on_message(data)
                return
            if not self.snapshot_in:
                text = zlib.decompress(data, -15).decode() if isinstance(data, bytes) else data
                msg = json.loads(text)
                if msg.get("type") == "snapshot":
                    self.seen += [(s["hardware_id"], s["name"]) for s in msg["statuses"]]
                    if msg["part"] == msg["parts"] - 1:
                        self.snapshot_in = True
                        request = interest_request(self.messages[0].msg, list(dict.fromkeys(self.seen)))
                        if request is not None and self.channel is not None:
                            self.channel.send(request)
                    return
            tally.record(self.index, data, time.time())

    clients: list[LiveClient] = []
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "add":
            errors: list[str] = []
            for start in range(0, int(cmd["n"]), CONNECT_BATCH):
                batch = [LiveClient(len(clients) + i)
                         for i in range(min(CONNECT_BATCH, int(cmd["n"]) - start))]
                results = await asyncio.gather(*(c.connect(timeout=60) for c in batch),
                                               return_exceptions=True)
                for client, result in zip(batch, results, strict=True):
                    if isinstance(result, BaseException):
                        errors.append(repr(result))
                        await client.close()
                    else:
                        clients.append(client)
            reply({"peers": len(clients), "failed": len(errors), "errors": errors[:3]})
        elif cmd["cmd"] == "start":
            tally.start()
            reply({"peers": len(clients)})
        elif cmd["cmd"] == "stop":
            # Each client's own view of its connection: a peer that went silent because its side
            # failed (consent, DTLS, SCTP) is told apart from one the bridge skipped or closed.
            reply({**tally.stop(), "peers": len(clients),
                   "states": connection_states(c.pc.connectionState if c.pc else "none" for c in clients)})
        elif cmd["cmd"] == "quit":
            break
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


# ---- Chromium peers --------------------------------------------------------------------------

# Adds n RTCPeerConnections to this page, each signalled through /ws as web/src/connection.ts
# does, with the page's channel label and subprotocol; resolves once each has its `hello`.
# Returns the errors of those that failed.
_ADD_JS = r"""
async ([n, batch, prefix, compression]) => {""" + SIGNAL_JS + r"""
  const B = window.bench ??= { recording: false, lat: [], latSeq: [], binary: 0, peers: [],
                               live: new RegExp(prefix) };
  // As the page's inflateRaw (web/src/inflate.ts): the bytes written straight into the stream.
  const inflate = (buf) => {
    const ds = new DecompressionStream("deflate-raw"); const w = ds.writable.getWriter();
    w.write(new Uint8Array(buf)).catch(() => {}); w.close().catch(() => {});
    return new Response(ds.readable).text();
  };
  const record = (peer, text, binary) => {
    if (!B.recording) return;
    const now = (performance.timeOrigin + performance.now()) / 1000;
    const m = B.live.exec(text.slice(0, 512));
    if (m) {
      peer.seqs.add(Number(m[1])); B.binary += binary;
      B.lat.push(Math.round((now - Number(m[2])) * 1e5) / 100); B.latSeq.push(Number(m[1]));
    }
  };
  const one = () => new Promise((resolve, reject) => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel("chedweb", { protocol: "chedweb.v2" });
    dc.binaryType = "arraybuffer";
    // In arrival order, binary ones inflated first (the page's OrderedInbox).
    // The snapshot's statuses ([hardware_id, name], in order) and the hello, for the interest
    // the Python side computes (default_interest) and the peer then sends (_INTEREST_JS).
    const peer = { pc, dc, seqs: new Set(), inbox: Promise.resolve(),
                   hello: null, seen: [], snapshotIn: false };
    const snapshot = (text) => {
      const m = JSON.parse(text);
      if (m.type !== "snapshot") return false;
      for (const s of m.statuses) peer.seen.push([s.hardware_id, s.name]);
      if (m.part === m.parts - 1) peer.snapshotIn = true;
      return true;
    };
    let hello = false;
    const timer = setTimeout(() => reject(new Error("no hello in 60 s")), 60000);
    dc.onmessage = (e) => {
      if (!hello) {
        if (typeof e.data === "string" && e.data.startsWith('{"type":"hello"')) {
          hello = true; peer.hello = JSON.parse(e.data); clearTimeout(timer); B.peers.push(peer); resolve();
        }
        return;
      }
      const data = e.data;
      if (typeof data === "string") {
        peer.inbox = peer.inbox.then(() => peer.snapshotIn || !snapshot(data) ? record(peer, data, 0) : null);
      } else {
        peer.inbox = peer.inbox.then(() => inflate(data))
          .then((text) => peer.snapshotIn || !snapshot(text) ? record(peer, text, 1) : null);
      }
    };
    signal(pc, compression, reject);
  });
  const errors = [];
  for (let i = 0; i < n; i += batch) {
    const results = await Promise.allSettled(Array.from({ length: Math.min(batch, n - i) }, one));
    for (const r of results) if (r.status === "rejected") errors.push(String(r.reason));
  }
  return errors;
}
"""
# Waits (up to 60 s) until the peers from index `from` on hold their snapshot; returns each one's
# hello and snapshot statuses.
_SEEN_JS = """async (from) => {
  const B = window.bench; const until = Date.now() + 60000;
  while (B.peers.slice(from).some(p => !p.snapshotIn) && Date.now() < until)
    await new Promise(r => setTimeout(r, 50));
  return B.peers.slice(from).map(p => ({ hello: p.hello, seen: p.seen }));
}"""
_INTEREST_JS = ("([from, bodies]) => bodies.forEach((b, i) => {"
                " if (b) window.bench.peers[from + i].dc.send(b); })")
_START_JS = ("() => { const B = window.bench; B.lat = []; B.latSeq = []; B.binary = 0; "
             "B.peers.forEach(p => p.seqs.clear()); B.recording = true; }")
_STOP_JS = """() => {
  const B = window.bench; B.recording = false;
  const gaps = B.peers.reduce((g, p) => { if (!p.seqs.size) return g; const a = [...p.seqs];
    return g + Math.max(...a) - Math.min(...a) + 1 - p.seqs.size; }, 0);
  const states = B.peers.map(p => p.pc.connectionState);
  return { lat: B.lat, latSeq: B.latSeq, gaps, binary: B.binary,
           heard: B.peers.filter(p => p.seqs.size).length, states };
}"""


def browser_main(url: str, compression: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages: list[Any] = []
        peers = 0
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd["cmd"] == "add":
                page = browser.new_page()  # one page per step: the earlier ones stay connected
                page.goto(url + "healthz")  # any same-origin page: the Origin check passes
                errors = page.evaluate(_ADD_JS, [int(cmd["n"]), CONNECT_BATCH, LIVE_PREFIX.pattern,
                                                compression])
                # Each declares a default page's interest once its snapshot is in, as the page does.
                seen = page.evaluate(_SEEN_JS, 0)
                bodies = [interest_request(p["hello"], list(dict.fromkeys(map(tuple, p["seen"]))))
                          for p in seen]
                page.evaluate(_INTEREST_JS, [0, bodies])
                pages.append(page)
                peers += int(cmd["n"]) - len(errors)
                reply({"peers": peers, "failed": len(errors), "errors": errors[:3]})
            elif cmd["cmd"] == "start":
                for page in pages:
                    page.evaluate(_START_JS)
                reply({"peers": peers})
            elif cmd["cmd"] == "stop":
                lat: list[float] = []
                lat_seq: list[int] = []
                states: list[str] = []
                gaps = heard = binary = 0
                for page in pages:
                    got = page.evaluate(_STOP_JS)
                    lat += got["lat"]
                    lat_seq += got["latSeq"]
                    gaps += got["gaps"]
                    heard += got["heard"]
                    binary += got["binary"]
                    states += got["states"]
                reply({"lat": lat, "lat_seq": lat_seq, "gaps": gaps, "messages": len(lat),
                       "peers_heard": heard, "peers": peers, "binary": binary,
                       "states": connection_states(states)})
            elif cmd["cmd"] == "quit":
                break
        browser.close()


def main(argv: Sequence[str]) -> int:
    kind, target = argv[0], argv[1]
    compression = [] if len(argv) > 2 and argv[2] == "none" else [DEFLATE_RAW]
    if kind == "aiortc":
        asyncio.run(aiortc_main(target, compression))
    elif kind == "browser":
        browser_main(target, compression)
    else:
        raise SystemExit(f"unknown kind {kind!r}: aiortc or browser")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
