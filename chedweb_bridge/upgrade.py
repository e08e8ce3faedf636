"""Is a /ws request a well-formed WebSocket upgrade (RFC 6455 4.2.1)? Pure: WSGI environ in,
reason out.

Checked before flask-sock hands the request to simple-websocket and wsproto, which raise on a
malformed one: that was a 500 with a 31-51 line traceback per request, for anyone, token or not.
Now it is a 400 with the reason and no log line.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

WEBSOCKET_VERSION = "13"


def _tokens(value: object) -> set[str]:
    return {t.strip(" \t").lower() for t in str(value or "").split(",")}


def upgrade_problem(environ: Mapping[str, Any]) -> str | None:
    """None for a valid upgrade request; otherwise why it is not one."""
    if environ.get("REQUEST_METHOD") != "GET":
        return "a WebSocket upgrade must be a GET"
    if "upgrade" not in _tokens(environ.get("HTTP_CONNECTION")) or \
            "websocket" not in _tokens(environ.get("HTTP_UPGRADE")):
        return "not a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)"
    version = str(environ.get("HTTP_SEC_WEBSOCKET_VERSION", "")).strip()
    if version != WEBSOCKET_VERSION:
        return f"unsupported Sec-WebSocket-Version {version[:20]!r} (supported: {WEBSOCKET_VERSION})"
    key = str(environ.get("HTTP_SEC_WEBSOCKET_KEY", "")).strip()
    try:
        ok = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        return "missing or invalid Sec-WebSocket-Key"
    return None
