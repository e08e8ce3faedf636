"""GET /metrics glue (thin): reads the bridge at scrape time and encodes with prometheus_client.

A scrape runs in an HTTP handler thread. The latest statuses come from LatestStatuses (its own
lock, never the loop's structures). The peer and history counters belong to the asyncio loop
thread, so they are copied there by a few attribute reads scheduled on the loop and waited for
with a short timeout: the loop does no encoding for a scrape, and a busy loop costs the scrape
its counters (chedweb_bridge_state_ok 0), never the loop its time.

prometheus_client (~1.4 MiB of RSS here) is imported by the first scrape, in its HTTP thread,
not at start-up: a bridge that nobody scrapes never loads it (issue 12, RSS idle).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from chedweb_bridge.latest import Latest, LatestStatuses
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.peers import PeerRegistry
from chedweb_bridge.prom_metrics import DEFAULT_MAX_SERIES, BridgeCollector, BridgeState, StoreState

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

STATE_TIMEOUT_S = 1.0


@dataclass
class MetricsSettings:
    # 0 turns /metrics off (404). A plain attribute: the parameter callback stores, scrapes read.
    max_series: int = DEFAULT_MAX_SERIES


@dataclass
class MetricsEndpoint:
    make_registry: Callable[[], CollectorRegistry]
    settings: MetricsSettings
    _registry: CollectorRegistry | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def registry(self) -> CollectorRegistry:
        """Made by the first scrape (HTTP threads only: the import must never run on the loop)."""
        with self._lock:
            if self._registry is None:
                self._registry = self.make_registry()
            return self._registry


async def _copy_state(peers: PeerRegistry) -> BridgeState:
    """Runs on the loop: only reads, O(statuses held) for the history's sample count."""
    history = peers.history
    return BridgeState(peers=peers.peer_count, max_peers=peers.max_peers, stats=replace(peers.stats),
                       history_statuses=len(history), history_samples=history.sample_count(),
                       history_seconds=float(history.history_seconds))


def store_state(health: Mapping[str, Any]) -> StoreState:
    return StoreState(state=str(health.get("state", "")), bytes=int(health.get("bytes", 0)),
                      budget_bytes=int(health.get("budget_bytes", 0)), dropped=int(health.get("dropped", 0)))


def make_endpoint(loop: LoopThread, peers: PeerRegistry, latest: LatestStatuses,
                  settings: MetricsSettings,
                  store_health: Callable[[], Mapping[str, Any]] | None = None) -> MetricsEndpoint:
    """`store_health`: the durable history's StoreWorker.health (attribute reads, safe from the
    HTTP thread, as /healthz calls it)."""
    def read() -> tuple[Sequence[Latest], BridgeState | None]:
        try:
            state: BridgeState | None = loop.run(_copy_state(peers), STATE_TIMEOUT_S)
        except (TimeoutError, RuntimeError):  # busy, or stopping
            state = None
        return latest.snapshot(), state

    def make_registry() -> CollectorRegistry:
        from prometheus_client import CollectorRegistry

        # auto_describe=False: registering must not call collect() (the loop may not run yet).
        registry = CollectorRegistry(auto_describe=False)
        registry.register(BridgeCollector(read, lambda: settings.max_series,
                                          lambda: store_state(store_health()) if store_health else None))
        return registry

    return MetricsEndpoint(make_registry, settings)


def encode(registry: CollectorRegistry, accept: str) -> tuple[bytes, str]:
    """The body and its content type: OpenMetrics when the scraper asks for it (Prometheus does),
    else the classic text format."""
    from prometheus_client.exposition import choose_encoder

    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type
