"""The Flask app, built by the first HTTP request instead of at start-up (issue 12, RSS idle).

Why: Flask with Jinja, click, blinker, itsdangerous and flask-sock, and the app built on them,
were 5.6-6.8 MiB of an idle bridge's RSS (docs/benchmarks.md, "The web app built by the first
request"), for a robot that no browser, probe or scraper has asked anything yet. The server
listens from start-up as before (werkzeug's, http_server.py): only the app behind it waits. The
first request pays the import, ~0.1 s here, once; every later request goes straight to the app.

The build runs in the request's own handler thread (werkzeug's, one per connection), never on the
loop that owns the peers: no peer can exist before it, since a peer needs /ws, which is the app's.
Concurrent first requests build it once (a lock); a build that raises is left unbuilt and answered
like any error in the app (werkzeug's 500 and traceback: a bug to see), and the next request tries
again. A missing Flask is still found at start-up (webrtc_bridge_node.py checks the install).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from chedweb_ros.long_lived import freeze_long_lived

# PEP 3333's application: (environ, start_response) -> the body's byte strings.
WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LazyWsgiApp:
    """A WSGI app that builds the real one with `build` on its first call."""

    def __init__(self, build: Callable[[], WSGIApplication], on_built: Callable[[float], None]) -> None:
        self._build = build
        self._on_built = on_built  # seconds the build took: logged by the node
        self._lock = threading.Lock()
        self._app: WSGIApplication | None = None

    @property
    def built(self) -> bool:
        return self._app is not None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self._app
        if app is None:
            app = self._built_app()
        return app(environ, start_response)

    def _built_app(self) -> WSGIApplication:
        with self._lock:
            if self._app is None:
                started = time.monotonic()
                app = self._build()
                # Flask's modules live as long as the process, like start-up's: frozen so the
                # cyclic GC's full collections walk the peers, not this code (long_lived.py).
                freeze_long_lived()
                self._app = app
                self._on_built(time.monotonic() - started)
            return self._app
