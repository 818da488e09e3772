"""Faults and alarms end to end: ``scrapy crawl`` against a replica with faults switched on."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from newscrawl.replica import (
    DirectorySite,
    Fault,
    FaultySite,
    RedesignedSite,
    ReplicaServer,
    Site,
    default_site,
)
from newscrawl.replica.generate import make_articles, write_site
from tests.conftest import REPLICA_SITE, owed, read_jsonl, run_state
from tests.test_crawl import crawl, expected_articles, page_slugs

POST = "/en/post/"
SECTION = "/en/category/world"
# Small timeouts and few retries keep a stalled response down to a second or two.
QUICK = ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=2"]
ELSEWHERE = "http://other-host.invalid"


def article_html(slug: str) -> bytes:
    return (REPLICA_SITE / "en" / "post" / f"{slug}.html").read_bytes()


def stat(stderr: str, key: str) -> object:
    """One value of the stats Scrapy dumps at close (``None`` when the key is absent)."""
    match = re.search(rf"'{re.escape(key)}': ('[^']*'|\d+)", stderr)
    if match is None:
        return None
    value = match[1]
    return value.strip("'") if value.startswith("'") else int(value)


@pytest.fixture
def serve() -> Iterator[list[ReplicaServer]]:
    servers: list[ReplicaServer] = []
    yield servers
    for server in servers:
        server.stop()


def start(servers: list[ReplicaServer], site: Site) -> ReplicaServer:
    server = ReplicaServer(site).start()
    servers.append(server)
    return server


def crawl_site(server: ReplicaServer, dataset: Path, *args: str) -> tuple[int, str]:
    result = crawl(
        "-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}", *QUICK, *args
    )  # fmt: skip
    return result.returncode, result.stderr


# Article faults (pages 1 and 2), and two listing faults.
FAILING = {
    "reuters-eu-and-uk-agree-to-coordinate-shadow-fleet-tanker-inspections": (
        Fault(status=503),
        "http_503",
    ),
    "typhoon-kalmaegi-makes-landfall-in-vietnam-after-deadly-passage-through-philippines": (
        Fault(reset=True),
        "connection",
    ),
    "media-oil-set-for-second-weekly-loss-as-supply-glut-fears-mount": (
        Fault(stall=5),
        "timeout",
    ),
    "finland-keeps-eastern-border-shut-as-winter-approaches": (Fault(status=404), "http_404"),
    "us-government-shutdown-stretches-into-record-sixth-week": (
        Fault(content_type="application/pdf"),
        "not_html",
    ),
    "iran-warns-tehran-may-face-water-rationing-as-reservoirs-run-low": (
        Fault(pad_to=3_000_000),
        "too_large",
    ),
    "central-asian-leaders-meet-in-washington-for-c5-1-summit": (
        Fault(status=302, location=f"{ELSEWHERE}{POST}central-asian-leaders"),
        "offsite",
    ),
}
RECOVERING = {
    "wsj-russian-forces-in-ukraine-near-first-major-conquest-in-more-than-two-years": Fault(
        status=503, times=1
    ),
    "leaders-gather-in-belem-as-brazil-hosts-cop30-climate-summit": Fault(stall=5, times=1),
    "delhi-shifts-primary-classes-online-as-smog-thickens": Fault(reset=True, times=1),
}
TRUNCATED = "un-warns-afghan-quake-survivors-face-winter-without-shelter"
MALFORMED = "media-germany-moves-ahead-with-new-military-service-model"


def first_paragraph_end(html: bytes) -> int:
    return html.index(b"</p>", html.index(b"post_body")) + len(b"</p>")


def malformed(html: bytes) -> bytes:
    """The page with every closing ``</div>`` and ``</p>`` tag dropped."""
    return html.replace(b"</div>", b"").replace(b"</p>", b"")


def test_faults_are_survived_counted_and_logged_once(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    faults = {POST + slug: fault for slug, (fault, _) in FAILING.items()}
    faults |= {POST + slug: fault for slug, fault in RECOVERING.items()}
    faults[POST + TRUNCATED] = Fault(cut_after=first_paragraph_end(article_html(TRUNCATED)))
    faults[POST + MALFORMED] = Fault(body=malformed(article_html(MALFORMED)))
    faults[f"{SECTION}?page=2"] = Fault(reset=True, times=1)
    faults[f"{SECTION}?page=3"] = Fault(status=301, location=f"{ELSEWHERE}{SECTION}?page=3")
    site = FaultySite(default_site(), faults)
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 0, log[-3000:]
    assert stat(log, "finish_reason") == "finished"
    expected = expected_articles(server.base_url)
    # A page cut short is not written with what it held: it is owed to the next run.
    lost = set(FAILING) | {TRUNCATED} | (page_slugs(3) - page_slugs(1) - page_slugs(2))
    items = {item["slug"]: item for item in read_jsonl(dataset)}
    assert sorted(items) == sorted(set(expected) - lost)
    for slug, item in items.items():
        del item["crawled_at"]
        assert item == expected[slug], slug

    for slug, (_, kind) in FAILING.items():
        assert stat(log, f"caliber_world/errors/article_{kind}") == 1, kind
        url = f"{server.base_url}{POST}{slug}"
        assert log.count(url) == 1, url
        assert f"Article page failed ({kind}): {url}" in log
    listing_url = f"{server.base_url}{SECTION}?page=3"
    assert stat(log, "caliber_world/errors/listing_offsite") == 1
    assert log.count(listing_url) == 1
    assert stat(log, "caliber_world/pages_truncated") == 1
    assert log.count(f"{server.base_url}{POST}{TRUNCATED}") == 1
    assert f"Article page failed (truncated): {server.base_url}{POST}{TRUNCATED}\n" in log
    # Owed to the next run: what may mend (5xx, reset, timeout, an off-site redirect, a cut
    # page); not a 404, a PDF, nor a page too large (given up at once: it will be again).
    assert owed(dataset) == {
        slug: 1
        for slug, (_, kind) in FAILING.items()
        if kind not in ("http_404", "not_html", "too_large")
    } | {TRUNCATED: 1}
    assert stat(log, "caliber_world/articles_given_up") == 1
    assert (
        "Article page failed (too_large): "
        f"{server.base_url}{POST}iran-warns-tehran-may-face-water-rationing-as-reservoirs-run-low;"
        " given up: it would be too large next time too\n"
    ) in log
    no_views = [s for s in items if expected[s]["views"] is None]
    assert stat(log, "caliber_world/field_missing/views") == len(no_views)
    assert stat(log, "caliber_world/listing_pages") == 3  # 1, 2 (after a reset) and empty 4
    assert stat(log, "caliber_world/offsite_refused") == 2
    # Retried: 1 + 1 + 1 recovering, 2 + 2 failing (503, reset), 1 the stall (a timeout is
    # asked again CALIBER_TIMEOUT_RETRIES times, not RETRY_TIMES), page 2 once.
    assert stat(log, "retry/count") == 9
    assert stat(log, "retry/max_reached") == 3
    assert all(site.served[POST + slug] == 2 for slug in RECOVERING)
    # Every request Scrapy sent reached the replica: the other host was never contacted.
    requests = server.requests
    assert stat(log, "downloader/request_count") == len(requests)
    assert all(r.headers.get("Host") == f"127.0.0.1:{server.port}" for r in requests)
    assert "other-host" not in "".join(r.target for r in requests)
    assert "DNSLookupError" not in log
    assert "Traceback" not in log


def test_empty_listing_page_robots_user_agent_and_hostile_headline(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    empty = default_site().resolve(SECTION, {"page": ["99"]}).body.replace(b"99", b"2")
    forbidden = "ft-european-banks-step-up-lending-to-defence-industry"
    robots = f"User-agent: *\nDisallow: {POST}{forbidden}\n".encode()
    hostile = "chile-heads-into-presidential-vote-with-security-top-of-agenda"
    headline = 'He said "no" \\ \u2028 &#xD800; &lt;/script&gt; end'
    html = article_html(hostile).decode("utf-8")
    html = re.sub(r'(<h1 class="post_title">)[^<]*', lambda m: m[1] + headline, html)
    site = FaultySite(
        default_site(),
        {
            f"{SECTION}?page=2": Fault(body=empty),
            "/robots.txt": Fault(body=robots),
            POST + hostile: Fault(body=html.encode("utf-8")),
        },
    )
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset, "-s", "NEWSCRAWL_CONTACT=ops@example.org")

    assert code == 0, log[-3000:]
    # Page 2 is empty but paging goes on: page 3's articles are read, then 4 and 5 end it.
    # Page 3 showing cards again, page 2 is asked once more: still empty, it is a hole that
    # leaves the dataset not walked (the next run reads the whole section again).
    assert stat(log, "caliber_world/listing_pages") == 6
    assert stat(log, "caliber_world/errors/listing_empty_mid_section") == 1
    assert f"Listing page failed (empty_mid_section): {server.base_url}{SECTION}?page=2\n" in log
    assert [r.target for r in server.requests].count(f"{SECTION}?page=2") == 2
    assert run_state(dataset)["walked"] is False
    lost = (page_slugs(2) - page_slugs(1)) | {forbidden}
    raw = dataset.read_bytes()
    lines = raw.decode("utf-8").splitlines()
    assert raw.count(b"\n") == len(lines)  # nothing in a record breaks a line
    items = {item["slug"]: item for item in map(json.loads, lines)}
    assert sorted(items) == sorted(set(expected_articles(server.base_url)) - lost)
    assert items[hostile]["headline"].startswith('He said "no" \\ ')
    assert items[hostile]["headline"].endswith(" </script> end")
    # robots.txt is obeyed, and every request names the project and its operator.
    assert stat(log, "robotstxt/forbidden") == 1
    assert POST + forbidden not in [r.target for r in server.requests]
    agents = {r.headers.get("User-Agent") for r in server.requests}
    assert agents == {
        "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl; contact: ops@example.org)"
    }


def drift_line(log: str) -> str:
    # The alarm's own ERROR line (the run report repeats it under "alarms:").
    lines = [line for line in log.splitlines() if "ERROR: Markup drift:" in line]
    assert len(lines) == 1, lines
    return lines[0].split("Markup drift: ", 1)[1]


def test_redesigned_site_fails_loudly_and_writes_nothing(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    site = RedesignedSite(default_site())
    server = start(serve, site)
    dataset = tmp_path / "data" / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 1
    assert stat(log, "finish_reason") == "markup_drift"
    saved = next((tmp_path / "data" / "failed-pages").iterdir())
    assert drift_line(log) == (
        f'CARD = "div.float_block" matched nothing on page 1 ({server.base_url}{SECTION});'
        f" failing pages saved in {saved}"
    )
    assert [p.name for p in sorted(saved.iterdir())] == ["01-world.html", "index.tsv"]
    assert (saved / "01-world.html").read_bytes() == site.resolve(SECTION, {}).body
    assert dataset.read_bytes() == b""
    # Page 1 is asked for twice (one empty answer could be a glitch), and nothing else.
    assert [r.target for r in server.requests] == ["/robots.txt", SECTION, SECTION]
    assert stat(log, "caliber_world/listing_rechecked") == 1


def test_drift_is_still_alarmed_when_failing_pages_cannot_be_saved(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    server = start(serve, RedesignedSite(default_site()))
    not_a_folder = tmp_path / "pages"
    not_a_folder.write_text("a file where the folder should be")

    code, log = crawl_site(
        server, tmp_path / "out.jsonl", "-s", f"CALIBER_FAILED_PAGES_DIR={not_a_folder}"
    )

    assert code == 1
    assert stat(log, "finish_reason") == "markup_drift"
    assert drift_line(log) == (
        f'CARD = "div.float_block" matched nothing on page 1 ({server.base_url}{SECTION})'
    )
    assert f"WARNING: Failing pages cannot be saved in {not_a_folder}/" in log
    assert "Error caught on signal handler" not in log and "Traceback" not in log


def test_a_page_1_with_cards_but_none_of_the_section_is_drift_not_success(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    # The section's category links moved (/en/category/world -> /en/world): every card of
    # page 1 reads as another section's. Before, the run ended "finished" with 0 items.
    page = default_site().resolve(SECTION, {}).body.replace(SECTION.encode(), b"/en/world")
    server = start(serve, FaultySite(default_site(), {SECTION: Fault(body=page)}))
    dataset = tmp_path / "data" / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 1
    assert stat(log, "finish_reason") == "markup_drift"
    assert stat(log, "caliber_world/cards_other_section") is None  # refused before counting
    saved = next((tmp_path / "data" / "failed-pages").iterdir())
    assert drift_line(log) == (
        "none of the 7 cards on page 1 is an article of the section (7 of another section by"
        ' their category link or CARD_CATEGORY = ".float_block_category", 0 with no article'
        " link: check CALIBER_SECTION_PATH and CALIBER_ARTICLE_PATH_RE)"
        f" ({server.base_url}{SECTION}); failing pages saved in {saved}"
    )
    assert dataset.read_bytes() == b""
    assert stat(log, "caliber_world/listing_rechecked") == 1


def test_redesigned_articles_are_refused_and_fail_the_run(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    site = RedesignedSite(default_site(), {"post_": "article__", 'class="post"': 'class="a"'})
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"
    pages = tmp_path / "pages"

    code, log = crawl_site(
        server, dataset,
        "-s", f"CALIBER_FAILED_PAGES_DIR={pages}", "-s", "CALIBER_FAILED_PAGES_MAX=3",
    )  # fmt: skip

    assert code == 1
    assert stat(log, "finish_reason") == "markup_drift"
    count = len(expected_articles(server.base_url))
    saved = next(pages.iterdir())
    assert drift_line(log) == (
        f'PUBLISHED = ".post_time" found nothing on {count} of {count} articles'
        f' (coverage 0%, floor 50%); BODY = ".post_body" found nothing on {count} of {count}'
        f" articles (coverage 0%, floor 50%); failing pages saved in {saved}"
    )
    assert stat(log, "caliber_world/items_refused") == count
    refused = [line for line in log.splitlines() if " WARNING: Article refused (" in line]
    assert len(refused) == count
    assert all(
        line.split(" WARNING: ", 1)[1].startswith(
            f"Article refused (lacks published_at, body): {server.base_url}{POST}"
        )
        for line in refused
    )
    assert stat(log, "caliber_world/failed_pages_saved") == 3
    assert len(list(saved.glob("*.html"))) == 3
    assert dataset.read_bytes() == b""
    held_back = owed(tmp_path / "out.jsonl")
    assert held_back == dict.fromkeys(expected_articles(server.base_url), 1)

    # The selectors are mended (here: the site is back): the next run fetches what it owed.
    mended = start(serve, default_site())
    code, log = crawl_site(mended, dataset)
    assert code == 0, log[-3000:]
    assert stat(log, "caliber_world/articles_owed_retried") == count
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(held_back)


def test_an_article_short_of_fewer_fields_than_refused_is_written_and_logged_incomplete(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    site = RedesignedSite(default_site(), {"post_time": "article__time"})
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset)

    count = len(expected_articles(server.base_url))
    incomplete = [line for line in log.splitlines() if " WARNING: Article incomplete (" in line]
    assert len(incomplete) == count
    assert all(
        line.split(" WARNING: ", 1)[1].startswith(
            f"Article incomplete (lacks published_at): {server.base_url}{POST}"
        )
        for line in incomplete
    )
    assert stat(log, "caliber_world/field_missing/published_at") == count
    assert len(read_jsonl(dataset)) == count  # written, with published_at null
    assert {item["published_at"] for item in read_jsonl(dataset)} == {None}
    assert code == 1  # and the field's coverage under its floor is drift


def test_no_article_readable_is_too_few_items(serve: list[ReplicaServer], tmp_path: Path) -> None:
    every: Mapping[str, Fault] = {
        POST + slug: Fault(status=404) for slug in expected_articles("http://x")
    }
    server = start(serve, FaultySite(default_site(), every))

    code, log = crawl_site(server, tmp_path / "out.jsonl", "-a", "max_pages=1")

    assert code == 1
    assert stat(log, "finish_reason") == "too_few_items"
    assert "Too few items: 0 of 7 requested articles could be read (minimum 1)" in log


@pytest.mark.parametrize(
    "glitch",
    [
        Fault(
            times=1, body=(REPLICA_SITE / "en" / "category" / "world" / "empty.html").read_bytes()
        ),
        Fault(times=1, cut_after=2000),
    ],
    ids=["page-1-served-empty-once", "page-1-cut-short-once"],
)
def test_a_glitch_on_page_1_is_asked_again_not_called_drift(
    glitch: Fault, serve: list[ReplicaServer], tmp_path: Path
) -> None:
    server = start(serve, FaultySite(default_site(), {SECTION: glitch}))
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 0, log[-3000:]
    assert stat(log, "finish_reason") == "finished"
    assert stat(log, "caliber_world/listing_rechecked") == 1
    assert "Markup drift" not in log
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(
        expected_articles(server.base_url)
    )


def test_a_section_that_cannot_be_read_at_all_fails_the_run(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    # e.g. the section moved (a wrong CALIBER_SECTION_PATH): every listing page is a 404
    gone = {SECTION + (f"?page={n}" if n > 1 else ""): Fault(status=404) for n in range(1, 9)}
    server = start(serve, FaultySite(default_site(), gone))

    code, log = crawl_site(server, tmp_path / "out.jsonl")

    assert code == 1
    assert stat(log, "finish_reason") == "section_unreachable"
    # Page 1 failed; page 2's 404 ends the section (past page 1 that is no failure).
    assert stat(log, "caliber_world/errors/listing_http_404") == 1
    assert stat(log, "caliber_world/listing_end_404") == 1
    assert "Section unreachable: no listing page could be read (1 failed; see above)" in log


def malformed_cards() -> bytes:
    """Two cards whose links are not URLs: an article link (skipped), and a category link (the
    card is judged by its label, WORLD: its article is asked for; the replica has none, 404)."""
    return (
        b'<div class="float_block">\n'
        b'  <a href="http://[oops/en/post/x"><h2 class="float_block_title">Broken</h2></a>\n'
        b'  <div class="float_block_bottom"><a href="https://caliber.az/en/category/world">'
        b'<div class="float_block_category">WORLD</div></a></div>\n</div>\n'
        b'<div class="float_block">\n'
        b'  <a href="/en/post/broken-category"><h2 class="float_block_title">Broken</h2></a>\n'
        b'  <div class="float_block_bottom"><a href="http://[oops/en/category/world">'
        b'<div class="float_block_category">WORLD</div></a></div>\n</div>\n'
    )


def test_a_malformed_card_link_is_counted_and_the_rest_of_the_page_is_read(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    page_one = default_site().resolve(SECTION, {}).body
    first_card = page_one.index(b'<div class="float_block">')
    broken = page_one[:first_card] + malformed_cards() + page_one[first_card:]
    server = start(serve, FaultySite(default_site(), {SECTION: Fault(body=broken)}))
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 0, log[-3000:]
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(
        expected_articles(server.base_url)
    )
    assert stat(log, "caliber_world/cards_malformed") == 1
    assert log.count("malformed link") == 1
    assert (
        "Listing page has 1 card(s) with a malformed link, skipped (first: "
        f"'http://[oops/en/post/x'): {server.base_url}{SECTION}\n"
    ) in log
    assert "page 1: 9 cards, 8 new, 0 stored, 1 other\n" in log
    assert stat(log, "caliber_world/errors/article_http_404") == 1
    assert f"Article page failed (http_404): {server.base_url}/en/post/broken-category" in log
    assert "Traceback" not in log


def generated_site(root: Path, count: int = 120) -> tuple[Path, list[str]]:
    """A generated replica of ``count`` articles, 18 a page, and its slugs newest first."""
    articles = make_articles(count, seed=9)
    return write_site(root, articles, per_page=18), [a.slug for a in articles]


def listing(page: int) -> str:
    return f"{SECTION}?page={page}" if page > 1 else SECTION


def runs(server: ReplicaServer, dataset: Path, count: int) -> list[tuple[int, str]]:
    """``count`` crawls of ``server`` one after another, each as a scheduled run would be."""
    return [crawl_site(server, dataset, "-s", "DOWNLOAD_DELAY=0") for _ in range(count)]


@pytest.mark.parametrize(
    "case",
    [
        ("empty", 1, 0, "listing_rechecked"),
        ("empty", 2, 18, "errors/listing_empty_mid_section"),
        ("cut", 1, 0, "listing_rechecked"),
        ("cut", 2, 18, "errors/listing_truncated"),
        ("404", 1, 0, "listing_rechecked"),
        ("404", 2, 18, "errors/listing_http_404"),
    ],
    ids=["empty-once", "empty-twice", "cut-once", "cut-twice", "404-once", "404-twice"],
)
def test_a_listing_glitch_in_the_middle_loses_nothing(
    case: tuple[str, int, int, str], serve: list[ReplicaServer], tmp_path: Path
) -> None:
    # page 3 of 7 served empty, cut short or as a 404, once (asked again: mended) or twice (a
    # hole; a 404 past page 1 reads as the section's end only when no cards follow it)
    kind, times, first_run_lost, stat_name = case
    root, slugs = generated_site(tmp_path / "site")
    page_three = DirectorySite(root).resolve(SECTION, {"page": ["3"]}).body
    empty = DirectorySite(root).resolve(SECTION, {"page": ["99"]}).body
    # Cut before the page's first card: what came through shows no card at all.
    glitch = {
        "empty": Fault(times=times, body=empty),
        "cut": Fault(times=times, cut_after=page_three.index(b'<div class="float_block">')),
        "404": Fault(times=times, status=404),
    }[kind]
    site = FaultySite(DirectorySite(root), {listing(3): glitch})
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    (first, first_log), (second, second_log), (third, third_log) = runs(server, dataset, 3)

    assert first == second == third == 0, first_log[-3000:]
    assert stat(first_log, f"caliber_world/{stat_name}") == 1
    assert stat(first_log, "caliber_world/items_written") == 120 - first_run_lost
    if first_run_lost:
        # A hole: the run says so and leaves the dataset not walked, so the next run walks
        # the whole section again and fetches what the hole hid.
        assert f"Listing page failed ({stat_name.split('_', 1)[1]}): " in first_log
        assert stat(second_log, "caliber_world/items_written") == first_run_lost
        assert "Stopping at page 9: no section cards on the last 2 pages" in second_log
    else:
        assert stat(second_log, "caliber_world/items_written") is None
    assert "Stopping at page 2: nothing new on the last 2 pages" in third_log
    assert stat(third_log, "downloader/request_count") == 3
    stored = [item["slug"] for item in read_jsonl(dataset)]
    assert sorted(stored) == sorted(slugs)  # each article exactly once
    assert run_state(dataset)["walked"] is True
    assert site.served[listing(3)] == (3 if first_run_lost else 2)  # glitch, again; run 2


@pytest.mark.parametrize("empty_first", [True, False], ids=["empty-then-404", "404"])
def test_a_section_that_ends_in_a_404_is_walked(
    empty_first: bool, serve: list[ReplicaServer], tmp_path: Path
) -> None:
    root, slugs = generated_site(tmp_path / "site")  # pages 1-7, then empty pages
    end = 9 if empty_first else 8
    server = start(serve, FaultySite(DirectorySite(root), {listing(end): Fault(status=404)}))
    dataset = tmp_path / "out.jsonl"

    (first, first_log), (second, second_log) = runs(server, dataset, 2)

    assert first == 0, first_log[-3000:]
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(slugs)
    assert stat(first_log, "caliber_world/listing_end_404") == 1
    assert stat(first_log, "caliber_world/errors/listing_http_404") is None
    assert " ERROR: " not in first_log
    assert (
        f"INFO: Page {end} answers 404, read as a page with no cards: "
        f"{server.base_url}{listing(end)}\n"
    ) in first_log
    assert "INFO: Stopping at page 9: no section cards on the last 2 pages\n" in first_log
    assert run_state(dataset)["walked"] is True
    # The next run is incremental: pages 1 and 2, nothing new, and it stops.
    assert second == 0, second_log[-3000:]
    assert "Stopping at page 2: nothing new on the last 2 pages" in second_log
    assert stat(second_log, "downloader/request_count") == 3


def test_a_404_on_page_2_ends_a_single_page_section_with_a_warning(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    faults = {listing(n): Fault(status=404) for n in (2, 3)}
    server = start(serve, FaultySite(default_site(), faults))
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 0, log[-3000:]
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(page_slugs(1))
    assert (
        "WARNING: Page 2 answers 404: the section has a single page, or CALIBER_PAGE_URL is "
        f"wrong (check it with `scrapy probe`): {server.base_url}{SECTION}?page=2\n"
    ) in log
    assert "INFO: Stopping at page 3: no section cards on the last 2 pages\n" in log
    assert stat(log, "caliber_world/listing_end_404") == 2
    assert run_state(dataset)["walked"] is True


def renamed(slug: str, new_slug: str) -> bytes:
    """The article's page as it reads once the story got a new slug."""
    return article_html(slug).replace(slug.encode(), new_slug.encode())


