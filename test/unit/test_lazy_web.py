"""lazy_web.LazyWsgiApp: the real app built once, by the first request, in that request's thread
(issue 12, RSS idle). Pure: WSGI callables, no sockets."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import pytest

from chedweb_bridge.lazy_web import LazyWsgiApp


def _hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


def _call(app: Any, path: str) -> bytes:
    return b"".join(app({"PATH_INFO": path}, lambda status, headers: None))


def test_nothing_is_built_until_the_first_request_then_once() -> None:
    builds: list[str] = []
    took: list[float] = []

    def build() -> Any:
        builds.append(threading.current_thread().name)
        return _hello

    app = LazyWsgiApp(build, took.append)
    assert builds == [] and not app.built
    assert [_call(app, p) for p in ("/a", "/b", "/c")] == [b"/a", b"/b", b"/c"]
    assert builds == [threading.current_thread().name]  # in the request's own thread
    assert app.built and len(took) == 1 and took[0] >= 0


def test_concurrent_first_requests_build_it_once() -> None:
    builds = []

    def slow_build() -> Any:
        builds.append(1)
        time.sleep(0.2)
        return _hello

    app = LazyWsgiApp(slow_build, lambda s: None)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda i=i: results.append(_call(app, f"/{i}"))) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(builds) == 1
    assert sorted(results) == sorted(f"/{i}".encode() for i in range(8))


def test_a_build_that_raises_is_tried_again_by_the_next_request() -> None:
    attempts = []

    def flaky_build() -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first build failed")
        return _hello

    app = LazyWsgiApp(flaky_build, lambda s: None)
    with pytest.raises(RuntimeError, match="first build failed"):
        _call(app, "/x")
    assert not app.built
    assert _call(app, "/y") == b"/y"
    assert len(attempts) == 2
