"""What GET /metrics exposes (pure): the latest diagnostics and the bridge's state as Prometheus
metric families, built with the official prometheus_client types.

One family per kind of value, labelled by hardware_id, status and key, rather than one metric
name per key: ROS keys are free text ("usage %", "core 0 %"), and a name made from them would
collide after sanitising and change whenever a node renames a key. Label values are sanitised
(no control characters, valid UTF-8, bounded length) and the number of series is capped by
`max_series`, so a node that publishes random names cannot make a fleet's Prometheus explode.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chedweb_bridge.codec import numeric_value
from chedweb_bridge.latest import Latest

# prometheus_client is imported by the first scrape (in its HTTP thread), not at start-up: a
# bridge nobody scrapes never loads it (issue 12, RSS idle; metrics_http.py).
if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from chedweb_bridge.peers import Stats  # for the annotation only: this module stays pure

PREFIX = "chedweb_"
MAX_LABEL_CHARS = 128
DEFAULT_MAX_SERIES = 10_000


@dataclass(frozen=True)
class BridgeState:
    """The bridge's own counters, copied on the loop thread that owns them (metrics_http.py)."""
    peers: int
    max_peers: int
    stats: Stats  # a copy
    history_statuses: int
    history_samples: int
    history_seconds: float


# The durable history's states (store/worker.py); one it does not list yet is exposed as well.
STORE_STATES = ("starting", "ok", "paused", "memory only")


@dataclass(frozen=True)
class StoreState:
    """The durable history's health (StoreWorker.health(), plain attribute reads)."""
    state: str
    bytes: int
    budget_bytes: int
    dropped: int


def sanitize_label(text: object, limit: int = MAX_LABEL_CHARS) -> str:
    """A label value Prometheus stores as sent and a dashboard shows on one line: control
    characters become spaces, lone surrogates (undecodable bytes) become U+FFFD, and the text is
    cut to `limit` characters."""
    out = []
    for ch in str(text)[:limit]:
        category = unicodedata.category(ch)
        if category == "Cs":
            out.append("\ufffd")
        elif category == "Cc":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def families(latest: Sequence[Latest], state: BridgeState | None, max_series: int,
             store: StoreState | None = None) -> list[Metric]:
    """The metric families of one scrape. `state` None: the loop did not answer in time, so the
    bridge's counters are left out (chedweb_bridge_state_ok 0) while the diagnostics still go out.
    """
    from prometheus_client.core import GaugeMetricFamily
    value = GaugeMetricFamily(f"{PREFIX}diagnostic_value",
                              "A numeric DiagnosticStatus value (KeyValue parsed as a number)",
                              labels=["hardware_id", "status", "key"])
    level = GaugeMetricFamily(f"{PREFIX}diagnostic_level",
                              "DiagnosticStatus level: 0 OK, 1 WARN, 2 ERROR, 3 STALE",
                              labels=["hardware_id", "status"])
    updated = GaugeMetricFamily(f"{PREFIX}diagnostic_last_update_timestamp_seconds",
                                "When the bridge last received this status (its own clock)",
                                labels=["hardware_id", "status"])
    budget = max_series
    dropped = 0
    seen: set[tuple[str, ...]] = set()
    # Sorted, so that the same series are kept scrape after scrape when the cap bites.
    for entry in sorted(latest, key=lambda e: (str(e.status["hardware_id"]), str(e.status["name"]))):
        status = entry.status
        numbers = [(sanitize_label(k), v) for k, v in _numbers(status["values"])]
        labels = (sanitize_label(status["hardware_id"]), sanitize_label(status["name"]))
        if budget < 2 or labels in seen:  # two names that sanitise alike: the first one wins
            dropped += 2 + len(numbers)
            continue
        seen.add(labels)
        budget -= 2
        level.add_metric(list(labels), float(int(status["level"])))
        updated.add_metric(list(labels), entry.received)
        for key, number in numbers:
            series = (*labels, key)
            if budget < 1 or series in seen:
                dropped += 1
                continue
            seen.add(series)
            budget -= 1
            value.add_metric(list(series), number)
    out: list[Metric] = [value, level, updated,
                         GaugeMetricFamily(f"{PREFIX}metrics_series_dropped",
                                           "Series left out of this scrape by metrics_max_series "
                                           "or as duplicates after sanitising", value=dropped),
                         GaugeMetricFamily(f"{PREFIX}bridge_state_ok",
                                           "1 when the bridge's counters below are in this scrape",
                                           value=0 if state is None else 1)]
    if state is not None:
        out += _state_families(state)
    if store is not None:
        out += _store_families(store)
    return out


def _store_families(s: StoreState) -> list[Metric]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, StateSetMetricFamily
    states = dict.fromkeys((*STORE_STATES, sanitize_label(s.state)), False)
    states[sanitize_label(s.state)] = True
    return [
        # A state set: one series per state, 1 for the current one, so an alert rule can say
        # chedweb_history_store{chedweb_history_store="paused"} == 1 (the disk is full).
        StateSetMetricFamily(f"{PREFIX}history_store", "The durable history's state", value=states),
        GaugeMetricFamily(f"{PREFIX}history_store_bytes", "Size of the history file and its WAL",
                          value=s.bytes),
        GaugeMetricFamily(f"{PREFIX}history_store_budget_bytes", "The history_budget_mb parameter, in bytes",
                          value=s.budget_bytes),
        CounterMetricFamily(f"{PREFIX}history_store_dropped", "DiagnosticArrays the store could not keep",
                            value=s.dropped),
    ]


def _numbers(values: dict[str, str]) -> Iterable[tuple[str, float]]:
    for key, text in values.items():
        number = numeric_value(text)  # the numeric-string rule, as the page and history apply it
        if number is not None:
            yield key, number


def _state_families(s: BridgeState) -> list[Metric]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    return [
        GaugeMetricFamily(f"{PREFIX}peers", "Browsers connected now", value=s.peers),
        GaugeMetricFamily(f"{PREFIX}max_peers", "The max_peers parameter", value=s.max_peers),
        CounterMetricFamily(f"{PREFIX}messages_received", "DiagnosticArrays received from ROS",
                            value=s.stats.messages_received),
        CounterMetricFamily(f"{PREFIX}messages_forwarded",
                            "DataChannel messages sent (one per peer per live message)",
                            value=s.stats.messages_forwarded),
        CounterMetricFamily(f"{PREFIX}drops", "Live messages skipped for a slow peer",
                            value=s.stats.drops),
        GaugeMetricFamily(f"{PREFIX}history_statuses", "Statuses held in the history",
                          value=s.history_statuses),
        GaugeMetricFamily(f"{PREFIX}history_samples",
                          "Points held in the history, all statuses: two a closed bucket of "
                          "history_seconds / 150, plus the open buckets' samples",
                          value=s.history_samples),
        GaugeMetricFamily(f"{PREFIX}history_seconds", "The history_seconds parameter",
                          value=s.history_seconds),
    ]


class BridgeCollector:  # a prometheus_client Collector (a Protocol: collect() is all it takes)
    """Reads the bridge at scrape time through `read` (thin, see metrics_http.py)."""

    def __init__(self, read: Callable[[], tuple[Sequence[Latest], BridgeState | None]],
                 max_series: Callable[[], int],
                 store: Callable[[], StoreState | None] = lambda: None) -> None:
        self._read = read
        self._max_series = max_series
        self._store = store

    def collect(self) -> Iterable[Metric]:
        latest, state = self._read()
        return families(latest, state, self._max_series(), self._store())
