"""The peer registry: every RTCPeerConnection of the bridge, owned by the asyncio loop thread.

Every method here runs on the loop thread (loop_thread.py). A session is one browser's
WebSocket: it takes one of `max_peers` places once its offer is accepted, and becomes a peer
once it is answered. Per peer, delivery is:
  hello -> snapshot parts (paced by bufferedAmount; live messages are held, bounded, meanwhile)
  -> held messages -> live messages, each skipped and counted when the peer's bufferedAmount is
  above BUFFERED_LIMIT, so a slow or frozen browser never delays the others or the ROS callback.
Each peer has a protocol version (its channel's subprotocol) and a message limit (its SDP's
max-message-size); live messages are encoded once per (version, limit) in use (codec.LivePayloads),
and deflated once more for the peers that asked for capability deflate-raw (binary frames);
peers that declared an interest (capability "interest") share one lean encoding instead, with
values only for the union of their interests (kept here, read by the ROS callback);
snapshots are copied on the loop and decimated and encoded in a worker thread, and nothing larger
than a peer's limit is ever sent to it: a send that fails closes the peer with the reason.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chedweb_bridge import codec, lazy_aiortc, requests
from chedweb_bridge.access import token_ok
from chedweb_bridge.alert_state import AlertBook
from chedweb_bridge.history import History, SeriesCopy
from chedweb_bridge.ice import IceServer
from chedweb_bridge.signaling_messages import Candidate
from chedweb_bridge.store.level_messages import LevelsQuery
from chedweb_bridge.store.query_service import QueryService
from chedweb_bridge.store.range_messages import RangeQuery

if TYPE_CHECKING:  # imported when the first socket opens (lazy_aiortc.py), not at start-up
    from aiortc import RTCDataChannel, RTCPeerConnection

BUFFERED_LIMIT = 256 * 1024
# The snapshot and held messages are sent only while the buffer is below this, so that a peer
# goes live with most of BUFFERED_LIMIT free for live data.
SNAPSHOT_PACE_LIMIT = 64 * 1024
# Live messages held for a peer while its snapshot is being sent; beyond this they are dropped
# (and counted): at 50 Hz this is 5 s, far longer than a snapshot takes on a live browser.
HELD_LIMIT = 256
# The paced sends wait for aiortc's "bufferedamountlow" event; this long at most, then they look
# again (a safety net: the event is the wake-up, never the only way out of a wait).
_ROOM_RECHECK_S = 1.0
_CANDIDATE_WAIT_S = 10.0
# Snapshots are encoded one at a time in this many worker threads: a burst of new peers queues
# there instead of taking every core from the loop and the ROS callback.
_SNAPSHOT_WORKERS = 1
# A snapshot encoded at seq S is reused for peers that connect within this many seconds: each gets
# the live messages after S replayed from `_recent` first. So a crowd of new peers (a page
# reloaded by many, or clients that reconnect in a loop) costs one history copy and one encoding
# a second, not one each: the copy runs on the loop (~4 ms at 50 statuses x 20 keys and a full
# history, which is kept at the snapshot's resolution: bench.live_history).
SNAPSHOT_REUSE_S = 1.0
# The live messages kept for that replay: at most this many, and none older than twice the reuse
# window (bounded memory whatever the rate).
_RECENT_MAX = 256


class OfferError(Exception):
    """The offer was refused; the message is the reason the browser is told."""


class ServerFull(OfferError):
    """`max_peers` peers are connected: the socket is refused and closed."""


@dataclass
class Stats:
    """The registry's counters, the one place they are named: /healthz reports each (counts),
    /metrics copies them (metrics_http.py) for its families (prom_metrics.py)."""

    messages_received: int = 0   # DiagnosticArrays received from ROS
    messages_forwarded: int = 0  # DataChannel messages sent (one per peer per live message)
    drops: int = 0               # live messages skipped for a peer (backpressure or hold overflow)
    stamps_replaced: int = 0     # header.stamps too far from receive time (timebase.py)

    def counts(self) -> dict[str, int]:
        """Each counter by its name."""
        return dict(vars(self))


@dataclass
class Session:
    id: int
    log_prefix: str
    pc: RTCPeerConnection | None = None
    channel: RTCDataChannel | None = None
    state: str = "signaling"  # signaling -> snapshot -> live -> closed
    protocol: int = 1  # from the channel's subprotocol (codec.negotiate)
    max_message: int = codec.MAX_MESSAGE_BYTES  # from the offer's a=max-message-size
    # The offer listed "deflate-raw" in `compression`; `deflate`: it is in use (a version-2 channel).
    deflate_offered: bool = False
    deflate: bool = False
    held: deque[codec.LivePayloads] = field(default_factory=deque)
    drops: int = 0
    limiter: requests.RequestLimiter = field(default_factory=requests.RequestLimiter)
    # Capability "interest": the statuses whose values this page shows; None until it says (then
    # it gets every value, as a page that does not know the capability).
    interest: frozenset[codec.StatusKey] | None = None
    # Set (on the loop) when the peer is gone; then `on_closed` wakes the WebSocket handler thread
    # (signaling.py), which sleeps until a frame or this instead of polling.
    closed: threading.Event = field(default_factory=threading.Event)
    on_closed: Callable[[], None] | None = None
    remote_set: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class StreamInfo:
    """What `hello` says about this bridge."""
    hostname: str
    version: str
    topics: Sequence[str]
    stale_seconds: float = 5.0  # the bridge parameter: a version-2 page's stale timeout


class PeerRegistry:
    def __init__(self, history: History, info: StreamInfo, logger: logging.Logger | None = None) -> None:
        self.history = history
        self.info = info
        self.ice_servers: list[IceServer] = []
        self.max_peers = 16
        self.stats = Stats()
        self.seq = 0
        # Peers that get deflate-raw frames: the ROS callback reads it (an int, so a plain read
        # from that thread is safe) to compress each message there, off the loop, when any does.
        self.deflate_peers = 0
        # Capability "interest", read by the ROS callback the same way (each a plain reference or
        # int, replaced whole on the loop): the union of the interests declared by the peers that
        # hold a place (None while none has declared one), and how many peers hold a place without
        # one (they need the full encoding). `_interest_counts` counts the peers interested in each
        # status, so a change costs the size of that peer's interest, not of every peer's.
        self.interest_union: frozenset[codec.StatusKey] | None = None
        self.full_peers = 0
        self._interest_counts: dict[codec.StatusKey, int] = {}
        self._interest_peers = 0
        self._log = logger or logging.getLogger("webrtc_bridge")
        self._sessions: dict[int, Session] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[object]] = set()
        self._encoder = concurrent.futures.ThreadPoolExecutor(_SNAPSHOT_WORKERS,
                                                              thread_name_prefix="webrtc_bridge-snapshot")
        # Recent snapshot encodings, shared by peers of the same version and limit (see SNAPSHOT_REUSE_S),
        # and the recent live messages (with their loop time) replayed after a reused one.
        self._snapshots: list[_SnapshotJob] = []
        self._recent: deque[tuple[float, codec.LivePayloads]] = deque()
        # Live messages sent whose history add waits for their transmissions (on_diagnostics).
        self._unrecorded: deque[tuple[codec.LivePayloads, float]] = deque()
        self.on_log: Callable[[str, str], None] | None = None
        # Acknowledgements and mutes (alert_state.py): the only state a browser can change.
        self.alerts = AlertBook()
        # Called on the loop after each change of `alerts` (alert_keeper.py keeps it on disk).
        self.on_alerts_changed: Callable[[AlertBook], None] | None = None
        # Range queries of the durable history (capability "query"); None: not offered.
        self.queries: QueryService | None = None
        # The current auth_token (a parameter that can change at run time): alert requests carry it.
        self.alert_token: Callable[[], str] = lambda: ""
        self.clock: Callable[[], float] = time.time
        self._expiry: asyncio.TimerHandle | None = None

    # ---- sessions (called from WebSocket handlers through LoopThread.run / call_soon) ----

    @property
    def peer_count(self) -> int:
        return len(self._sessions)

    def new_session(self, remote: str) -> Session:
        """A session for a new socket, from any thread. It holds no `max_peers` place: a socket
        takes one only once its offer is accepted (`accept_offer`), so idle sockets that never
        offer cannot lock browsers out (signaling.py bounds those on their own)."""
        sid = next(self._ids)  # itertools.count: atomic under the GIL
        return Session(sid, f"[peer {sid} {remote}]")

    def take_place(self, session: Session) -> None:
        """One of max_peers' places for `session` (idempotent); ServerFull when none is free."""
        if session.id in self._sessions:
            return
        if len(self._sessions) >= self.max_peers:
            raise ServerFull(f"server full (max_peers={self.max_peers})")
        self._sessions[session.id] = session
        self.full_peers += session.interest is None
        self._info(session, "offer received")

    async def accept_offer(self, session: Session, sdp: str, compression: Sequence[str] = ()) -> str:
        """Take a place and apply the browser's offer; returns the answer SDP (with all of our
        candidates). A refused or cancelled offer (the caller's timeout cancels this coroutine)
        closes its connection and gives the place back: nothing is left behind for the socket."""
        await lazy_aiortc.ensure_loaded()  # before the checks: the session may close meanwhile
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        if session.state == "closed":
            raise OfferError("session closed")
        if session.pc is not None:  # never overwrite (and so orphan) a connection being answered
            raise OfferError("offer already received")
        limit = codec.peer_message_limit(sdp)
        if limit is None:
            raise OfferError(f"invalid offer: max-message-size below {codec.MIN_PEER_MESSAGE_BYTES} bytes")
        session.max_message = limit
        session.deflate_offered = codec.DEFLATE_RAW in compression
        self.take_place(session)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[s.to_rtc() for s in self.ice_servers]))
        session.pc = pc

        @pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            if session.channel is not None or session.state == "closed":
                channel.close()
                return
            session.channel = channel
            session.protocol = codec.negotiate(channel.protocol)
            # Compression is a version-2 capability: a version-1 channel gets text whatever it asked.
            session.deflate = session.deflate_offered and session.protocol >= 2
            self.deflate_peers += session.deflate
            channel.on("close", lambda: self.close_session(session, "data channel closed"))
            channel.on("message", lambda text: self._on_request(session, channel, text))
            self._spawn(self._stream(session, channel))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            # `session.pc is pc`: a refused offer's connection closing must not end the session.
            if session.pc is pc and pc.connectionState in ("failed", "closed"):
                self.close_session(session, f"connection {pc.connectionState}")

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            if pc.sctp is None:
                raise OfferError("invalid offer: no DataChannel (application m-line)")
            session.remote_set.set()
            await pc.setLocalDescription(await pc.createAnswer())
        except BaseException as exc:  # CancelledError included: see the docstring
            self._forget_offer(session, pc)
            if isinstance(exc, OfferError) or not isinstance(exc, Exception):
                raise
            raise OfferError(f"invalid offer: {_reason(exc)}") from exc
        if session.state == "closed":  # the socket closed while we were answering
            self._forget_offer(session, pc)
            raise OfferError("session closed")
        self._info(session, "answered")
        return str(pc.localDescription.sdp)

    def _forget_offer(self, session: Session, pc: RTCPeerConnection) -> None:
        """Close `pc` and, unless the session has already closed, give its place back so the
        socket may offer again within its deadline."""
        if session.pc is pc:
            session.pc = None
        self._spawn(pc.close())
        if session.state != "closed":
            session.remote_set.clear()
            self._leave(session)

    def add_candidate(self, session: Session, candidate: Candidate) -> None:
        """Fire and forget: applied once the remote description is set; `.local` dropped."""
        if candidate.is_mdns:
            return
        self._spawn(self._add_candidate(session, candidate))

    async def _add_candidate(self, session: Session, candidate: Candidate) -> None:
        try:
            await asyncio.wait_for(session.remote_set.wait(), _CANDIDATE_WAIT_S)
        except asyncio.TimeoutError:
            return
        pc = session.pc
        if pc is None or session.state == "closed":
            return
        from aiortc.sdp import candidate_from_sdp  # loaded: remote_set follows accept_offer's import

        try:
            ice = candidate_from_sdp(candidate.candidate.split(":", 1)[1])
            ice.sdpMid = candidate.sdp_mid
            ice.sdpMLineIndex = candidate.sdp_mline_index
            await pc.addIceCandidate(ice)
        except Exception as exc:
            self._warn(session, f"candidate not applied: {_reason(exc)}")

    def close_session(self, session: Session, why: str) -> None:
        """Idempotent: forget the session, close its peer, and tell its WebSocket handler."""
        if session.state == "closed":
            return
        session.state = "closed"
        self.deflate_peers -= session.deflate
        session.held.clear()
        self._leave(session)
        session.closed.set()
        if session.on_closed is not None:
            session.on_closed()
        session.remote_set.set()  # wakes pending candidate tasks, which then see "closed"
        if session.pc is not None:
            self._spawn(session.pc.close())
        session.pc = None
        session.channel = None
        self._info(session, f"closed ({why})")

    def _leave(self, session: Session) -> None:
        """`session` gives its place back: its interest no longer counts in the union."""
        if session.id not in self._sessions:
            return
        if session.interest is not None:
            self.set_interest(session, None)  # counts it as a peer without one, until:
        self.full_peers -= 1
        del self._sessions[session.id]

    def set_interest(self, session: Session, statuses: frozenset[codec.StatusKey] | None) -> None:
        """A peer's new interest (None: it has none, and gets every value). The union the ROS
        callback reads is replaced whole, never changed in place, and only when the set of
        statuses in it changed."""
        old = session.interest
        session.interest = statuses
        if session.id not in self._sessions:
            return
        changed = False
        for key in old or ():
            n = self._interest_counts[key] - 1
            if n == 0:
                del self._interest_counts[key]
                changed = True
            else:
                self._interest_counts[key] = n
        for key in statuses or ():
            n = self._interest_counts.get(key, 0)
            self._interest_counts[key] = n + 1
            changed |= n == 0
        self._interest_peers += (statuses is not None) - (old is not None)
        self.full_peers += (statuses is None) - (old is None)
        if self._interest_peers == 0:
            self.interest_union = None
        elif changed or self.interest_union is None:
            self.interest_union = frozenset(self._interest_counts)

    async def close_all(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        for session in list(self._sessions.values()):
            self.close_session(session, "bridge shutting down")
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=3.0)
        self._encoder.shutdown(wait=False, cancel_futures=True)

    # ---- data (called from the ROS callback through LoopThread.call_soon) ----

    def on_diagnostics(self, payloads: codec.LivePayloads, received: float,
                       stamp_replaced: bool = False, then: Callable[[], object] | None = None) -> None:
        """One DiagnosticArray, already encoded once: to every peer; then, once every peer's
        transmission of it is done, into the in-memory history, and `then` runs.

        Why after: aiortc transmits each channel.send (SCTP, DTLS, sendto) in a task of its own
        (RTCSctpTransport._data_channel_flush) that the send schedules on this loop, so a
        callback scheduled after the sends runs after those transmissions, and whatever ran here
        before them delayed every peer. The history's add is ~1 ms on the loop (more when another
        thread holds the GIL). The node hands the store its array in `then`: the store's thread,
        woken earlier, took the GIL from the loop at every transmission's sendto (which releases
        it) and kept it for up to the interpreter's switch interval (5 ms), so the last peers got
        each message as much later as the store's work on it took (docs/benchmarks.md, "Where a
        live message's latency goes")."""
        self.seq = payloads.seq
        self.stats.messages_received += 1
        now = time.monotonic()
        if self._snapshots:  # replayed only after a reused snapshot: kept only while one can be
            self._recent.append((now, payloads))
            while len(self._recent) > _RECENT_MAX or now - self._recent[0][0] > 2 * SNAPSHOT_REUSE_S:
                self._recent.popleft()
        else:  # (2 s of arrays held for nobody: ~3.5 MiB at 50 statuses x 20 keys, 10 Hz)
            self._recent.clear()
        self.stats.stamps_replaced += stamp_replaced
        for session in list(self._sessions.values()):
            if session.state == "live":
                try:
                    self._send_live(session, payloads)
                except Exception as exc:  # one broken peer must not cost the others this message
                    self.close_session(session, f"send failed: {_reason(exc)}")
            elif session.state == "snapshot":
                if len(session.held) >= HELD_LIMIT:
                    session.held.popleft()
                    self._drop(session)
                session.held.append(payloads)
        self._unrecorded.append((payloads, received))
        asyncio.get_running_loop().call_soon(self._after_transmissions, then)

    def _after_transmissions(self, then: Callable[[], object] | None) -> None:
        try:
            self._record_history()
        finally:  # the store gets the array whatever the in-memory history did with it
            if then is not None:
                then()

    def _record_history(self) -> None:
        """The live messages sent but not yet in the in-memory history, added now. Everything
        that reads the history calls this first (a snapshot copy must hold exactly the messages
        up to `self.seq`: a peer whose snapshot starts between a message's sends and its
        `_after_transmissions` is neither sent that message nor holds it)."""
        while self._unrecorded:
            payloads, received = self._unrecorded.popleft()
            self.history.add(payloads.stamp, payloads.statuses, received, payloads.numbers)
            payloads.numbers = None  # parsed for the history: not kept while the ring holds it

    def _send_live(self, session: Session, payloads: codec.LivePayloads) -> None:
        channel = session.channel
        if channel is None or channel.readyState != "open" or channel.bufferedAmount > BUFFERED_LIMIT:
            self._drop(session)
            return
        # Not through _send: LivePayloads texts are below the limit by construction (codec tests),
        # and measuring every text's UTF-8 size again per peer would cost what encoding once saves.
        # A peer with an interest gets the lean encoding once there is one (a message that arrived
        # before any peer declared one has only the full encoding, every value: still right).
        lean = session.interest is not None
        for frame in payloads.frames(session.protocol, session.max_message, session.deflate, lean):
            channel.send(frame)
        self.stats.messages_forwarded += 1

    def _drop(self, session: Session) -> None:
        if session.drops == 0:
            self._warn(session, "browser too slow: skipping live messages (counted as drops)")
        session.drops += 1
        self.stats.drops += 1

    async def _stream(self, session: Session, channel: RTCDataChannel) -> None:
        """hello, then the snapshot and then what was held, both paced; then live."""
        session.state = "snapshot"
        # Encoded before the first await: the snapshot holds exactly the messages up to `seq`,
        # and every later one is held for this peer.
        job = self._snapshot(session.protocol, session.max_message, session.deflate)
        seq = job.seq
        # What arrived since that snapshot's seq goes out right after it, as if held meanwhile.
        session.held.extend(p for _, p in self._recent if p.seq > seq)
        hello = codec.hello(self.info.hostname, self.info.version, self.info.topics,
                            self.history.history_seconds, seq, session.protocol,
                            stale_seconds=self.info.stale_seconds, deflate=session.deflate)
        snapshot = job.parts
        try:
            _send(session, channel, hello)
            parts = await asyncio.shield(snapshot)  # shared: one peer leaving must not cancel it
            for part in parts:
                if not await self._room(session, channel):
                    return
                _send(session, channel, part)
            # The held messages are paced too, and the peer goes live only once they are all
            # sent with room to spare: otherwise a snapshot still in the buffer would make the
            # first live messages look like a slow browser's, and they would be skipped.
            while session.held:
                if not await self._room(session, channel):
                    return
                self._send_live(session, session.held.popleft())
        except Exception as exc:  # the channel closed under us, or a send failed
            # Closed, never left half-streamed: a page that got part of a snapshot and then
            # nothing would say "live" while holding a max_peers place.
            self.close_session(session, f"snapshot not sent: {_reason(exc)}")
            return
        if session.state != "snapshot":
            return
        self._info(session, f"snapshot sent ({len(parts)} parts), live from seq {seq + 1}")
        session.state = "live"
        # The alert state once the peer is live (hello, then only snapshot parts until the first
        # live message, as protocol.md orders them); from then on every change reaches it.
        if session.protocol >= 2:
            try:
                _send(session, channel, self.alerts.message(self.clock()))
            except Exception as exc:
                self.close_session(session, f"send failed: {_reason(exc)}")

    def _snapshot(self, protocol: int, limit: int, deflate: bool) -> _SnapshotJob:
        """Snapshot parts as of some seq: a recent one whose later live messages are all still in
        `_recent`, or a new one. A new one's history is copied here, on the loop and before any
        await (so it holds exactly the messages up to `self.seq`), then decimated and encoded in
        the worker thread, off the loop."""
        now = time.monotonic()
        self._snapshots = [j for j in self._snapshots if now - j.made <= SNAPSHOT_REUSE_S]
        replayable_from = self._recent[0][1].seq - 1 if self._recent else self.seq
        for job in self._snapshots:
            if (job.protocol, job.limit, job.deflate) == (protocol, limit, deflate) \
                    and job.seq >= replayable_from:
                return job
        parts = self._overview(protocol, limit, deflate)
        if parts is None:
            parts = self._memory_snapshot(protocol, limit, deflate)
        job = _SnapshotJob(self.seq, protocol, limit, deflate, now, parts)
        self._snapshots.append(job)
        # Let go of it once it can no longer be reused, not at the next peer's connect: its parts
        # (megabytes at full history) would stay in memory for as long as nobody else connects.
        asyncio.get_running_loop().call_later(SNAPSHOT_REUSE_S, self._forget_snapshot, job)
        return job

    def _forget_snapshot(self, job: _SnapshotJob) -> None:
        if job in self._snapshots:
            self._snapshots.remove(job)

    def _memory_snapshot(self, protocol: int, limit: int, deflate: bool) -> asyncio.Future[list[codec.Frame]]:
        self._record_history()
        copies = self.history.snapshot_copy()
        return asyncio.get_running_loop().run_in_executor(self._encoder, _encode_snapshot, copies, limit,
                                                          protocol, deflate)

    def _overview(self, protocol: int, limit: int, deflate: bool) -> asyncio.Future[list[codec.Frame]] | None:
        """A version-2 peer's snapshot from the durable store (store/overview.py: the page asks
        its charts' windows by query, the snapshot is a small overview), read on the store's
        thread; None where it does not apply (version 1, memory only) or the store's queue is
        full. A store that fails answers with the memory snapshot instead."""
        queries = self.queries
        window = self.history.history_seconds
        if protocol < 2 or queries is None or not queries.durable or window <= 0:
            return None
        future: asyncio.Future[list[codec.Frame]] = asyncio.get_running_loop().create_future()
        self._record_history()
        latest = [series.latest for series in self.history.series()]

        def answer(outcome: list[codec.Frame] | BaseException) -> None:
            if future.done():
                return
            if isinstance(outcome, BaseException):
                self._log.warning(f"webrtc_bridge: snapshot from the store failed ({outcome}): "
                                  "sent from memory")
                fallback = self._memory_snapshot(protocol, limit, deflate)
                fallback.add_done_callback(lambda f: _copy_outcome(f, future))
                return
            future.set_result(outcome)

        # Compressed for a deflate-raw peer on the store's thread too, never on the loop.
        finish = _deflate_all if deflate else list
        if not queries.overview(latest, window, limit, protocol, finish, answer):
            return None
        return future

    # ---- requests (version-2 pages: acknowledge and mute) ----

    def _on_request(self, session: Session, channel: RTCDataChannel, text: str | bytes) -> None:
        """One page request: parsed, rate-limited, token-checked, applied; the reply goes to this
        peer and the new alert state to every version-2 peer. A bad one changes nothing."""
        if session.protocol < 2 or session.state == "closed":
            return  # a version-1 page sends nothing; anything it did send is not a request
        changed = False
        try:
            req = requests.parse(text)
            if not session.limiter.allow(time.monotonic()):
                raise requests.RequestError(req.id, "rate limit exceeded")
            if isinstance(req, requests.InterestRequest):
                # Applied to the messages that arrive from now on (the ROS callback reads the union);
                # the statuses new to this peer's interest come with the reply as they are now (a
                # peer without one so far has had every value).
                added = frozenset() if session.interest is None else req.statuses - session.interest
                self.set_interest(session, req.statuses)
                self._record_history()
                latest = [s for s in map(self.history.latest, sorted(added)) if s is not None]
                reply = requests.interest_reply(req.id, len(req.statuses), latest, session.max_message)
            elif isinstance(req, (RangeQuery, LevelsQuery)):
                if self.queries is None:
                    raise requests.RequestError(req.id, "no history store")
                # Answered later, from the store's thread through call_soon: nothing waits here.
                self.queries.ask(req, session.max_message,
                                 lambda answer: self._answer_query(session, channel, req.id, answer))
                return
            else:
                changed = self._alert_request(req)
                reply = requests.ok_reply(req.id)
                self._info(session, f"{req.type} {req.key!r} by {req.by!r}")
        except requests.RequestError as exc:
            reply = requests.error_reply(exc.request_id, exc.message)
            self._warn(session, f"request refused: {exc.message}")
        try:
            _send(session, channel, reply)
        except Exception as exc:
            self.close_session(session, f"send failed: {_reason(exc)}")
        if changed:
            if self.on_alerts_changed is not None:
                self.on_alerts_changed(self.alerts)
            self._broadcast_alerts()

    def _alert_request(self, req: requests.AlertRequest) -> bool:
        """Applies an acknowledgement or mute (RequestError "unauthorized" without the token)."""
        if not token_ok(self.alert_token(), req.token):
            raise requests.RequestError(req.id, "unauthorized")
        now = self.clock()
        if req.type == "alert_ack":
            self.alerts.ack(req.key, req.level, req.by, now)
        elif req.type == "alert_mute":
            self.alerts.mute(req.key, req.seconds, req.by, now)
            self.schedule_expiry()
        else:
            self.alerts.unmute(req.key)
        return True

    def _answer_query(self, session: Session, channel: RTCDataChannel, request_id: int,
                      answer: list[str] | str) -> None:
        """A query's `range` parts (or its error), paced like the snapshot (on the loop)."""
        if session.state == "closed":
            return
        if isinstance(answer, str):
            self._warn(session, f"query refused: {answer}")
            answer = [requests.error_reply(request_id, answer)]
        self._spawn(self._send_paced(session, channel, answer))

    async def _send_paced(self, session: Session, channel: RTCDataChannel, texts: list[str]) -> None:
        try:
            frames: Sequence[codec.Frame] = texts
            if session.deflate:  # compressed in the worker thread, never on the loop
                frames = await asyncio.get_running_loop().run_in_executor(self._encoder, _deflate_all, texts)
            for frame in frames:
                if not await self._room(session, channel):
                    return
                _send(session, channel, frame)
        except Exception as exc:
            self.close_session(session, f"send failed: {_reason(exc)}")

    def _broadcast_alerts(self) -> None:
        text = self.alerts.message(self.clock())
        for session in list(self._sessions.values()):
            channel = session.channel
            # A peer still receiving its snapshot gets the whole state when it goes live.
            if session.protocol < 2 or session.state != "live" or channel is None \
                    or channel.readyState != "open":
                continue
            try:
                _send(session, channel, text)
            except Exception as exc:
                self.close_session(session, f"send failed: {_reason(exc)}")

    def end_acks(self, changed: list[tuple[str, int]]) -> None:
        """Statuses whose level left the one acknowledged (alert_state.changed_acks, from the ROS
        callback): their acknowledgements end, and every browser hears it (on the loop)."""
        if self.alerts.end_acks(changed):
            if self.on_alerts_changed is not None:
                self.on_alerts_changed(self.alerts)
            self._broadcast_alerts()

    def schedule_expiry(self) -> None:
        """A timer at the next mute's end, so every browser hears that it ended (on the loop;
        also once after a restored state is set)."""
        if self._expiry is not None:
            self._expiry.cancel()
        until = self.alerts.next_expiry()
        if until is None:
            self._expiry = None
            return

        def expire() -> None:
            self._expiry = None
            if self.alerts.expire(self.clock()):
                self._broadcast_alerts()
            self.schedule_expiry()

        self._expiry = asyncio.get_running_loop().call_later(max(0.0, until - self.clock()) + 0.01, expire)

    @staticmethod
    async def _room(session: Session, channel: RTCDataChannel) -> bool:
        """Waits until the peer's buffer is at or below SNAPSHOT_PACE_LIMIT; False if it closed.
        Woken by aiortc's "bufferedamountlow" event (emitted when the buffer drains to the
        channel's bufferedAmountLowThreshold), not by polling: a waiting peer costs nothing until
        then. Several waits on one channel (a snapshot, a query answer) each get the event."""
        while channel.bufferedAmount > SNAPSHOT_PACE_LIMIT:
            if session.state == "closed" or channel.readyState != "open":
                return False
            await _drained(channel, SNAPSHOT_PACE_LIMIT)
            if session.state == "closed" or channel.readyState != "open":
                return False
        return True

    # ---- helpers ----

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log.warning("webrtc_bridge: task failed: %s", _reason(task.exception()))

    def _info(self, session: Session, text: str) -> None:
        self._emit("info", f"{session.log_prefix} {text}")

    def _warn(self, session: Session, text: str) -> None:
        self._emit("warn", f"{session.log_prefix} {text}")

    def _emit(self, level: str, text: str) -> None:
        if self.on_log is not None:
            self.on_log(level, text)
        elif level == "warn":
            self._log.warning(text)
        else:
            self._log.info(text)


