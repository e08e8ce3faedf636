"""A real aiortc client that connects to the bridge exactly as the page does (docs/protocol.md):
WebSocket to /ws (with an Origin header, like a browser), DataChannel "chedweb" created by the
client, offer without candidates, candidates trickled afterwards, answer applied, then every
DataChannel message collected with its receive time (time.time(), comparable with header.stamp
of a publisher on the same machine).

Used by the WebRTC tests, the launch test and the benches. Also runnable as a process, for a
client that a test freezes with SIGSTOP:
  python -m test.helpers.webrtc_client http://198.18.0.1:PORT/   # prints "open", then counts
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiortc import RTCConfiguration, RTCDataChannel, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from simple_websocket import AioClient


class BrowserLikeSocket(AioClient):
    """simple_websocket's client sends `Host: <host>` without the port; browsers send host:port,
    and the bridge's same-origin check compares Origin with it. Send it the way browsers do."""

    async def handshake(self) -> None:
        hostname: str = self.host  # type: ignore[has-type]
        self.host = f"{hostname}:{self.port}"
        try:
            await super().handshake()
        finally:
            self.host = hostname

    async def _task(self) -> None:
        # simple_websocket's handshake takes only the first event of the read that holds the
        # 101: frames the server sent right behind it (a refusal's error and close, in one read
        # on a busy machine) wait in wsproto's buffer, and its read loop then meets the server's
        # EOF and reports 1005 without them. Hand them over first, as a browser does.
        self.connected = await self._handle_events()
        await super()._task()


class SignalingError(Exception):
    """The bridge answered with an `error` message (its text is the message) or closed."""


@dataclass
class Received:
    t: float          # time.time() when the message arrived
    msg: dict[str, Any]
    size: int         # bytes of UTF-8 of the JSON text (inflated, for a binary message)
    wire: int = 0     # bytes the DataChannel message took (the deflated ones for a binary message)
    binary: bool = False  # a binary message: deflate-raw of the JSON text (capability deflate-raw)


def split_candidates(sdp: str) -> tuple[str, list[str], str]:
    """(SDP without a=candidate / a=end-of-candidates lines, the candidates, the DataChannel mid)."""
    kept: list[str] = []
    candidates: list[str] = []
    mid = "0"
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            candidates.append(line[2:])
        elif line.startswith("a=end-of-candidates"):
            continue
        else:
            if line.startswith("a=mid:"):
                mid = line[len("a=mid:"):]
            kept.append(line)
    return "\r\n".join(kept) + "\r\n", candidates, mid


def ws_url(base: str, token: str | None = None) -> str:
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    url = f"{scheme}://{parts.netloc}/ws"
    return url + (f"?token={token}" if token is not None else "")


