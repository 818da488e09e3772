"""``scrapy crawl`` with checks before Scrapy logs a line, a help that answers, honest exit codes.

Exit codes (``newscrawl.report.EXIT_CODES``): 0 the crawl finished, 1 it stopped for another
reason, 2 it cannot run as set up (a bad argument, option or setting, another crawl's dataset).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import logging
import sys
import textwrap
from collections.abc import Mapping
from typing import Any

from scrapy.commands import ScrapyHelpFormatter, crawl
from scrapy.spiderloader import get_spider_loader

from newscrawl import arguments
from newscrawl.arguments import BadArgumentError, CrawlArguments
from newscrawl.config import validate_settings
from newscrawl.extensions import RunReport
from newscrawl.report import EXIT_CODES, exit_code

logger = logging.getLogger("newscrawl")

#: The settings the help shows with their value (README's Settings table has every one).
MAIN_SETTINGS = {
    "JSONL_PATH": "the dataset, appended to; beside it .index, .lock, .state.json, .report.json",
    "NEWSCRAWL_CONTACT": "your e-mail or URL, added to the User-Agent (set it for live runs)",
    "CALIBER_PROGRESS_INTERVAL": "seconds between progress lines (0: none)",
    "CALIBER_OWED_MAX_RUNS": "runs that may fail on an article before it is given up",
    "CALIBER_FAILED_PAGES_DIR": "where failing pages are saved (empty: failed-pages/ beside "
    "JSONL_PATH)",
    "DOWNLOAD_TIMEOUT": "seconds before a stalled request is given up",
    "CALIBER_TIMEOUT_RETRIES": "how often a request that timed out is asked again",
    "RETRY_TIMES": "how often a 5xx, 408, 429 or reset is asked again",
    "HTTPCACHE_ENABLED": "1: replay pages already fetched (development)",
    "LOG_LEVEL": "-L WARNING still shows a failed run's report",
}


def argument_help(name: str) -> str:
    """What an argument of ``CrawlArguments`` means: the first paragraph of ``parse_<name>``.

    >>> argument_help("max_pages")
    'Stop paging after this many listing pages: a whole number, at least 1.'
    >>> argument_help("no_such_argument")
    ''
    """
    parse = getattr(arguments, f"parse_{name}", None)
    doc = inspect.getdoc(parse) if parse is not None else None
    if not doc:
        return ""
    return " ".join(doc.split("\n\n", 1)[0].split()).replace("``", "")


def _wrapped(text: str, indent: int) -> list[str]:
    return textwrap.wrap(text, 100, initial_indent=" " * indent, subsequent_indent=" " * indent)


def crawl_help(spider: str, settings: Mapping[str, Any]) -> str:
    """The spider arguments, the main settings (as now set) and the exit codes."""
    lines = [f"Arguments of {spider} (-a NAME=VALUE; checked before the crawl):"]
    for field in dataclasses.fields(CrawlArguments):
        default = field.default if field.default is not dataclasses.MISSING else None
        lines.append(f"  {field.name:<11} default: {'none' if default is None else default}")
        lines += _wrapped(argument_help(field.name), 14)
    lines.append(f"  {'help':<11} print this help and exit, without crawling")
    lines.append("")
    lines.append("Main settings (-s NAME=VALUE; the value now in effect; README lists them all):")
    for name, meaning in MAIN_SETTINGS.items():
        value = settings.get(name)
        lines.append(f"  {name} = {value if value != '' else '(empty)'}")
        lines += _wrapped(meaning, 6)
    lines.append("")
    lines.append("Exit codes:")
    for code, meaning in EXIT_CODES.items():
        lines += _wrapped(f"{code}  {meaning}", 2)
    lines.append("")
    lines += _wrapped(
        "The run ends with a report (also written to JSONL_PATH.report.json) and one last line: "
        "'run finished: ...; exit code 0' or 'run FAILED (<close reason>): <what to do>; "
        "exit code N'.",
        0,
    )
    return "\n".join(lines)


def run_report(crawler: Any) -> dict[str, Any] | None:
    """The report ``RunReport`` made of a crawl that ran (``None`` when it could not start)."""
    try:
        extension = crawler.get_extension(RunReport)
    except RuntimeError:  # the crawl failed before its extensions existed
        return None
    report: dict[str, Any] | None = getattr(extension, "report", None)
    return report


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, ScrapyHelpFormatter):
    """Scrapy's help layout, with the description and epilog printed as written."""


class Command(crawl.Command):
    """Scrapy's ``crawl``: arguments and settings checked before any log line, ``-a help=1``,
    the exit code of the close reason, and a one-line verdict as the log's last line."""

    def short_desc(self) -> str:
        return "Run a spider of the project (caliber_world); -a help=1 lists its arguments"

    def long_desc(self) -> str:
        return (
            "Run a spider of the project: scrapy crawl caliber_world [-a NAME=VALUE ...] "
            "[-s NAME=VALUE ...]. Its arguments, main settings and exit codes are listed below."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.formatter_class = _HelpFormatter
        parser.epilog = crawl_help("caliber_world", self.settings or {})

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if not args:
            known = ", ".join(get_spider_loader(self.settings).list())
            self.refuse(
                f"scrapy crawl: name a spider ({known}); scrapy crawl -h lists its arguments"
            )
        if len(args) > 1:  # Scrapy passes options it does not know on as more spider names
            self.refuse(
                f"scrapy crawl: unrecognized arguments: {' '.join(args[1:])} (see scrapy crawl -h)"
            )
        if len(args) == 1:
            self.preflight(args[0], opts.spargs)

    def preflight(self, name: str, spargs: dict[str, str]) -> None:
        """Answer ``-a help=…``, or reject a bad argument or setting in one line, exit 2.

        Runs before the crawler process exists, so nothing is logged before that line.
        """
        assert self.settings is not None
        if "help" in spargs:
            print(crawl_help(name, self.settings))
            sys.exit(0)
        try:
            spidercls = get_spider_loader(self.settings).load(name)
        except KeyError:
            known = ", ".join(get_spider_loader(self.settings).list())
            self.refuse(f"scrapy crawl: no spider named {name!r} (this project has: {known})")
        try:
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                check(**spargs)
            validate_settings(self.settings)
        except BadArgumentError as error:
            self.refuse(f"{name}: {error}")

    def refuse(self, line: str) -> None:
        """Print the one line on stderr, and into the log file when there is one (Scrapyd's job
        log, where an operator looks), then exit 2."""
        print(line, file=sys.stderr)
        log_file = self.settings.get("LOG_FILE") if self.settings is not None else None
        if log_file:
            with contextlib.suppress(OSError), open(log_file, "a", encoding="utf-8") as log:
                log.write(line + "\n")
        sys.exit(2)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or self.crawler_process is None:
            super().run(args, opts)
            return
        crawler = self._create_crawler(args[0])
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
