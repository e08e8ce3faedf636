"""The bridge's Flask app (factory): the page, /ws signaling, /config, /healthz and /metrics.

The routes are thin: signaling is in signaling.py, access checks in access.py, and everything
WebRTC is on the loop thread (peers.py).
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, request, send_from_directory
from flask_sock import Sock

from chedweb_bridge import access, history_http
from chedweb_bridge.codec import PROTOCOL_VERSION
from chedweb_bridge.fleet import FleetSettings
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.metrics_http import MetricsEndpoint, encode
from chedweb_bridge.peers import PeerRegistry
from chedweb_bridge.signaling import Log, Settings, serve_socket
from chedweb_bridge.store.worker import StoreWorker

PING_INTERVAL_S = 10
# simple-websocket drops a connection whose frame exceeds this before we see it; frames between
# 64 KiB and this get the protocol's "message too large" error from signaling.py.
HARD_FRAME_LIMIT = 1024 * 1024

_NOT_BUILT = """<!doctype html>
<html><head><meta charset="utf-8"><title>ChedWeb: page not built</title></head>
<body><h1>ChedWeb: the page is not built</h1>
<p>The webrtc_bridge node is running, but it found no <code>index.html</code> in
<code>{root}</code>.</p>
<p>Build the page with <code>make web</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>), then reload.
<a href="/healthz">/healthz</a> shows the bridge's state.</p></body></html>
"""


def create_app(loop: LoopThread, registry: PeerRegistry, settings: Settings,
               web_root: Path, log: Log, metrics: MetricsEndpoint | None = None,
               history: StoreWorker | None = None, fleet: FleetSettings | None = None) -> Flask:
    app = Flask("chedweb_bridge", static_folder=None)
    app.config["SOCK_SERVER_OPTIONS"] = {"ping_interval": PING_INTERVAL_S,
                                         "max_message_size": HARD_FRAME_LIMIT}
    sock = Sock(app)
    started = time.monotonic()

    @sock.route("/ws")
    def ws_route(ws: Any) -> None:
        serve_socket(ws, request.environ, request.args, loop, registry, settings, log)

    @app.get("/healthz")
    def healthz() -> Response:
        stats = registry.stats
        return jsonify({
            "status": "ok",
            "peers": registry.peer_count,
            "max_peers": registry.max_peers,
            "messages_received": stats.messages_received,
            "messages_forwarded": stats.messages_forwarded,
            "drops": stats.drops,
            "stamps_replaced": stats.stamps_replaced,
            "uptime_s": round(time.monotonic() - started, 3),
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
