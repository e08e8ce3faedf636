"""bench/fanout_peers.py reads a live message's seq and stamp from its first bytes instead of
parsing ~25 KB of JSON per message per peer; this holds only while the codec writes them first.
The codec's real output is the input here, so a change of its field order turns this red rather
than leaving the fan-out bench counting no messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.fanout_peers import Tally, default_interest, interest_request, live_seq_stamp, seq_gaps
from chedweb_bridge import codec

CASES = json.loads((Path(__file__).parents[1] / "contract" / "interest_cases.json").read_text())["cases"]


def _status(i: int) -> codec.Status:
    return {"name": f"bench: status {i}", "level": 0, "message": "m", "hardware_id": "hw",
            "values": {"value": f"{i}.50", "label": 'text, "quoted"'}}


def test_seq_and_stamp_read_from_the_codecs_live_message() -> None:
    for protocol in (1, 2):
        payloads = codec.LivePayloads(41, '/diag"nostics', 1764600000.123456, [_status(i) for i in range(3)])
        (text,) = payloads.texts(protocol)
        assert live_seq_stamp(text) == (41, 1764600000.123456)


def test_other_messages_are_not_live() -> None:
    hello = codec.hello("host", "1.0", ["/diagnostics"], 5.0, 7)
    assert live_seq_stamp(hello) is None
    assert live_seq_stamp('{"type":"alerts","seq":3,"stamp":1.0}') is None


def test_gaps_between_first_and_last_seq_seen() -> None:
    assert seq_gaps(set()) == 0
    assert seq_gaps({5, 6, 7}) == 0
    assert seq_gaps({5, 7, 10}) == 3


def test_tally_records_only_while_recording() -> None:
    (text,) = codec.LivePayloads(3, "/diagnostics", 100.0, [_status(0)]).texts()
    tally = Tally()
    tally.record(0, text, 100.5)
    tally.start()
    tally.record(0, text, 100.01)
    tally.record(1, text.replace('"seq":3', '"seq":5'), 100.02)
    got = tally.stop()
    assert got["lat"] == [10.0, 20.0] and got["messages"] == 2 and got["peers_heard"] == 2
    assert got["gaps"] == 0
    tally.record(0, text, 101.0)  # stopped: not recorded
    assert tally.stop()["lat"] == [10.0, 20.0]


@pytest.mark.parametrize("case", CASES)
def test_the_peers_declare_the_interest_a_default_page_declares(case: dict[str, object]) -> None:
    """The same cases web/test/interest.test.ts checks against the page's own rule."""
    got = default_interest(str(case["hostname"]), [tuple(s) for s in case["statuses"]])  # type: ignore[attr-defined]
    assert sorted((s["hardware_id"], s["name"]) for s in got) == sorted(map(tuple, case["want"]))  # type: ignore[call-overload]


def test_an_interest_request_only_where_the_bridge_offers_it() -> None:
    hello = json.loads(codec.hello("robot-1", "1.0", ["/diagnostics"], 5.0, 7))
    statuses = [("robot-1", "system_metrics: CPU"), ("test-host", "bench: status 0")]
    request = interest_request(hello, statuses)
    assert request is not None
    assert json.loads(request) == {"type": "interest", "id": 1,
                                   "statuses": [{"hardware_id": "robot-1", "name": "system_metrics: CPU"}]}
    assert interest_request({**hello, "capabilities": ["raw_level"]}, statuses) is None
    assert interest_request(json.loads(codec.hello("r", "1.0", [], 5.0, 7, protocol=1)), statuses) is None
