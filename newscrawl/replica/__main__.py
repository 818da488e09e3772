"""Serve the replica until SIGINT or SIGTERM.

Usage: ``python -m newscrawl.replica [--port N] [--site DIR] [--redesigned] [--verbose]``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from newscrawl.replica.faults import RedesignedSite
from newscrawl.replica.server import DirectorySite, ReplicaServer, Site, default_site


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.replica",
        description="Serve a local replica of the Caliber.az WORLD section on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any)")
    parser.add_argument("--site", type=Path, help="folder of saved pages (default: bundled)")
    parser.add_argument(
        "--redesigned", action="store_true", help="rename the CSS classes, as a redesign would"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.site is not None and not args.site.is_dir():
        parser.error(f"--site: not a folder: {args.site}")
    site: Site = DirectorySite(args.site) if args.site is not None else default_site()
    if args.redesigned:
        site = RedesignedSite(site)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server = ReplicaServer(site, port=args.port, verbose=args.verbose)
        except OSError as exc:
            print(f"replica: cannot listen on port {args.port}: {exc}", file=sys.stderr)
            return 1
        with server:
            print(f"replica serving {server.base_url}", flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
