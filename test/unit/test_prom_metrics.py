"""The /metrics families (pure) and the route's guards, through prometheus_client's own parser."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from chedweb_bridge import access
from chedweb_bridge.access import HostAllowlist
from chedweb_bridge.app import create_app
from chedweb_bridge.history import History
from chedweb_bridge.latest import Latest, LatestStatuses
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.metrics_http import MetricsSettings, make_endpoint, store_state
from chedweb_bridge.peers import PeerRegistry, Stats, StreamInfo
from chedweb_bridge.prom_metrics import BridgeCollector, BridgeState, StoreState, families, sanitize_label
from chedweb_bridge.signaling import Pending, Settings

STATE = BridgeState(peers=2, max_peers=16, stats=Stats(messages_received=10, messages_forwarded=20, drops=1),
                    history_statuses=3, history_samples=30, history_seconds=3600.0)


def status(name: str, values: dict[str, str], level: int = 0, hardware_id: str = "robot") -> dict[str, Any]:
    return {"level": level, "name": name, "message": "m", "hardware_id": hardware_id, "values": values}


def render(latest: list[Latest], state: BridgeState | None, max_series: int = 1000) -> dict[str, Any]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BridgeCollector(lambda: (latest, state), lambda: max_series))
    text = generate_latest(registry).decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(fams: dict[str, Any], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(s.labels.items())): s.value for s in fams[name].samples}


def test_numeric_values_become_gauges_labelled_by_hardware_id_status_key() -> None:
    latest = [Latest(status("system_metrics: CPU", {"usage %": "12.5", "model": "Xeon", "cores": "2",
                                                    "bad": "nan"}, level=1), 1000.0)]
    fams = render(latest, STATE)
    values = samples(fams, "chedweb_diagnostic_value")
    assert values == {
        (("hardware_id", "robot"), ("key", "usage %"), ("status", "system_metrics: CPU")): 12.5,
        (("hardware_id", "robot"), ("key", "cores"), ("status", "system_metrics: CPU")): 2.0,
    }
    assert samples(fams, "chedweb_diagnostic_level") == {
        (("hardware_id", "robot"), ("status", "system_metrics: CPU")): 1.0}
    assert list(samples(fams, "chedweb_diagnostic_last_update_timestamp_seconds").values()) == [1000.0]
    assert samples(fams, "chedweb_bridge_state_ok") == {(): 1.0}
    assert samples(fams, "chedweb_messages_received")[()] == 10.0  # counter: _total sample
    assert fams["chedweb_messages_received"].type == "counter"
    assert samples(fams, "chedweb_peers") == {(): 2.0}
    assert samples(fams, "chedweb_history_samples") == {(): 30.0}


def test_without_loop_state_the_diagnostics_still_go_out() -> None:
    fams = render([Latest(status("a", {"x": "1"}), 1.0)], None)
    assert samples(fams, "chedweb_bridge_state_ok") == {(): 0.0}
    assert "chedweb_peers" not in fams
    assert len(samples(fams, "chedweb_diagnostic_value")) == 1


def test_label_values_are_sanitised_and_bounded() -> None:
    assert sanitize_label("a\nb\x00c\x7f") == "a b c "
    assert sanitize_label("bad \udcff byte") == "bad \ufffd byte"
    assert sanitize_label("x" * 500) == "x" * 128
    # Quotes, backslashes and non-ASCII survive the exposition format's escaping.
    latest = [Latest(status('he said "hi" \\ ü\n', {"k\tey": "3"}, hardware_id="\udcff"), 1.0)]
    fams = render(latest, STATE)
    (labels,) = samples(fams, "chedweb_diagnostic_value")
    assert labels == (("hardware_id", "\ufffd"), ("key", "k ey"), ("status", 'he said "hi" \\ ü '))


def test_series_are_capped_the_same_ones_every_scrape_and_the_rest_counted() -> None:
    latest = [Latest(status(f"s{i:03d}", {f"k{j}": str(j) for j in range(3)}), 1.0) for i in range(100)]
    fams = render(list(reversed(latest)), STATE, max_series=52)
    # Each status costs 2 (level, last update) plus one per value: 10 statuses of 5, then 2 left
    # for the 11th status's level and timestamp, none for its values.
    assert len(samples(fams, "chedweb_diagnostic_level")) == 11
    values = samples(fams, "chedweb_diagnostic_value")
    assert len(values) == 30
    assert {dict(k)["status"] for k in values} == {f"s{i:03d}" for i in range(10)}
    assert samples(fams, "chedweb_metrics_series_dropped") == {(): 100 * 5 - 52}


def test_names_equal_after_sanitising_are_exposed_once() -> None:
    latest = [Latest(status("a\nb", {"k": "1"}), 1.0), Latest(status("a\tb", {"k": "2"}), 2.0)]
    fams = render(latest, STATE)
    assert len(samples(fams, "chedweb_diagnostic_value")) == 1
    assert samples(fams, "chedweb_metrics_series_dropped") == {(): 3.0}


def test_families_is_pure_of_the_collector() -> None:
    names = [f.name for f in families([], STATE, 10)]
    assert "chedweb_diagnostic_value" in names and "chedweb_history_seconds" in names


def test_latest_statuses_keeps_the_most_recent_and_is_bounded() -> None:
    table = LatestStatuses(max_statuses=3)
    for i in range(5):
        table.update(float(i), [status(f"s{i}", {})])
    table.update(9.0, [status("s2", {"v": "1"})])
    snap = table.snapshot()
    assert [(e.status["name"], e.received) for e in snap] == [("s3", 3.0), ("s4", 4.0), ("s2", 9.0)]
    # Same name, another machine: its own entry.
    table.update(10.0, [status("s2", {}, hardware_id="other")])
    assert ("other", "s2") in {(e.status["hardware_id"], e.status["name"]) for e in table.snapshot()}


def test_bearer_token_parsing() -> None:
    assert access.bearer_token("Bearer abc") == "abc"
    assert access.bearer_token("bearer  abc ") == "abc"
    assert access.bearer_token("Basic abc") is None
    assert access.bearer_token("Bearer") is None
    assert access.bearer_token(None) is None


# ---- the route, with the real app, registry and loop thread (no socket: Flask's test client) ----

class _App:
    def __init__(self, token: str = "", max_series: int = 1000) -> None:
        self.loop = LoopThread()
        self.loop.start()
        self.peers = PeerRegistry(History(60.0), StreamInfo("host", "0", ["/diagnostics"]))
        self.latest = LatestStatuses()
        self.settings = MetricsSettings(max_series)
        endpoint = make_endpoint(self.loop, self.peers, self.latest, self.settings)
        # Flask's test client sends Host: localhost, which the Host allowlist always allows.
        app = create_app(self.loop, self.peers, Settings(auth_token=token, allowed_origins=[]),
                         HostAllowlist(list), Pending(16, 4), Path("/nonexistent"),
                         lambda level, text: None, endpoint)
        self.client = app.test_client()

    def close(self) -> None:
        self.loop.stop()


def test_route_needs_the_bearer_token_when_one_is_set() -> None:
    app = _App(token="s3cret")
    try:
        app.latest.update(5.0, [status("system_metrics: CPU", {"usage %": "42.0"})])
        assert app.client.get("/metrics").status_code == 401
        assert app.client.get("/metrics?token=s3cret").status_code == 401  # header only
        assert app.client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        reply = app.client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert reply.status_code == 200
        assert reply.content_type.startswith("text/plain")
        line = 'chedweb_diagnostic_value{hardware_id="robot",key="usage %",status="system_metrics: CPU"} 42.0'
        assert line in reply.get_data(as_text=True)
        # Prometheus asks for OpenMetrics and gets it, with its # EOF.
        om = app.client.get("/metrics", headers={"Authorization": "Bearer s3cret",
                                                 "Accept": "application/openmetrics-text; version=1.0.0"})
        assert om.content_type.startswith("application/openmetrics-text")
        names = {f.name for f in parse_openmetrics(om.get_data(as_text=True))}
        assert {"chedweb_diagnostic_value", "chedweb_messages_received"} <= names
    finally:
        app.close()


def test_healthz_and_metrics_report_the_registrys_counters() -> None:
    """The counters are named once (peers.Stats): /healthz gives each, /metrics its families."""
    app = _App()
    try:
        stats = app.peers.stats
        stats.messages_received, stats.messages_forwarded, stats.drops, stats.stamps_replaced = 7, 5, 3, 2
        health = app.client.get("/healthz").get_json()
        assert {k: health[k] for k in ("messages_received", "messages_forwarded", "drops",
                                       "stamps_replaced")} == {
            "messages_received": 7, "messages_forwarded": 5, "drops": 3, "stamps_replaced": 2}
        text = app.client.get("/metrics").get_data(as_text=True)
        fams = {f.name: f for f in text_string_to_metric_families(text)}
        assert [samples(fams, f"chedweb_{k}")[()] for k in ("messages_received", "messages_forwarded",
                                                             "drops")] == [7.0, 5.0, 3.0]
    finally:
        app.close()


def test_route_is_off_when_max_series_is_zero() -> None:
    app = _App(max_series=0)
    try:
        assert app.client.get("/metrics").status_code == 404
        app.settings.max_series = 5
        assert app.client.get("/metrics").status_code == 200
    finally:
        app.close()


def test_a_blocked_loop_costs_the_scrape_its_counters_not_its_diagnostics() -> None:
    app = _App()
    release = threading.Event()
    try:
        app.latest.update(5.0, [status("s", {"v": "1"})])
        text = app.client.get("/metrics").get_data(as_text=True)
        fams = {f.name for f in text_string_to_metric_families(text)}
        assert "chedweb_peers" in fams
        app.loop.call_soon(release.wait, 5.0)  # the loop thread is now stuck for up to 5 s
        started = time.monotonic()
        text = app.client.get("/metrics").get_data(as_text=True)
        assert time.monotonic() - started < 2.5
        assert "chedweb_bridge_state_ok 0.0" in text
        assert 'chedweb_diagnostic_value{hardware_id="robot",key="v",status="s"} 1.0' in text
    finally:
        release.set()
        app.close()


def test_history_store_state_size_and_drops() -> None:
    registry = CollectorRegistry(auto_describe=False)
    store = StoreState(state="paused", bytes=1000, budget_bytes=5000, dropped=7)
    registry.register(BridgeCollector(lambda: ([], STATE), lambda: 10, lambda: store))
    fams = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    states = samples(fams, "chedweb_history_store")
    assert states == {(("chedweb_history_store", s),): float(s == "paused")
                      for s in ("starting", "ok", "paused", "memory only")}
    assert samples(fams, "chedweb_history_store_bytes") == {(): 1000.0}
    assert samples(fams, "chedweb_history_store_budget_bytes") == {(): 5000.0}
    assert samples(fams, "chedweb_history_store_dropped") == {(): 7.0}
    # A state the table does not know yet still shows, as the current one.
    odd = families([], None, 10, StoreState("read only", 0, 0, 0))
    (family,) = [f for f in odd if f.name == "chedweb_history_store"]
    assert {s.labels["chedweb_history_store"]: s.value for s in family.samples}["read only"] == 1
    # From the worker's health() dict, as /healthz shows it.
    assert store_state({"state": "ok", "reason": "", "path": "/x", "bytes": 3, "budget_bytes": 4,
                        "dropped": 0}) == StoreState("ok", 3, 4, 0)


def test_route_goes_through_the_host_guard_of_every_route() -> None:
    """DNS rebinding: a page of another site must not read /metrics through a name re-pointed at
    the robot (net's Host allowlist, before every route)."""
    app = _App()
    try:
        assert app.client.get("/metrics").status_code == 200  # Host: localhost
        refused = app.client.get("/metrics", headers={"Host": "rebound.example:8080"})
        assert refused.status_code == 403 and "chedweb_" not in refused.get_data(as_text=True)
    finally:
        app.close()
