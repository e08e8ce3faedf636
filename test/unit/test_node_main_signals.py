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
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chedweb_ros import node_main

SIGNALS = [signal.SIGINT, signal.SIGTERM]
ROOT = Path(__file__).resolve().parents[2]


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
    except BaseException as exc:  # whatever escapes is the failure shown
        pytest.fail(f"{exc!r} escaped run_node (the node would end with a traceback or -SIGINT)")
    assert code == node_main.EXIT_OK


# Run as `python -m`, as the nodes' executables run: start-up's imports go through code CPython
# runs with PyRun_String (here called directly), and the signal lands inside it.
_THROUGH_PYRUN_STRING = """
import ctypes, os, signal, sys
from chedweb_ros import node_main

def imports_through_pyrun_string(*args):
    run = ctypes.pythonapi.PyRun_String
    run.restype = ctypes.py_object
    run.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.py_object, ctypes.py_object]
    scope = {"os": os, "signal": signal}
    run(b"os.kill(os.getpid(), signal.SIGTERM)\\nfor _ in range(100): pass\\n", 257, scope, scope)
    raise AssertionError("the signal did not stop start-up")

node_main._run = imports_through_pyrun_string
sys.exit(node_main.run_node("signal_test", None, []))
"""


def test_signal_during_code_run_through_pyrun_string_exits_0(tmp_path: Path) -> None:
    """CI's -2 after all: a KeyboardInterrupt that left PyRun_String-run code marked the
    interpreter, and `python -m` then ended with SIGINT although run_node had caught it."""
    (tmp_path / "startup_signal_child.py").write_text(_THROUGH_PYRUN_STRING)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "startup_signal_child"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
