"""Contract test (issue 8 items 4 and 5): the bridge codec's real output against the page's own
schemas, exported from web/src/protocol.ts as JSON Schema (test/contract/schemas.py), and the
numeric-string rule against the table both test suites read (test/contract/numbers.json).

Each message is built by the same functions the bridge runs (codec, history), from statuses made
from real diagnostic_msgs messages; version-1 output is checked against the frozen schemas of
the last version-1 page as well.
"""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path
from typing import Any

import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from chedweb_bridge import codec, requests
from chedweb_bridge.alert_state import AlertBook
from chedweb_bridge.history import History
from chedweb_bridge.store.level_messages import MAX_CHANGES, LevelsQuery, encode_levels
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.overview import encode_overview
from chedweb_bridge.store.range_messages import encode_range
from chedweb_bridge.store.tiers import TieredStore
from test.contract.schemas import errors, numbers_table

BOTH = [1, 2]
Specs = tuple[tuple[str, int, dict[str, str]], ...]


def statuses(*specs: tuple[str, int, dict[str, str]], message: str = "ok") -> list[codec.Status]:
    msg = DiagnosticArray()
    for name, level, values in specs:
        s = DiagnosticStatus(name=name, level=bytes([level]), message=message, hardware_id="robot-1")
        s.values = [KeyValue(key=k, value=v) for k, v in values.items()]
        msg.status.append(s)
    return codec.sanitize_levels(codec.statuses_from_msg(msg))


NORMAL: Specs = (("system_metrics: CPU", 0, {"usage %": "12.50", "label": "text"}),
          ("system_metrics: Memory", 1, {"used %": "0x1F", "free": "1_000"}))
ODD_LEVELS: Specs = (("a: raw 200", 200, {"v": "1"}), ("a: raw 255", 255, {}), ("a: stale", 3, {}))
HUGE: Specs = (("big: status", 0, {f"k{i}": "x" * 5000 for i in range(40)}),)


def live(specs: Specs, protocol: int, limit: int = codec.MAX_MESSAGE_BYTES, message: str = "ok") -> list[str]:
    payloads = codec.LivePayloads(42, "/diagnostics", 1764200002.0, statuses(*specs, message=message))
    return payloads.texts(protocol, limit)


@pytest.mark.parametrize("protocol", BOTH)
@pytest.mark.parametrize("history_seconds", [0.0, 0.5, 3600.0])
def test_hello(protocol: int, history_seconds: float) -> None:
    # history_seconds 0 is a valid bridge parameter: the page refused every hello before (item 5).
    text = codec.hello("robot-1", "0.1.0", ["/diagnostics"], history_seconds, 41, protocol)
    assert errors(text, protocol) == []
    assert errors(text, 2) == []  # a version-2 page also understands a version-1 bridge's hello


@pytest.mark.parametrize("protocol", BOTH)
@pytest.mark.parametrize("specs", [NORMAL, ODD_LEVELS, HUGE], ids=["normal", "odd-levels", "huge"])
@pytest.mark.parametrize("limit", [codec.MAX_MESSAGE_BYTES, codec.MIN_PEER_MESSAGE_BYTES])
def test_diagnostics(protocol: int, specs: Specs, limit: int) -> None:
    texts = live(specs, protocol, limit)
    for text in texts:
        assert codec.utf8_len(text) <= limit
        assert errors(text, protocol) == []


@pytest.mark.parametrize("protocol", BOTH)
def test_oversized_message_is_truncated_visibly(protocol: int) -> None:
    [text] = live((("big: message", 0, {"k": "1"}),), protocol, message="x" * 300_000)
    assert errors(text, protocol) == []
    [status] = json.loads(text)["statuses"]
    assert status["message"].endswith(codec.TRUNCATION_MARKER)
    assert status.get("truncated") is (True if protocol >= 2 else None)


@pytest.mark.parametrize("protocol", BOTH)
def test_raw_levels(protocol: int) -> None:
    [text] = live(ODD_LEVELS, protocol)
    got = [(s["level"], s.get("raw_level")) for s in json.loads(text)["statuses"]]
    assert got == ([(2, 200), (2, 255), (3, None)] if protocol >= 2 else [(2, None), (2, None), (3, None)])


