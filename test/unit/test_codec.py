"""Wire codec: real diagnostic_msgs messages in, protocol v1 JSON out."""

from __future__ import annotations

import itertools
import json
import math
import random

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from chedweb_bridge import codec
from chedweb_bridge.history import SeriesHistory


def status(name: str, level: bytes, values: dict[str, str], message: str = "ok") -> DiagnosticStatus:
    s = DiagnosticStatus(name=name, level=level, message=message, hardware_id="hw")
    s.values = [KeyValue(key=k, value=v) for k, v in values.items()]
    return s


def test_levels_become_ints_only_at_the_boundary() -> None:
    assert [codec.level_to_int(x) for x in (DiagnosticStatus.OK, DiagnosticStatus.WARN,
                                            DiagnosticStatus.ERROR, DiagnosticStatus.STALE)] == [0, 1, 2, 3]
    assert codec.level_to_int(2) == 2


def test_status_fields_and_repeated_key_last_wins() -> None:
    s = status("n: cpu", DiagnosticStatus.WARN, {"usage %": "12.50"})
    s.values.append(KeyValue(key="usage %", value="13.00"))
    assert codec.status_to_dict(s) == {"name": "n: cpu", "level": 1, "message": "ok", "hardware_id": "hw",
                                       "values": {"usage %": "13.00"}}


def test_stamp_from_header_or_receive_time_when_zero() -> None:
    assert codec.stamp_seconds(0, 0, 123.5) == 123.5
    assert codec.stamp_seconds(1764200000, 250_000_000, 123.5) == 1764200000.25
    assert codec.stamp_seconds(10, 500_000_000, 12.5) == 10.5


def test_diagnostics_message_matches_protocol() -> None:
    msg = DiagnosticArray()
    msg.status = [status("a: x", DiagnosticStatus.ERROR, {"v": "1"})]
    statuses = codec.statuses_from_msg(msg)
    [text] = codec.encode_diagnostics(42, "/diagnostics", 1.5, statuses)
    assert json.loads(text) == {"type": "diagnostics", "seq": 42, "topic": "/diagnostics", "stamp": 1.5,
                                "statuses": [{"name": "a: x", "level": 2, "message": "ok",
                                              "hardware_id": "hw", "values": {"v": "1"}}]}


def test_array_over_64_kib_is_split_with_same_seq_topic_stamp() -> None:
    values = {f"k{j}": "x" * 50 for j in range(40)}
    statuses = [codec.status_to_dict(status(f"s: {i}", DiagnosticStatus.OK, values)) for i in range(60)]
    texts = codec.encode_diagnostics(7, "/t", 2.0, statuses)
    assert len(texts) > 1
    parts = [json.loads(t) for t in texts]
    assert all(codec.utf8_len(t) < codec.MAX_MESSAGE_BYTES for t in texts)
    assert {(p["seq"], p["topic"], p["stamp"]) for p in parts} == {(7, "/t", 2.0)}
    assert [s["name"] for p in parts for s in p["statuses"]] == [s["name"] for s in statuses]


def test_non_ascii_is_counted_in_bytes() -> None:
    statuses = [codec.status_to_dict(status(f"s: {i}", DiagnosticStatus.OK, {"k": "é" * 2000}))
                for i in range(20)]  # 20 x ~4000 bytes but only ~2000 characters each
    texts = codec.encode_diagnostics(1, "/t", 0.0, statuses)
    assert len(texts) > 1 and all(codec.utf8_len(t) < codec.MAX_MESSAGE_BYTES for t in texts)


def test_hello_per_protocol_version() -> None:
    assert json.loads(codec.hello("robot", "0.1.0", ["/diagnostics"], 3600.0, 41, protocol=1)) == {
        "type": "hello", "protocol": 1, "hostname": "robot", "version": "0.1.0",
        "topics": ["/diagnostics"], "history_seconds": 3600.0, "seq": 41}
    assert json.loads(codec.hello("robot", "0.1.0", ["/diagnostics"], 3600.0, 41, protocol=2,
                                  stale_seconds=2.5)) == {
        "type": "hello", "protocol": 2, "hostname": "robot", "version": "0.1.0",
        "topics": ["/diagnostics"], "history_seconds": 3600.0, "seq": 41,
        "capabilities": list(codec.CAPABILITIES), "stale_seconds": 2.5}
    # A version-1 page gets neither the capabilities nor the stale timeout (its schema has no place
    # for them): it keeps its own 5 s.
    assert "stale_seconds" not in json.loads(codec.hello("r", "v", [], 1.0, 0, protocol=1, stale_seconds=2.5))


def test_negotiate_from_channel_subprotocol() -> None:
    assert codec.negotiate("") == 1
    assert codec.negotiate("chedweb.v1") == 1
    assert codec.negotiate("something") == 1
    assert codec.negotiate("chedweb.v2") == 2
    assert codec.negotiate("chedweb.v7") == codec.PROTOCOL_VERSION  # the newest we speak


