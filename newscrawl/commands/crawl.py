"""``scrapy crawl`` that rejects bad spider arguments in one line and fails on a bad close.

Exit codes: 0 the crawl finished, 1 it closed for another reason (see the log), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import crawl

from newscrawl.arguments import BadArgumentError
from newscrawl.dataset import MISMATCH


class Command(crawl.Command):
    """Scrapy's ``crawl``, plus argument checks before the crawl and an honest exit code."""

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
