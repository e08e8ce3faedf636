"""Where the page's built files are: the `web_root` parameter, else the installed share directory,
else the source tree's web/dist. Apart from app.py, which imports Flask: start-up logs this
directory before the first request builds the app (lazy_web.py)."""

from __future__ import annotations

from pathlib import Path


def find_web_root(configured: str) -> Path:
    """`web_root` parameter, or the installed share dir of chedweb_ros, or <repo>/web/dist."""
    if configured:
        return Path(configured).expanduser().resolve()
    try:
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory("chedweb_ros")) / "web" / "dist"
        if share.is_dir():
            return share
    except (ImportError, LookupError, OSError, ValueError):
        pass
    return Path(__file__).resolve().parents[1] / "web" / "dist"
