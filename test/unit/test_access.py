"""Host allowlist, Origin check and the start-up warning (chedweb_bridge/access.py), and the
slot limiter (limits.py): pure, driven directly."""

from __future__ import annotations

import threading
import time

import pytest

from chedweb_bridge import access
from chedweb_bridge.access import HostAllowlist, split_host_header
from chedweb_bridge.limits import LogThrottle, SlotLimiter


def test_origin_same_origin_compares_scheme_host_and_port() -> None:
    assert access.origin_ok("http://robot:8080", "http", "robot:8080", [])
    assert access.origin_ok("http://ROBOT:8080", "http", "robot:8080", [])
    assert access.origin_ok("http://robot", "http", "robot:80", [])  # default ports on both sides
    assert access.origin_ok("http://[::1]:8080", "http", "[0:0::1]:8080", [])
    assert not access.origin_ok("http://evil:8080", "http", "robot:8080", [])
    assert not access.origin_ok("http://robot:9090", "http", "robot:8080", [])
    assert not access.origin_ok("https://robot:8080", "http", "robot:8080", [])  # the scheme too
    assert not access.origin_ok("http://robot:8080", "http", None, [])
    assert not access.origin_ok("null", "http", "robot:8080", [])  # sandboxed frame, file://
    assert access.origin_ok(None, "http", "robot:8080", [])  # not a web page: no cross-site risk


def test_origin_that_only_starts_or_ends_like_an_allowed_one_is_refused() -> None:
    # A prefix (or suffix) comparison passes "https://ops.example.org.evil.example".
    allowed = ["https://ops.example.org"]
    assert access.origin_ok("https://ops.example.org", "http", "robot:8080", allowed)
    assert access.origin_ok("https://OPS.example.org:443/", "http", "robot:8080", allowed)
    for evil in ("https://ops.example.org.evil.example", "https://ops.example.org:4443",
                 "https://ops.example.orgx", "http://ops.example.org", "https://xops.example.org",
                 "https://ops.example.org@evil.example"):
        assert not access.origin_ok(evil, "http", "robot:8080", allowed), evil
    # Same-origin mode: an Origin that starts with the Host is not the same origin either.
    assert not access.origin_ok("http://robot:8080.evil.example", "http", "robot:8080", [])
    assert not access.origin_ok("http://robot:80801", "http", "robot:8080", [])
    assert access.origin_ok("http://anything", "http", "robot:8080", ["*"])


def test_host_header_parsing() -> None:
    assert split_host_header("Robot.Local.:8080") == ("robot.local", 8080)
    assert split_host_header("[::1]:8080") == ("::1", 8080)
    assert split_host_header("[::1]") == ("::1", None)
    assert split_host_header("198.18.0.1") == ("198.18.0.1", None)
    for bad in (None, "", "::1", "a b", "robot:", "robot:0", "robot:70000", "robot:x", "evil/x",
                "user@robot", "[::1", "[::1]x"):
        assert split_host_header(bad) is None, bad


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_host_allowlist_is_this_machine_plus_extra_any_port() -> None:
    names = ["robot", "robot.local", "198.18.0.1", "fe80::1%eth0"]
    hosts = HostAllowlist(lambda: names, ["ops.example.org"], clock=_Clock())
    for ok in ("robot:8080", "ROBOT", "robot.local:1", "198.18.0.1:8080", "localhost:8080",
               "127.0.0.1", "[::1]:8080", "[fe80::1]:8080", "ops.example.org:443"):
        assert hosts.allows(ok), ok
    for bad in ("evil:8080", "evil", "robot.evil.example", "198.18.0.2", None, "", "robot.local.evil"):
        assert not hosts.allows(bad), bad
    hosts.set_extra(["*"])
    assert hosts.allows("evil:8080")
    assert not hosts.allows(None)  # no Host at all is never allowed


def test_host_allowlist_rereads_addresses_on_a_miss_at_most_every_period() -> None:
    clock = _Clock()
    names = ["robot"]
    reads = []

    def local() -> list[str]:
        reads.append(clock.now)
        return list(names)

    hosts = HostAllowlist(local, clock=clock)
    assert reads == []  # not at construction: the first request that needs them reads them
    assert hosts.allows("localhost:8080") and reads == []  # loopback needs no read
    assert hosts.allows("robot:8080") and reads == [clock.now]
    names.append("10.0.0.7")  # an interface came up after start
    clock.now += 1
    assert not hosts.allows("10.0.0.7")  # read less than REFRESH_PERIOD_S ago
    clock.now += access.REFRESH_PERIOD_S
    for _ in range(100):  # a flood of misses costs one read
        assert not hosts.allows("evil")
    assert hosts.allows("10.0.0.7")
    assert len(reads) == 2