def filled_history() -> History:
    history = History(3600.0)
    # The history keeps two points a 24 s bucket (plus the open bucket's samples), so a snapshot
    # too large for one part takes many statuses: a dozen of eight keys each.
    for i in range(1000):
        t = 1764200000.0 + i
        net = ("net: eth0", 0, {"rx B/s": str(i), "gap": str(i) if i % 3 else "n/a"})
        wide = tuple((f"wide: {k}", k % 3, {f"key {j}": f"{(i * 7 + j) % 1000}.{j}" for j in range(8)})
                     for k in range(12))
        specs = (*NORMAL, *ODD_LEVELS, net, *wide)
        history.add(t, statuses(*specs), received=t)
    end = 1764201000.0
    history.add(end, statuses(*HUGE), received=end)
    history.add(end, statuses(("long: msg", 0, {"v": "1"}), message="é" * 100_000), received=end)
    return history


@pytest.mark.parametrize("protocol", BOTH)
@pytest.mark.parametrize("limit", [codec.MAX_MESSAGE_BYTES, codec.MIN_PEER_MESSAGE_BYTES])
@pytest.mark.parametrize("decimated", [False, True])
def test_snapshot(protocol: int, limit: int, decimated: bool) -> None:
    copies = filled_history().snapshot_copy()
    texts = codec.encode_snapshot([c.decimated() if decimated else c for c in copies], limit, protocol)
    assert len(texts) > 1
    for text in texts:
        assert codec.utf8_len(text) <= limit
        assert errors(text, protocol) == []


@pytest.mark.parametrize("limit", [codec.MAX_MESSAGE_BYTES, codec.MIN_PEER_MESSAGE_BYTES])
def test_snapshot_from_the_store(limit: int) -> None:
    """A version-2 peer's connect snapshot from the durable store (store/overview.py), with gaps
    and a status too long for one part at the smallest limit."""
    store = TieredStore(MemoryRepository())
    latest = statuses(*NORMAL)
    many = {f"k{j}": str(j) for j in range(30)}
    for i in range(0, 5 * 3600, 20):  # 5 h: 300 points of a minute
        if i % 3600 < 3000:  # and gaps
            cpu = ("system_metrics: CPU", i % 4, {"usage %": f"{i / 10:.1f}", **many})
            store.add(1764200000.0 + i, statuses(cpu, *NORMAL[1:]))
    texts = encode_overview(store, latest, 1764200000.0, 1764200000.0 + 5 * 3600, limit, 2)
    assert len(texts) > 1 or limit == codec.MAX_MESSAGE_BYTES
    for text in texts:
        assert codec.utf8_len(text) <= limit
        assert errors(text, 2) == []


@pytest.mark.parametrize("protocol", BOTH)
def test_empty_snapshot(protocol: int) -> None:
    [text] = codec.encode_snapshot([], codec.MAX_MESSAGE_BYTES, protocol)
    assert errors(text, protocol) == []


def test_alert_messages() -> None:
    """alert_state (empty and with entries), alert_ok and error replies, as peers.py sends them
    to a version-2 page; and hello's stale_seconds."""
    book = AlertBook()
    assert errors(book.message(1764200000.0)) == []
    book.ack("status:robot-1\u0000system_metrics: CPU", 2, "ann", 1764200000.0)
    book.ack("offline:robot-2", 3, "bo", 1764200001.5)
    book.mute("status:robot-1\u0000a", 300, "ann", 1764200002.0)
    assert errors(book.message(1764200003.0)) == []
    assert errors(requests.ok_reply(7)) == []
    assert errors(requests.error_reply(7, "unauthorized")) == []
    assert errors(requests.error_reply(None, "request is not JSON")) == []
    assert errors(codec.hello("r", "v", [], 1.0, 0, 2, stale_seconds=0.5)) == []
    # Not vacuous: a level out of range, or a missing id, is refused.
    state = json.loads(book.message(1.0))
    assert errors(json.dumps({**state, "acks": [{**state["acks"][0], "level": 9}]})) != []
    assert errors(json.dumps({"type": "alert_ok"})) != []
    assert errors(json.dumps({**json.loads(codec.hello("r", "v", [], 1.0, 0, 2)), "stale_seconds": 0})) != []


def test_range_messages() -> None:
    """A range query's answer (capability "query") as the store thread builds it: every part, at
    the smallest peer limit too, with gaps; and the error a bad query gets."""
    store = TieredStore(MemoryRepository())
    for i in range(0, 600, 2):  # a gap every other second
        store.add(1764200000.0 + i, statuses(("system_metrics: CPU", i % 4, {"usage %": f"{i / 10:.1f}",
                                                                              "label": "text"})))
    for limit in (codec.MAX_MESSAGE_BYTES, 2048):
        parts = encode_range(5, store.query(("robot-1", "system_metrics: CPU"), 1764200000.0,
                                            1764200600.0, 600), limit)
        assert parts and all(errors(text) == [] for text in parts)
    assert errors(requests.error_reply(5, "'points' must be an integer 1..5000")) == []
    part = json.loads(parts[0])
    assert errors(json.dumps({**part, "tier": "second"})) != []
    assert errors(json.dumps({k: v for k, v in part.items() if k != "start"})) != []


