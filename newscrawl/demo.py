"""Demo: serve the bundled replica on loopback, crawl it with the real spider, report the file.

Usage: ``python -m newscrawl.demo [JSONL_PATH]`` (default ``data/demo/caliber_world.jsonl``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from newscrawl.replica import ReplicaServer, default_site


def count_lines(path: Path) -> int:
    """How many articles (lines) a JSONL dataset holds."""
    if not path.exists():
        return 0
    with path.open("rb") as dataset:
        return sum(1 for _ in dataset)


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "data/demo/caliber_world.jsonl").resolve()
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    with ReplicaServer(default_site()) as replica:
        print(f"replica of the WORLD section serving at {replica.base_url}", flush=True)
        before = count_lines(target)
        command = [
            sys.executable, "-m", "scrapy", "crawl", "caliber_world",
            "-a", f"base_url={replica.base_url}",
            "-s", f"JSONL_PATH={target}",
        ]  # fmt: skip
        status = subprocess.run(command, env=env, check=False).returncode
    after = count_lines(target)
    print(f"crawl exited with {status}; {after - before} new articles")
    print(f"dataset: {target} holds {after} articles")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
