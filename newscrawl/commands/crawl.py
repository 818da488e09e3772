"""``scrapy crawl`` that rejects bad spider arguments in one line and fails on a bad close.

Exit codes: 0 the crawl finished, 1 it closed for another reason (see the log), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from scrapy.commands import crawl

from newscrawl.arguments import BadArgumentError
from newscrawl.config import validate_settings
from newscrawl.dataset import MISMATCH


class Command(crawl.Command):
    """Scrapy's ``crawl``, plus argument checks before the crawl and an honest exit code."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        # Here, before the crawler process exists, a bad setting is the only line on stderr.
        try:
            validate_settings(self.settings)
        except BadArgumentError as error:
            line = f"{args[0] if args else 'crawl'}: {error}"
            print(line, file=sys.stderr)
            log_file = self.settings.get("LOG_FILE") if self.settings is not None else None
            if log_file:  # Scrapyd's job log: the line goes there too
                with contextlib.suppress(OSError), open(log_file, "a", encoding="utf-8") as log:
                    log.write(line + "\n")
            sys.exit(2)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        spidercls = self.crawler_process.spider_loader.load(args[0])
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(**opts.spargs)
            except BadArgumentError as error:
                print(f"{args[0]}: {error}", file=sys.stderr)
                self.exitcode = 2
                return
        crawler = self._create_crawler(spidercls)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or reason != "finished":
            self.exitcode = 1
        if reason == MISMATCH:  # the dataset holds another edition or host: a usage error
            self.exitcode = 2
