"""``scrapy crawl`` that rejects bad spider arguments in one line and fails on a bad close.

Exit codes (``newscrawl.report.EXIT_CODES``): 0 the crawl finished, 1 it stopped for another
reason, 2 it cannot run as set up (a bad argument, a dataset it cannot write).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from scrapy.commands import crawl

from newscrawl.arguments import BadArgumentError
from newscrawl.extensions import RunReport
from newscrawl.report import exit_code

logger = logging.getLogger("newscrawl")


def run_report(crawler: Any) -> dict[str, Any] | None:
    """The report ``RunReport`` made of a crawl that ran (``None`` when it could not start)."""
    try:
        extension = crawler.get_extension(RunReport)
    except RuntimeError:  # the crawl failed before its extensions existed
        return None
    report: dict[str, Any] | None = getattr(extension, "report", None)
    return report


class Command(crawl.Command):
    """Scrapy's ``crawl``, plus argument checks before the crawl, the exit code of the close
    reason, and a one-line verdict as the log's last line."""

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
        report = run_report(crawler)
        if self.crawler_process.bootstrap_failed or report is None:
            reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
            self.exitcode = max(exit_code(reason), 1)
            logger.error(
                "run FAILED (%s): the crawl could not start or report (see above); exit code %d",
                reason or "not started",
                self.exitcode,
            )
            return
        self.exitcode = report["exit_code"]
        logger.log(logging.INFO if report["finished"] else logging.ERROR, "%s", report["verdict"])
