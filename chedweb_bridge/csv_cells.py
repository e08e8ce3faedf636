"""CSV cells (pure): the one neutralising rule, the bridge's twin of the page's (web/src/csv.ts).

A text cell that a spreadsheet would run as a formula (first character = + - @ TAB or CR) gets a
leading apostrophe, as OWASP recommends for CSV injection; then any cell holding a comma, a double
quote, CR or LF is quoted with its quotes doubled (RFC 4180). Numbers are written as numbers and
never neutralised: "-1.5" must stay a number. test/contract/csv_cells.json holds the cases both
test suites check.
"""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = (",", '"', "\r", "\n")


def text_cell(text: str) -> str:
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    if any(c in text for c in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def number_cell(value: float | None) -> str:
    """An empty cell for no value; integers without a trailing .0; floats as Python's repr (the
    shortest text that reads back as the same float)."""
    if value is None or value != value:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def row(cells: list[str]) -> str:
    return ",".join(cells) + "\r\n"
