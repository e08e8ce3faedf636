"""The bridge's alert state and the page requests that change it (pure: alert_state.py, requests.py)."""

from __future__ import annotations

import json

import pytest

from chedweb_bridge import alert_state, requests
from chedweb_bridge.alert_state import AlertBook

KEY = "status:r\u0000a"


def req(**fields: object) -> str:
    base: dict[str, object] = {"type": "alert_ack", "id": 7, "key": KEY, "by": "ann", "level": 2}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None})


def test_a_valid_ack_and_mute_parse() -> None:
    r = requests.parse(req())
    assert isinstance(r, requests.AlertRequest)
    assert (r.type, r.id, r.key, r.by, r.level, r.token) == ("alert_ack", 7, KEY, "ann", 2, None)
    m = requests.parse(req(type="alert_mute", seconds=300, level=None, token="t"))
    assert isinstance(m, requests.AlertRequest)
    assert (m.type, m.seconds, m.token) == ("alert_mute", 300, "t")
    u = requests.parse(req(type="alert_unmute", level=None))
    assert isinstance(u, requests.AlertRequest) and u.type == "alert_unmute"


@pytest.mark.parametrize(("text", "rid", "reason"), [
    ("{not json", None, "not JSON"),
    ("[1]", None, "not a JSON object"),
    (req(id="7"), None, "integer 'id'"),
    (req(id=True), None, "integer 'id'"),
    (req(id=-1), None, "integer 'id'"),
    (req(type="reboot_robot"), 7, "unknown request type"),
    (req(key=""), 7, "'key'"),
    (req(key="k" * 513), 7, "'key'"),
    (req(by=" "), 7, "'by'"),
    (req(by=None), 7, "'by'"),
    (req(level=4), 7, "'level'"),
    (req(level=1.0), 7, "'level'"),
    (req(type="alert_mute", seconds=0), 7, "'seconds'"),
    (req(type="alert_mute", seconds=86401), 7, "'seconds'"),
    (req(token=5), 7, "'token'"),
    (req(key="k" * 5000), 7, "above 4096 bytes"),  # only an `interest` may be larger
    ("x" * 70000, None, "above 65536 bytes"),
    ("[" * 4000, None, "not JSON"),  # nested too deeply for json.loads: RecursionError before
    (json.dumps({"type": "interest", "id": 3, "statuses": [{"hardware_id": "h"}]}), 3, "statuses[0]"),
])
def test_bad_requests_are_refused_with_a_reason(text: str, rid: int | None, reason: str) -> None:
    with pytest.raises(requests.RequestError) as info:
        requests.parse(text)
    assert info.value.request_id == rid
    assert reason in info.value.message
    reply = json.loads(requests.error_reply(info.value.request_id, info.value.message))
    assert reply["type"] == "error" and reply["id"] == (-1 if rid is None else rid)


def _counting_json_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts requests.parse hands to json.loads from now on."""
    parsed: list[str] = []
    real = json.loads

    def counting(text: str, *args: object, **kwargs: object) -> object:
        parsed.append(text)
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(requests.json, "loads", counting)
    return parsed


@pytest.mark.parametrize(("text", "rid"), [
    (req(key="k" * 5000), 7),
    (json.dumps({"type": "query", "hardware_id": "h" * 5000, "id": 12}), 12),  # the page puts id last
    (json.dumps({"type": "levels", "id": 3, "x": {"id": 4}, "y": "k" * 5000}), None),  # which "id"?
    ("{" + "k" * 5000, None),  # not even JSON: refused for its size all the same
])
def test_a_large_request_that_is_no_interest_is_refused_before_it_is_parsed(
        text: str, rid: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an interest may be above 4 KiB: any other is refused without parsing its JSON (up to
    64 KiB of it on the loop that owns the peers), with the id its text names."""
    parsed = _counting_json_loads(monkeypatch)
    with pytest.raises(requests.RequestError) as info:
        requests.parse(text)
    assert (info.value.request_id, info.value.message) == (rid, "request above 4096 bytes")
    assert parsed == []


