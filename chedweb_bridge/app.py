"""The bridge's Flask app (factory): the page, /ws signaling, /config, /healthz and /metrics.

The routes are thin: signaling is in signaling.py, access checks in access.py and upgrade.py,
and everything WebRTC is on the loop thread (peers.py). The connection cap and deadlines are the
server's (http_server.py).
"""

from __future__ import annotations

import contextlib
import html
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, request, send_from_directory
from flask_sock import Sock
from werkzeug.exceptions import HTTPException

from chedweb_bridge import access, history_http
from chedweb_bridge import signaling_messages as sm
from chedweb_bridge.access import HostAllowlist
from chedweb_bridge.codec import PROTOCOL_VERSION
from chedweb_bridge.fleet import FleetSettings
from chedweb_bridge.full_collections import FullCollectionTimes
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


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain", headers=headers)


def create_app(loop: LoopThread, registry: PeerRegistry, settings: Settings, hosts: HostAllowlist,
               pending: Pending, web_root: Path, log: Log, metrics: MetricsEndpoint | None = None,
               history: StoreWorker | None = None, fleet: FleetSettings | None = None,
               http_stats: Callable[[], Mapping[str, int]] = dict,
               collections: FullCollectionTimes | None = None, started: float | None = None) -> Flask:
    """`started`: the bridge's start on time.monotonic(), what /healthz's uptime counts from (the
    node builds the app only at its first request, lazy_web.py); None: now."""
    app = Flask("chedweb_bridge", static_folder=None)
    # The WebSocket layer closes (1009) a message above the protocol's 64 KiB limit as it
    # arrives, so no client makes the bridge buffer more (at 1 MiB, 20 parallel 10 MiB frames
    # cost 168 MB). simple-websocket counts characters of a text frame; signaling.py then checks
    # the UTF-8 bytes of what is left. Its event is one the peer's closing can interrupt, so that
    # the handler thread sleeps until something happens (signaling.SocketEvent).
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": PING_INTERVAL_S,
                                         "max_message_size": sm.MAX_FRAME_BYTES,
                                         "event_class": SocketEvent}
    sock = Sock(app)
    if started is None:
        started = time.monotonic()
    handshake_log = LogThrottle()

    @app.before_request
    def guard() -> Response | None:
        """Every route: the Host must be this machine's (DNS rebinding); /ws: a well-formed
        upgrade, checked before simple-websocket sees it."""
        host = request.environ.get("HTTP_HOST")
        if not host:
            return _plain(400, "missing Host header")
        if not hosts.allows(host):
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

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response | HTTPException:
        """/ws: one line, never a traceback: a handshake the checks above let through but
        wsproto refuses (an odd extension header, say) is the client's fault, and any client
        could otherwise fill the log. Elsewhere Flask's own 500 and traceback: a bug to see."""
        if isinstance(exc, HTTPException):
            return exc
        if request.path != "/ws":
            raise exc
        line = handshake_log.text(f"/ws handshake failed: {type(exc).__name__}: {str(exc)[:200]}")
        if line is not None:
            log("warn", line)
        return _plain(400, "bad WebSocket handshake")

    @sock.route("/ws")
    def ws_route(ws: Any) -> None:
        serve_socket(ws, request.environ, request.args, loop, registry, settings, pending, log)
        # The WebSocket is over (its close frame sent): end our side of the TCP stream now, or
        # werkzeug writes flask-sock's "HTTP/1.1 200 OK" response after the close frame.
        connection = request.environ.get("werkzeug.socket")
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_WR)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({
            "status": "ok",
            "peers": registry.peer_count,
            "max_peers": registry.max_peers,
            **registry.stats.counts(),
            "pending_sockets": pending.slots.count,
            **http_stats(),
            "uptime_s": round(time.monotonic() - started, 3),
            # The cyclic GC's full collections so far, and the longest (full_collections.py).
            **({"full_collections": collections.count,
                "longest_full_collection_ms": round(collections.longest_s * 1000, 1)}
               if collections is not None else {}),
            # The durable history's state ("ok", "memory only", "paused" on a full disk) and size.
            **({"history": history.health()} if history is not None else {}),
        })

    @app.get("/config")
    def config() -> Response | tuple[Response, int]:
        if not access.token_ok(settings.auth_token, request.args.get("token")):
            return jsonify({"error": "unauthorized"}), 401
        return jsonify({"protocol": PROTOCOL_VERSION,
                        "iceServers": [s.to_browser() for s in registry.ice_servers]})

    @app.get("/fleet")
    def fleet_list() -> Response | tuple[Response, int]:
        # Behind the token: the list may carry the other bridges' tokens.
        if not access.token_ok(settings.auth_token, request.args.get("token")):
            return jsonify({"error": "unauthorized"}), 401
        return jsonify((fleet or FleetSettings()).to_json())

    @app.after_request
    def cors(response: Response) -> Response:
        # fleet.html served by another bridge reads this one's /config (its ICE servers) before
        # opening /ws; the browser hands it the reply only with this header. /ws checks Origin
        # itself, against the same allowed_origins.
        if request.path == "/config":
            origin = access.cors_origin(request.headers.get("Origin"), settings.allowed_origins)
            if origin is not None:
                response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
        return response

    @app.get("/history.csv")
    def history_csv() -> Response | tuple[Response, int]:
        if not access.token_ok(settings.auth_token, request.args.get("token")):
            return jsonify({"error": "unauthorized"}), 401
        if history is None:
            abort(404)
        req = history_http.parse(request.args, time.time())
        if isinstance(req, str):
            return jsonify({"error": req}), 400
        disposition = f'attachment; filename="{history_http.filename(req)}"'
        return Response(history_http.stream(history, req), mimetype="text/csv",
                        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})

    @app.get("/metrics")
    def metrics_route() -> Response:
        if metrics is None or metrics.settings.max_series <= 0:
            abort(404)
        # A header, not ?token=: Prometheus sends it from the scrape config's `authorization`,
        # and it stays out of access logs.
        given = access.bearer_token(request.headers.get("Authorization"))
        if not access.token_ok(settings.auth_token, given):
            return Response("unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="chedweb"'},
                            mimetype="text/plain")
        body, content_type = encode(metrics.registry, request.headers.get("Accept", ""))
        return Response(body, 200, {"Cache-Control": "no-store"}, content_type=content_type)

    @app.get("/")
    def index() -> Response:
        if (web_root / "index.html").is_file():
            return send_from_directory(web_root, "index.html", max_age=0)
        return Response(_NOT_BUILT.format(root=html.escape(str(web_root))), mimetype="text/html")

    @app.get("/<path:path>")
    def static_file(path: str) -> Response:
        if not web_root.is_dir():
            abort(404)
        return send_from_directory(web_root, path)

    return app