def test_peer_message_limit_from_sdp() -> None:
    assert codec.peer_message_limit("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n") == 65536
    assert codec.peer_message_limit("a=max-message-size:262144\r\n") == codec.MAX_MESSAGE_BYTES
    assert codec.peer_message_limit("a=max-message-size:0\r\n") == codec.MAX_MESSAGE_BYTES  # no limit
    assert codec.peer_message_limit("a=max-message-size:20000\r\n") == 20000
    assert codec.peer_message_limit("a=max-message-size:1200\r\n") is None
    assert codec.peer_message_limit("a=max-message-size:x\r\n") is None


def test_numeric_value() -> None:
    assert codec.numeric_value("12.50") == 12.5
    assert codec.numeric_value("nan") is None and codec.numeric_value("inf") is None
    assert codec.numeric_value("eth0") is None and codec.numeric_value("") is None


def _by_pattern(text: str) -> float | None:
    """The numeric-string rule as NUMBER_PATTERN says it (what numeric_value did before issue 12)."""
    if codec.NUMBER_RE.fullmatch(text) is None:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a == b
                                       and math.copysign(1, a) == math.copysign(1, b))


def test_numeric_value_agrees_with_the_pattern_on_every_short_string() -> None:
    # Every string of up to 4 of the characters a number is written with, plus those float()
    # alone would take (underscores, letters of inf/nan, other whitespace, non-ASCII digits).
    alphabet = "09+-.eE \t_ni\n\u0661"
    checked = 0
    for n in range(5):
        for chars in itertools.product(alphabet, repeat=n):
            text = "".join(chars)
            assert _same(codec.numeric_value(text), _by_pattern(text)), repr(text)
            assert _same(codec.numeric_values({"k": text}).get("k"), _by_pattern(text)), repr(text)
            checked += 1
    assert checked > 40_000


def test_numeric_value_agrees_with_the_pattern_on_longer_strings() -> None:
    rnd = random.Random(5)
    pieces = ["1", "23", "0", ".", "e", "E", "+", "-", " ", "\t", "_", "inf", "nan", "Infinity", "\n",
              "\x0b", "\u00a0", "\uff11", "999", "e308", "e-400", "x", "0x1F"]
    for _ in range(100_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randrange(1, 8)))
        assert _same(codec.numeric_value(text), _by_pattern(text)), repr(text)
        assert _same(codec.numeric_values({"k": text}).get("k"), _by_pattern(text)), repr(text)
    for text in ("1e308", "1e309", "-1e309", "1.7976931348623157e308", "4.9e-324", "1e-400", "-0", "-0.0"):
        assert _same(codec.numeric_value(text), _by_pattern(text)), text


def test_numeric_values_keeps_the_numbers_in_order() -> None:
    values = {"b": "2", "label": "text", "a": " 1.5 ", "n": "nan", "c": "-0.00"}
    got = codec.numeric_values(values)
    assert list(got.items()) == [("b", 2.0), ("a", 1.5), ("c", -0.0)]
    assert math.copysign(1, got["c"]) == -1


def test_empty_history_gives_one_empty_snapshot_part() -> None:
    assert [json.loads(p) for p in codec.encode_snapshot([])] == [
        {"type": "snapshot", "part": 0, "parts": 1, "statuses": []}]


def test_snapshot_parts_below_64_kib_and_concatenate_back() -> None:
    # Series fed directly, every sample kept (bucket width 0): History keeps at most ~300 points
    # a status since issue 12, and this is about cutting a long history into parts.
    series: dict[str, SeriesHistory] = {}
    for i in range(3000):
        cpu_level = DiagnosticStatus.WARN if i % 2 else DiagnosticStatus.OK
        for st in (codec.status_to_dict(status("big: net", DiagnosticStatus.OK,
                                                {**{f"if{j} rx B/s": f"{i * j}.5" for j in range(10)},
                                                 "name": "eth0"})),
                   codec.status_to_dict(status("small: cpu", cpu_level, {"usage %": f"{i % 100}"}))):
            series.setdefault(st["name"], SeriesHistory(st["name"], st["hardware_id"], 256)).append(
                1000.0 + i, st, 1000.0 + i)
    texts = codec.encode_snapshot([series[name] for name in sorted(series)])
    parts = [json.loads(t) for t in texts]
    assert len(parts) > 1
    assert all(codec.utf8_len(t) < codec.MAX_MESSAGE_BYTES for t in texts)
    assert [p["part"] for p in parts] == list(range(len(parts)))
    assert {p["parts"] for p in parts} == {len(parts)}
    merged: dict[str, dict[str, list[object]]] = {}
    latest = {}
    for p in parts:
        for st in p["statuses"]:
            m = merged.setdefault(st["name"], {"t": [], "level": [], "rx": []})
            m["t"] += st["t"]
            m["level"] += st["level"]
            m["rx"] += st["values"].get("if3 rx B/s", st["values"].get("usage %"))
            if "latest" in st:
                latest[st["name"]] = st["latest"]
    assert merged["big: net"]["t"] == [1000.0 + i for i in range(3000)]
    assert merged["big: net"]["rx"] == [i * 3 + 0.5 for i in range(3000)]
    assert merged["small: cpu"]["level"] == [i % 2 for i in range(3000)]
    # `latest` keeps string values for the table; the history keeps numbers only.
    assert latest["big: net"]["values"]["name"] == "eth0"
    assert latest["small: cpu"]["values"] == {"usage %": str(2999 % 100)}
