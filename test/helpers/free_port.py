"""A free TCP port on an address of the test namespace, for servers that cannot report the port
they picked (Prometheus, coturn). Only this namespace's processes could take it in between."""

from __future__ import annotations

import socket


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
