"""A real Prometheus scrapes the real bridge fed by the real system_metrics node, and PromQL
through Prometheus's HTTP API returns system_metrics' CPU usage (issue 13, item 1)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from test.helpers.bridge_proc import HOST, Bridge
from test.helpers.metrics_proc import start_system_metrics
from test.helpers.procs import REPO, NodeProcess
from test.helpers.prometheus_proc import Prometheus, scrape_job

pytestmark = [pytest.mark.ros, pytest.mark.webrtc, pytest.mark.timeout(180)]

TOKEN = "scrape-s3cret"
CPU = 'chedweb_diagnostic_value{job="robot",hardware_id="robot-a",status=~".*: CPU",key="usage %"}'


@pytest.fixture(scope="module")
def bridge() -> Iterator[Bridge]:
    b = Bridge("webrtc_bridge-prometheus", {"auth_token": TOKEN})
    yield b
    assert b.stop() == 0, b.node.output()


@pytest.fixture(scope="module")
def system_metrics(bridge: Bridge) -> Iterator[NodeProcess]:
    node = start_system_metrics("system_metrics-prometheus", period=0.5, hardware_id="robot-a")
    bridge.wait_messages(2, timeout=30)  # the second sample is the first with CPU usage
    yield node
    node.stop()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, bridge: Bridge,
               system_metrics: NodeProcess) -> Iterator[Prometheus]:
    target = f"{HOST}:{bridge.port}"
    prom = Prometheus(Path(tmp_path_factory.mktemp("prometheus")), HOST,
                      [scrape_job("robot", target, TOKEN), scrape_job("wrong_token", target, "nope"),
                       scrape_job("no_token", target)], "prometheus")
    yield prom
    prom.stop()


def test_promql_returns_system_metrics_cpu_usage(prometheus: Prometheus, bridge: Bridge) -> None:
    (series,) = prometheus.wait_query(CPU)
    usage = float(series["value"][1])
    assert 0.0 <= usage <= 100.0
    assert series["metric"]["instance"] == f"{HOST}:{bridge.port}"
    # The level of the same status and the bridge's own counters come through the same scrape.
    (level,) = prometheus.wait_query('chedweb_diagnostic_level{job="robot",status=~".*: CPU"}')
    assert level["value"][1] == "0"  # test thresholds no machine reaches (metrics_proc.py)
    (received,) = prometheus.wait_query('chedweb_messages_received_total{job="robot"}')
    assert float(received["value"][1]) >= 2
    (ok,) = prometheus.wait_query('chedweb_bridge_state_ok{job="robot"}')
    assert ok["value"][1] == "1"
    # The durable history (a file of its own per test bridge) is writing.
    (store,) = prometheus.wait_query('chedweb_history_store{job="robot",chedweb_history_store="ok"}')
    assert store["value"][1] == "1"


def test_cpu_usage_moves_with_new_samples(prometheus: Prometheus) -> None:
    """Scrapes are live, not one frozen copy: several distinct timestamps of the value in 10 s."""
    prometheus.wait_query(CPU)
    found = prometheus.wait_query(f"count_over_time({CPU}[10s]) >= 3", timeout=20)
    assert found


def test_scrapes_without_the_bearer_token_are_refused(prometheus: Prometheus) -> None:
    prometheus.wait_query(CPU)  # the good job has scraped by now, and so have the others
    for job in ("wrong_token", "no_token"):
        (up,) = prometheus.wait_query(f'up{{job="{job}"}}')
        assert up["value"][1] == "0", job
        assert not prometheus.query(f'chedweb_diagnostic_value{{job="{job}"}}')
    health = {t["labels"]["job"]: t for t in prometheus.targets()}
    assert "401" in health["wrong_token"]["lastError"], health["wrong_token"]
    assert health["robot"]["health"] == "up"


def test_every_query_of_the_grafana_dashboard_runs(prometheus: Prometheus) -> None:
    """docs/grafana's dashboard: each panel's PromQL, variables set to "all", is valid for this
    Prometheus, and the CPU and level panels have data."""
    dashboard = json.loads((REPO / "docs" / "grafana" / "chedweb-system-metrics.json").read_text())
    prometheus.wait_query(CPU)
    found = {}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = re.sub(r"\$(job|instance|hardware_id)\b", ".*", target["expr"])
            found[panel["title"]] = prometheus.query(expr)  # raises on invalid PromQL
    assert found["CPU usage"] and found["CPU per core"] and found["Load average"], found
    assert found["Status levels (0 OK, 1 WARN, 2 ERROR, 3 STALE)"] and found["Memory used"]
    assert found["Bridge: browsers connected"]
