"""The fleet list (pure): the bridges that fleet.html lists besides the ones its user adds.

The `fleet` parameter holds their URLs ("http://robot2.local:8080/", with "?token=..." for a
bridge that has an auth_token), and GET /fleet hands them to the page, behind this bridge's own
token, since the list can carry the others' tokens. The browser then connects to each bridge
itself: no bridge relays another's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def url_problem(url: str) -> str | None:
    """None for an http(s) URL with a host, else what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"{url!r}: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r}: not an http:// or https:// URL with a host"
    if parts.fragment:
        return f"{url!r}: no #fragment"
    return None


def check(urls: Sequence[str]) -> str | None:
    bad = [p for p in (url_problem(u) for u in urls) if p]
    return f"fleet entries must be bridge URLs: {'; '.join(bad)}" if bad else None


@dataclass
class FleetSettings:
    # A plain attribute: the parameter callback replaces the list, GET /fleet reads it.
    robots: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, list[str]]:
        return {"robots": [u.strip() for u in self.robots if u.strip()]}
