"""ICE consent freshness as RFC 7675 words it, for every connection of the bridge (installed once
aiortc is imported: lazy_aiortc.load).

Why: aioice (0.13, aiortc's ICE) sends a consent check every 5 s as a single STUN request that
fails unless its response is back within 0.5 s (no retransmission), and closes the connection
after 6 such failures in a row. A browser whose answers take longer than 0.5 s for 30 s (a
starved client process or tab, a congested link with bufferbloat: it is alive and reading, just
late) was closed by the bridge: its DTLS and SCTP ended under it ("closed (data channel closed)"
in the log) and the page went silent. That is what silenced the older peers of bench.fanout's
100-peer step on a loaded machine (docs/benchmarks.md, "Why older peers went silent").
RFC 7675 section 5.1 retransmits each check as any STUN request and expires consent only when
no response to any check arrived for 30 s; Chromium does so. Here: a check every ~5 s (0.8-1.2x,
as aioice), each sent again 0.5, 1.5 and 3.5 s later (its response counted for up to 7.5 s),
and the connection closed once no authenticated response arrived for CONSENT_TIMEOUT_S. A peer
that is really gone (its process ended or frozen, its network lost) still goes after 30-35 s.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from typing import Any

from chedweb_bridge import installed

CONSENT_INTERVAL_S = 5.0
CONSENT_TIMEOUT_S = 30.0  # RFC 7675 section 5.1
# STUN retransmissions of one check (RTO 0.5 s doubling: sent at 0, 0.5, 1.5 and 3.5 s, given up
# at 7.5 s): a late response still counts, and a lost datagram is sent again.
CHECK_RETRANSMISSIONS = 3


def consent_expired(last_response: float, now: float) -> bool:
    """No response to any consent check for CONSENT_TIMEOUT_S (times on the loop's clock)."""
    return now - last_response > CONSENT_TIMEOUT_S


async def _query_consent(self: Any) -> None:
    """aioice.ice.Connection.query_consent with RFC 7675's rule (see the module's docstring).
    Uses what aioice's own version uses: _nominated, build_request, the pair's protocol, the
    remote password, and close() (which cancels this task, so it forgets it before closing)."""
    from aioice import stun

    loop = asyncio.get_running_loop()
    last_response = loop.time()
    checks: set[asyncio.Task[None]] = set()

    async def check(pair: Any) -> None:
        nonlocal last_response
        try:
            await pair.protocol.request(self.build_request(pair, nominate=False), pair.remote_addr,
                                        integrity_key=self.remote_password.encode("utf8"),
                                        retransmissions=CHECK_RETRANSMISSIONS)
        except (stun.TransactionError, ConnectionError, OSError):
            return  # unanswered (or its socket closed): only the 30 s without any answer counts
        last_response = loop.time()

    try:
        while True:
            await asyncio.sleep(CONSENT_INTERVAL_S * (0.8 + 0.4 * random.random()))
            if consent_expired(last_response, loop.time()):
                # close() cancels the consent task, which is this one: forget it first, under the
                # name this aioice gives it (0.13: _query_consent_task; 0.8, Debian's: _handle).
                self._query_consent_task = self._query_consent_handle = None
                await self.close()
                return
            for pair in list(self._nominated.values()):
                task = asyncio.ensure_future(check(pair))
                checks.add(task)
                task.add_done_callback(checks.discard)
    finally:
        for task in list(checks):
            task.cancel()


def install() -> str | None:
    """Replaces aioice's consent loop in this process (idempotent). None when installed, else why
    not: an aioice without the parts `_query_consent` calls (another version, say a distribution's
    python3-aioice) keeps its own rule, which is stricter but works, rather than a replacement
    whose checks would all fail and close every connection after 30 s. The caller logs the reason:
    never silent, and test_consent.py goes red."""
    from aioice import ice, stun

    missing = [name for name, ok in (
        ("Connection.query_consent", callable(getattr(ice.Connection, "query_consent", None))),
        ("Connection.build_request", callable(getattr(ice.Connection, "build_request", None))),
        ("stun.TransactionError", isinstance(getattr(stun, "TransactionError", None), type)),
        ("StunProtocol.request(retransmissions=)", _has_parameter(getattr(ice, "StunProtocol", None),
                                                                  "request", "retransmissions")),
    ) if not ok]
    if missing:
        version = installed.version("aioice", "(unknown version)")
        return f"aioice {version} lacks {', '.join(missing)}: its own consent rule is kept " \
               "(a peer answering consent checks over 0.5 s late for 30 s is closed)"
    ice.Connection.query_consent = _query_consent  # type: ignore[method-assign]
    return None


def _has_parameter(cls: Any, method: str, parameter: str) -> bool:
    try:
        return parameter in inspect.signature(getattr(cls, method)).parameters
    except (AttributeError, TypeError, ValueError):
        return False
