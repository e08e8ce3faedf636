"""The one asyncio loop thread of the bridge: it owns every aiortc object.

Other threads reach it only through `call_soon` (fire and forget, for the ROS callback and for
trickled candidates) and `run` (run_coroutine_threadsafe with a timeout, for signaling).
aiortc called from another thread raises nothing but silently delays delivery; hence this rule.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str = "webrtc_bridge-asyncio") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._stopped = False

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            # Cancel what is left (aiortc's internal tasks of closed peers) so the loop closes quietly.
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def call_soon(self, callback: Callable[..., object], *args: Any) -> bool:
        """Schedule callback(*args) on the loop; False when the loop is already stopping."""
        if self._stopped:
            return False
        try:
            self.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # loop closed between the check and the call
            return False
        return True

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run coro on the loop and wait for its result (raises TimeoutError after `timeout`)."""
        if self._stopped:
            coro.close()
            raise RuntimeError("loop thread stopped")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:  # not the builtin TimeoutError on Python 3.10
            future.cancel()
            raise TimeoutError(f"no result within {timeout} s") from None

    def stop(self, final: Coroutine[Any, Any, object] | None = None, timeout: float = 5.0) -> None:
        """Run `final` (e.g. closing every peer), then stop the loop and join the thread."""
        if self._stopped:
            if final is not None:
                final.close()
            return
        if final is not None and self._thread.is_alive():
            with contextlib.suppress(Exception):  # shutdown goes on whatever went wrong
                self.run(final, timeout)
        elif final is not None:
            final.close()
        self._stopped = True
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