def test_host_entries() -> None:
    for ok in ("*", "robot.example.org", "10.0.0.7", "::1", "[::1]"):
        assert access.host_entry_ok(ok), ok
    for bad in ("robot:8080", "http://robot", "", "a b"):
        assert not access.host_entry_ok(bad), bad


def test_exposure_warning_only_when_open_and_beyond_loopback() -> None:
    assert access.exposure_warning("0.0.0.0", 8080, "") is not None
    assert "0.0.0.0:8080" in str(access.exposure_warning("0.0.0.0", 8080, ""))
    assert access.exposure_warning("198.18.0.1", 8080, "") is not None
    assert access.exposure_warning("0.0.0.0", 8080, "s3cret") is None
    for loopback in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert access.exposure_warning(loopback, 8080, "") is None, loopback


def test_slot_limiter_bounds_total_and_per_address() -> None:
    slots = SlotLimiter(total=3, per_address=2, what="sockets")
    assert slots.acquire("a") is None and slots.acquire("a") is None
    assert "from a (at most 2)" in str(slots.acquire("a"))
    assert slots.acquire("b") is None
    assert "too many sockets (at most 3)" in str(slots.acquire("c"))
    slots.release("a")
    assert slots.acquire("c") is None and slots.count == 3
    slots.release("zzz")  # never acquired: ignored
    assert slots.count == 3


@pytest.mark.parametrize(("headers", "problem"), [
    ({}, "a WebSocket upgrade must be a GET"),
    ({"REQUEST_METHOD": "GET"}, "not a WebSocket upgrade"),
    ({"REQUEST_METHOD": "GET", "HTTP_CONNECTION": "keep-alive, Upgrade", "HTTP_UPGRADE": "websocket",
      "HTTP_SEC_WEBSOCKET_VERSION": "8", "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ=="},
     "unsupported Sec-WebSocket-Version"),
    ({"REQUEST_METHOD": "GET", "HTTP_CONNECTION": "Upgrade", "HTTP_UPGRADE": "websocket",
      "HTTP_SEC_WEBSOCKET_VERSION": "13"}, "missing or invalid Sec-WebSocket-Key"),
    ({"REQUEST_METHOD": "GET", "HTTP_CONNECTION": "Upgrade", "HTTP_UPGRADE": "websocket",
      "HTTP_SEC_WEBSOCKET_VERSION": "13", "HTTP_SEC_WEBSOCKET_KEY": "c2hvcnQ="},
     "missing or invalid Sec-WebSocket-Key"),
    ({"REQUEST_METHOD": "GET", "HTTP_CONNECTION": "Upgrade", "HTTP_UPGRADE": "WebSocket",
      "HTTP_SEC_WEBSOCKET_VERSION": "13", "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ=="}, None),
])
def test_upgrade_problem(headers: dict[str, str], problem: str | None) -> None:
    from chedweb_bridge.upgrade import upgrade_problem

    found = upgrade_problem(headers)
    assert (found is None) if problem is None else (found is not None and problem in found), found


def test_head_complete() -> None:
    from chedweb_bridge.http_server import head_complete

    assert head_complete(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert not head_complete(b"GET / HTTP/1.1\r\nHost: a\r\n")
    assert not head_complete(b"")


def test_log_throttle_logs_one_line_a_period_with_the_count_left_out() -> None:
    clock = _Clock()
    throttle = LogThrottle(10.0, clock=clock)
    assert throttle.text("refused") == "refused"
    assert [throttle.text("refused") for _ in range(5)] == [None] * 5
    clock.now += 10.0
    assert throttle.text("refused") == "refused (and 5 more like it before this one)"
    assert throttle.text("refused") is None


def test_requests_arriving_while_the_addresses_are_read_wait_for_them() -> None:
    # The first requests come together (a page's parallel fetches, four clients at once): the
    # ones that arrive while the first reads the addresses (psutil's import, ~20 ms) must be
    # answered with what it reads, not refused as if the names had been read without theirs.
    reading = threading.Event()

    def slow_local() -> list[str]:
        reading.set()
        time.sleep(0.3)
        return ["198.18.0.1"]

    hosts = HostAllowlist(slow_local)
    answers: list[bool] = []
    first = threading.Thread(target=lambda: answers.append(hosts.allows("198.18.0.1:8080")))
    first.start()
    assert reading.wait(5)
    assert hosts.allows("198.18.0.1:8080")  # arrived during the read
    first.join()
    assert answers == [True]
