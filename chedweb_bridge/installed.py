"""What is installed, read from the installed distributions' metadata (importlib.metadata, as pip
writes it) without importing any of them: the bridge's own version for `hello`, aioice's for a
warning, and whether aiortc and everything it requires is there, checked at start-up because
aiortc itself is imported only when the first browser connects (lazy_aiortc.py)."""

from __future__ import annotations

import re
from importlib import metadata


def version(distribution: str, unknown: str) -> str:
    """The installed version of `distribution`; `unknown` where it is not installed as a
    distribution (a source checkout run in place)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return unknown


def missing(distribution: str) -> list[str]:
    """`distribution` and the distributions it requires that are not installed (markers and
    extras aside); [] when all are."""
    try:
        requires = metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return [distribution]
    absent = []
    for requirement in requires:
        if ";" in requirement:  # an extra's or another platform's requirement
            continue
        name = re.split(r"[\s<>=!~\[(]", requirement.strip(), maxsplit=1)[0]
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            absent.append(name)
    return absent
