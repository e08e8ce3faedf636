"""Messages for the page's hook, encoded by the bridge's own codec (what a DataChannel carries)."""

from __future__ import annotations

import json
import time
from typing import Any

from chedweb_bridge import codec


def status(name: str, level: int = 0, message: str = "OK", hardware_id: str = "robot-1",
           values: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "level": level, "message": message, "hardware_id": hardware_id,
            "values": values or {}}


def hello(hostname: str = "robot-1", **extra: Any) -> str:
    msg = json.loads(codec.hello(hostname, "test", ["/diagnostics"], 3600, 0))
    msg.update(extra)
    return json.dumps(msg)


def diagnostics(seq: int, statuses: list[dict[str, Any]], stamp: float | None = None) -> list[str]:
    return codec.encode_diagnostics(seq, "/diagnostics", time.time() if stamp is None else stamp, statuses)


def feed(page: Any, messages: list[str]) -> None:
    page.evaluate("ms => { for (const m of ms) window.chedweb.feed(m); window.chedweb.redraw(); }", messages)
