"""The page's protocol schemas as JSON Schema, for validating what the bridge sends.

`page_schemas()` runs web/test/contract.test.ts (vitest), which exports web/src/protocol.ts's zod
schemas with z.toJSONSchema, once per test session. `v1_schemas()` is the frozen export of the
last version-1 page (test/contract/v1.schema.json): a version-1 page in the field keeps those
schemas forever, so what the bridge sends a version-1 peer must still pass them.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
WEB = HERE.parents[1] / "web"


@functools.cache
def page_schemas() -> dict[str, dict[str, Any]]:
    vitest = WEB / "node_modules" / ".bin" / "vitest"
    if not vitest.exists():  # `make test` always installs it first; a bare `colcon test` may not
        pytest.skip(f"{vitest} missing: run `cd web && npm ci` (make test does)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "schemas.json"
        # Only the export: a failure of the page's own table checks is vitest's to report.
        proc = subprocess.run([str(vitest), "run", "test/contract.test.ts", "-t", "JSON Schema export"],
                              cwd=WEB, capture_output=True, text=True, timeout=180,
                              env=dict(os.environ, CHEDWEB_SCHEMA_OUT=str(out)))
        assert proc.returncode == 0 and out.exists(), proc.stdout + proc.stderr
        schemas: dict[str, dict[str, Any]] = json.loads(out.read_text())
    return schemas


@functools.cache
def v1_schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = json.loads((HERE / "v1.schema.json").read_text())
    return schemas


def errors(text: str, protocol: int = 2) -> list[str]:
    """Why the page of `protocol` would refuse this DataChannel message (empty: it accepts it)."""
    jsonschema = pytest.importorskip("jsonschema", reason="make test installs it (requirements-test.txt)")
    msg = json.loads(text)
    schemas = page_schemas() if protocol >= 2 else v1_schemas()
    schema = schemas.get(msg.get("type"))
    if schema is None:
        return [f"no schema for type {msg.get('type')!r}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in jsonschema.Draft202012Validator(schema).iter_errors(msg)][:5]


def numbers_table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads((HERE / "numbers.json").read_text())
    return table
