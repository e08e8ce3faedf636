"""The bridge's routes as werkzeug's test client sees them (app.py dispatches by path itself):
the page's files, a method other than GET and HEAD, a path that is no file, a path that leaves
the page's directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chedweb_bridge.access import HostAllowlist
from chedweb_bridge.app import create_app
from chedweb_bridge.history import History
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.peers import PeerRegistry, StreamInfo
from chedweb_bridge.signaling import Pending, Settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    (tmp_path / "index.html").write_text("<!doctype html><title>page</title>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("not the page's")
    loop = LoopThread()
    loop.start()
    app = create_app(loop, PeerRegistry(History(60.0), StreamInfo("h", "0", ["/diagnostics"])),
                     Settings(), HostAllowlist(list), Pending(16, 4), tmp_path, lambda level, text: None)
    try:
        yield app.test_client()  # Host: localhost, which the allowlist always allows
    finally:
        loop.stop()


def test_the_page_and_its_files(client: Any) -> None:
    index = client.get("/")
    assert index.status_code == 200 and b"<title>page</title>" in index.data
    assert index.headers["Content-Type"].startswith("text/html")
    script = client.get("/assets/app.js")
    assert script.status_code == 200 and script.data == b"console.log(1)"
    assert client.get("/assets/none.js").status_code == 404
    assert client.get("/../secret.txt").status_code == 404
    assert client.get("/assets/../../secret.txt").status_code == 404


def test_only_get_and_head(client: Any) -> None:
    head = client.head("/healthz")
    assert head.status_code == 200 and head.data == b""
    for path in ("/healthz", "/config", "/", "/assets/app.js"):
        refused = client.post(path)
        assert refused.status_code == 405, path
        assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD"}


def test_json_routes(client: Any) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.headers["Content-Type"] == "application/json"
    assert health.get_json()["status"] == "ok"
    assert client.get("/config").get_json()["protocol"] >= 2
    assert client.get("/ws").status_code == 400  # not an upgrade
