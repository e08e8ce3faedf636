"""The store's scale hint (decimals a text shows) computed for many texts at once, against the
one-text rule it stands for."""

from __future__ import annotations

import itertools
import random

from chedweb_bridge.store.scale_hints import _plain_decimals, decimals, decimals_of

# The characters the rule looks at: spaces of both kinds strip() removes, signs, the point,
# digits, an exponent, and a character that is none of these.
ALPHABET = " \t\x1f+-.09eEx"


def test_every_short_string_gets_the_one_text_rule() -> None:
    texts = [""] + ["".join(p) for n in range(1, 5) for p in itertools.product(ALPHABET, repeat=n)]
    assert decimals_of(texts).tolist() == [decimals(t) for t in texts]


def test_random_texts_in_random_groups_get_the_one_text_rule() -> None:
    rnd = random.Random(7)
    pool = ALPHABET + "123456789\n\r\x0b"
    for _ in range(300):
        texts = ["".join(rnd.choice(pool) for _ in range(rnd.randrange(12)))
                 for _ in range(rnd.randrange(1, 60))]
        texts += [f"{rnd.uniform(-1e4, 1e4):.{rnd.randrange(9)}f}" for _ in range(rnd.randrange(20))]
        rnd.shuffle(texts)
        assert decimals_of(texts).tolist() == [decimals(t) for t in texts], texts


def test_plain_numbers_and_odd_ones() -> None:
    texts = ["12.50", "7", "-0.00", "+.5", "1e5", "5.", " 7 ", "\t8.25\t", "0x1F", "12.3456789012",
             "1.234567", "1.2345678", "", "   ", "+-1", "--1", "1.2.3", "1 .5", ".5 ", "１２", "1.２"]
    assert decimals_of(texts).tolist() == [decimals(t) for t in texts]
    assert decimals_of(texts[:6]).tolist() == [2, 0, 2, 1, -1, -1]
    assert decimals_of([]).tolist() == []
    assert decimals_of(["", ""]).tolist() == [-1, -1]


def test_plain_texts_take_the_short_form_and_get_the_one_text_rule() -> None:
    texts = [""] + ["".join(p) for n in range(1, 6) for p in itertools.product("+-.09", repeat=n)]
    got = _plain_decimals(texts)
    assert got is not None and got.tolist() == [decimals(t) for t in texts]
    rnd = random.Random(3)
    for _ in range(300):
        group = ["".join(rnd.choice("+-.0123456789") for _ in range(rnd.randrange(10)))
                 for _ in range(rnd.randrange(1, 40))]
        got = _plain_decimals(group)
        assert got is not None and got.tolist() == [decimals(t) for t in group], group
    assert _plain_decimals(["1.5", " 2"]) is None and _plain_decimals(["1\x002"]) is None
    assert _plain_decimals(["１２"]) is None and _plain_decimals([]) is None
