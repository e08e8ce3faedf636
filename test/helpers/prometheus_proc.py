"""A real Prometheus server (Debian's `prometheus`) as a child process, with a config file and a
TSDB directory the test writes, listening on the test namespace's address. Queries go through
its HTTP API (/api/v1/query), as Grafana's do."""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from test.helpers.free_port import free_port
from test.helpers.procs import NodeProcess


def scrape_job(name: str, target: str, token: str | None = None) -> dict[str, Any]:
    job: dict[str, Any] = {"job_name": name, "metrics_path": "/metrics",
                           "static_configs": [{"targets": [target]}]}
    if token is not None:
        job["authorization"] = {"type": "Bearer", "credentials": token}
    return job


class Prometheus:
    def __init__(self, workdir: Path, host: str, jobs: Sequence[dict[str, Any]], log_name: str) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise FileNotFoundError("prometheus not found: `make system-deps` installs Debian's prometheus")
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "prometheus.yml"
        # JSON is YAML: the config is written without a YAML library.
        config.write_text(json.dumps({"global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                                      "scrape_configs": list(jobs)}, indent=1))
        self.url = f"http://{host}:{free_port(host)}/"
        self.node = NodeProcess([binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
                                 f"--web.listen-address={self.url[7:-1]}"], log_name)
        try:
            self.node.wait_for_output("Server is ready to receive web requests", timeout=30)
        except AssertionError:
            self.node.stop()
            raise

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result vector (raises on an API error)."""
        url = self.url + "api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=5) as reply:
            body = json.load(reply)
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def wait_query(self, promql: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Polls until the query returns at least one series (scrapes are every second)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(promql)
            if result:
                return result
            time.sleep(0.5)
        raise AssertionError(f"{promql!r} returned nothing in {timeout} s; targets: {self.targets()}\n"
                             f"{self.node.output()[-3000:]}")

    def targets(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.url + "api/v1/targets", timeout=5) as reply:
            active: list[dict[str, Any]] = json.load(reply)["data"]["activeTargets"]
            return active

    def stop(self) -> int:
        return self.node.stop()
