"""chedweb_bridge/installed.py: aiortc is imported when the first browser connects
(lazy_aiortc.py), so a broken install is found at start-up from the installed packages' metadata
instead; versions are read the same way. Real dist-info directories on sys.path, read by
importlib.metadata as pip's are."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chedweb_bridge import installed


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))


def _dist(site: Path, name: str, requires: list[str]) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0",
             *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_a_missing_requirement_is_named(site: Path) -> None:
    _dist(site, "chedweb-probe-present", [])
    _dist(site, "chedweb-probe", ["chedweb-probe-present>=1.0", "chedweb-probe-absent<2,>=1",
                                  "chedweb-probe-dev ; extra == 'dev'"])
    assert installed.missing("chedweb-probe") == ["chedweb-probe-absent"]


def test_a_missing_distribution_is_named() -> None:
    assert installed.missing("chedweb-probe-not-installed") == ["chedweb-probe-not-installed"]


def test_this_install_has_aiortc_and_all_it_requires() -> None:
    assert installed.missing("aiortc") == []


def test_an_installed_version_is_read_from_its_metadata(site: Path) -> None:
    """hello's version (chedweb_ros) and consent's warning (aioice) both read it this way."""
    _dist(site, "chedweb-probe-versioned", [])
    assert installed.version("chedweb-probe-versioned", "0.0.0") == "1.0"
    assert installed.version("no-such-distribution-here", "0.0.0") == "0.0.0"
