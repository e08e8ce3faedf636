"""The bridge's CSV cells against the cases the page's tests read too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chedweb_bridge.csv_cells import number_cell, text_cell

CASES = json.loads((Path(__file__).resolve().parents[1] / "contract" / "csv_cells.json").read_text())


@pytest.mark.parametrize(("text", "cell"), CASES["text"])
def test_text_cells(text: str, cell: str) -> None:
    assert text_cell(text) == cell


@pytest.mark.parametrize(("value", "cell"), CASES["number"])
def test_number_cells(value: float, cell: str) -> None:
    assert number_cell(value) == cell


def test_no_value_is_an_empty_cell() -> None:
    assert number_cell(None) == "" and number_cell(float("nan")) == ""
