"""Who may reach the bridge (pure): the auth token, the Host allowlist and the Origin check.

Nothing here does I/O: the machine's own names and addresses come in through a function the
caller gives (`HostAllowlist`'s `local_names`), so the tests drive every path.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

# Names that always mean this machine, whatever its interfaces are.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# A Host the allowlist does not know makes it re-read the machine's addresses (an interface may
# have come up since), at most this often, so that a flood of bad Hosts costs one read per period.
REFRESH_PERIOD_S = 5.0
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def token_ok(expected: str, given: str | None) -> bool:
    """No token configured: open. Otherwise a constant-time comparison."""
    if not expected:
        return True
    return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))


def normalize_host(name: str) -> str:
    """One spelling per host: lower case, no trailing dot, no IPv6 brackets or zone, and an IP
    address in its canonical form ("0:0::1" is "::1")."""
    name = name.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    name = name.split("%", 1)[0]  # an IPv6 zone ("fe80::1%eth0"): browsers never send one
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def split_host_header(value: str | None) -> tuple[str, int | None] | None:
    """`Host` as (normalized host, port or None); None when it is absent or not host[:port]."""
    if value is None:
        return None
    value = value.strip()
    if not value or any(c.isspace() or c in "/?#@\\" for c in value):
        return None
    port_text: str | None = None
    if value.startswith("["):  # an IPv6 literal: "[::1]" or "[::1]:8080"
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[: end + 1], value[end + 1:]
        if rest:
            if not rest.startswith(":"):
                return None
            port_text = rest[1:]
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    elif ":" in value:
        return None  # an IPv6 address without brackets is not a valid Host
    else:
        host = value
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    host = normalize_host(host)
    return (host, port) if host else None


def host_entry_ok(entry: str) -> bool:
    """An `allowed_hosts` entry: "*", an IP address (IPv6 with or without brackets), or a host
    name, without a port."""
    entry = entry.strip()
    if entry == "*":
        return True
    try:
        ipaddress.ip_address(entry.strip("[]"))
        return True
    except ValueError:
        pass
    parsed = split_host_header(entry)
    return parsed is not None and parsed[1] is None


class HostAllowlist:
    """The Host names a request may carry: this machine's names and addresses (`local_names`,
    read on the first miss and again on a miss at most every REFRESH_PERIOD_S), LOOPBACK_NAMES,
    and the `extra` entries of the `allowed_hosts` parameter (a "*" entry allows any). Any port.

    Why: with no token, the only thing that stops DNS rebinding (an attacker's name re-pointed at
    this machine, so the attacker's page is "same origin" with the bridge) is refusing Host
    names that are not this machine's.
    """

    def __init__(self, local_names: Callable[[], Iterable[str]], extra: Sequence[str] = (),
                 clock: Callable[[], float] | None = None) -> None:
        self._local_names = local_names
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._local: frozenset[str] = frozenset()
        # Read by the first request whose Host is not loopback or an extra entry, not here:
        # local_names imports psutil, which a bridge nobody reaches never needs (issue 12).
        self._refreshed = float("-inf")
        self.set_extra(extra)

    def set_extra(self, extra: Sequence[str]) -> None:
        self._any = any(e.strip() == "*" for e in extra)
        self._extra = frozenset(normalize_host(e) for e in extra if e.strip() and e.strip() != "*")

    @property
    def names(self) -> frozenset[str]:
        return self._local | self._extra | LOOPBACK_NAMES

    def allows(self, host_header: str | None) -> bool:
        parsed = split_host_header(host_header)
        if parsed is None:
            return False
        if self._any:
            return True
        host = parsed[0]
        if host in self._local or host in self._extra or host in LOOPBACK_NAMES:
            return True
        now = self._clock()
        if now - self._refreshed < REFRESH_PERIOD_S:
            return False
        self._refresh(now)
        return host in self._local

    def _refresh(self, now: float) -> None:
        with self._lock:
            if now - self._refreshed < REFRESH_PERIOD_S:
                return  # another thread just did it
            # The time is set once the names are there: a request that arrives meanwhile finds
            # the read not yet done, waits on the lock, then checks the names read.
            self._local = frozenset(normalize_host(n) for n in self._local_names() if n)
            self._refreshed = now


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int


def parse_origin(text: str) -> Origin | None:
    """scheme://host[:port] with the scheme's default port filled in; None if it is not one
    (for example "null", which sandboxed frames and file:// pages send)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in _DEFAULT_PORTS or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username is not None:
        return None
    return Origin(scheme, normalize_host(parts.hostname), port or _DEFAULT_PORTS[scheme])


def origin_ok(origin: str | None, scheme: str, host_header: str | None, allowed: Sequence[str]) -> bool:
    """Browsers always send Origin on a WebSocket; a request without one is not from a web page
    (a script or a test client) and cannot be a cross-site attack, so it is let through.
    `allowed` empty: same origin only, i.e. the Origin's scheme, host and port equal the request's
    (`scheme` is the request's, "http" or "https"; the port defaults by scheme on both sides).
    Otherwise the Origin must equal one entry exactly (after the same normalization), or an entry
    is "*". Never a prefix or suffix match: "https://a.org.evil.example" is not "https://a.org".
    """
    if origin is None or origin == "":
        return True
    given = parse_origin(origin)
    if given is None:
        return False
    if allowed:
        if any(a.strip() == "*" for a in allowed):
            return True
        return any(parse_origin(a) == given for a in allowed)
    host = split_host_header(host_header)
    if host is None:
        return False
    own_scheme = scheme.lower()
    own = Origin(own_scheme, host[0], host[1] or _DEFAULT_PORTS.get(own_scheme, 80))
    return given == own


def is_loopback(listen_host: str) -> bool:
    name = normalize_host(listen_host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warning(listen_host: str, port: int, auth_token: str) -> str | None:
    """The start-up warning for an open bridge that others can reach, or None."""
    if auth_token or is_loopback(listen_host):
        return None
    return (f"auth_token is empty and the bridge listens on {listen_host}:{port}, beyond loopback: "
            "anyone who can reach this port can watch the robot's diagnostics. Set auth_token "
            "(README, Security).")


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
    # The same exact, normalized match as /ws (origin_ok with a non-empty list): one rule.
    return origin if origin_ok(origin, "http", None, allowed) else None
