"""The webrtc_bridge node: every DiagnosticArray on `topics` to every connected browser.

Three threads, one rule each (docs/architecture.md):
- rclpy executor (main thread): the subscription callback encodes each message once and hands the
  text to the loop with call_soon_threadsafe;
- the asyncio loop thread (loop_thread.py) owns every aiortc object (peers.py);
- the WSGI server thread and its per-request threads (app.py, signaling.py) reach the loop only
  through run_coroutine_threadsafe with a timeout;
- the history store's thread (store/worker.py) owns the durable history and its database: the
  loop only enqueues to it, each array once every peer's transmission of it is done, so no file
  I/O runs in the callback or on the loop and the store's work never delays the fan-out.
"""

from __future__ import annotations

import errno
import functools
import importlib.util
import logging
import socket
import threading
import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message

from chedweb_bridge import access, alert_state, cdr, codec, installed, timebase
from chedweb_bridge.access import HostAllowlist
from chedweb_bridge.alert_keeper import AlertKeeper
from chedweb_bridge.fleet import FleetSettings
from chedweb_bridge.full_collections import FullCollectionTimes, GcHold
from chedweb_bridge.history import History
from chedweb_bridge.http_server import BoundedWSGIServer, ServerLimits
from chedweb_bridge.ice import parse_ice_servers
from chedweb_bridge.latest import LatestStatuses
from chedweb_bridge.lazy_web import LazyWsgiApp, WSGIApplication
from chedweb_bridge.local_names import local_names
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.metrics_http import MetricsSettings, make_endpoint
from chedweb_bridge.peers import PeerRegistry, StreamInfo
from chedweb_bridge.signaling import Pending, Settings
from chedweb_bridge.store import db_file
from chedweb_bridge.store.query_service import QueryService
from chedweb_bridge.store.tiers import default_tiers
from chedweb_bridge.store.worker import StoreWorker
from chedweb_bridge.web_root import find_web_root
from chedweb_ros.node_main import StartupError
from chedweb_ros.params import WEBRTC_BRIDGE
from chedweb_ros.ros_parameters import declare_table, fix_read_only, refused


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one). Bound here rather than by the
    server, so that a busy port is one line that says so (werkzeug would print its own lines and
    exit with `SystemExit: 1`)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StartupError(f"host {host!r}: cannot resolve it ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart over TIME_WAIT, as werkzeug
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        why = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise StartupError(f"cannot listen on {host}:{port}: {why}") from None
    return sock


class WebRtcBridge(Node):
    def __init__(self) -> None:
        super().__init__("webrtc_bridge")
        started = time.monotonic()  # /healthz's uptime counts from here, not from the app's build
        # Raises InvalidParameters (a StartupError) naming each refused value. `port` stays
        # writable until the server has it: port 0 becomes the port the server got.
        values = declare_table(self, WEBRTC_BRIDGE, writable_until_started=["port"])
        self.add_on_set_parameters_callback(self._on_set_parameters)
        # aiortc is imported when the first browser connects (lazy_aiortc.py); a broken install
        # must still stop the start, not the first browser.
        absent = installed.missing("aiortc")
        if absent:
            raise StartupError(f"not installed: {', '.join(absent)} (needed by aiortc, imported when "
                               f"the first browser connects)")
        # Likewise Flask, flask-sock, psutil and prometheus_client, imported by the first request
        # that needs them (lazy_web.py, local_names.py, metrics_http.py).
        late = [name for name in ("flask", "flask_sock", "psutil", "prometheus_client")
                if importlib.util.find_spec(name) is None]
        if late:
            raise StartupError(f"not installed: {', '.join(late)} (imported by the first request that "
                               f"needs it)")
        self._values = values
        self._settings = Settings(auth_token=str(values["auth_token"]),
                                  allowed_origins=list(values["allowed_origins"]),  # type: ignore[call-overload]
                                  offer_deadline=float(values["offer_deadline"]),  # type: ignore[arg-type]
                                  answer_timeout=float(values["answer_timeout"]))  # type: ignore[arg-type]
        self._hosts = HostAllowlist(local_names, list(values["allowed_hosts"]))  # type: ignore[call-overload]
        self._pending = Pending(int(values["max_pending_sockets"]),  # type: ignore[call-overload]
                                int(values["max_pending_per_address"]))  # type: ignore[call-overload]
        topics = [str(t) for t in values["topics"]]  # type: ignore[attr-defined]
        self._history = History(float(values["history_seconds"]))  # type: ignore[arg-type]
        version = installed.version("chedweb_ros", "0.0.0")
        self._registry = PeerRegistry(self._history, StreamInfo(socket.gethostname(), version, topics))
        self._registry.ice_servers = parse_ice_servers(values["ice_servers"])  # type: ignore[arg-type]
        self._registry.max_peers = int(values["max_peers"])  # type: ignore[call-overload]
        self._registry.info.stale_seconds = float(values["stale_seconds"])  # type: ignore[arg-type]
        # Read on each alert request: a changed auth_token applies to pages already connected.
        self._registry.alert_token = lambda: self._settings.auth_token
        self._registry.on_log = self._log
        budget = int(values["history_budget_mb"]) * 1_000_000  # type: ignore[call-overload]
        days = [float(values[f"history_{tier}_days"]) for tier in ("raw", "minute", "hour")]  # type: ignore[arg-type]
        self._store = StoreWorker(db_file.resolve(str(values["history_path"])), budget, default_tiers(*days),
                                  log=self._log)
        self._store.start()
        # Acknowledgements and mutes outlive a restart where the history is on disk.
        alert_keeper = AlertKeeper(self._store, self._log)
        self._registry.alerts = alert_keeper.restore(time.time())
        self._registry.on_alerts_changed = alert_keeper.save
        self._seq = 0
        self._undecodable = 0
        self._loop = LoopThread()
        self._registry.queries = QueryService(self._store, self._loop.call_soon)
        self._loop.start()
        self._loop.call_soon(self._registry.schedule_expiry)  # for the restored mutes
        # The cyclic GC waits while a message is fanned out, then collects (full_collections.py).
        self._gc_hold = GcHold()
        self._collections = FullCollectionTimes()
        self._latest = LatestStatuses()
        self._metrics_settings = MetricsSettings(int(values["metrics_max_series"]))  # type: ignore[call-overload]
        metrics = make_endpoint(self._loop, self._registry, self._latest, self._metrics_settings,
                                self._store.health)
        self._fleet = FleetSettings([str(u) for u in values["fleet"]])  # type: ignore[attr-defined]

        web_root = find_web_root(str(values["web_root"]))

        def build_app() -> WSGIApplication:
            from chedweb_bridge.app import create_app

            return create_app(self._loop, self._registry, self._settings, self._hosts, self._pending,
                              web_root, self._log, metrics, history=self._store, fleet=self._fleet,
                              http_stats=self._http_stats, collections=self._collections,
                              started=started)

        # Flask is imported by the first request, not here (lazy_web.py).
        app = LazyWsgiApp(build_app, lambda seconds: self._log(
            "info", f"web app built for the first request ({seconds * 1000:.0f} ms)"))
        host, port = str(values["host"]), int(values["port"])  # type: ignore[call-overload]
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per HTTP request
        try:
            listener = listen_socket(host, port)
        except StartupError:
            self._loop.stop()
            self._store.stop()
            raise
        # werkzeug takes its own copy of the descriptor (socket.fromfd): ours is closed at once.
        with listener:
            self._server = BoundedWSGIServer(host, port, app, self._server_limits(), fd=listener.fileno())
        self._server_thread = threading.Thread(target=self._server.serve_forever, name="webrtc_bridge-http",
                                               daemon=True)
        self._server_thread.start()
        actual_port = int(self._server.port)  # werkzeug records the bound port (port 0: the one picked)
        fix_read_only(self, WEBRTC_BRIDGE["port"], actual_port)

        qos = QoSProfile(depth=int(values["qos_depth"]),  # type: ignore[call-overload]
                         reliability=ReliabilityPolicy.RELIABLE)
        self._collections.install()  # (close() removes it)
        # raw=True: the bytes as received, decoded by cdr.py at a fraction of rclpy's cost.
        self._subs = [self.create_subscription(DiagnosticArray, topic, self._callback_for(topic), qos,
                                               raw=True)
                      for topic in topics]
        warning = access.exposure_warning(host, actual_port, self._settings.auth_token)
        if warning is not None:
            self.get_logger().warning(f"webrtc_bridge: {warning}")
        shown = host if host not in ("0.0.0.0", "::") else socket.gethostname()
        self.get_logger().info(f"webrtc_bridge: serving on http://{host}:{actual_port}/ "
                               f"(open http://{shown}:{actual_port}/), forwarding {', '.join(topics)}; "
                               f"page from {web_root}")

    # ---- parameters ----

    def _server_limits(self) -> ServerLimits:
        v = self._values
        return ServerLimits(max_connections=int(v["max_connections"]),  # type: ignore[call-overload]
                            max_connections_per_address=int(v["max_connections_per_address"]),  # type: ignore[call-overload]
                            header_timeout=float(v["header_timeout"]),  # type: ignore[arg-type]
                            idle_timeout=float(v["idle_timeout"]))  # type: ignore[arg-type]

    def _http_stats(self) -> dict[str, int]:
        return {"connections": self._server.connections.count, "connections_refused": self._server.refused}

    def _on_set_parameters(self, changed: list[Parameter]) -> SetParametersResult:
        """rclpy has already refused wrong types, values out of range and read-only parameters
        (the descriptors); this runs the rules a descriptor cannot say, then applies the change."""
        self._values, result = refused(WEBRTC_BRIDGE, self._values, changed)
        if result.successful:
            for p in changed:
                self._apply(p.name, p.value)
        return result

    def _apply(self, name: str, value: Any) -> None:
        # Plain attribute stores: atomic under the GIL, read by the loop and handler threads.
        if name == "auth_token":
            self._settings.auth_token = str(value)
        elif name == "allowed_origins":
            self._settings.allowed_origins = list(value)
        elif name == "ice_servers":
            self._registry.ice_servers = parse_ice_servers(list(value))
        elif name == "max_peers":
            self._registry.max_peers = int(value)
        elif name == "history_seconds":
            self._history.history_seconds = float(value)
        elif name == "stale_seconds":
            self._registry.info.stale_seconds = float(value)
        elif name == "metrics_max_series":
            self._metrics_settings.max_series = int(value)
        elif name == "fleet":
            self._fleet.robots = [str(u) for u in value]
        elif name == "allowed_hosts":
            self._hosts.set_extra(list(value))
        elif name in ("offer_deadline", "answer_timeout"):
            setattr(self._settings, name, float(value))
        elif name == "max_pending_sockets":
            self._pending.slots.total = int(value)
        elif name == "max_pending_per_address":
            self._pending.slots.per_address = int(value)
        elif name in ("max_connections", "max_connections_per_address", "header_timeout", "idle_timeout"):
            self._server.set_limits(self._server_limits())  # self._values holds the new value already

    # ---- data ----

    def _callback_for(self, topic: str) -> Any:
        def callback(raw: bytes) -> None:
            received = time.time()
            decoded = self._decode(raw)
            if decoded is None:
                return
            sec, nanosec, statuses = decoded
            stamp, replaced = timebase.effective_stamp(sec, nanosec, received)
            codec.sanitize_levels(statuses)  # before anything reads them: live, history, /metrics
            self._latest.update(received, statuses)  # for /metrics: a lock and a dict, no loop
            # Each value parsed once for the two that keep numbers (history and store), not by each.
            numbers = [codec.numeric_values(s["values"]) for s in statuses]
            changed = alert_state.changed_acks(self._registry.alerts.acks, statuses)
            if changed:  # an acknowledged status changed level: its acknowledgement ends
                self._loop.call_soon(self._registry.end_acks, changed)
            self._seq += 1
            # The encodings here rather than on the loop, each once for all: the full one while a
            # peer has declared no interest, the lean one (capability "interest") once some have;
            # and their compression, once for all who asked.
            registry = self._registry
            union = registry.interest_union  # a reference, replaced whole on the loop
            payloads = codec.LivePayloads(self._seq, topic, stamp, statuses, numbers, interest=union)
            deflate = registry.deflate_peers > 0
            if registry.full_peers > 0 or union is None:
                payloads.frames(deflate=deflate)
            if union is not None:
                payloads.frames(deflate=deflate, lean=True)
            self._loop.call_soon(self._fan_out, payloads, received, replaced, statuses, numbers)
        return callback

    def _fan_out(self, payloads: codec.LivePayloads, received: float, replaced: bool,
                 statuses: list[codec.Status], numbers: list[dict[str, float]]) -> None:
        """On the loop: an array to every peer, the cyclic GC held off until every peer's
        transmission of it is done (full_collections.py)."""
        self._gc_hold.hold()
        try:
            self._registry.on_diagnostics(payloads, received, replaced,
                                          functools.partial(self._after_fanout, received, statuses, numbers))
        except BaseException:  # `then` was not scheduled: nothing else releases this hold
            self._gc_hold.release()
            raise

    def _after_fanout(self, received: float, statuses: list[codec.Status],
                      numbers: list[dict[str, float]]) -> None:
        """On the loop, once every peer's transmission of an array is done (PeerRegistry.on_diagnostics,
        `then`): the store gets it (a queue put: its thread does the rest, so that its work never
        delays the fan-out), and the GC may collect again."""
        try:
            self._store.add(received, statuses, numbers)
        finally:
            self._gc_hold.release()

    def _decode(self, raw: bytes) -> tuple[int, int, list[codec.Status]] | None:
        """The fast CDR path (cdr.py), else rclpy's deserialisation; None (logged once) if neither."""
        try:
            return cdr.decode_diagnostic_array(raw)
        except cdr.CdrError:
            pass
        try:
            msg = deserialize_message(raw, DiagnosticArray)
            stamp = msg.header.stamp
            return stamp.sec, stamp.nanosec, codec.statuses_from_msg(msg)
        except Exception as exc:
            if not self._undecodable:
                self.get_logger().warning(f"webrtc_bridge: a message could not be decoded, skipped: {exc}")
            self._undecodable += 1
            return None

    def _log(self, level: str, text: str) -> None:
        logger = self.get_logger()
        if level == "warn":
            logger.warning(text)
        else:
            logger.info(text)

    # ---- shutdown ----

    def close(self) -> None:
        """Close every peer (their sockets follow), then the server, then the loop."""
        self._loop.stop(self._registry.close_all())
        self._server.shutdown()
        self._server.server_close()
        self._server_thread.join(5.0)
        self._store.stop()  # the last flush
        self._collections.uninstall()
        self._gc_hold.close()


def main(args: list[str] | None = None) -> int:
    """An install made before the executable moved to chedweb_bridge/main.py has a console script
    that imports main() from here: it runs the same main(), after this module's imports."""
    from chedweb_bridge.main import main as light_main

    return light_main(args)