def test_levels_messages() -> None:
    """A level-log answer (capability "levels") as the store thread builds it: every part, at the
    smallest peer limit too, the first level (old null), a cut log, and none at all."""
    store = TieredStore(MemoryRepository())
    for i in range(0, 600, 2):
        store.add(1764200000.0 + i, statuses(("system_metrics: CPU", i % 4, {"usage %": "1"}),
                                             message="é" * 300))
    query = LevelsQuery(6, "robot-1", "system_metrics: CPU", 1764200000.0, 1764200600.0)
    for limit in (codec.MAX_MESSAGE_BYTES, 2048):
        parts = encode_levels(query, store.level_changes(("robot-1", "system_metrics: CPU"), query.t0,
                                                         query.t1, MAX_CHANGES + 1), limit)
        assert len(parts) >= 1 and all(errors(text) == [] for text in parts)
    first = json.loads(parts[0])
    assert first["changes"][0]["old"] is None and first["changes"][1]["old"] == 0
    assert all(errors(text) == [] for text in encode_levels(query, []))
    assert errors(json.dumps({**first, "changes": [{**first["changes"][0], "new": 9}]})) != []
    assert errors(json.dumps({k: v for k, v in first.items() if k != "truncated"})) != []


def inflated(frame: codec.Frame) -> str:
    """A frame's JSON text as the page reads it: binary frames through deflate-raw."""
    return zlib.decompress(frame, -15).decode() if isinstance(frame, bytes) else frame


@pytest.mark.parametrize("specs", [NORMAL, ODD_LEVELS, HUGE], ids=["normal", "odd-levels", "huge"])
@pytest.mark.parametrize("limit", [codec.MAX_MESSAGE_BYTES, codec.MIN_PEER_MESSAGE_BYTES])
def test_deflated_live_frames(specs: Specs, limit: int) -> None:
    """Capability deflate-raw: the live frames a deflate-raw peer gets are within its limit in the
    bytes sent, inflate to the text a text peer gets, and that validates."""
    payloads = codec.LivePayloads(42, "/diagnostics", 1764200002.0, statuses(*specs))
    frames = payloads.frames(2, limit, deflate=True)
    assert [inflated(f) for f in frames] == payloads.texts(2, limit)
    for frame in frames:
        assert codec.frame_size(frame) <= limit
        assert errors(inflated(frame)) == []
    if specs is HUGE:  # 5,000 x's compress: the frames that pay are binary
        assert all(isinstance(f, bytes) for f in frames)


@pytest.mark.parametrize("specs", [NORMAL, ODD_LEVELS, HUGE], ids=["normal", "odd-levels", "huge"])
@pytest.mark.parametrize("limit", [codec.MAX_MESSAGE_BYTES, codec.MIN_PEER_MESSAGE_BYTES])
@pytest.mark.parametrize("interest", [frozenset(), frozenset({("robot-1", "system_metrics: CPU")}),
                                      frozenset({("robot-1", "big: status"), ("robot-1", "a: raw 200")})],
                         ids=["none", "cpu", "big"])
def test_lean_live_frames(specs: Specs, limit: int, interest: frozenset[codec.StatusKey]) -> None:
    """Capability "interest": the lean frame has every status, values only for the interest, and
    validates (deflated too); a version-1 peer never gets it."""
    payloads = codec.LivePayloads(42, "/diagnostics", 1764200002.0, statuses(*specs), interest=interest)
    texts = payloads.texts(2, limit, lean=True)
    names = []
    for text in texts:
        assert errors(text) == [] and codec.utf8_len(text) <= limit
        for status in json.loads(text)["statuses"]:
            names.append(status["name"])
            assert ("values" in status) == ((status["hardware_id"], status["name"]) in interest)
    assert names == [name for name, _, _ in specs]  # every status, in order
    frames = payloads.frames(2, limit, deflate=True, lean=True)
    assert [inflated(f) for f in frames] == texts
    assert payloads.texts(1, limit, lean=True) == payloads.texts(1, limit)  # version 1: every value
    assert all(errors(t, 1) == [] for t in payloads.texts(1, limit, lean=True))
    # Encoded once: every lean peer shares the same texts and frames.
    assert payloads.texts(2, limit, lean=True) is texts and payloads.frames(2, limit, True, True) is frames
    # No interest declared by any peer yet: a lean peer gets the full frame.
    assert codec.LivePayloads(42, "/d", 1.0, statuses(*specs)).texts(2, limit, lean=True) == \
        codec.LivePayloads(42, "/d", 1.0, statuses(*specs)).texts(2, limit)


