"""Lint and types as tests: ruff and mypy over the whole Python tree, run by `make test` (which
installs both from requirements-test.txt). In a ROS 2 workspace's `colcon test` they skip, with that
reason, where the tool is not installed: neither is a rosdep key every distribution resolves."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from test.helpers.procs import REPO


def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (`make test` installs it; pip install {module})")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True)


def test_ruff_clean() -> None:
    _needs("ruff")
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    _needs("mypy")
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
