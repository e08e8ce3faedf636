"""The whole TURN setup of the relay tests and bench: the topology (relay_topology.py), coturn in
the middle, and system_metrics plus the bridge in the bridge namespace, the bridge's
`ice_servers` naming coturn over `transport` (udp, or tcp with every UDP packet dropped)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from test.helpers.bridge_proc import Bridge
from test.helpers.coturn_proc import Coturn, ice_server
from test.helpers.metrics_proc import QUIET_THRESHOLDS
from test.helpers.procs import NodeProcess, executable, ros_args
from test.helpers.relay_topology import BRIDGE, TURN, RelayTopology


@dataclass
class RelayStack:
    topology: RelayTopology
    coturn: Coturn
    bridge: Bridge
    transport: str


@contextlib.contextmanager
def relay_stack(workdir: Path, transport: str, name: str,
                bridge_ice: bool = True) -> Iterator[RelayStack]:
    """`bridge_ice` False: the bridge gets no ice_servers (the control that shows the direct path
    is really closed)."""
    with contextlib.ExitStack() as stack:
        topology = RelayTopology(block_all_udp=transport == "tcp")
        stack.callback(topology.close)
        coturn = Coturn(topology.middle, TURN, workdir / f"coturn-{name}", f"coturn-{name}")
        stack.callback(coturn.stop)
        metrics = NodeProcess(topology.bridge_side.wrap(
            [executable("system_metrics"), *ros_args({"period": 0.5, **QUIET_THRESHOLDS})]),
            f"system_metrics-{name}")
        stack.callback(metrics.stop)
        params: dict[str, object] = {"host": BRIDGE}
        if bridge_ice:
            params["ice_servers"] = [ice_server(TURN, transport)]
        bridge = Bridge(f"webrtc_bridge-{name}", params, wrap=topology.bridge_side.wrap)
        stack.callback(bridge.stop)
        bridge.wait_messages(1, timeout=30)
        yield RelayStack(topology, coturn, bridge, transport)
