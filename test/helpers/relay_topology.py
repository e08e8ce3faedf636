"""Three sides for the TURN tests, all inside the test namespace (issue 13, item 2):

    client side (the test's own namespace: aiortc client, Chromium)
        198.18.1.2 ──veth── 198.18.1.1  middle namespace: coturn, router
                            198.18.2.1 ──veth── 198.18.2.2  bridge namespace (bridge, ROS nodes)

The middle routes TCP between the sides (signaling, /config) but its nftables ruleset drops every
forwarded UDP packet, so client and bridge cannot exchange media directly: ICE succeeds only
through a relay candidate on coturn. With `block_all_udp` it also drops UDP addressed to itself
from either side, so TURN works only over TCP. The counters of the drop rules show that a direct
path was tried and refused.
"""

from __future__ import annotations

import contextlib
import re

from test.helpers.netns import Netns, run_here

CLIENT = "198.18.1.2"
TURN = "198.18.1.1"
BRIDGE = "198.18.2.2"
_ROUTER_B = "198.18.2.1"


class RelayTopology:
    def __init__(self, block_all_udp: bool = False) -> None:
        self.middle = Netns("middle")
        try:
            self.bridge_side = Netns("bridge")
        except Exception:
            self.middle.close()
            raise
        try:
            self._build(block_all_udp)
        except Exception:
            self.close()
            raise

    def _build(self, block_all_udp: bool) -> None:
        m, b = self.middle, self.bridge_side
        # Client side (here) to the middle.
        run_here("ip", "link", "add", "relay_c", "type", "veth", "peer", "name", "relay_mc")
        run_here("ip", "link", "set", "relay_mc", "netns", str(m.pid))
        run_here("ip", "addr", "add", f"{CLIENT}/24", "dev", "relay_c")
        run_here("ip", "link", "set", "relay_c", "up")
        run_here("ip", "route", "add", "198.18.2.0/24", "via", TURN)
        m.run("ip", "addr", "add", f"{TURN}/24", "dev", "relay_mc")
        m.run("ip", "link", "set", "relay_mc", "up")
        # Middle to the bridge side.
        m.run("ip", "link", "add", "relay_mb", "type", "veth", "peer", "name", "relay_b")
        m.run("ip", "link", "set", "relay_b", "netns", str(b.pid))
        m.run("ip", "addr", "add", f"{_ROUTER_B}/24", "dev", "relay_mb")
        m.run("ip", "link", "set", "relay_mb", "up")
        b.run("ip", "addr", "add", f"{BRIDGE}/24", "dev", "relay_b")
        b.run("ip", "link", "set", "relay_b", "up")
        b.run("ip", "route", "add", "default", "via", _ROUTER_B)
        # A default route into a void (a veth whose other end stays down; this kernel has no
        # dummy devices), as a real TURN server has one to the internet: checks towards the
        # client's other host addresses (198.18.0.x, unreachable from here) are then lost on
        # the way instead of failing in sendto(), and coturn 4.6 ends a TURN/TCP session
        # outright on a failed send ("reason: general"), its relay pairs included.
        m.run("ip", "link", "add", "relay_void", "type", "veth", "peer", "name", "relay_void_end")
        m.run("ip", "link", "set", "relay_void", "up")
        m.run("ip", "route", "add", "default", "dev", "relay_void")
        # /proc/sys/net is per network namespace: this turns forwarding on in the middle only.
        m.run("sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")
        rules = ["table inet chedweb_relay {",
                 "  chain forward { type filter hook forward priority 0; policy accept;",
                 "    meta l4proto udp counter drop comment \"udp_forward\"", "  }"]
        if block_all_udp:
            rules += ["  chain input { type filter hook input priority 0; policy accept;",
                      "    iifname != \"lo\" meta l4proto udp counter drop comment \"udp_input\"", "  }"]
        rules.append("}")
        m.run("nft", "-f", "-", stdin="\n".join(rules) + "\n")

    def dropped(self, rule: str = "udp_forward") -> int:
        """Packets dropped so far by the rule with this comment."""
        ruleset = self.middle.run("nft", "list", "table", "inet", "chedweb_relay")
        match = re.search(rf"counter packets (\d+) bytes \d+ drop comment \"{rule}\"", ruleset)
        assert match, ruleset
        return int(match.group(1))

    def close(self) -> None:
        # Deleted here, not left to the namespaces' end: the kernel tears a namespace down
        # asynchronously, and the next topology would find relay_c still there. Deleting one
        # end of a veth deletes both, and the route through it.
        with contextlib.suppress(RuntimeError):
            run_here("ip", "link", "del", "relay_c")
        with contextlib.suppress(RuntimeError):
            self.middle.run("ip", "link", "del", "relay_mb")
        self.bridge_side.close()
        self.middle.close()
