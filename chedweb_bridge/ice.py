"""The `ice_servers` parameter: strings to RTCIceServer (for aiortc) and to the browser's form.

Each entry is either `URL` or `URL|username|credential`, where URL starts with stun:, stuns:,
turn: or turns:, for example "stun:stun.example.org:3478" or
"turn:turn.example.org:3478?transport=udp|robot|secret". TURN URLs need a username and credential.
The default is no entry at all: aiortc's own default (a public STUN server) stalls ICE gathering
for 5 s per peer where UDP to the internet is blocked, so the bridge always passes the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # aiortc is imported when the first socket opens (lazy_aiortc.py)
    from aiortc import RTCIceServer

_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


@dataclass(frozen=True)
class IceServer:
    url: str
    username: str | None = None
    credential: str | None = None

    def to_rtc(self) -> RTCIceServer:
        from aiortc import RTCIceServer

        return RTCIceServer(urls=self.url, username=self.username, credential=self.credential)

    def to_browser(self) -> dict[str, str]:
        """RTCIceServer init dictionary, as the page passes it to RTCPeerConnection."""
        out = {"urls": self.url}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out


def parse_ice_server(entry: str) -> IceServer:
    """Raises ValueError with a reason for an entry that is not in one of the two forms."""
    fields = entry.strip().split("|")
    url = fields[0].strip()
    if not url.lower().startswith(_SCHEMES) or len(url) <= len(url.split(":", 1)[0]) + 1:
        raise ValueError(f"ice_servers entry {entry!r}: URL must start with stun:, stuns:, turn: or turns:")
    if len(fields) == 1:
        if url.lower().startswith(("turn:", "turns:")):
            raise ValueError(f"ice_servers entry {entry!r}: a TURN URL needs 'URL|username|credential'")
        return IceServer(url)
    if len(fields) == 3:
        return IceServer(url, fields[1], fields[2])
    raise ValueError(f"ice_servers entry {entry!r}: expected 'URL' or 'URL|username|credential'")


def parse_ice_servers(entries: Sequence[str]) -> list[IceServer]:
    return [parse_ice_server(e) for e in entries if e.strip()]
