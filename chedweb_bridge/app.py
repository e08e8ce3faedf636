"""The bridge's WSGI app (werkzeug only): the page, /ws signaling, /config, /healthz, /metrics,
/fleet and /history.csv.

The routes are thin: signaling is in signaling.py, access checks in access.py and upgrade.py,
and everything WebRTC is on the loop thread (peers.py). The connection cap and deadlines are the
server's (http_server.py).

Why not Flask (issue 12, RSS idle): every route here is a few lines over werkzeug's request and
response, which Flask wraps; Flask itself imports Jinja (templates), click (its
command line), blinker and itsdangerous, none of which the bridge uses: 5.4 MiB of RSS at
start-up for nothing. /ws is simple-websocket's server on the request's socket, which is what
flask-sock did.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from simple_websocket import ConnectionClosed, Server
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound
from werkzeug.test import Client
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from chedweb_bridge import access, history_http
from chedweb_bridge import signaling_messages as sm
from chedweb_bridge.access import HostAllowlist
from chedweb_bridge.codec import PROTOCOL_VERSION
from chedweb_bridge.fleet import FleetSettings
from chedweb_bridge.limits import LogThrottle
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.metrics_http import MetricsEndpoint, encode
from chedweb_bridge.peers import PeerRegistry
from chedweb_bridge.signaling import Log, Pending, Settings, SocketEvent, serve_socket
from chedweb_bridge.store.worker import StoreWorker
from chedweb_bridge.upgrade import WEBSOCKET_VERSION, upgrade_problem

PING_INTERVAL_S = 10

_NOT_BUILT = """<!doctype html>
<html><head><meta charset="utf-8"><title>ChedWeb: page not built</title></head>
<body><h1>ChedWeb: the page is not built</h1>
<p>The webrtc_bridge node is running, but it found no <code>index.html</code> in
<code>{root}</code>.</p>
<p>Build the page with <code>make web</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>), then reload.
<a href="/healthz">/healthz</a> shows the bridge's state.</p></body></html>
"""

# Path -> route; any other path is a file of the page. A dict, not werkzeug's URL map: seven
# fixed paths need no rule language, and werkzeug.routing costs 0.7 MiB of RSS to import.
_ROUTES = {"/ws": "ws", "/healthz": "healthz", "/config": "config", "/fleet": "fleet",
           "/history.csv": "history_csv", "/metrics": "metrics", "/": "index"}
_METHODS = ("GET", "HEAD")

_logger = logging.getLogger("chedweb_bridge.app")


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain", headers=headers)


def _json(value: Any, status: int = 200) -> Response:
    """JSON as Flask's jsonify wrote it (compact, sorted keys, a final newline)."""
    body = json.dumps(value, separators=(",", ":"), sort_keys=True) + "\n"
    return Response(body, status=status, mimetype="application/json")