def test_a_large_request_naming_interest_elsewhere_is_parsed_then_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _counting_json_loads(monkeypatch)
    text = req(key="k" * 5000, by="interest")
    with pytest.raises(requests.RequestError) as info:
        requests.parse(text)
    assert (info.value.request_id, info.value.message) == (7, "request above 4096 bytes")
    assert parsed == [text]


def test_an_interest_parses_to_distinct_statuses_and_may_be_larger_than_other_requests() -> None:
    many = [{"hardware_id": "robot-1", "name": f"node {i}: a status name of some length"} for i in range(200)]
    text = json.dumps({"type": "interest", "id": 9, "statuses": many + many[:5]})
    assert requests.MAX_REQUEST_BYTES < len(text) < requests.MAX_INTEREST_BYTES
    parsed = requests.parse(text)
    assert isinstance(parsed, requests.InterestRequest) and parsed.id == 9
    assert parsed.statuses == frozenset(("robot-1", s["name"]) for s in many)
    assert json.loads(requests.interest_reply(9, 200)) == {"type": "interest_ok", "id": 9, "statuses": 200,
                                                           "latest": []}


def test_limiter_allows_a_burst_then_the_rate() -> None:
    lim = requests.RequestLimiter(rate=2.0, burst=3.0)
    assert [lim.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert lim.allow(0.4) is False  # 0.8 of a token
    assert lim.allow(0.5) is True   # 1.0
    assert [lim.allow(100.0) for _ in range(4)] == [True, True, True, False]  # refill caps at burst


def test_book_keeps_acks_and_mutes_and_expires_mutes() -> None:
    book = AlertBook()
    book.ack("a", 2, "ann", 100.0)
    book.mute("b", 30, "bo", 100.0)
    msg = json.loads(book.message(101.0))
    assert msg == {"type": "alert_state", "now": 101.0,
                   "acks": [{"key": "a", "level": 2, "by": "ann", "at": 100.0}],
                   "mutes": [{"key": "b", "until": 130.0, "by": "bo", "at": 100.0}]}
    assert book.next_expiry() == 130.0
    assert book.expire(129.9) is False
    assert book.expire(130.0) is True
    assert book.mutes == {} and book.next_expiry() is None
    book.mute("c", 10, "bo", 0.0)
    assert book.unmute("c") is True and book.unmute("c") is False


def test_book_is_bounded_oldest_first() -> None:
    book = AlertBook()
    for i in range(alert_state.MAX_ENTRIES + 5):
        book.ack(f"k{i}", 1, "ann", float(i))
    assert len(book.acks) == alert_state.MAX_ENTRIES
    assert "k0" not in book.acks and f"k{alert_state.MAX_ENTRIES + 4}" in book.acks


def test_an_ack_ends_when_its_status_leaves_the_level_acknowledged() -> None:
    book = AlertBook()
    book.ack(KEY, 2, "ann", 100.0)
    book.ack("status:r\u0000b", 1, "ann", 100.0)
    book.ack("offline:r", 3, "ann", 100.0)
    statuses = [{"hardware_id": "r", "name": "a", "level": 0}, {"hardware_id": "r", "name": "b", "level": 1},
                {"hardware_id": "r", "name": "c", "level": 2}]
    changed = alert_state.changed_acks(book.acks, statuses)
    assert changed == [(KEY, 0)]  # b holds its level, c has no ack, a machine's ack is the page's
    assert book.end_acks(changed) and list(book.acks) == ["status:r\u0000b", "offline:r"]
    assert not book.end_acks(changed)  # nothing left to end
    # An ack given at the new level meanwhile (the loop runs end_acks later) stays.
    book.ack(KEY, 0, "bob", 101.0)
    assert not book.end_acks(changed) and book.acks[KEY].by == "bob"
    # Nothing acknowledged: no work at all.
    assert alert_state.changed_acks({}, statuses) == []
