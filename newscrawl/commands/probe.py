"""``scrapy probe``: check every assumption about the site and print the settings that fix it.

Exit codes: 0 a crawl with the current settings would walk the section, 1 it would not, 2 a bad
option.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand

from newscrawl import config
from newscrawl.arguments import BadArgumentError, parse_base_url, parse_edition
from newscrawl.config import validate_settings
from newscrawl.editions import DEFAULT_EDITION, EDITIONS
from newscrawl.probe import MAX_REQUESTS, agent_from_settings, probe_site
from newscrawl.selectors import Selectors
from newscrawl.site import DEFAULT_BASE_URL, SiteScheme


class Command(ScrapyCommand):
    """Probe a site (the live one by default) for the assumptions the crawl rests on."""

    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--base-url URL] [--edition en|ru] [--json] [--save DIR]"

    def short_desc(self) -> str:
        return f"Test every assumption about the site in at most {MAX_REQUESTS} polite requests"

    def long_desc(self) -> str:
        return (
            "Fetches robots.txt, the home page, the section's first pages, feeds and one article"
            f" (at most {MAX_REQUESTS} requests, robots.txt obeyed, the project's User-Agent),"
            " prints one line per assumption (OK, FAIL or INFO) with its evidence, and the"
            " -s NAME=VALUE settings that make a crawl work where it found them. Exit code 0:"
            " a crawl with the current settings would walk the section; 1: it would not;"
            " 2: a bad option."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--base-url",
            default=DEFAULT_BASE_URL,
            help=f"scheme, host and port of the site (default {DEFAULT_BASE_URL})",
        )
        parser.add_argument(
            "--edition",
            default=DEFAULT_EDITION,
            help=f"the edition whose WORLD section to probe (default {DEFAULT_EDITION})",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--save", metavar="DIR", help="keep every page fetched in DIR")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if args:  # Scrapy passes options it does not know on as arguments: never probe then
            print(
                f"probe: unrecognized arguments: {' '.join(args)} (see scrapy probe -h)",
                file=sys.stderr,
            )
            sys.exit(2)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        save_dir = Path(opts.save) if opts.save else None
        try:
            validate_settings(self.settings)
            base_url = parse_base_url(opts.base_url)
            edition = EDITIONS[parse_edition(opts.edition)]
            if save_dir is not None:
                try:
                    save_dir.mkdir(parents=True, exist_ok=True)
                    (save_dir / "index.tsv").open("a").close()
                except OSError as error:
                    raise BadArgumentError(
                        f"--save {save_dir}: cannot write pages there ({error})"
                    ) from None
        except BadArgumentError as error:
            print(f"probe: {error}", file=sys.stderr)
            self.exitcode = 2
            return
        settings = self.settings
        scheme = SiteScheme.from_settings(base_url, settings, edition)
        tls = None
        ca_file = config.TLS_CA_FILE.read(settings)
        if not config.TLS_VERIFY.read(settings):
            tls = ssl._create_unverified_context()
        elif ca_file is not None:
            tls = ssl.create_default_context(cafile=str(ca_file))
        report = probe_site(
            scheme,
            agent=agent_from_settings(settings),
            page_template=config.PAGE_URL.read(settings),
            selectors=Selectors.from_settings(settings),
            delay=settings.getfloat("DOWNLOAD_DELAY", 1.0),
            timeout=settings.getfloat("DOWNLOAD_TIMEOUT", 15.0),
            save_dir=save_dir,
            tls=tls,
        )
        if opts.json:
            print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
        else:
            print(report.text())
        self.exitcode = 0 if report.would_walk else 1
