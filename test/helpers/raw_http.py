"""Raw TCP clients for the hostile-client tests: half-sent requests, hand-made WebSocket
handshakes and frames, and a second source address (198.18.0.2, the veth pair's other end) so
that an "attacker" and a "real client" reach the bridge from different addresses."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time
from select import POLLIN
from select import poll as select_poll

from test.helpers.bridge_proc import HOST

# The test namespace's other address: the bridge sees connections from it as another host.
OTHER_SOURCE = os.environ.get("CHEDWEB_TEST_OTHER_HOST", "198.18.0.2")


def connect(port: int, source: str | None = None, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=timeout,
                                    source_address=(source, 0) if source else None)
    sock.settimeout(timeout)
    return sock


def upgrade_request(host: str | None, origin: str | None = None, path: str = "/ws",
                    version: str | None = "13", key: str | None = "dGhlIHNhbXBsZSBub25jZQ==") -> bytes:
    lines = [f"GET {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += ["Upgrade: websocket", "Connection: Upgrade"]
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if origin is not None:
        lines.append(f"Origin: {origin}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def get_request(path: str, host: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def _readable(sock: socket.socket, timeout: float) -> bool:
    """select() for one socket, without select()'s limit of descriptors below 1024."""
    poller = select_poll()
    poller.register(sock, POLLIN)
    return bool(poller.poll(max(0, int(timeout * 1000))))


def read_head(sock: socket.socket, timeout: float = 5.0) -> tuple[int, bytes]:
    """(status code, everything read so far) of the response; status 0 if the server closed or
    reset the connection before a status line, -1 on timeout."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\r\n\r\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            return -1, data
        if not _readable(sock, left):
            continue
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            chunk = b""
        if not chunk:
            break
        data += chunk
    if not data.startswith(b"HTTP/1."):
        return 0, data
    return int(data.split(b" ", 2)[1]), data


def exchange(port: int, request: bytes, source: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    sock = connect(port, source, timeout)
    try:
        sock.sendall(request)
        status, data = read_head(sock, timeout)
        if status > 0:  # the body too, until the server closes (every response closes)
            sock.settimeout(timeout)
            try:
                while chunk := sock.recv(65536):
                    data += chunk
            except (ConnectionResetError, TimeoutError):
                pass
        return status, data
    finally:
        sock.close()


def websocket(port: int, source: str | None = None, origin: str | None = "same",
              timeout: float = 5.0) -> tuple[socket.socket, int, bytes]:
    """A hand-made WebSocket handshake: (socket, status, what was read). 101 when upgraded."""
    sock = connect(port, source, timeout)
    host = f"{HOST}:{port}"
    sock.sendall(upgrade_request(host, f"http://{host}" if origin == "same" else origin,
                                 key=base64.b64encode(os.urandom(16)).decode()))
    status, data = read_head(sock, timeout)
    return sock, status, data


def client_frame_header(opcode: int, length: int) -> bytes:
    """The header of a masked client frame (FIN set) whose payload is `length` bytes; the mask is
    all zeros so that the payload goes on the wire as is."""
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return head + b"\0\0\0\0"


def client_text(text: str) -> bytes:
    payload = text.encode()
    return client_frame_header(0x1, len(payload)) + payload


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each complete unmasked server frame in `data`."""
    frames = []
    i = 0
    while i + 2 <= len(data):
        opcode, length = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if length == 126:
            length = struct.unpack("!H", data[i:i + 2])[0]
            i += 2
        elif length == 127:
            length = struct.unpack("!Q", data[i:i + 8])[0]
            i += 8
        if i + length > len(data):
            break
        frames.append((opcode, data[i:i + length]))
        i += length
    return frames


def read_frames_until_close(sock: socket.socket, already: bytes = b"",
                            timeout: float = 5.0) -> list[tuple[int, bytes]]:
    """Server frames until a close frame, EOF or `timeout`."""
    data = already
    deadline = time.monotonic() + timeout
    while not any(op == 0x8 for op, _ in server_frames(data)):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not _readable(sock, left):
            continue
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return server_frames(data)


def close_code(frames: list[tuple[int, bytes]]) -> int | None:
    for opcode, payload in frames:
        if opcode == 0x8 and len(payload) >= 2:
            return int(struct.unpack("!H", payload[:2])[0])
    return None
