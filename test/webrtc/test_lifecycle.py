"""Connect/disconnect cycles leave nothing behind; port 0, parameters, and the HTTP routes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import rclpy
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters
from rclpy.executors import SingleThreadedExecutor

from test.helpers.bridge_proc import HOST, Bridge
from test.helpers.procs import NodeProcess, executable, ros_args
from test.helpers.webrtc_client import BridgeClient, connect_outcome

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(240)]

CYCLES = 200


def test_200_connect_disconnect_cycles_leave_nothing_behind(bridge: Bridge) -> None:
    async def cycles(n: int, parallel: int = 4) -> None:
        async def one() -> None:
            client = BridgeClient(bridge.url)
            await client.connect()
            await client.wait_for(lambda m: any(x.msg["type"] == "snapshot" for x in m))
            await client.close()

        for _ in range(n // parallel):
            await asyncio.gather(*(one() for _ in range(parallel)))

    def settle(threads_at_most: int | None = None) -> dict[str, int]:
        deadline = time.monotonic() + 15
        bridge.wait_peers(0, timeout=15)
        # Handler threads end as soon as their socket or peer closes; give them a few seconds.
        status = bridge.proc_status()
        while threads_at_most is not None and status["Threads"] > threads_at_most \
                and time.monotonic() < deadline:
            time.sleep(0.2)
            status = bridge.proc_status()
        time.sleep(1.0)
        return bridge.proc_status()

    # Warm-up: imports, caches, allocator arenas. RSS measured from a fresh bridge keeps growing
    # for the first few hundred peers, then stays flat (measured: +0.4 to +2.9 MB per 200 cycles
    # after the first 200), so the comparison starts after 100.
    asyncio.run(cycles(100))
    before = settle()
    t0 = time.monotonic()
    asyncio.run(cycles(CYCLES))
    elapsed = time.monotonic() - t0
    after = settle(threads_at_most=before["Threads"] + 1)
    print(f"\n{CYCLES} cycles in {elapsed:.1f} s; threads {before['Threads']} -> {after['Threads']}, "
          f"RSS {before['VmRSS']} -> {after['VmRSS']} kB")
    assert bridge.health()["peers"] == 0
    assert after["Threads"] <= before["Threads"] + 1, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < 8 * 1024, (before, after)


def _param_service(name: str, srv_type: Any, request: Any) -> Any:
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    try:
        node = rclpy.create_node("param_probe", context=ctx)
        executor = SingleThreadedExecutor(context=ctx)
        executor.add_node(node)
        client: Any = node.create_client(srv_type, f"/webrtc_bridge/{name}")
        assert client.wait_for_service(timeout_sec=15)
        future = client.call_async(request)
        executor.spin_until_future_complete(future, timeout_sec=15)
        assert future.done()
        return future.result()
    finally:
        rclpy.shutdown(context=ctx)


def _set(name: str, value: ParameterValue) -> Any:
    request = SetParameters.Request(parameters=[ParameterMsg(name=name, value=value)])
    return _param_service("set_parameters", SetParameters, request).results[0]


def test_port_0_actual_port_logged_and_readable_as_parameter(bridge: Bridge) -> None:
    assert bridge.port > 0 and f"serving on http://{HOST}:{bridge.port}/" in bridge.node.output()
    result = _param_service("get_parameters", GetParameters, GetParameters.Request(names=["port"]))
    assert result.values[0].integer_value == bridge.port
    assert bridge.health()["status"] == "ok"


def test_the_bridge_runs_its_own_full_collections_and_reports_them(bridge: Bridge) -> None:
    """full_collections.py: the node hands its FullCollections to /healthz (how many ran so far
    depends on how long this module's bridge has been up: one at most every 30 s)."""
    health = bridge.health()
    assert isinstance(health["full_collections"], int) and health["full_collections"] >= 0
    assert isinstance(health["longest_full_collection_ms"], float)


def test_parameters_validated_at_runtime(bridge: Bridge) -> None:
    refused = _set("max_peers", ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=0))
    assert not refused.successful and "Parameter max_peers out of range" in refused.reason
    refused = _set("port", ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=9999))
    assert not refused.successful and refused.reason == "Trying to set a read-only parameter: port."
    refused = _set("qos_depth", ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=5))
    assert not refused.successful and refused.reason == "Trying to set a read-only parameter: qos_depth."
    refused = _set("ice_servers", ParameterValue(type=ParameterType.PARAMETER_STRING_ARRAY,
                                                 string_array_value=["http://not-ice"]))
    assert not refused.successful and "stun:" in refused.reason
    assert bridge.health()["max_peers"] == 16  # nothing changed

    # A valid change applies to the next browser: a token now needed, then none again.
    ok = _set("auth_token", ParameterValue(type=ParameterType.PARAMETER_STRING, string_value="t0k"))
    assert ok.successful

    async def outcome(origin: str = "same") -> str:
        """"connected", or the error a fresh client was refused with."""
        return await connect_outcome(BridgeClient(bridge.url, origin=origin))

    try:
        assert asyncio.run(outcome()) == "unauthorized"
    finally:
        cleared = ParameterValue(type=ParameterType.PARAMETER_STRING, string_value="")
        assert _set("auth_token", cleared).successful
    assert bridge.get("config")[0] == 200

    # allowed_origins: another site may connect once listed, and the page's own origin then may not.
    other = "https://ops.example.org"
    ok = _set("allowed_origins", ParameterValue(type=ParameterType.PARAMETER_STRING_ARRAY,
                                                string_array_value=[other]))
    assert ok.successful

    try:
        assert asyncio.run(outcome(other)) == "connected"
        assert asyncio.run(outcome("same")) == "origin not allowed"
    finally:
        assert _set("allowed_origins", ParameterValue(type=ParameterType.PARAMETER_STRING_ARRAY,
                                                      string_array_value=[])).successful
    assert asyncio.run(outcome("same")) == "connected"