def test_redirects_and_refreshes_are_decided_counted_and_logged(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    loop = "reuters-eu-and-uk-agree-to-coordinate-shadow-fleet-tanker-inspections"
    away = "typhoon-kalmaegi-makes-landfall-in-vietnam-after-deadly-passage-through-philippines"
    moved = "leaders-gather-in-belem-as-brazil-hosts-cop30-climate-summit"  # 301, renamed
    refreshed = "finland-keeps-eastern-border-shut-as-winter-approaches"  # refresh, renamed
    twin = "media-oil-set-for-second-weekly-loss-as-supply-glut-fears-mount"  # 301 to a listed one
    listed = "wsj-russian-forces-in-ukraine-near-first-major-conquest-in-more-than-two-years"
    broken = "delhi-shifts-primary-classes-online-as-smog-thickens"  # refresh to no URL
    refresh_to = '<html><head><meta http-equiv="refresh" content="0; url={}"></head></html>'
    site = FaultySite(
        default_site(),
        {
            POST + loop: Fault(status=301, location=POST + loop),
            POST + away: Fault(body=refresh_to.format("/").encode()),
            POST + moved: Fault(status=301, location=f"{POST}{moved}-2025"),
            f"{POST}{moved}-2025": Fault(status=200, body=renamed(moved, f"{moved}-2025")),
            POST + refreshed: Fault(body=refresh_to.format(f"{POST}{refreshed}-2025").encode()),
            f"{POST}{refreshed}-2025": Fault(
                status=200, body=renamed(refreshed, f"{refreshed}-2025")
            ),
            POST + twin: Fault(status=301, location=POST + listed),
            POST + broken: Fault(body=refresh_to.format("http://[oops/x").encode()),
        },
    )
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 0, log[-3000:]
    expected = expected_articles(server.base_url)
    items = {item.pop("slug"): item for item in read_jsonl(dataset)}
    for item in items.values():
        del item["crawled_at"]
    # A renamed story is stored once, under its new slug and URL.
    for old in (moved, refreshed):
        new = f"{old}-2025"
        want = {key: value for key, value in expected[old].items() if key != "slug"}
        assert items.pop(new) == {**want, "url": f"{server.base_url}{POST}{new}"}
    assert sorted(items) == sorted(set(expected) - {loop, away, moved, refreshed, twin, broken})
    assert stat(log, "caliber_world/articles_renamed") == 2
    assert stat(log, "caliber_world/articles_meta_refresh_followed") == 1
    assert stat(log, "caliber_world/articles_redirected_to_listed") == 1
    assert stat(log, "caliber_world/errors/article_redirect_loop") == 1
    assert stat(log, "caliber_world/errors/article_meta_refresh") == 2
    url = f"{server.base_url}{POST}"
    assert f"Article page failed (redirect_loop): {url}{loop}\n" in log
    assert (
        f"Article page failed (meta_refresh): {url}{away} (refreshes to {server.base_url}/)\n"
        in log
    )
    assert (
        f"Article page failed (meta_refresh): {url}{broken} (refreshes to a malformed URL)\n" in log
    )
    assert (
        f"Article renamed: {url}{moved} is now {url}{moved}-2025, stored under the new slug\n"
    ) in log
    assert (
        f"Article {url}{twin} redirects to {url}{listed}, listed or stored already: "
        "not written twice\n"
    ) in log
    # The loop ran into REDIRECT_MAX_TIMES (5): asked 6 times, not dropped after the first.
    assert site.served[POST + loop] == 6
    # What may mend is owed; the old slugs of renamed stories are settled, not owed.
    assert owed(dataset) == {loop: 1, away: 1, broken: 1}

    # The next run does not ask for the old slugs again (still listed): nothing new at all.
    mended = start(serve, default_site())
    code, log = crawl_site(mended, dataset, "-a", "max_pages=2")
    assert code == 0, log[-3000:]
    assert sorted(r.target for r in mended.requests if r.target.startswith(POST)) == sorted(
        POST + slug for slug in (loop, away, broken)
    )
    assert owed(dataset) == {}


def test_a_refresh_loop_between_two_articles_ends_and_both_are_owed(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    one = "reuters-eu-and-uk-agree-to-coordinate-shadow-fleet-tanker-inspections"
    two = "finland-keeps-eastern-border-shut-as-winter-approaches"
    refresh_to = '<html><head><meta http-equiv="refresh" content="0; url={}"></head></html>'
    site = FaultySite(
        default_site(),
        {
            POST + one: Fault(body=refresh_to.format(POST + two).encode()),
            POST + two: Fault(body=refresh_to.format(POST + one).encode()),
        },
    )
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset, "-a", "max_pages=1")

    assert code == 0, log[-3000:]
    stored = {item["slug"] for item in read_jsonl(dataset)}
    assert stored == set(page_slugs(1)) - {one, two}
    # Each is followed once to the other, whose refresh back is then a failure: 4 requests.
    assert (site.served[POST + one], site.served[POST + two]) == (2, 2)
    assert stat(log, "caliber_world/articles_meta_refresh_followed") == 2
    assert stat(log, "caliber_world/errors/article_meta_refresh") == 2
    url = f"{server.base_url}{POST}"
    assert f"Article page failed (meta_refresh): {url}{two} (refreshes to {url}{one})\n" in log
    assert f"Article page failed (meta_refresh): {url}{one} (refreshes to {url}{two})\n" in log
    assert owed(dataset) == {one: 1, two: 1}


def test_a_story_renamed_twice_is_stored_once_under_its_last_slug(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    old = "leaders-gather-in-belem-as-brazil-hosts-cop30-climate-summit"
    middle, last = f"{old}-2025", f"{old}-2026"
    site = FaultySite(
        default_site(),
        {
            POST + old: Fault(status=301, location=POST + middle),
            POST + middle: Fault(status=301, location=POST + last),
            POST + last: Fault(status=200, body=renamed(old, last)),
        },
    )
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset, "-a", "max_pages=1")

    assert code == 0, log[-3000:]
    items = {item["slug"]: item for item in read_jsonl(dataset)}
    assert sorted(items) == sorted((set(page_slugs(1)) - {old}) | {last})
    assert items[last]["url"] == f"{server.base_url}{POST}{last}"
    assert items[last]["headline"] == expected_articles(server.base_url)[old]["headline"]
    assert stat(log, "caliber_world/articles_renamed") == 1
    url = f"{server.base_url}{POST}"
    assert f"Article renamed: {url}{old} is now {url}{last}, stored under the new slug\n" in log
    assert owed(dataset) == {}

    # The next run asks for none of the three again, though the old card is still listed.
    again = start(serve, default_site())
    code, log = crawl_site(again, dataset, "-a", "max_pages=1")
    assert code == 0, log[-3000:]
    assert [r.target for r in again.requests if r.target.startswith(POST)] == []


def test_an_owed_article_that_is_gone_is_no_longer_asked_for(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    deep = "japan-deploys-troops-to-help-tackle-surge-in-bear-attacks"  # a card on page 3
    dataset = tmp_path / "out.jsonl"
    failing = start(serve, FaultySite(default_site(), {POST + deep: Fault(status=503)}))
    code, log = crawl_site(failing, dataset, "-s", "RETRY_ENABLED=0")
    assert code == 0, log[-3000:]
    assert owed(dataset) == {deep: 1}

    gone = start(serve, FaultySite(default_site(), {POST + deep: Fault(status=404)}))
    code, log = crawl_site(gone, dataset, "-a", "max_pages=1")
    assert code == 0, log[-3000:]
    assert stat(log, "caliber_world/articles_gone") == 1
    assert (
        f"Article page failed (http_404): {gone.base_url}{POST}{deep}; it was owed and is no "
        "longer asked for\n"
    ) in log
    assert owed(dataset) == {}

    code, log = crawl_site(gone, dataset, "-a", "max_pages=1")
    assert code == 0, log[-3000:]
    assert [r.target for r in gone.requests].count(POST + deep) == 1


@pytest.mark.parametrize(
    ("header", "encoding"),
    [("text/html; charset=iso-8859-1", "utf-8"), ("text/html; charset=utf-8", "cp1251")],
    ids=["says-latin-1-is-utf-8", "says-utf-8-is-cp1251"],
)
def test_a_charset_that_contradicts_the_page_is_mended_and_counted(
    header: str, encoding: str, serve: list[ReplicaServer], tmp_path: Path
) -> None:
    slug = "wsj-russian-forces-in-ukraine-near-first-major-conquest-in-more-than-two-years"
    html = article_html(slug).decode("utf-8")
    body = html.replace('<meta charset="utf-8">', f'<meta charset="{encoding}">').encode(encoding)
    site = FaultySite(default_site(), {POST + slug: Fault(body=body, content_type=header)})
    server = start(serve, site)
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset, "-a", "max_pages=1")

    assert code == 0, log[-3000:]
    item = next(item for item in read_jsonl(dataset) if item["slug"] == slug)
    del item["crawled_at"]
    assert item == expected_articles(server.base_url)[slug]
    assert "’" in item["body"]
    assert stat(log, "caliber_world/pages_charset_mismatch") == 1
    assert log.count("charset mismatch") == 1
    assert f"(read as {encoding}): {server.base_url}{POST}{slug}\n" in log


def test_a_gzip_bomb_is_too_large_and_given_up_at_once(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    slug = "chile-heads-into-presidential-vote-with-security-top-of-agenda"
    bomb = gzip.compress(b"<html>" + b" " * 3_000_000 + b"</html>")  # 3 MB once decompressed
    fault = Fault(body=bomb, headers={"Content-Encoding": "gzip"})
    server = start(serve, FaultySite(default_site(), {POST + slug: fault}))
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset)

    assert code == 0, log[-3000:]
    assert slug not in [item["slug"] for item in read_jsonl(dataset)]
    assert stat(log, "caliber_world/errors/article_too_large") == 1
    assert stat(log, "caliber_world/articles_given_up") == 1
    assert log.count(f"{server.base_url}{POST}{slug}") == 1
    assert (
        f"Article page failed (too_large): {server.base_url}{POST}{slug}; given up: it would be "
        "too large next time too\n"
    ) in log
    assert owed(dataset) == {}
