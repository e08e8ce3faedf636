"""Who may open /ws and read /config (pure): the auth token and the WebSocket Origin check."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from urllib.parse import urlsplit


def token_ok(expected: str, given: str | None) -> bool:
    """No token configured: open. Otherwise a constant-time comparison."""
    if not expected:
        return True
    return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))


def origin_ok(origin: str | None, host_header: str | None, allowed: Sequence[str]) -> bool:
    """Browsers always send Origin on a WebSocket; a request without one is not from a web page
    (a script or a test client) and cannot be a cross-site attack, so it is let through.
    `allowed` empty: same origin only (Origin's host:port equals the Host header).
    Otherwise Origin must equal one entry (scheme://host[:port], case-insensitive), or an entry is "*".
    """
    if origin is None or origin == "":
        return True
    if allowed:
        wanted = {a.strip().rstrip("/").lower() for a in allowed}
        return "*" in wanted or origin.strip().rstrip("/").lower() in wanted
    if not host_header:
        return False
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return netloc.lower() == host_header.strip().lower()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750; the scheme is
    case-insensitive), as Prometheus sends it from a scrape config's `authorization`."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def cors_origin(origin: str | None, allowed: Sequence[str]) -> str | None:
    """The value for Access-Control-Allow-Origin on a read a page of another origin makes (GET
    /config from fleet.html served by another bridge): that page's Origin when `allowed`
    (the allowed_origins parameter) lists it or "*", else None and no header. The same-origin
    default needs no CORS, so it grants none."""
    if not origin or not allowed:
        return None
    wanted = {a.strip().rstrip("/").lower() for a in allowed}
    return origin if "*" in wanted or origin.strip().rstrip("/").lower() in wanted else None