def exit_of_bridge(params: dict[str, object], log_name: str) -> tuple[int, str]:
    """A bridge started with `params` that is expected to exit on its own: (exit code, output)."""
    node = NodeProcess([executable("webrtc_bridge"), *ros_args(params)], log_name)
    try:
        code = node.proc.wait(30)
        return code, node.output()
    finally:
        node.stop()


def one_line(out: str) -> str:
    """The one line that says why the node did not start: nothing but [INFO] lines besides it."""
    lines = [line for line in out.strip().splitlines() if not line.startswith("[INFO]")]
    assert len(lines) == 1, out
    return lines[0]


@pytest.mark.parametrize(("params", "reason"), [
    ({"port": 70000}, "port must be from 0 to 65535 (got 70000)"),
    ({"port": "abc"}, "port must be an integer (got str 'abc')"),
    ({"topics": []}, "topics must list at least one topic"),
    ({"max_peers": 2.5}, "max_peers must be an integer (got float 2.5)"),
    ({"ice_servers": ["http://x"]}, "ice_servers entry 'http://x': URL must start with stun:"),
], ids=["port-range", "port-abc", "topics-empty", "max_peers-float", "ice_servers-url"])
def test_bad_startup_parameter_exits_2_with_one_line(params: dict[str, object], reason: str) -> None:
    code, out = exit_of_bridge({"host": HOST, **params}, "webrtc_bridge-badparam")
    assert code == 2, out
    assert f"[webrtc_bridge]: cannot start: {reason}" in one_line(out)


def test_port_in_use_exits_2_saying_address_already_in_use(bridge: Bridge) -> None:
    code, out = exit_of_bridge({"host": HOST, "port": bridge.port}, "webrtc_bridge-portinuse")
    assert code == 2, out
    assert one_line(out).endswith(
        f"cannot start: cannot listen on {HOST}:{bridge.port}: address already in use")


def test_healthz_config_and_unbuilt_page(tmp_path: Path) -> None:
    own = Bridge("webrtc_bridge-nopage", {"web_root": str(tmp_path)})
    try:
        status, body = own.get("/")
        assert status == 200 and "make web" in body and "npm run build" in body
        assert own.get("/app.js")[0] == 404
        health = own.health()
        assert {"peers", "max_peers", "messages_received", "messages_forwarded", "drops",
                "uptime_s"} <= set(health)
        assert health["peers"] == 0 and health["uptime_s"] >= 0
        (tmp_path / "index.html").write_text("<!doctype html><title>built</title>")
        assert "built" in own.get("/")[1]
    finally:
        assert own.stop() == 0