@dataclass
class _SnapshotJob:
    seq: int       # the snapshot holds every message up to this one
    protocol: int
    limit: int
    deflate: bool
    made: float    # time.monotonic()
    parts: asyncio.Future[list[codec.Frame]]


def _copy_outcome(source: asyncio.Future[list[codec.Frame]],
                  target: asyncio.Future[list[codec.Frame]]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())  # type: ignore[arg-type]
    else:
        target.set_result(source.result())


def _encode_snapshot(copies: list[SeriesCopy], limit: int, protocol: int, deflate: bool) -> list[codec.Frame]:
    """Runs in the worker thread: decimation, JSON and compression are the CPU-heavy part of a
    snapshot."""
    texts = codec.encode_snapshot((c.decimated() for c in copies), limit, protocol)
    return _deflate_all(texts) if deflate else list(texts)


def _deflate_all(texts: Sequence[str]) -> list[codec.Frame]:
    """Runs in the worker thread: each text as a deflate-raw peer gets it."""
    return [codec.frame_for(t, True) for t in texts]


def _send(session: Session, channel: RTCDataChannel, frame: codec.Frame) -> None:
    """The one place a message goes onto a channel outside the live path: never above the peer's
    negotiated limit, counted in the bytes actually sent (aiortc would refuse a larger one, and
    a browser would close the channel)."""
    size = codec.frame_size(frame)
    if size > session.max_message:
        raise ValueError(f"message of {size} bytes over the peer's limit of {session.max_message}")
    channel.send(frame)


async def _drained(channel: RTCDataChannel, threshold: int) -> None:
    """Returns once aiortc says the channel's buffer fell to `threshold` ("bufferedamountlow"),
    or it closed, or after _ROOM_RECHECK_S at most."""
    channel.bufferedAmountLowThreshold = threshold
    drained = asyncio.get_running_loop().create_future()

    def wake() -> None:
        if not drained.done():
            drained.set_result(None)

    channel.on("bufferedamountlow", wake)
    channel.on("close", wake)
    try:
        await asyncio.wait_for(drained, _ROOM_RECHECK_S)
    except asyncio.TimeoutError:
        pass
    finally:
        for event in ("bufferedamountlow", "close"):
            with contextlib.suppress(KeyError):  # "close" removes every listener itself
                channel.remove_listener(event, wake)


def _reason(exc: BaseException | None) -> str:
    text = str(exc) if exc is not None else ""
    name = type(exc).__name__ if exc is not None else "error"
    text = text.splitlines()[0] if text else name
    return text[:200]

