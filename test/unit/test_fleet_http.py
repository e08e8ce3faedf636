"""The fleet list (GET /fleet, the `fleet` parameter) and the CORS header on /config that
fleet.html needs to read another bridge's ICE servers (issue 13, item 3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chedweb_bridge import access, fleet
from chedweb_bridge.access import HostAllowlist
from chedweb_bridge.app import create_app
from chedweb_bridge.fleet import FleetSettings
from chedweb_bridge.history import History
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.peers import PeerRegistry, StreamInfo
from chedweb_bridge.signaling import Pending, Settings
from chedweb_ros import params


def test_fleet_urls_are_checked() -> None:
    good = ["http://robot2.local:8080/", "https://r3.example.org/?token=abc", "http://[::1]:80"]
    assert fleet.check(good) is None
    for bad in ("robot2:8080", "ftp://r/", "http://", "http://r:port/", "http://r/#x", "javascript:alert(1)"):
        reason = fleet.check([bad])
        assert reason is not None and repr(bad) in reason, bad
    # The parameter table uses the same rule.
    assert params.WEBRTC_BRIDGE["fleet"].check is not None
    assert params.WEBRTC_BRIDGE["fleet"].check(["ftp://x/"]) is not None
    assert params.WEBRTC_BRIDGE["fleet"].check(["http://x:1/"]) is None


def test_cors_origin_only_for_listed_origins() -> None:
    assert access.cors_origin("http://a:8080", ["http://a:8080"]) == "http://a:8080"
    assert access.cors_origin("http://A:8080", ["http://a:8080/"]) == "http://A:8080"
    assert access.cors_origin("http://evil:1", ["http://a:8080"]) is None
    assert access.cors_origin("http://evil:1", ["*"]) == "http://evil:1"
    assert access.cors_origin("http://a:8080", []) is None  # same-origin default: no CORS at all
    assert access.cors_origin(None, ["*"]) is None


@pytest.fixture
def app() -> Iterator[tuple[Any, Settings, FleetSettings]]:
    loop = LoopThread()
    loop.start()
    settings = Settings(auth_token="", allowed_origins=[])
    fleet_settings = FleetSettings(["http://r2:8080/?token=t2", " "])
    # Flask's test client sends Host: localhost, which the Host allowlist always allows.
    flask_app = create_app(loop, PeerRegistry(History(60.0), StreamInfo("h", "0", ["/diagnostics"])),
                           settings, HostAllowlist(list), Pending(16, 4), Path("/nonexistent"),
                           lambda level, text: None, fleet=fleet_settings)
    try:
        yield flask_app.test_client(), settings, fleet_settings
    finally:
        loop.stop()


def test_fleet_route_lists_the_parameter_behind_the_token(app: tuple[Any, Settings, FleetSettings]) -> None:
    client, settings, fleet_settings = app
    assert client.get("/fleet").get_json() == {"robots": ["http://r2:8080/?token=t2"]}
    settings.auth_token = "s3cret"
    assert client.get("/fleet").status_code == 401
    assert client.get("/fleet?token=s3cret").get_json() == {"robots": ["http://r2:8080/?token=t2"]}
    fleet_settings.robots = []  # the parameter changed at run time
    assert client.get("/fleet?token=s3cret").get_json() == {"robots": []}


def test_config_carries_cors_for_allowed_origins_only(app: tuple[Any, Settings, FleetSettings]) -> None:
    client, settings, _ = app
    reply = client.get("/config", headers={"Origin": "http://fleet:8080"})
    assert "Access-Control-Allow-Origin" not in reply.headers
    assert "Origin" in reply.headers.get("Vary", "")
    settings.allowed_origins = ["http://fleet:8080"]
    reply = client.get("/config", headers={"Origin": "http://fleet:8080"})
    assert reply.headers["Access-Control-Allow-Origin"] == "http://fleet:8080"
    other = client.get("/config", headers={"Origin": "http://elsewhere:8080"})
    assert "Access-Control-Allow-Origin" not in other.headers
    # Only /config: nothing else is readable cross-origin.
    assert "Access-Control-Allow-Origin" not in client.get("/healthz", headers={"Origin": "http://fleet:8080"}).headers
    # A refused /config (wrong token) carries it too, so the page can show "unauthorized".
    settings.auth_token = "x"
    refused = client.get("/config", headers={"Origin": "http://fleet:8080"})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == "http://fleet:8080"


def test_fleet_and_config_go_through_the_host_guard(app: tuple[Any, Settings, FleetSettings]) -> None:
    client, settings, _ = app
    settings.allowed_origins = ["http://fleet:8080"]
    for path in ("/fleet", "/config"):
        refused = client.get(path, headers={"Host": "rebound.example:8080", "Origin": "http://fleet:8080"})
        assert refused.status_code == 403, path
        assert "r2:8080" not in refused.get_data(as_text=True)
