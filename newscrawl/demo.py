"""Demo: serve the bundled replica on loopback, crawl it with the real spider, report the file.

Usage: ``python -m newscrawl.demo [--edition en|ru] [JSONL_PATH]`` (default
``data/demo/caliber_world.jsonl``, ``data/demo/caliber_world_ru.jsonl`` for ``--edition ru``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from newscrawl.editions import DEFAULT_EDITION, EDITIONS
from newscrawl.replica import ReplicaServer, default_site, without_proxy_for_loopback


def count_lines(path: Path) -> int:
    """How many articles (lines) a JSONL dataset holds."""
    if not path.exists():
        return 0
    with path.open("rb") as dataset:
        return sum(1 for _ in dataset)


def default_path(edition: str) -> Path:
    """Where the demo writes an edition's dataset unless told otherwise."""
    suffix = "" if edition == DEFAULT_EDITION else f"_{edition}"
    return Path(f"data/demo/caliber_world{suffix}.jsonl")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the crawl's exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.demo",
        description="Serve the bundled replica of the WORLD section on 127.0.0.1, crawl it with "
        "the real spider, and say where the dataset went and how many articles it holds.",
    )
    parser.add_argument(
        "jsonl_path",
        metavar="JSONL_PATH",
        nargs="?",
        type=Path,
        help="the dataset to append to (default: data/demo/caliber_world.jsonl, or"
        " data/demo/caliber_world_<edition>.jsonl for another edition)",
    )
    parser.add_argument(
        "--edition",
        choices=list(EDITIONS),
        default=DEFAULT_EDITION,
        help=f"the site's edition to crawl (default: {DEFAULT_EDITION})",
    )
    args = parser.parse_args(argv)
    target = (args.jsonl_path or default_path(args.edition)).resolve()
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    without_proxy_for_loopback(env)
    with ReplicaServer(default_site()) as replica:
        section = replica.base_url + EDITIONS[args.edition].section_path
        print(f"replica of the WORLD section serving at {section}", flush=True)
        before = count_lines(target)
        command = [
            sys.executable, "-m", "scrapy", "crawl", "caliber_world",
            "-a", f"base_url={replica.base_url}",
            "-a", f"edition={args.edition}",
            "-s", f"JSONL_PATH={target}",
        ]  # fmt: skip
        status = subprocess.run(command, env=env, check=False).returncode
    after = count_lines(target)
    print(f"crawl exited with {status}; {after - before} new articles")
    print(f"dataset: {target} holds {after} articles")
    return status


if __name__ == "__main__":
    sys.exit(main())