class BridgeApp:
    """The WSGI application. Every request: the Host check (and, for /ws, the upgrade check),
    then its route; /config's reply then carries CORS for the allowed origins."""

    def __init__(self, loop: LoopThread, registry: PeerRegistry, settings: Settings, hosts: HostAllowlist,
                 pending: Pending, web_root: Path, log: Log, metrics: MetricsEndpoint | None,
                 history: StoreWorker | None, fleet: FleetSettings | None,
                 http_stats: Callable[[], Mapping[str, int]]) -> None:
        self.loop, self.registry, self.settings, self.hosts = loop, registry, settings, hosts
        self.pending, self.web_root, self.log, self.metrics = pending, web_root, log, metrics
        self.history, self.fleet, self.http_stats = history, fleet, http_stats
        # The WebSocket layer closes (1009) a message above the protocol's 64 KiB limit as it
        # arrives, so no client makes the bridge buffer more (at 1 MiB, 20 parallel 10 MiB frames
        # cost 168 MB). simple-websocket counts characters of a text frame; signaling.py then
        # checks the UTF-8 bytes of what is left. Its event is one the peer's closing can
        # interrupt, so that the handler thread sleeps until something happens (SocketEvent).
        self.socket_options: dict[str, Any] = {"ping_interval": PING_INTERVAL_S,
                                               "max_message_size": sm.MAX_FRAME_BYTES,
                                               "event_class": SocketEvent}
        self._started = time.monotonic()
        self._handshake_log = LogThrottle()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        if request.path == "/config":
            self._cors(request, response)
        return response(environ, start_response)

    def test_client(self) -> Client:
        """werkzeug's test client over this app (the unit tests' requests)."""
        return Client(self, Response)

    def _respond(self, request: Request) -> Response:
        refusal = self._guard(request)
        if refusal is not None:
            return refusal
        try:
            if request.method not in _METHODS:
                raise MethodNotAllowed(valid_methods=list(_METHODS))
            route = _ROUTES.get(request.path)
            if route is None:
                return self._static_file(request, request.path.lstrip("/"))
            return getattr(self, "_" + route)(request)
        except HTTPException as exc:
            return exc.get_response(request.environ)
        except Exception as exc:
            return self._unexpected(request, exc)

    def _guard(self, request: Request) -> Response | None:
        """Every route: the Host must be this machine's (DNS rebinding); /ws: a well-formed
        upgrade, checked before simple-websocket sees it."""
        host = request.environ.get("HTTP_HOST")
        if not host:
            return _plain(400, "missing Host header")
        if not self.hosts.allows(host):
            return _plain(403, "host not allowed (allowed_hosts)")
        if request.path == "/ws":
            problem = upgrade_problem(request.environ)
            if problem is not None:
                return _plain(400, problem, {"Sec-WebSocket-Version": WEBSOCKET_VERSION})
            # From here on the socket is a WebSocket's: its reads wait on select() with pings
            # every PING_INTERVAL_S, and simple-websocket's send() cannot take a partial write,
            # which a socket timeout would allow.
            connection = request.environ.get("werkzeug.socket")
            if connection is not None:
                connection.settimeout(None)
        return None

    def _unexpected(self, request: Request, exc: Exception) -> Response:
        """/ws: one line, never a traceback: a handshake the checks above let through but
        wsproto refuses (an odd extension header, say) is the client's fault, and any client
        could otherwise fill the log. Elsewhere a 500 and the traceback in the log: a bug to see."""
        if request.path != "/ws":
            _logger.error("exception on %s [%s]", request.path, request.method, exc_info=exc)
            return InternalServerError().get_response(request.environ)
        line = self._handshake_log.text(f"/ws handshake failed: {type(exc).__name__}: {str(exc)[:200]}")
        if line is not None:
            self.log("warn", line)
        return _plain(400, "bad WebSocket handshake")

    def _cors(self, request: Request, response: Response) -> None:
        # fleet.html served by another bridge reads this one's /config (its ICE servers) before
        # opening /ws; the browser hands it the reply only with this header. /ws checks Origin
        # itself, against the same allowed_origins.
        origin = access.cors_origin(request.headers.get("Origin"), self.settings.allowed_origins)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")

    def _token_ok(self, request: Request) -> bool:
        return access.token_ok(self.settings.auth_token, request.args.get("token"))

    # ---- routes ----

    def _ws(self, request: Request) -> Response:
        ws = Server(request.environ, **self.socket_options)  # the handshake; raises on a bad one
        with contextlib.suppress(ConnectionClosed):
            serve_socket(ws, request.environ, request.args, self.loop, self.registry, self.settings,
                         self.pending, self.log)
        with contextlib.suppress(Exception):
            ws.close()
        # The WebSocket is over (its close frame sent): end our side of the TCP stream now, or
        # werkzeug writes this (empty) response after the close frame.
        connection = request.environ.get("werkzeug.socket")
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_WR)
        return Response()

    def _healthz(self, request: Request) -> Response:
        stats = self.registry.stats
        history = self.history
        return _json({
            "status": "ok",
            "peers": self.registry.peer_count,
            "max_peers": self.registry.max_peers,
            "messages_received": stats.messages_received,
            "messages_forwarded": stats.messages_forwarded,
            "drops": stats.drops,
            "stamps_replaced": stats.stamps_replaced,
            "pending_sockets": self.pending.slots.count,
            **self.http_stats(),
            "uptime_s": round(time.monotonic() - self._started, 3),
            # The durable history's state ("ok", "memory only", "paused" on a full disk) and size.
            **({"history": history.health()} if history is not None else {}),
        })

    def _config(self, request: Request) -> Response:
        if not self._token_ok(request):
            return _json({"error": "unauthorized"}, 401)
        return _json({"protocol": PROTOCOL_VERSION,
                      "iceServers": [s.to_browser() for s in self.registry.ice_servers]})

    def _fleet(self, request: Request) -> Response:
        # Behind the token: the list may carry the other bridges' tokens.
        if not self._token_ok(request):
            return _json({"error": "unauthorized"}, 401)
        return _json((self.fleet or FleetSettings()).to_json())

    def _history_csv(self, request: Request) -> Response:
        if not self._token_ok(request):
            return _json({"error": "unauthorized"}, 401)
        if self.history is None:
            raise NotFound()
        req = history_http.parse(request.args, time.time())
        if isinstance(req, str):
            return _json({"error": req}, 400)
        disposition = f'attachment; filename="{history_http.filename(req)}"'
        return Response(history_http.stream(self.history, req), mimetype="text/csv",
                        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})

    def _metrics(self, request: Request) -> Response:
        metrics = self.metrics
        if metrics is None or metrics.settings.max_series <= 0:
            raise NotFound()
        # A header, not ?token=: Prometheus sends it from the scrape config's `authorization`,
        # and it stays out of access logs.
        given = access.bearer_token(request.headers.get("Authorization"))
        if not access.token_ok(self.settings.auth_token, given):
            return Response("unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="chedweb"'},
                            mimetype="text/plain")
        body, content_type = encode(metrics.registry, request.headers.get("Accept", ""))
        return Response(body, 200, {"Cache-Control": "no-store"}, content_type=content_type)

    def _index(self, request: Request) -> Response:
        if (self.web_root / "index.html").is_file():
            return send_from_directory(self.web_root, "index.html", request.environ, max_age=0)
        return Response(_NOT_BUILT.format(root=html.escape(str(self.web_root))), mimetype="text/html")

    def _static_file(self, request: Request, path: str) -> Response:
        if not self.web_root.is_dir():
            raise NotFound()
        return send_from_directory(self.web_root, path, request.environ)


def create_app(loop: LoopThread, registry: PeerRegistry, settings: Settings, hosts: HostAllowlist,
               pending: Pending, web_root: Path, log: Log, metrics: MetricsEndpoint | None = None,
               history: StoreWorker | None = None, fleet: FleetSettings | None = None,
               http_stats: Callable[[], Mapping[str, int]] = dict) -> BridgeApp:
    return BridgeApp(loop, registry, settings, hosts, pending, web_root, log, metrics, history, fleet,
                     http_stats)


def find_web_root(configured: str) -> Path:
    """`web_root` parameter, or the installed share dir of chedweb_ros, or <repo>/web/dist."""
    if configured:
        return Path(configured).expanduser().resolve()
    try:
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory("chedweb_ros")) / "web" / "dist"
        if share.is_dir():
            return share
    except (ImportError, LookupError, OSError, ValueError):
        pass
    return Path(__file__).resolve().parents[1] / "web" / "dist"
