"""TURN proven (issue 13, item 2), with an aiortc client: client and bridge in namespaces that
exchange no UDP directly, coturn in between; the client takes the TURN server and credentials
from the bridge's GET /config and gets live data through a relay candidate, over UDP and, with
every UDP packet dropped, over TCP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from test.helpers.relay_stack import RelayStack, relay_stack
from test.helpers.webrtc_client import BridgeClient

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(240)]


@pytest.fixture(scope="module", params=["udp", "tcp"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    transport = str(request.param)
    with relay_stack(Path(tmp_path_factory.mktemp("turn")), transport, f"turn-aiortc-{transport}") as s:
        yield s


async def connect_and_receive(url: str, ice_from_config: bool, live: int = 3,
                              timeout: float = 20.0) -> tuple[tuple[str, str], float, str]:
    """(local, remote) candidate types of the nominated pair, seconds from the start (GET
    /config) to `hello`, and the client's offer, once `live` live messages have arrived."""
    client = BridgeClient(url, ice_from_config=ice_from_config)
    started = time.monotonic()
    try:
        await client.connect(timeout=timeout)
        elapsed = time.monotonic() - started
        await client.wait_for(lambda m: sum(x.msg["type"] == "diagnostics" for x in m) >= live, timeout=10)
        assert client.pc is not None
        # Before close() forgets the pair.
        return client.selected_candidate_types(), elapsed, client.pc.localDescription.sdp
    finally:
        await client.close()


def test_aiortc_client_gets_live_data_through_a_relay(stack: RelayStack) -> None:
    forward_drops = stack.topology.dropped("udp_forward")
    (local, remote), elapsed, offer = asyncio.run(connect_and_receive(stack.bridge.url, ice_from_config=True))
    # The client allocated a relay with the credentials /config gave it.
    assert "typ relay raddr" in offer, offer
    assert "relay" in (local, remote), (local, remote)
    print(f"\nTURN/{stack.transport}: connected (GET /config to hello) in {elapsed * 1000:.0f} ms "
          f"through {local} -> {remote}")
    # The direct path was tried (host candidates) and dropped in the middle, not merely unused.
    assert stack.topology.dropped("udp_forward") > forward_drops
    if stack.transport == "tcp":
        assert stack.topology.dropped("udp_input") > 0
    assert stack.bridge.wait_peers(0) == 0


def test_a_client_without_turn_depends_on_the_bridges_relay(stack: RelayStack) -> None:
    """The control: the same client, not taking the TURN server from /config. Over UDP it still
    connects, but only through the bridge's own relay candidate (no pair of host candidates can
    work); with every UDP packet dropped it cannot connect at all."""
    if stack.transport == "tcp":
        with pytest.raises(TimeoutError):
            asyncio.run(connect_and_receive(stack.bridge.url, ice_from_config=False, timeout=8))
    else:
        types, _, _ = asyncio.run(connect_and_receive(stack.bridge.url, ice_from_config=False))
        assert types == ("host", "relay")
    assert stack.bridge.wait_peers(0) == 0
