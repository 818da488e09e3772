"""The run report: what became of every card and article of a run, built from the run's stats.

Pure functions: ``build_report`` turns the stats (and what the alarms saw) into one JSON-ready
dict, ``report_text`` and ``verdict`` into the lines an operator reads; ``exit_code`` and
``hint`` say what a close reason means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from newscrawl import STATS
from newscrawl.items import FIELDS

FINISHED = "finished"
# What can become of a requested article besides failing (errors/article_<kind>), by stat.
DONE = {
    "written": "items_written",
    "refused": "items_refused",
    "invalid": "items_invalid",
    "duplicate": "items_duplicate",
    "older_than_since": "articles_before_since",
    "redirected_to_listed": "articles_redirected_to_listed",
    "not_written": "items_not_written",
}

#: Exit codes of ``scrapy crawl`` (``newscrawl/commands/crawl.py``), and what each means.
EXIT_CODES = {
    0: "the crawl finished",
    1: "the crawl stopped for another reason (the last log line says which, and what to do)",
    2: "the crawl cannot run as set up: a bad spider argument or setting (one line on stderr, "
    "nothing crawled), or a dataset that belongs to another crawl (dataset_mismatch)",
}
# Close reasons no rerun can mend: the command line or the dataset must change first.
SETUP_REASONS = frozenset({"dataset_mismatch", "bad_settings"})

#: What to do about each close reason, one line (``section_unreachable``: see ``UNREACHABLE``);
#: ``{dataset}`` stands for the dataset's path.
HINTS = {
    "markup_drift": "the site's markup moved: compare the saved failing pages with the selector "
    "the alarm names and override it with CALIBER_SELECTORS; articles refused meanwhile are owed "
    "and fetched again once it is mended",
    "too_few_items": "almost no requested article could be read: see the 'Article page failed' "
    "and 'Article refused' lines above (is the site serving errors, or blocking the crawler?)",
    "section_unreachable": "no listing page could be read: see the 'Listing page failed' lines "
    "above",
    "spider_error": "the crawler's own code failed (tracebacks above): report it with this log; "
    "the next run reads on to the end of the section",
    "dataset_locked": "another crawl is writing {dataset}: this run wrote nothing and the next "
    "scheduled run catches up; if no crawl is running, see who holds the lock "
    "(fuser {dataset}.lock)",
    "paging_repeats": "later listing pages repeat earlier ones: the site does not page as "
    "CALIBER_PAGE_URL says; check it with scrapy probe",
    "listing_ceiling": "paging reached its ceiling without the section ending: check that the "
    "site's paging ends (CALIBER_PAGE_URL, scrapy probe)",
    "views_locked": "another crawl is writing the view-count history beside {dataset}: this run "
    "wrote nothing and the next scheduled run catches up; two datasets sharing one VIEWS_PATH "
    "need one each",
    "write_failed": "writing to {dataset} failed (a full disk, a file size limit?): nothing "
    "unwritten counts as stored; free the space, then rerun",
    "dataset_unwritable": "{dataset} cannot be written (permissions, a read-only disk, a "
    "directory in the way): fix it, then rerun",
    "dataset_mismatch": "the files beside {dataset} do not belong to this crawl (see the error "
    "above): use another JSONL_PATH or move the old files aside",
    "shutdown": "stopped by a signal (Ctrl-C, kill, a Scrapyd cancel) before the end: the next "
    "run reads on to the end of the section",
    "closespider_timeout": "stopped by CLOSESPIDER_TIMEOUT: the next run reads on",
    "closespider_itemcount": "stopped by CLOSESPIDER_ITEMCOUNT: the next run reads on",
    "closespider_pagecount": "stopped by CLOSESPIDER_PAGECOUNT: the next run reads on",
    "closespider_errorcount": "stopped by CLOSESPIDER_ERRORCOUNT: see the errors above",
    "memusage_exceeded": "stopped by MEMUSAGE_LIMIT_MB: raise it or crawl with max_pages",
    "bad_settings": "a setting is wrong (the ERROR line above names it): fix it, then rerun",
}
#: ``section_unreachable`` by the commonest failure of its listing pages.
UNREACHABLE = {
    "dns": "the host could not be resolved (dns): check base_url and this machine's network "
    "and DNS",
    "connection": "the host refused or dropped the connection: is the site (or base_url's port) "
    "up?",
    "timeout": "the host did not answer within DOWNLOAD_TIMEOUT: the site is down or stalling; "
    "the next run tries again",
    "tls": "the TLS handshake failed: check the host's certificate, or http vs https in base_url",
    "http_404": "the section's listing pages are not found (404): check CALIBER_SECTION_PATH "
    "and CALIBER_PAGE_URL (scrapy probe)",
    "http_403": "the site forbids the crawler (403): set NEWSCRAWL_CONTACT and ask the site",
    "offsite": "the section redirects to another host: set base_url to it",
}


def exit_code(reason: str | None) -> int:
    """The exit code of ``scrapy crawl`` for a close reason (``EXIT_CODES``).

    >>> exit_code("finished"), exit_code("dataset_locked"), exit_code("dataset_mismatch")
    (0, 1, 2)
    """
    if reason == FINISHED:
        return 0
    return 2 if reason in SETUP_REASONS else 1


def hint(reason: str | None, listing_failed: Mapping[str, int]) -> str | None:
    """One line on what to do about a run that did not finish (``None`` for a finished run).

    >>> hint("section_unreachable", {"dns": 2})
    "the host could not be resolved (dns): check base_url and this machine's network and DNS"
    >>> hint("section_unreachable", {"http_503": 2})
    "no listing page could be read: see the 'Listing page failed' lines above (http_503)"
    >>> hint("finished", {}) is None, hint("cancelled", {})
    (True, 'see the ERROR lines above')
    """
    if reason == FINISHED:
        return None
    if reason == "section_unreachable" and listing_failed:
        commonest = max(sorted(listing_failed), key=lambda kind: listing_failed[kind])
        return UNREACHABLE.get(commonest, f"{HINTS[reason]} ({commonest})")
    return HINTS.get(str(reason), "see the ERROR lines above")


def _count(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(f"{STATS}/{key}", 0)
    return int(value) if isinstance(value, int | float) else 0


def _by_suffix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """The non-zero counts of the stats starting with ``prefix``, by the rest of their key."""
    return {
        key[len(prefix) :]: int(value)
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and isinstance(value, int) and value
    }


def article_counts(stats: Mapping[str, Any]) -> tuple[int, int]:
    """How many articles the run has requested so far, and how many of those are done with.

    >>> article_counts({"caliber_world/articles_requested": 19, "caliber_world/items_written": 3,
    ...                 "caliber_world/articles_owed_retried": 1,
    ...                 "caliber_world/errors/article_http_404": 1,
    ...                 "caliber_world/errors/listing_dns": 2})
    (20, 4)
    """
    requested = _count(stats, "articles_requested") + _count(stats, "articles_owed_retried")
    failed = _by_suffix(stats, f"{STATS}/errors/article_")
    done = sum(_count(stats, key) for key in DONE.values()) + sum(failed.values())
    return requested, done


def _iso(moment: Any) -> str | None:
    if not isinstance(moment, datetime):
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def build_report(
    stats: Mapping[str, Any],
    *,
    reason: str,
    alarms: Sequence[str] = (),
    failed_pages: str | None = None,
    owed: int | None = None,
    dataset_path: str | None = None,
    dataset_articles: int | None = None,
    finished_at: datetime | None = None,
) -> dict[str, Any]:
    """Everything the report says, as one JSON-ready dict, from the run's stats.

    ``failed_pages`` is the folder the failing pages were saved in (when some were), ``owed``
    how many articles the next run asks for again, ``alarms`` the alarm lines that fired.
    The articles requested add up: written + refused + invalid + duplicate + older than since +
    failed (by kind) + ``unaccounted`` (requests the run never finished when it stopped early;
    on a finished run anything there is a counting gap).
    """
    listing_failed = _by_suffix(stats, f"{STATS}/errors/listing_")
    article_failed = _by_suffix(stats, f"{STATS}/errors/article_")
    other_errors = {
        key: count
        for key, count in _by_suffix(stats, f"{STATS}/errors/").items()
        if not key.startswith(("listing_", "article_"))
    }
    cards = {
        "requested": _count(stats, "articles_requested"),
        "already_stored": _count(stats, "articles_already_stored"),
        "older_than_since": _count(stats, "cards_before_since"),
        "listed_twice": _count(stats, "cards_duplicate"),
    }
    cards = {"listed": sum(cards.values()), **cards}
    other_cards = {
        "other_sections": _count(stats, "cards_other_section"),
        "not_articles": _count(stats, "cards_not_article"),
        "malformed": _count(stats, "cards_malformed"),
    }
    outcomes = {label: _count(stats, key) for label, key in DONE.items()}
    outcomes["failed"] = sum(article_failed.values())
    from_listing = cards["requested"]
    owed_retried = _count(stats, "articles_owed_retried")
    requested = from_listing + owed_retried
    articles = {
        "requested": requested,
        "from_listing_pages": from_listing,
        "owed_by_earlier_runs": owed_retried,
        **outcomes,
        "failed_by_kind": article_failed,
        "unaccounted": requested - sum(outcomes.values()),
    }
    revisits = {
        key.removeprefix(f"{STATS}/revisits").lstrip("_/"): int(value)
        for key, value in stats.items()
        if key.startswith(f"{STATS}/revisits") and isinstance(value, int)
    }
    rank = {name: number for number, name in enumerate(("due", "done", "failed", "gone"))}
    revisits = dict(sorted(revisits.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
    started = stats.get("start_time")
    finished = finished_at or stats.get("finish_time")
    elapsed = (
        round((finished - started).total_seconds(), 3)
        if isinstance(started, datetime) and isinstance(finished, datetime)
        else None
    )
    report: dict[str, Any] = {
        "close_reason": reason,
        "finished": reason == FINISHED,
        "exit_code": exit_code(reason),
        "hint": hint(reason, listing_failed),
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "elapsed_seconds": elapsed,
        "alarms": list(alarms),
        "listing_pages": {
            "read": _count(stats, "listing_pages"),
            "with_section_cards": _count(stats, "listing_pages_with_cards"),
            "page_1_asked_again": _count(stats, "listing_rechecked"),
            "failed_by_kind": listing_failed,
        },
        "robots_txt_failed_by_kind": _by_suffix(stats, f"{STATS}/robots_txt_failed/"),
        "section_cards": cards,
        "other_cards": other_cards,
        "articles": articles,
        "owed_to_next_run": owed,
        "given_up": _count(stats, "articles_given_up"),
        "renamed": _count(stats, "articles_renamed"),
        "gone": _count(stats, "articles_gone"),
        "pages_cut_short": _count(stats, "pages_truncated"),
        "revisits": revisits,
        "other_errors": other_errors,
        "dataset_repaired_bytes": _count(stats, "dataset_repaired_bytes"),
        "failed_pages": (
            {"saved": _count(stats, "failed_pages_saved"), "folder": failed_pages}
            if failed_pages
            else None
        ),
        "dataset": {"path": dataset_path, "articles": dataset_articles},
        "fields_filled": {name: _count(stats, f"fields_filled/{name}") for name in FIELDS},
    }
    if report["hint"]:
        report["hint"] = report["hint"].replace("{dataset}", dataset_path or "JSONL_PATH")
    report["verdict"] = verdict(report)
    return report


def kinds(counts: Mapping[str, int]) -> str:
    """Counts by kind as the report shows them.

    >>> kinds({"http_503": 1, "not_html": 1})
    'http_503 1, not_html 1'
    """
    return ", ".join(f"{kind} {count}" for kind, count in counts.items())


Term = tuple[str, int, str]


def equation(head: str, terms: Iterable[Term]) -> str:
    """``head`` shown as the sum of its non-zero terms, each ``(label, count, detail)``.

    >>> equation("requested 19", [("written", 14, ""), ("refused", 2, ""), ("invalid", 0, ""),
    ...                           ("failed", 3, "http_503 1, http_404 1, not_html 1")])
    'requested 19 = written 14 + refused 2 + failed 3 (http_503 1, http_404 1, not_html 1)'
    >>> equation("listed 0", [("requested", 0, "")])
    'listed 0'
    """
    shown = [
        f"{label} {count}" + (f" ({detail})" if detail else "")
        for label, count, detail in terms
        if count
    ]
    return f"{head} = {' + '.join(shown)}" if shown else head


def _line(label: str, text: str) -> str:
    return f"  {label + ':':<19} {text}"


def report_text(report: Mapping[str, Any]) -> str:
    """The report as the log shows it: a heading, then one line per figure that is not empty."""
    reason = report["close_reason"]
    state = reason if report["finished"] else f"FAILED: {reason}"
    lines = [f"Run report ({state}):"]
    lines += [_line(label, text) for label, text in _flow(report) + _notes(report) if text]
    return "\n".join(lines)


def _flow(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The lines from listing pages to articles: what was read, listed, requested, done."""
    listing = report["listing_pages"]
    pages = f"{listing['read']} read, {listing['with_section_cards']} with section cards"
    if listing["page_1_asked_again"]:
        pages += " (page 1 asked for again)"
    failed = listing["failed_by_kind"]
    if failed:
        pages += f"; failed {sum(failed.values())} ({kinds(failed)})"
    robots = report["robots_txt_failed_by_kind"]
    cards = report["section_cards"]
    twice = "listed twice or owed" if report["articles"]["owed_by_earlier_runs"] else "listed twice"
    card_terms = [
        ("requested", cards["requested"], ""),
        ("already stored", cards["already_stored"], ""),
        ("older than since", cards["older_than_since"], ""),
        # An owed article's card counts as listed before: the run asked for it at its start.
        (twice, cards["listed_twice"], ""),
    ]
    others = report["other_cards"]
    other_labels = {"other_sections": "other sections", "not_articles": "not articles"}
    detail = ", ".join(
        f"{other_labels.get(key, key)} {count}" for key, count in others.items() if count
    )
    return [
        ("listing pages", pages),
        (
            "robots.txt",
            f"not read ({kinds(robots)}); crawled as if it allowed all" if robots else "",
        ),
        ("section cards", equation(f"listed {cards['listed']}", card_terms)),
        ("other cards", f"{sum(others.values())} ({detail})" if detail else ""),
        ("articles", articles_equation(report)),
    ]