class BridgeClient:
    def __init__(self, base_url: str, token: str | None = None, origin: str | None = "same",
                 mdns_candidate: bool = False, protocol: str = "chedweb.v2",
                 ice_from_config: bool = False, compression: Sequence[str] = ()) -> None:
        self.base_url = base_url
        # Like the page: the ICE servers (TURN credentials included) from the bridge's GET /config.
        self.ice_from_config = ice_from_config
        self.token = token
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}" if origin == "same" else origin
        # Also trickle a Chromium-style mDNS host candidate, as Chromium does before the real ones.
        self.mdns_candidate = mdns_candidate
        # The DataChannel subprotocol: "chedweb.v2" as today's page, "" as a version-1 page.
        self.protocol = protocol
        # The offer's `compression` list, as a page that can inflate "deflate-raw" sends it.
        self.compression = list(compression)
        self.ws: BrowserLikeSocket | None = None
        self.pc: RTCPeerConnection | None = None
        self.channel: RTCDataChannel | None = None
        self.messages: list[Received] = []
        self._arrived = asyncio.Event()
        self._open = asyncio.Event()
        self._hello = asyncio.Event()

    async def open_socket(self) -> BrowserLikeSocket:
        headers = {"Origin": self.origin} if self.origin else None
        self.ws = await BrowserLikeSocket.connect(ws_url(self.base_url, self.token), headers=headers)
        return self.ws

    async def send_json(self, obj: object) -> None:
        """Raises SignalingError (with the bridge's error message, when it sent one) if closed."""
        assert self.ws is not None
        try:
            await self.ws.send(json.dumps(obj))
        except Exception as exc:  # simple_websocket's ConnectionClosed
            try:
                reply = await self.receive_json(timeout=0)
            except (SignalingError, TimeoutError):
                reply = {}
            raise SignalingError(str(reply.get("message", exc))) from exc

    async def receive_json(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next signaling message; SignalingError if the socket closes first."""
        assert self.ws is not None
        try:
            text = await self.ws.receive(timeout=timeout)
        except Exception as exc:  # simple_websocket's ConnectionClosed
            reason = f"{getattr(exc, 'reason', '')} {getattr(exc, 'message', '')}"
            raise SignalingError(f"socket closed: {reason}") from exc
        if text is None:
            raise TimeoutError(f"no signaling message within {timeout} s")
        obj: dict[str, Any] = json.loads(text)
        return obj

    async def connect(self, timeout: float = 15.0) -> None:
        """Signal and wait until `hello` arrives. Raises SignalingError on an `error`.

        Not just until the channel is open: aiortc opens the offerer's end when the DCEP ACK
        arrives, and the bridge's aiortc sends that ACK before it hands the channel to the
        bridge. From `hello` on, the bridge holds every message it receives for this peer, so a
        test may publish as soon as this returns."""
        await asyncio.wait_for(self._connect(), timeout)

    async def _connect(self) -> None:
        ice_servers = await asyncio.to_thread(self.fetch_ice_servers) if self.ice_from_config else []
        await self.open_socket()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers))
        # The page's label and subprotocol (docs/protocol.md).
        self.channel = self.pc.createDataChannel("chedweb", protocol=self.protocol)
        self.channel.on("open", self._open.set)
        self.channel.on("message", self._on_message)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp, candidates, mid = split_candidates(self.pc.localDescription.sdp)
        offer: dict[str, Any] = {"type": "offer", "sdp": sdp}
        if self.compression:
            offer["compression"] = self.compression
        await self.send_json(offer)
        if self.mdns_candidate:
            candidates.insert(0, "candidate:1 1 udp 2122262783 5f0e9a2c-1f0e-4a2b-9c3d-0123456789ab.local "
                                 "54321 typ host generation 0")
        for candidate in candidates:
            await self.send_json({"type": "candidate", "candidate": candidate, "sdpMid": mid,
                                  "sdpMLineIndex": 0})
        await self.send_json({"type": "candidate", "candidate": ""})
        reply = await self.receive_json()
        if reply.get("type") != "answer":
            raise SignalingError(str(reply.get("message", reply)))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
        await self._open.wait()
        await self._hello.wait()

    def fetch_ice_servers(self) -> list[RTCIceServer]:
        url = self.base_url.rstrip("/") + "/config" + (f"?token={self.token}" if self.token else "")
        with urllib.request.urlopen(url, timeout=5) as reply:
            config = json.load(reply)
        return [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
                for s in config["iceServers"]]

    def selected_candidate_types(self) -> tuple[str, str]:
        """(local, remote) candidate type of the pair ICE nominated: "host", "srflx" or "relay".
        From aioice's connection, which aiortc does not expose through getStats()."""
        assert self.pc is not None and self.pc.sctp is not None
        connection = self.pc.sctp.transport.transport._connection
        pair = connection._nominated[1]
        return pair.local_candidate.type, pair.remote_candidate.type

    def _on_message(self, data: str | bytes) -> None:
        now = time.time()
        # A binary message is the raw DEFLATE of the JSON text (docs/protocol.md, "Compression"):
        # inflated with no zlib header, as DecompressionStream("deflate-raw") does in the page.
        text = zlib.decompress(data, -15).decode() if isinstance(data, bytes) else data
        wire = len(data) if isinstance(data, bytes) else len(data.encode())
        item = Received(now, json.loads(text), len(text.encode()), wire, isinstance(data, bytes))
        self.messages.append(item)
        if item.msg.get("type") == "hello":
            self._hello.set()
        self._arrived.set()

    def of_type(self, kind: str) -> list[Received]:
        return [m for m in self.messages if m.msg.get("type") == kind]

    async def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.messages):
            left = deadline - time.monotonic()
            if left <= 0:
                kinds = [m.msg.get("type") for m in self.messages[-10:]]
                raise TimeoutError(f"condition not met in {timeout} s; {len(self.messages)} messages, "
                                   f"last types {kinds}")
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(left, 0.5))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # already closed by the bridge
                await self.ws.close()
        if self.pc is not None:
            await self.pc.close()


async def connect_outcome(client: BridgeClient) -> str:
    """"connected" (hello received), or the error `client` was refused with; closed either way."""
    try:
        await client.connect()
    except SignalingError as exc:
        return str(exc)
    finally:
        await client.close()
    return "connected"


def live_seqs(messages: list[Received]) -> list[int]:
    """The bridge's `seq` of each live message, in arrival order."""
    return [m.msg["seq"] for m in messages if m.msg.get("type") == "diagnostics"]


def is_gapless(seqs: list[int]) -> bool:
    """seqs run n, n+1, n+2, ...: no live message was skipped, repeated or reordered."""
    return bool(seqs) and seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def live_indices(messages: list[Received]) -> list[int]:
    """`pub index` of the first status of each live message (test publisher only)."""
    out = []
    for m in messages:
        if m.msg.get("type") == "diagnostics" and m.msg["statuses"]:
            out.append(int(m.msg["statuses"][0]["values"]["pub index"]))
    return out


async def _run_forever(url: str) -> None:
    client = BridgeClient(url)
    await client.connect()
    print("open", flush=True)
    while True:
        await asyncio.sleep(1.0)
        print(f"messages {len(client.messages)}", flush=True)


if __name__ == "__main__":
    asyncio.run(_run_forever(sys.argv[1]))
