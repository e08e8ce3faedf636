"""TURN proven with the page (issue 13, item 2): Chromium in the client namespace, the bridge
behind a middle namespace that forwards no UDP (relay_topology.py); the page takes coturn and
its credentials from the bridge's GET /config and shows live data through a relay candidate,
over UDP and, with every UDP packet dropped, over TCP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test.helpers.relay_stack import RelayStack, relay_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

# Keeps every RTCPeerConnection the page makes, so the test can read its getStats(): the page
# itself is not changed for the test.
RECORD_PEERS = """
window.__peers = [];
const Original = window.RTCPeerConnection;
window.RTCPeerConnection = class extends Original {
  constructor(...args) { super(...args); window.__peers.push(this); }
};
"""

SELECTED_PAIR = """async () => {
  const pc = window.__peers[window.__peers.length - 1];
  const stats = await pc.getStats();
  let pair;
  stats.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
  return {local: local.candidateType, remote: remote.candidateType,
          relayProtocol: local.relayProtocol ?? null,
          iceServers: pc.getConfiguration().iceServers.map((s) => s.urls)};
}"""


@pytest.fixture(scope="module", params=["udp", "tcp"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    transport = str(request.param)
    with relay_stack(Path(tmp_path_factory.mktemp("turn")), transport, f"turn-page-{transport}") as s:
        yield s


def test_page_gets_live_data_through_a_relay(page: Any, stack: RelayStack) -> None:
    page.add_init_script(RECORD_PEERS)
    started = time.monotonic()
    page.goto(stack.bridge.url)
    page.wait_for_function("() => window.chedweb.stats().counters.hello === 1", timeout=20_000)
    elapsed = time.monotonic() - started
    before = page.evaluate("window.chedweb.stats().counters.diagnostics")
    page.wait_for_function(f"() => window.chedweb.stats().counters.diagnostics >= {before + 3}",
                           timeout=10_000)
    page.wait_for_function("() => document.querySelector('[data-testid=card-cpu]').dataset.value",
                           timeout=5000)
    pair = page.evaluate(SELECTED_PAIR)
    assert pair is not None
    assert pair["iceServers"] == [[f"turn:198.18.1.1:3478?transport={stack.transport}"]]  # from /config
    assert pair["local"] == "relay", pair  # the browser's host candidates are mDNS names the bridge drops
    assert pair["relayProtocol"] == stack.transport, pair
    print(f"\nChromium, TURN/{stack.transport}: page load to hello in {elapsed * 1000:.0f} ms, "
          f"{pair['local']} -> {pair['remote']}")
    if stack.transport == "tcp":  # the bridge's checks from its host address were tried, and dropped
        assert stack.topology.dropped("udp_input") > 0
