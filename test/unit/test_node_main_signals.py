"""A signal that lands the instant run_node's handlers are in place ends the node with exit code 0.

CI's fresh-clone run got exit -2 from `test_bridge_signal_during_its_imports_exits_0[SIGTERM]`:
the test signals as soon as /proc shows a SIGTERM handler, and on a loaded machine the handler's
KeyboardInterrupt was raised on the very line that installed it, before run_node's `try` began.
It escaped main(), and Python reports an unhandled KeyboardInterrupt by ending itself with SIGINT.
Here the signal is delivered right after each handler is installed, so the window is hit every time.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from chedweb_ros import node_main

SIGNALS = [signal.SIGINT, signal.SIGTERM]


@pytest.fixture
def restored_handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in SIGNALS}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def _never_built() -> Any:
    raise AssertionError("a node was built although start-up was signalled")


@pytest.mark.parametrize("sig", SIGNALS, ids=[s.name for s in SIGNALS])
def test_signal_right_after_its_handler_is_installed_exits_0(
    sig: signal.Signals, restored_handlers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    install = signal.signal

    def install_then_signal(signum: int, handler: Any) -> Any:
        previous = install(signum, handler)
        if signum == sig:
            os.kill(os.getpid(), signum)  # the C handler runs now, the Python one at the next check
        return previous

    monkeypatch.setattr(node_main.signal, "signal", install_then_signal)
    try:
        code = node_main.run_node("signal_test", _never_built, [])
    except KeyboardInterrupt:
        pytest.fail("the signal's KeyboardInterrupt escaped run_node (Python would end with -SIGINT)")
    assert code == node_main.EXIT_OK
