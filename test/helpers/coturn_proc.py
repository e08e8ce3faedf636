"""A real coturn (Debian's `turnserver`) as a child process in a namespace of the test, with a
config file the test writes: long-term credentials, one user, no TLS, relays on one address.
The same settings as the README's "TURN" section, with the test's addresses."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

from test.helpers.netns import Netns
from test.helpers.procs import NodeProcess

USER = "robot"
SECRET = "relay-s3cret"
REALM = "chedweb.test"
PORT = 3478


def coturn_config(address: str, workdir: Path) -> str:
    return "\n".join([
        f"listening-ip={address}",
        f"relay-ip={address}",
        f"listening-port={PORT}",
        "min-port=49152",
        "max-port=49407",
        "fingerprint",
        "lt-cred-mech",
        f"user={USER}:{SECRET}",
        f"realm={REALM}",
        "no-tls",
        "no-dtls",
        "no-cli",
        "no-multicast-peers",
        # Everything the daemon would write elsewhere goes into the test's directory.
        f"pidfile={workdir / 'turnserver.pid'}",
        f"userdb={workdir / 'turndb'}",
        "log-file=stdout",
        "simple-log",
    ]) + "\n"


def ice_server(address: str, transport: str) -> str:
    """The bridge's `ice_servers` entry for this server."""
    return f"turn:{address}:{PORT}?transport={transport}|{USER}|{SECRET}"


class Coturn:
    def __init__(self, ns: Netns, address: str, workdir: Path, log_name: str = "coturn") -> None:
        binary = shutil.which("turnserver")
        if binary is None:
            raise FileNotFoundError("turnserver not found: `make system-deps` installs Debian's coturn")
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "turnserver.conf"
        config.write_text(coturn_config(address, workdir))
        self.node = NodeProcess(ns.wrap([binary, "-c", str(config)]), log_name)
        deadline = time.monotonic() + 15
        while True:  # ready once its TCP listener accepts (UDP has no handshake to wait on)
            try:
                socket.create_connection((address, PORT), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.node.proc.poll() is not None:
                    out = self.node.output()
                    self.node.stop()
                    raise AssertionError(f"coturn did not listen on {address}:{PORT}:\n{out}") from None
                time.sleep(0.1)

    def output(self) -> str:
        return self.node.output()

    def stop(self) -> int:
        return self.node.stop()