def _notes(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The lines after the articles: what is owed, saved, alarmed, and what to do."""

    def count(key: str, meaning: str) -> str:
        return f"{report[key]} ({meaning})" if report[key] else ""

    saved = report["failed_pages"]
    dataset = report["dataset"]
    held = dataset["articles"]
    written = report["articles"]["written"]
    alarms = report["alarms"]
    return [
        ("owed to next run", count("owed_to_next_run", "asked for again by the next run")),
        ("given up", count("given_up", "failed CALIBER_OWED_MAX_RUNS runs; not asked again")),
        ("renamed", count("renamed", "stored under the new slug")),
        ("gone", count("gone", "no longer on the site")),
        ("pages cut short", f"{report['pages_cut_short'] or ''}"),
        # Shown when some checkpoint was due (the JSON report always has the counts).
        ("revisits", kinds(report["revisits"]) if any(report["revisits"].values()) else ""),
        ("other errors", kinds(report["other_errors"])),
        ("dataset repaired", count("dataset_repaired_bytes", "bytes of a torn line set aside")),
        ("failing pages", f"{saved['saved']} saved in {saved['folder']}" if saved else ""),
        *(("alarms" if number == 0 else "", alarm) for number, alarm in enumerate(alarms)),
        ("dataset", f"{dataset['path']}" + (f" holds {held} articles" if held is not None else "")),
        (
            "fields filled",
            f"of {written} written: {kinds(report['fields_filled'])}" if written else "",
        ),
        ("what to do", report["hint"] or ""),
    ]


def articles_equation(report: Mapping[str, Any]) -> str:
    """The articles line: every requested article is written, refused, failed, ... or unaccounted.

    >>> articles_equation({"finished": True, "articles": {
    ...     "requested": 22, "from_listing_pages": 19, "owed_by_earlier_runs": 3, "written": 17,
    ...     "refused": 2, "invalid": 0, "duplicate": 0, "older_than_since": 0, "failed": 3,
    ...     "redirected_to_listed": 0, "not_written": 0,
    ...     "failed_by_kind": {"http_404": 1, "http_503": 2}, "unaccounted": 0}})
    ... # doctest: +NORMALIZE_WHITESPACE
    'requested 22 (19 from listing pages, 3 owed by earlier runs) = written 17 + refused 2 +
     failed 3 (http_404 1, http_503 2)'
    """
    articles = report["articles"]
    if articles["requested"] == 0:
        return "none requested"
    head = f"requested {articles['requested']}"
    if articles["owed_by_earlier_runs"]:
        head += (
            f" ({articles['from_listing_pages']} from listing pages,"
            f" {articles['owed_by_earlier_runs']} owed by earlier runs)"
        )
    gap = "unaccounted" if report["finished"] else "not done (run stopped)"
    return equation(
        head,
        [
            ("written", articles["written"], ""),
            ("refused", articles["refused"], ""),
            ("invalid", articles["invalid"], ""),
            ("already written", articles["duplicate"], ""),
            ("older than since", articles["older_than_since"], ""),
            ("redirected to a listed one", articles["redirected_to_listed"], ""),
            ("not written (write failed)", articles["not_written"], ""),
            ("failed", articles["failed"], kinds(articles["failed_by_kind"])),
            (gap, articles["unaccounted"], ""),
        ],
    )


def verdict(report: Mapping[str, Any]) -> str:
    """The log's last line: did the run work, what to do if not, and the exit code.

    >>> verdict({"finished": True, "close_reason": "finished", "exit_code": 0,
    ...          "articles": {"written": 14}, "owed_to_next_run": 3})
    'run finished: 14 new articles, 3 owed to the next run; exit code 0'
    >>> verdict({"finished": False, "close_reason": "dataset_locked", "exit_code": 1,
    ...          "hint": "another crawl is writing this dataset"})
    'run FAILED (dataset_locked): another crawl is writing this dataset; exit code 1'
    """
    if report["finished"]:
        written = report["articles"]["written"]
        text = f"{written} new article{'' if written == 1 else 's'}" if written else "nothing new"
        if report.get("owed_to_next_run"):
            text += f", {report['owed_to_next_run']} owed to the next run"
        return f"run finished: {text}; exit code {report['exit_code']}"
    reason, code = report["close_reason"], report["exit_code"]
    return f"run FAILED ({reason}): {report['hint']}; exit code {code}"
