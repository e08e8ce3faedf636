"""The test client's WebSocket keeps what a server sends right behind its 101, as a browser does.

A refusal (bad token, server full) is the 101, an `error` and a close, sent back to back; on a
busy machine they arrive in one read. simple_websocket's client dropped all but the 101 and
reported 1005 (CI, test_wrong_or_missing_token): here a server sends them in one write."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import threading

import pytest
from simple_websocket import ConnectionClosed

from test.helpers.bridge_proc import HOST
from test.helpers.webrtc_client import BrowserLikeSocket

pytestmark = [pytest.mark.webrtc, pytest.mark.timeout(30)]

ERROR = '{"type":"error","message":"unauthorized"}'


def _frame(opcode: int, payload: bytes) -> bytes:
    assert len(payload) < 126  # a short, unmasked server frame
    return bytes([0x80 | opcode, len(payload)]) + payload


def _refuse_in_one_write(listener: socket.socket) -> None:
    conn, _ = listener.accept()
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
                     + _frame(0x1, ERROR.encode())
                     + _frame(0x8, (1008).to_bytes(2, "big") + b"unauthorized"))


def test_frames_in_the_handshake_read_are_kept() -> None:
    with socket.create_server((HOST, 0)) as listener:
        server = threading.Thread(target=_refuse_in_one_write, args=(listener,))
        server.start()

        async def run() -> tuple[str | bytes | None, ConnectionClosed]:
            ws = await BrowserLikeSocket.connect(f"ws://{HOST}:{listener.getsockname()[1]}/ws")
            first = await ws.receive(timeout=5)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive(timeout=5)
            return first, closed.value

        first, closed = asyncio.run(run())
        server.join(5)
    assert first == ERROR
    assert closed.reason == 1008, closed
