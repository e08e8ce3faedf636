"""Start the project's real executables as separate processes, and stop them the way a user does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def executable(name: str) -> str:
    """The console script installed next to this interpreter (.venv/bin/<name>)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make test` (it installs the package into .venv)")
    return str(path)


def ros_args(params: Mapping[str, object] | None = None, params_file: str | None = None,
             name: str | None = None) -> list[str]:
    """`--ros-args` for a node: an optional params file, then `-p key:=value` overrides."""
    args = ["--ros-args"]
    if params_file:
        args += ["--params-file", params_file]
    if name:
        args += ["-r", f"__node:={name}"]
    for key, value in (params or {}).items():
        args += ["-p", f"{key}:={_yaml_value(value)}"]
    return args


def _yaml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return "'" + value + "'"
    return str(value)


class NodeProcess:
    """A node run as a child process, its output captured to test-artifacts/<log_name>.log."""

    def __init__(self, cmd: Sequence[str], log_name: str, env: Mapping[str, str] | None = None) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / f"{log_name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        full_env = dict(os.environ)
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env.update(env or {})
        self.proc = subprocess.Popen(list(cmd), stdout=self._log, stderr=subprocess.STDOUT, env=full_env)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, needle: str, timeout: float = 15.0) -> str:
        """Wait until `needle` appears in the output; returns the output. Fails if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output()
            if needle in out:
                return out
            if self.proc.poll() is not None:
                raise AssertionError(f"process exited ({self.proc.returncode}) before {needle!r}:\n{out}")
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not seen within {timeout} s:\n{self.output()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
        """Send `sig` and wait; returns the exit code (killing it if it does not end in time)."""
        code = stop_process(self.proc, sig, timeout)
        self._log.close()
        return code


def stop_process(proc: subprocess.Popen[Any], sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
    """Send `sig` to a running child and wait; killed if it does not end in time. Its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def in_test_netns() -> bool:
    return os.environ.get("CHEDWEB_NETNS") == "1"
