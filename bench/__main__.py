"""Run every benchmark in bench/, one process each, in a fixed order; `--quick` is passed on.

    scripts/in-test-netns .venv/bin/python -m bench [--quick] [NAME ...]

Each benchmark runs in its own process so that one's threads, DDS participants and memory do not
bleed into the next one's figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

ORDER = ["tick", "node_overhead", "latency", "fixed_cost", "gc_pauses", "live_history", "fanout", "wire",
         "memory", "churn", "page_apply", "turn_connect", "history", "history_page", "alert_acks"]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_header() -> str:
    """The first line a benchmark prints: when, on what machine, at what load average."""
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return f"# {time.strftime('%Y-%m-%d %H:%M %Z')}  {machine()}; load average {load}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke check")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run, of {', '.join(ORDER)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(ORDER))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}  {machine()}", flush=True)
    failed = []
    for name in args.names or ORDER:
        print(f"\n## bench.{name}", flush=True)
        cmd = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if args.quick else [])]
        if subprocess.run(cmd).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
