"""cdr.py against rclpy's own serializer: identical statuses for every shape, in little- and
big-endian XCDR1; CdrError (never another exception) for anything else, XCDR2 included."""

from __future__ import annotations

import struct

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


def to_big_endian(le: bytes) -> bytes:
    """The same DiagnosticArray as CDR_BE, rewritten from rclpy's CDR_LE bytes by walking the layout
    in cdr.py's docstring: every integer's bytes reversed, strings and padding where they were
    (alignment is relative to the header, so it does not move). rclpy serializes in the machine's
    order only, so the big-endian case is built here, independently of cdr.py's decoder."""
    assert le[:2] == b"\x00\x01", "rclpy wrote CDR_LE"
    out = bytearray(le)
    out[:2] = b"\x00\x00"

    def swap_u32(pos: int) -> int:
        pos += (-pos) & 3
        (value,) = struct.unpack_from("<I", le, pos)
        struct.pack_into(">I", out, pos, value)
        return value

    def string(pos: int) -> int:
        pos += (-pos) & 3
        n = swap_u32(pos)
        return pos + 4 + n

    swap_u32(4)  # sec (int32: the same bytes reversed)
    swap_u32(8)  # nanosec
    pos = string(12)  # frame_id
    pos += (-pos) & 3
    count = swap_u32(pos)
    pos += 4
    for _ in range(count):
        pos += 1  # level, one octet
        for _ in range(3):  # name, message, hardware_id
            pos = string(pos)
        pos += (-pos) & 3
        nvalues = swap_u32(pos)
        pos += 4
        for _ in range(2 * nvalues):
            pos = string(pos)
    return bytes(out)


@pytest.mark.parametrize("msg", CASES)
def test_big_endian_same_as_rclpy(msg: DiagnosticArray) -> None:
    """Read as little-endian, every length in these bytes would be wrong: this fails if the
    decoder ignores the encapsulation's byte order."""
    big = to_big_endian(serialize_message(msg))
    sec, nanosec, statuses = cdr.decode_diagnostic_array(big)
    assert (sec, nanosec) == (msg.header.stamp.sec, msg.header.stamp.nanosec)
    assert statuses == codec.statuses_from_msg(msg)


def test_big_endian_bytes_differ_from_little_endian() -> None:
    """The helper really swaps: a stamp and lengths that read differently in the other order."""
    le = serialize_message(CASES[3])
    be = to_big_endian(le)
    assert be[4:8] == le[4:8][::-1] and be[4:8] != le[4:8]
    assert struct.unpack_from("<I", be, 12) != struct.unpack_from("<I", le, 12)


@pytest.mark.parametrize("encapsulation", [b"\x00\x06", b"\x00\x07", b"\x00\x0a", b"\x00\x0b"],
                         ids=["PLAIN_CDR2_BE", "PLAIN_CDR2_LE", "D_CDR2_BE", "D_CDR2_LE"])
def test_xcdr2_falls_back_to_rclpy(encapsulation: bytes) -> None:
    """XCDR2 puts a DHEADER before sequences of structs: refused here, so rclpy decodes it."""
    data = encapsulation + serialize_message(CASES[2])[2:]
    with pytest.raises(cdr.CdrError, match="encapsulation"):
        cdr.decode_diagnostic_array(data)



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


@pytest.mark.parametrize("field", [b"kk\x00", b"vv\x00", b"nn\x00"])
def test_a_string_of_length_zero_is_a_cdr_error(field: bytes) -> None:
    """A CDR string's length counts its NUL, so 0 is malformed (the bridge then falls back to rclpy): a key's,
    a value's or a status field's."""
    data = serialize_message(array("", [("nn", 0, "m", "h", [("kk", "vv")])]))
    at = data.index(field) - 4
    assert struct.unpack_from("<I", data, at)[0] == 3
    with pytest.raises(cdr.CdrError, match="bad string length"):
        cdr.decode_diagnostic_array(data[:at] + b"\x00\x00\x00\x00" + data[at + 4:])
