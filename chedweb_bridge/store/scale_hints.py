"""The decimals a value's text shows (pure): the scale the block codec tries first for its key.

`decimals` is the rule, one text at a time. `decimals_of` is the same rule over all the texts of
one DiagnosticArray at once, with numpy: the store asks it for ~1,000 texts a message at 10 Hz,
where the per-text calls cost ~0.4 ms a message (half the store's add). It gives exactly what
`decimals` gives for every text (test/unit/test_store_scale_hints.py checks every short string
over the characters that matter, and random longer ones); a text that is not ASCII is left to
`decimals` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chedweb_bridge.store.blockcodec import MAX_SCALE


def decimals(text: str) -> int:
    """Digits after the point of a plain decimal ("12.50" -> 2, "7" -> 0); -1 for any other form
    ("1e5", "0x1F", more than MAX_SCALE digits)."""
    dot = text.find(".")
    if dot < 0:
        return 0 if text.strip().lstrip("+-").isdigit() else -1
    fraction = text[dot + 1:].rstrip()
    return len(fraction) if fraction.isdigit() and len(fraction) <= MAX_SCALE else -1


# The ASCII characters str.strip() and str.rstrip() remove, and those str.isdigit() accepts.
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[ord(c) for c in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "]] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0"):ord("9") + 1] = True
_SIGN = np.zeros(256, dtype=bool)
_SIGN[[ord("+"), ord("-")]] = True


def decimals_of(texts: Sequence[str]) -> np.ndarray:
    """[decimals(t) for t in texts], as an int64 array, computed over the texts joined."""
    plain = _plain_decimals(texts)
    if plain is not None:
        return plain
    joined = "".join(texts)
    if not joined.isascii():
        return np.array([decimals(t) for t in texts], dtype=np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    size = len(joined)
    if size == 0:
        return np.full(len(texts), -1, dtype=np.int64)
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    space, digit = _SPACE[chars], _DIGIT[chars]
    index = np.arange(size + 1, dtype=np.int64)
    # Per position: the last non-space at or before it (-1: none), and the first non-space and
    # the first non-sign at or after it (size: none); non-digits before it, counted.
    last_solid = np.maximum.accumulate(np.where(space, -1, index[:-1]))
    next_solid = np.minimum.accumulate(np.append(np.where(space, size, index[:-1]), size)[::-1])[::-1]
    next_unsigned = np.minimum.accumulate(np.append(np.where(_SIGN[chars], size, index[:-1]),
                                                    size)[::-1])[::-1]
    non_digits = np.concatenate(([0], np.cumsum(~digit)))
    # Each text's solid end: one past its last non-space (at its start when it has none).
    last = last_solid[np.maximum(ends - 1, 0)]
    solid_end = np.where((lengths > 0) & (last >= starts), last + 1, starts)
    # Without a point: after the spaces and then the signs at the front, one digit or more and
    # only digits up to the solid end.
    solid_start = next_solid[starts]
    body = next_unsigned[np.minimum(solid_start, size)]
    body = np.minimum(body, solid_end)
    integer = (solid_start < solid_end) & (body < solid_end) & (non_digits[solid_end] - non_digits[body] == 0)
    return _with_points(chars, starts, ends, solid_end, non_digits, integer)


def _with_points(chars: np.ndarray, starts: np.ndarray, ends: np.ndarray, solid_ends: np.ndarray,
                 non_digits: np.ndarray, integer: np.ndarray) -> np.ndarray:
    """The rule's end, in both forms: a text with a point shows the digits between its first
    point and its solid end (one past its last non-space), if they are 1 to MAX_SCALE digits and
    nothing else (else -1); one without shows 0 where it is an `integer`, else -1. The texts are
    chars[starts:ends]; non_digits[i] counts the non-digits before chars[i]."""
    dots = np.flatnonzero(chars == ord("."))
    if not len(dots):
        return np.where(integer, 0, -1).astype(np.int64)
    at = np.searchsorted(dots, starts)
    first_dot = dots[np.minimum(at, len(dots) - 1)]
    has_dot = (at < len(dots)) & (first_dot < ends)
    frac_start = first_dot + 1
    frac_end = np.maximum(solid_ends, frac_start)
    digits = frac_end - frac_start
    with_dot = np.where((digits >= 1) & (digits <= MAX_SCALE)
                        & (non_digits[frac_end] - non_digits[frac_start] == 0), digits, -1)
    return np.where(has_dot, with_dot, np.where(integer, 0, -1)).astype(np.int64)


_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[[ord(c) for c in "0123456789+-.\x00"]] = True


def _plain_decimals(texts: Sequence[str]) -> np.ndarray | None:
    """decimals_of where every text is only digits, signs and points (what numbers sent as plain
    decimals are): fewer numpy calls, so cheaper than the general form. None for other texts."""
    joined = "\x00".join(texts)  # the separator is not one of the texts' characters (checked)
    if not texts or not joined.isascii():
        return None
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    if not _PLAIN[chars].all():
        return None
    seps = np.flatnonzero(chars == 0)
    if len(seps) != len(texts) - 1:
        return None  # a text holds a NUL
    starts = np.concatenate(([0], seps + 1))
    ends = np.concatenate((seps, [len(chars)]))
    digit = _DIGIT[chars]
    non_digits = np.concatenate(([0], np.cumsum(~digit)))
    # Without a point: signs, then one digit or more (lstrip("+-"), isdigit): a digit somewhere,
    # and no sign right after a digit (nothing but digits and signs in such a text here).
    turns = np.concatenate(([0, 0], np.cumsum(digit[:-1] & _SIGN[chars[1:]])))
    integer = ((non_digits[ends] - non_digits[starts] < ends - starts)
               & (turns[ends] - turns[np.minimum(starts + 1, ends)] == 0))
    return _with_points(chars, starts, ends, ends, non_digits, integer)  # no spaces: the ends are solid
