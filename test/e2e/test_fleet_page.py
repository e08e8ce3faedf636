"""The fleet overview (issue 13, item 3) in Chromium with three real bridges in the test
namespace, each fed on its own topic: bridge A serves fleet.html and lists B and C through its
`fleet` parameter; B and C allow A's origin (allowed_origins, which also grants /config's CORS
header); C has an auth_token, carried in its URL. The browser connects to each bridge itself."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from test.helpers.bridge_proc import HOST, Bridge
from test.helpers.free_port import free_port
from test.helpers.procs import NodeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

TILE = '[data-testid="robot-tile"]'


def publisher(topic: str, levels: str, statuses: int, prefix: str) -> NodeProcess:
    """A free-running rclpy publisher at 2 Hz on `topic`."""
    return NodeProcess([sys.executable, "-m", "test.helpers.ros_publisher", "--topic", topic, "--rate", "2",
                        "--count", "0", "--levels", levels, "--statuses", str(statuses),
                        "--name-prefix", prefix], f"fleet-pub-{prefix}")


class Fleet:
    def __init__(self) -> None:
        self.procs: list[Any] = []
        port_a, port_b, port_c = (free_port(HOST) for _ in range(3))
        self.origin_a = f"http://{HOST}:{port_a}"
        # A non-empty allowed_origins replaces the same-origin default: each bridge lists its
        # own origin too, or its own page could no longer open /ws (README, Fleet overview).
        self.b = self._start(Bridge("fleet-bridge-b", {"topics": ["/robot_b/diagnostics"],
                                                       "allowed_origins": self.allow(port_b)}, port=port_b))
        self.c = self._start(Bridge("fleet-bridge-c", {"topics": ["/robot_c/diagnostics"],
                                                       "auth_token": "c-token",
                                                       "allowed_origins": self.allow(port_c)}, port=port_c))
        self.c_url = self.c.url + "?token=c-token"
        self.a = self._start(Bridge("fleet-bridge-a", {"topics": ["/robot_a/diagnostics"],
                                                       "fleet": [self.b.url, self.c_url]}, port=port_a))
        self.pubs = [self._start(publisher("/robot_a/diagnostics", "0", 2, "robot_a")),
                     self._start(publisher("/robot_b/diagnostics", "0,1", 2, "robot_b")),
                     self._start(publisher("/robot_c/diagnostics", "2", 1, "robot_c"))]
        for bridge in (self.a, self.b, self.c):
            bridge.wait_messages(1, timeout=30)

    def allow(self, own_port: int) -> list[str]:
        return [self.origin_a, f"http://{HOST}:{own_port}"]

    def _start(self, proc: Any) -> Any:
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    f = Fleet()
    try:
        yield f
    finally:
        f.stop()


def tiles(page: Any) -> dict[str, dict[str, Any]]:
    return {t["url"]: t for t in page.evaluate("window.chedwebFleet.tiles()")}


def wait_tiles(page: Any, condition: str, timeout_ms: float = 20_000) -> None:
    page.wait_for_function(f"() => {{ const t = window.chedwebFleet.tiles(); return {condition}; }}",
                           timeout=timeout_ms)


def test_three_bridges_one_page_each_its_own_connection(page: Any, fleet: Fleet) -> None:
    page.goto(fleet.a.url + "fleet.html")
    # A itself, then its `fleet` parameter's B and C; each live with its own worst level.
    wait_tiles(page, "t.length === 3 && t.every((x) => x.online && x.level !== '—')")
    by_url = tiles(page)
    assert list(by_url) == [fleet.a.url, fleet.b.url, fleet.c_url]
    assert [(t["level"], t["alerts"]) for t in by_url.values()] == [("OK", 0), ("WARN", 1), ("ERROR", 1)]
    assert all(t["name"] for t in by_url.values())
    dom = page.locator(TILE)
    assert dom.count() == 3
    assert [dom.nth(i).get_attribute("data-level") for i in range(3)] == ["OK", "WARN", "ERROR"]
    assert dom.nth(2).get_attribute("data-alerts") == "1"
    assert "last seen" in dom.nth(1).inner_text()
    # Each robot's own RTCPeerConnection, from this browser to its bridge: no relay through A.
    assert [b.health()["peers"] for b in (fleet.a, fleet.b, fleet.c)] == [1, 1, 1]


def test_a_bridge_that_stops_goes_offline_with_its_last_seen(page: Any, fleet: Fleet) -> None:
    page.goto(fleet.a.url + "fleet.html")
    # B's level must have been seen before it stops: online alone can come first (a loaded machine
    # showed "—" then), and the test is about the last level staying shown.
    wait_tiles(page, f"t.length === 3 && t.every((x) => x.online) && "
                     f"t.find((x) => x.url === {fleet.b.url!r}).level === 'WARN'")
    fleet.b.stop()
    try:
        wait_tiles(page, f"!t.find((x) => x.url === {fleet.b.url!r}).online", timeout_ms=20_000)
        b = tiles(page)[fleet.b.url]
        assert b["lastSeen"] != "never" and b["level"] == "WARN"  # the last level seen stays shown
        assert page.locator(f'{TILE}[data-url="{fleet.b.url}"]').get_attribute("data-state") == "offline"
        assert tiles(page)[fleet.a.url]["online"] and tiles(page)[fleet.c_url]["online"]
    finally:
        # B back on its port for the tests after this one.
        fleet.b = Bridge("fleet-bridge-b2", {"topics": ["/robot_b/diagnostics"],
                                             "allowed_origins": fleet.allow(fleet.b.port)}, port=fleet.b.port)
        fleet.procs.append(fleet.b)
    wait_tiles(page, f"t.find((x) => x.url === {fleet.b.url!r}).online", timeout_ms=30_000)


def test_clicking_a_tile_opens_that_robots_page_with_its_token(page: Any, fleet: Fleet) -> None:
    page.goto(fleet.a.url + "fleet.html")
    wait_tiles(page, "t.length === 3 && t.every((x) => x.online)")
    page.locator(f'{TILE}[data-url="{fleet.c_url}"] [data-testid="tile-link"]').click()
    page.wait_for_url(fleet.c_url)
    page.wait_for_function("() => window.chedweb.stats().counters.hello === 1", timeout=10_000)


def test_user_added_robots_persist_and_share_as_a_link(browser: Any, page: Any, fleet: Fleet) -> None:
    """A fleet page without B and C in the bridge's list: the user adds C by hand (it lands in the
    address and localStorage), a reload keeps it, and the link opens the same fleet elsewhere."""
    page.goto(fleet.b.url + "fleet.html")  # B lists no fleet; C allows only A's origin ...
    wait_tiles(page, "t.length === 1 && t[0].online")
    page.fill('[data-testid="fleet-input"]', "not a url at all ::")
    page.click('[data-testid="fleet-add"] button')
    assert page.inner_text('[data-testid="fleet-error"]').startswith("not a bridge URL")
    page.fill('[data-testid="fleet-input"]', fleet.c_url)
    page.click('[data-testid="fleet-add"] button')
    wait_tiles(page, "t.length === 2")
    # ... so from B's page, C is refused: offline, saying why (its /config has no CORS for B).
    wait_tiles(page, f"t[1].url === {fleet.c_url!r} && !t[1].online && t[1].detail !== 'connecting'")
    shared = page.get_attribute('[data-testid="fleet-share"]', "href")
    assert shared is not None and "robot=" in shared and page.url == shared
    stored = page.evaluate("localStorage.getItem('chedweb.fleet.robots')")
    assert fleet.c_url in stored
    page.reload()
    wait_tiles(page, f"t.length === 2 && t[1].url === {fleet.c_url!r}")
    page.click(f'{TILE}[data-url="{fleet.c_url}"] [data-testid="tile-remove"]')
    wait_tiles(page, "t.length === 1")
    assert "robot=" not in page.url
    # The shared link, in a fresh browser context (empty localStorage), on A (allowed by C):
    other = browser.new_context()
    try:
        fresh = other.new_page()
        fresh.goto(shared.replace(fleet.b.url, fleet.a.url))
        fresh.wait_for_function(
            f"() => window.chedwebFleet.tiles().some((x) => x.url === {fleet.c_url!r} && x.online)",
            timeout=20_000)
        assert fresh.evaluate("localStorage.getItem('chedweb.fleet.robots')") is not None
    finally:
        other.close()
