"""What the bridge imports at start-up (issue 12: RSS idle < 90 MiB). Each library a running
bridge loads costs RSS for as long as it runs, whether or not anything calls it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from test.helpers.procs import REPO

# Flask's own imports, none of which the bridge calls (app.py is werkzeug only): a template
# engine, a command-line library, signals, signed cookies, 5.4 MiB of RSS together; and
# werkzeug's URL rules (0.7 MiB with difflib, pprint and uuid), for seven fixed paths.
UNUSED = ("flask", "flask_sock", "jinja2", "click", "blinker", "itsdangerous", "werkzeug.routing")


def test_the_bridge_loads_nothing_it_does_not_call() -> None:
    code = ("import json, sys; import chedweb_bridge.webrtc_bridge_node; "
            f"print(json.dumps(sorted(m for m in {UNUSED!r} if m in sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=REPO, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
