"""aiortc, imported when the first browser opens a /ws socket instead of at start-up.

Why: aiortc is most of what the bridge adds to a plain rclpy node's memory. Importing it maps
PyAV and its FFmpeg libraries (aiortc's package imports its media codecs unconditionally, though
a DataChannel-only bridge never uses them), cryptography and pyOpenSSL, pylibsrtp and aioice:
about 34 MiB of RSS and 0.5 s here (docs/benchmarks.md, "webrtc_bridge memory"). A bridge that no
browser is watching, most of a robot's life, needs none of it. PyAV cannot be left out on its own
without stubbing modules aiortc really imports, so the whole of aiortc waits.

The import runs in a thread that may block: the /ws handler thread of the socket that needs it
(`load`, before that socket's offer deadline starts), or a worker thread awaited by the loop
(`ensure_loaded`). Never on the loop thread itself: an import blocks the thread that runs it, and
the loop would stop every peer's I/O for that long (and, if another thread is importing, wait on
that import's lock). The import also installs consent.py's consent freshness into aioice, before
any connection exists. Once `loaded()` is true, `from aiortc import ...` is a dictionary lookup.
A missing install is still found at start-up (installed.missing, from the installed packages'
metadata, importing nothing), not when the first browser connects.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from chedweb_ros.long_lived import freeze_long_lived

_loaded = threading.Event()


def load() -> None:
    """Imports aiortc in the calling thread (idempotent, any thread; the first call ~0.5 s)."""
    if _loaded.is_set():
        return
    import aiortc  # noqa: F401  (the import is the point)

    from chedweb_bridge import consent

    # Before any connection: RFC 7675's consent rule, not aioice's 0.5 s one.
    why_not = consent.install()
    if why_not is not None:
        logging.getLogger("webrtc_bridge").warning(f"consent freshness: {why_not}")
    # aiortc's modules (as many objects as the rest of the bridge) live as long as the process:
    # frozen before the first connection exists, so full collections walk peers, not code.
    freeze_long_lived()
    _loaded.set()


def loaded() -> bool:
    return _loaded.is_set()


async def ensure_loaded() -> None:
    """On the loop: aiortc imported by a worker thread if no socket's thread has done it yet."""
    if not _loaded.is_set():
        await asyncio.to_thread(load)