def test_interest_reply_and_values_only_optional_in_live_statuses() -> None:
    assert errors(requests.interest_reply(7, 3)) == []
    assert errors(json.dumps({"type": "interest_ok", "id": 7, "latest": []})) != []
    # `latest`: full statuses, each cut as the live path cuts it, as many as fit in the peer's limit.
    for limit in (codec.MAX_MESSAGE_BYTES, codec.MIN_PEER_MESSAGE_BYTES):
        reply = requests.interest_reply(7, 3, statuses(*NORMAL, *ODD_LEVELS, *HUGE, *HUGE), limit)
        assert errors(reply) == [] and codec.utf8_len(reply) <= limit
        kept = json.loads(reply)["latest"]
        assert [s["name"] for s in kept[:5]] == [n for n, _, _ in NORMAL + ODD_LEVELS]
        assert len(kept) < 7 and all("values" in s for s in kept)
    payloads = codec.LivePayloads(1, "/d", 1.0, statuses(*NORMAL), interest=frozenset())
    lean = json.loads(payloads.texts(lean=True)[0])
    assert errors(json.dumps(lean)) == []
    # A snapshot's `latest` always has its values: there a status without them is refused.
    latest = lean["statuses"][0]
    snapshot: dict[str, Any] = {"type": "snapshot", "part": 0, "parts": 1, "statuses": [
        {"name": latest["name"], "hardware_id": latest["hardware_id"], "latest": latest,
         "t": [], "level": [], "values": {}}]}
    assert errors(json.dumps(snapshot)) != []
    assert errors(json.dumps({**snapshot, "statuses": [{**snapshot["statuses"][0],
                                                         "latest": {**latest, "values": {}}}]})) == []


def test_deflated_snapshot_and_hello() -> None:
    copies = filled_history().snapshot_copy()
    texts = codec.encode_snapshot([c.decimated() for c in copies], codec.MIN_PEER_MESSAGE_BYTES, 2)
    frames = [codec.frame_for(t, True) for t in texts]
    assert any(isinstance(f, bytes) for f in frames)
    for frame in frames:
        assert codec.frame_size(frame) <= codec.MIN_PEER_MESSAGE_BYTES
        assert errors(inflated(frame)) == []
    hello = codec.hello("r", "v", [], 1.0, 0, 2, deflate=True)
    assert errors(hello) == [] and codec.DEFLATE_RAW in json.loads(hello)["capabilities"]
    assert codec.DEFLATE_RAW not in json.loads(codec.hello("r", "v", [], 1.0, 0, 2))["capabilities"]
    v1 = codec.hello("r", "v", [], 1.0, 0, 1, deflate=True)  # version 1: no capabilities at all
    assert errors(v1, 1) == [] and "capabilities" not in json.loads(v1)
    # One name on both sides: the page asks for and looks for the codec's name.
    page = (Path(__file__).parents[2] / "web/src/inflate.ts").read_text()
    assert f'export const DEFLATE_RAW = "{codec.DEFLATE_RAW}";' in page


def test_schemas_are_not_vacuous() -> None:
    """The exported schemas do refuse what the page refuses."""
    good = json.loads(live(NORMAL, 2)[0])
    bad_level = {**good, "statuses": [{**good["statuses"][0], "level": 200}]}
    assert errors(json.dumps(bad_level)) != []
    assert errors(json.dumps({**good, "extra": 1})) != []  # an undeclared field needs a zod schema
    hello = json.loads(codec.hello("r", "v", [], 1.0, 0, 2))
    assert errors(json.dumps({**hello, "history_seconds": -1})) != []
    assert errors(json.dumps({**hello, "capabilities": "raw_level"})) != []
    v1_hello = json.loads(codec.hello("r", "v", [], 1.0, 0, 1))
    assert errors(json.dumps({**v1_hello, "history_seconds": 0}), protocol=1) != []


@pytest.mark.parametrize("text,value", numbers_table()["numeric"])
def test_numeric_strings(text: str, value: float) -> None:
    got = codec.numeric_value(text)
    assert got == value and math.copysign(1, got) == math.copysign(1, value)


@pytest.mark.parametrize("text", numbers_table()["not_numeric"])
def test_non_numeric_strings(text: str) -> None:
    assert codec.numeric_value(text) is None
