"""This machine's own host names and interface addresses (I/O): the default `allowed_hosts`."""

from __future__ import annotations

import socket


def local_names() -> list[str]:
    """The host name, its mDNS form (`<name>.local`, which avahi answers on most robots), and
    every IPv4 and IPv6 address of every interface. No DNS lookup: on a robot without a network
    `getfqdn` can block for seconds, and a fully qualified name goes in `allowed_hosts`. Called
    by the first request that names a Host not yet known (an HTTP thread), so psutil (~1 MiB of
    RSS) is imported then, not at start-up (issue 12, RSS idle)."""
    import psutil

    names: list[str] = []
    hostname = socket.gethostname()
    if hostname:
        names += [hostname, f"{hostname.split('.', 1)[0]}.local"]
    try:
        interfaces = psutil.net_if_addrs()
    except OSError:
        interfaces = {}
    for addresses in interfaces.values():
        names += [a.address for a in addresses if a.family in (socket.AF_INET, socket.AF_INET6)]
    return names
