"""Network namespaces made by a test, inside the test namespace (scripts/in-test-netns), for NAT
and firewall topologies. Each is held by a `sleep` process made with `unshare --net`, not named
with `ip netns add`: nothing is left under /run/netns by a test that dies, and the namespace
goes away with its last process. Commands run in it through `nsenter --net`."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence

from test.helpers.procs import stop_process


class Netns:
    def __init__(self, name: str) -> None:
        self.name = name
        # The namespace outlives no test: `sleep` ends after an hour even if nobody kills it.
        self._holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "3600"])
        own = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 5
        # unshare(2) happens in the child before it execs sleep: wait until it has.
        while os.readlink(f"/proc/{self._holder.pid}/ns/net") == own:
            if time.monotonic() > deadline or self._holder.poll() is not None:
                self.close()
                raise RuntimeError(f"netns {name}: unshare --net did not take effect")
            time.sleep(0.01)
        self.pid = self._holder.pid
        self.run("ip", "link", "set", "lo", "up")

    def wrap(self, cmd: Sequence[str]) -> list[str]:
        """`cmd` run inside this namespace (same mount, user and pid namespaces as the test)."""
        return ["nsenter", f"--net=/proc/{self.pid}/ns/net", "--", *cmd]

    def run(self, *cmd: str, stdin: str | None = None) -> str:
        done = subprocess.run(self.wrap(cmd), capture_output=True, text=True, timeout=10, input=stdin)
        if done.returncode != 0:
            raise RuntimeError(f"[{self.name}] {' '.join(cmd)}: {done.stderr.strip()}")
        return done.stdout

    def close(self) -> None:
        stop_process(self._holder, timeout=5)


def run_here(*cmd: str) -> str:
    done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout
