"""consent.install against the aioice it finds: it replaces aioice's consent loop only when every
part the replacement calls is there, else keeps aioice's own and says why (a replacement whose
checks all failed would close every connection after 30 s)."""

from __future__ import annotations

from typing import Any

import pytest
from aioice import ice

from chedweb_bridge import consent


def test_installed_on_the_pinned_aioice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ice.Connection, "query_consent", ice.Connection.query_consent)
    assert consent.install() is None
    assert ice.Connection.query_consent is consent._query_consent


def test_an_aioice_without_retransmissions_keeps_its_own_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    own = ice.Connection.query_consent

    async def request(self: Any, request: Any, addr: Any, integrity_key: Any = None) -> Any:
        raise AssertionError("not called")

    monkeypatch.setattr(ice.Connection, "query_consent", own)
    monkeypatch.setattr(ice.StunProtocol, "request", request)
    why = consent.install()
    assert why is not None and "StunProtocol.request(retransmissions=)" in why and "own consent rule" in why
    assert ice.Connection.query_consent is own


def test_an_aioice_without_the_consent_loop_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(ice.Connection, "query_consent")
    why = consent.install()
    assert why is not None and "Connection.query_consent" in why
    assert not hasattr(ice.Connection, "query_consent")
