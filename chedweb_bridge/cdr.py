"""DiagnosticArray straight from its serialized CDR bytes to protocol statuses (pure).

Why: rclpy's deserialisation of an array of 20 statuses into Python message objects costs
~0.6 ms, more than everything else the bridge does per message on the ROS side, and it sits on
the latency path. The bridge subscribes with raw=True and decodes here, into exactly the dicts
the codec sends, in a fraction of that. Any encoding this does not know raises CdrError and the
caller falls back to rclpy's own deserialisation, so nothing is ever lost to this shortcut.

Encodings: XCDR1 (plain CDR), little- and big-endian, and nothing else. The layout, after a 4-byte
encapsulation header, with each field aligned relative to the header's end:
  header: int32 sec, uint32 nanosec, string frame_id
  sequence<DiagnosticStatus>: uint32 count, then per status:
    octet level, string name, string message, string hardware_id,
    sequence<KeyValue>: uint32 count, then string key, string value
  string: uint32 length including the NUL, then the bytes and the NUL.
XCDR2 (PLAIN_CDR2, 0x0006/0x0007) is refused on purpose, so that rclpy decodes it: Fast-CDR 2
writes a DHEADER (a uint32 byte count) before a sequence whose elements are not primitive, such as
`status` and `values` here, which this layout would read as the element count.
"""

from __future__ import annotations

import struct

from chedweb_bridge.codec import Status

# Encapsulation identifiers (OMG DDS-XTypes 7.6.3.1.2) decoded here: CDR_LE and CDR_BE (XCDR1).
_LITTLE = {b"\x00\x01": True, b"\x00\x00": False}


class CdrError(ValueError):
    """Not a DiagnosticArray in an encoding decoded here."""


def decode_diagnostic_array(buf: bytes) -> tuple[int, int, list[Status]]:
    """(stamp sec, stamp nanosec, statuses in protocol form). Raises CdrError."""
    try:
        return _decode(bytes(buf))
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise CdrError(f"malformed: {exc}") from None


def _decode(buf: bytes) -> tuple[int, int, list[Status]]:
    # Written flat, without helper calls: this runs once per message on the latency path.
    little = _LITTLE.get(buf[:2])
    if little is None:
        raise CdrError(f"unsupported encapsulation {buf[:2].hex()}")
    u32 = struct.Struct("<I" if little else ">I").unpack_from
    sec, nanosec = struct.unpack_from("<iI" if little else ">iI", buf, 4)
    end = len(buf)
    pos = 12
    (n,) = u32(buf, pos)  # frame_id, skipped
    pos += 4 + n
    pos += (-pos) & 3  # offsets are aligned relative to the 4-byte header: same as absolute mod 4
    (count,) = u32(buf, pos)
    pos += 4
    if count > end - pos:
        raise CdrError("sequence longer than the message")
    statuses: list[Status] = []
    fields: list[str] = [""] * 3
    # (pos + 3) & -4 aligns pos to 4 in one step (pos is never negative).
    for _ in range(count):
        level = buf[pos]
        pos += 1
        for f in range(3):  # name, message, hardware_id
            pos = (pos + 3) & -4
            (n,) = u32(buf, pos)
            start = pos + 4
            pos = start + n
            if n == 0 or pos > end:
                raise CdrError("bad string length")
            fields[f] = buf[start:pos - 1].decode()
        pos = (pos + 3) & -4
        (nvalues,) = u32(buf, pos)
        pos += 4
        if nvalues > end - pos:
            raise CdrError("sequence longer than the message")
        values: dict[str, str] = {}
        for _ in range(nvalues):
            pos = (pos + 3) & -4
            (n,) = u32(buf, pos)
            start = pos + 4
            pos = start + n
            if n == 0 or pos > end:
                raise CdrError("bad string length")
            key = buf[start:pos - 1].decode()
            pos = (pos + 3) & -4
            (n,) = u32(buf, pos)
            start = pos + 4
            pos = start + n
            if n == 0 or pos > end:
                raise CdrError("bad string length")
            values[key] = buf[start:pos - 1].decode()
        statuses.append({"name": fields[0], "level": level, "message": fields[1],
                         "hardware_id": fields[2], "values": values})
    if pos > end:
        raise CdrError("truncated")
    return sec, nanosec, statuses

