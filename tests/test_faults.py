"""Faults and alarms end to end: ``scrapy crawl`` against a replica with faults switched on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from newscrawl.replica import Fault, FaultySite, RedesignedSite, ReplicaServer, Site, default_site
from tests.conftest import REPLICA_SITE, load_json, owed, read_jsonl
from tests.test_crawl import crawl, expected_articles

POST = "/en/post/"
SECTION = "/en/category/world"
# Small timeouts and few retries keep a stalled response down to a second or two.
QUICK = ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=2"]
ELSEWHERE = "http://other-host.invalid"


def page_slugs(page: int) -> set[str]:
    listing = load_json(REPLICA_SITE / "en" / "category" / "world" / f"page-{page}.expected.json")
    return {card["slug"] for card in listing["articles"]}


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
    lost = set(FAILING) | (page_slugs(3) - page_slugs(1) - page_slugs(2))
    items = {item["slug"]: item for item in read_jsonl(dataset)}
    assert sorted(items) == sorted(set(expected) - lost)
    for slug, item in items.items():
        del item["crawled_at"]
        if slug != TRUNCATED:
            assert item == expected[slug], slug
    # The truncated page keeps what could be read; what could not is null (or cut short).
    cut, whole = items[TRUNCATED], expected[TRUNCATED]
    assert cut["headline"] == whole["headline"] and cut["published_at"] == whole["published_at"]
    assert cut["body"] and whole["body"].startswith(cut["body"]) and cut["body"] != whole["body"]
    assert cut["views"] is None and whole["views"] is not None

    for slug, (_, kind) in FAILING.items():
        assert stat(log, f"caliber_world/errors/article_{kind}") == 1, kind
        url = f"{server.base_url}{POST}{slug}"
        assert log.count(url) == 1, url
        assert f"Article page failed ({kind}): {url}\n" in log
    listing_url = f"{server.base_url}{SECTION}?page=3"
    assert stat(log, "caliber_world/errors/listing_offsite") == 1
    assert log.count(listing_url) == 1
    assert stat(log, "caliber_world/pages_truncated") == 1
    no_views = [s for s in items if s != TRUNCATED and expected[s]["views"] is None]
    assert stat(log, "caliber_world/field_missing/views") == 1 + len(no_views)
    assert f"Article incomplete (truncated): {server.base_url}{POST}{TRUNCATED}\n" in log
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
    assert stat(log, "caliber_world/listing_pages") == 5
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
    assert stat(log, "caliber_world/errors/listing_http_404") == 2
    assert "Section unreachable: no listing page could be read (2 failed; see above)" in log
