"""cdr.py against rclpy's own serializer: identical statuses for every shape, CdrError (never
another exception) for anything else."""

from __future__ import annotations

import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.serialization import serialize_message

from chedweb_bridge import cdr, codec

LEVELS = (DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR, DiagnosticStatus.STALE)


def array(frame_id: str, statuses: list[tuple[str, int, str, str, list[tuple[str, str]]]],
          sec: int = 1764200000, nanosec: int = 123) -> DiagnosticArray:
    msg = DiagnosticArray()
    msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
    msg.header.frame_id = frame_id
    for name, level, message, hw, values in statuses:
        s = DiagnosticStatus(name=name, level=LEVELS[level], message=message, hardware_id=hw)
        s.values = [KeyValue(key=k, value=v) for k, v in values]
        msg.status.append(s)
    return msg


CASES = [
    array("", []),
    array("", [("", 0, "", "", [])]),
    array("a", [("n: x", 1, "m", "hw", [("k", "v")])], sec=0, nanosec=0),
    array("abc", [("n: x", 2, "mm", "", [("k", "1"), ("k", "2")])]),  # repeated key: last wins
    array("abcd", [("ünïcode: ✓", 3, "é", "ホスト", [("温度 degC", "41.5"), ("", "")])]),
    array("frame", [(f"s{i}" * (i % 5), i % 4, "x" * i, "h" * (i % 3), [(f"k{j}" * (j % 3), "v" * j)
                                                                       for j in range(i % 7)])
                    for i in range(40)]),
]


@pytest.mark.parametrize("msg", CASES)
def test_same_as_rclpy(msg: DiagnosticArray) -> None:
    sec, nanosec, statuses = cdr.decode_diagnostic_array(serialize_message(msg))
    assert (sec, nanosec) == (msg.header.stamp.sec, msg.header.stamp.nanosec)
    assert statuses == codec.statuses_from_msg(msg)



def test_every_truncation_is_a_cdr_error() -> None:
    data = serialize_message(CASES[-2])
    for cut in range(len(data) - 1):
        try:
            cdr.decode_diagnostic_array(data[:cut])
        except cdr.CdrError:
            continue
        # A cut inside trailing padding can still decode: then it must decode to the same thing.
        assert cdr.decode_diagnostic_array(data[:cut]) == cdr.decode_diagnostic_array(data)


def test_unknown_encapsulation_and_garbage() -> None:
    data = bytearray(serialize_message(CASES[2]))
    data[1] = 0x09  # D_CDR2: not decoded here, the bridge falls back to rclpy
    with pytest.raises(cdr.CdrError, match="encapsulation"):
        cdr.decode_diagnostic_array(bytes(data))
    with pytest.raises(cdr.CdrError):
        cdr.decode_diagnostic_array(b"\x00\x01\x00\x00" + b"\xff" * 40)
    bad_utf8 = serialize_message(array("", [("n", 0, "m", "h", [])])).replace(b"n\x00", b"\xff\x00")
    with pytest.raises(cdr.CdrError):
        cdr.decode_diagnostic_array(bad_utf8)
