"""Signaling frame parsing, the frame rate limit, ICE server entries, access checks, parameters."""

from __future__ import annotations

import json

import pytest

from chedweb_bridge import access
from chedweb_bridge import signaling_messages as sm
from chedweb_bridge.ice import IceServer, parse_ice_server, parse_ice_servers

CAND = "candidate:842163049 1 udp 1677729535 198.18.0.2 51234 typ srflx raddr 0.0.0.0 rport 0"


def test_offer() -> None:
    assert sm.parse_frame('{"type":"offer","sdp":"v=0\\r\\n"}') == sm.Offer("v=0\r\n")


def test_offer_compression_list() -> None:
    """Capability deflate-raw: the encodings a page can decode; unknown names are kept (and
    ignored by the registry), anything but a short list of short strings is refused."""
    offer = sm.parse_frame(json.dumps({"type": "offer", "sdp": "v=0",
                                       "compression": ["deflate-raw", "zstd"]}))
    assert offer == sm.Offer("v=0", ("deflate-raw", "zstd"))
    for bad in ("deflate-raw", ["x"] * 9, [1], ["x" * 65], {"deflate-raw": True}):
        refusal = sm.parse_frame(json.dumps({"type": "offer", "sdp": "v=0", "compression": bad}))
        assert refusal == sm.Refusal("invalid offer: 'compression' is not a list of at most 8 names"), bad


@pytest.mark.parametrize(("frame", "reason"), [
    ("not json", "malformed message: not JSON"),
    ("[]", "malformed message: not a JSON object"),
    ('{"sdp":"x"}', "malformed message: no string 'type'"),
    ('{"type":3}', "malformed message: no string 'type'"),
    ('{"type":"subscribe"}', "unknown message type 'subscribe'"),
    ('{"type":"offer"}', "invalid offer: no SDP"),
    ('{"type":"offer","sdp":"  "}', "invalid offer: no SDP"),
    ('{"type":"offer","sdp":["v=0"]}', "invalid offer: no SDP"),
    ('{"type":"candidate","candidate":"nonsense","sdpMid":"0"}', "malformed candidate"),
    ('{"type":"candidate","candidate":5}', "malformed candidate"),
    (json.dumps({"type": "candidate", "candidate": CAND}), "needs 'sdpMid' or 'sdpMLineIndex'"),
    (json.dumps({"type": "candidate", "candidate": CAND, "sdpMLineIndex": -1}), "sdpMLineIndex"),
    (json.dumps({"type": "candidate", "candidate": CAND.replace("51234", "port"), "sdpMid": "0"}),
     "malformed"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_refusals(frame: str | bytes, reason: str) -> None:
    result = sm.parse_frame(frame)
    assert isinstance(result, sm.Refusal) and reason in result.reason, result


def test_long_unknown_type_is_shortened() -> None:
    result = sm.parse_frame(json.dumps({"type": "x" * 500}))
    assert isinstance(result, sm.Refusal) and len(result.reason) < 80


def test_candidates() -> None:
    c = sm.parse_frame(json.dumps({"type": "candidate", "candidate": CAND, "sdpMid": "0",
                                   "sdpMLineIndex": 0}))
    assert c == sm.Candidate(CAND, "0", 0) and isinstance(c, sm.Candidate) and not c.is_mdns
    c = sm.parse_frame(json.dumps({"type": "candidate", "candidate": "a=" + CAND, "sdpMid": "0"}))
    assert c == sm.Candidate(CAND, "0", None)
    mdns = CAND.replace("198.18.0.2", "4b1e8c2a-1f0e-4a2b-9c3d-0123456789ab.local")
    c = sm.parse_frame(json.dumps({"type": "candidate", "candidate": mdns, "sdpMid": "0"}))
    assert isinstance(c, sm.Candidate) and c.is_mdns
    for end in ('{"type":"candidate","candidate":null}', '{"type":"candidate","candidate":""}',
                '{"type":"candidate"}'):
        assert sm.parse_frame(end) == sm.EndOfCandidates()


def test_replies() -> None:
    assert json.loads(sm.answer("v=0")) == {"type": "answer", "sdp": "v=0"}
    assert json.loads(sm.error("nope")) == {"type": "error", "message": "nope"}


def test_frame_size_counts_bytes() -> None:
    assert sm.frame_size("é" * 10) == 20 and sm.frame_size(b"abc") == 3


def test_rate_limit_sliding_window() -> None:
    limit = sm.FrameRateLimit(limit=3, window=1.0)
    assert [limit.allow(t) for t in (0.0, 0.1, 0.2, 0.3)] == [True, True, True, False]
    assert limit.allow(1.05) and not limit.allow(1.06)
    assert limit.allow(2.5)


def test_ice_servers() -> None:
    assert parse_ice_server("stun:stun.example.org:3478") == IceServer("stun:stun.example.org:3478")
    turn = parse_ice_server("turn:t.example.org:3478?transport=udp|robot|secret")
    assert turn == IceServer("turn:t.example.org:3478?transport=udp", "robot", "secret")
    assert turn.to_browser() == {"urls": "turn:t.example.org:3478?transport=udp", "username": "robot",
                                 "credential": "secret"}
    rtc = turn.to_rtc()
    assert (rtc.urls, rtc.username, rtc.credential) == (turn.url, "robot", "secret")
    assert parse_ice_servers(["", "stun:a"]) == [IceServer("stun:a")]
    for bad in ("http://x", "stun:", "turn:t.example.org", "stun:a|user", "stun:a|u|c|d"):
        with pytest.raises(ValueError, match="ice_servers entry"):
            parse_ice_server(bad)


def test_token() -> None:
    assert access.token_ok("", None) and access.token_ok("", "anything")
    assert access.token_ok("s3cret", "s3cret")
    assert not access.token_ok("s3cret", None) and not access.token_ok("s3cret", "s3cre")
