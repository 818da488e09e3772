"""``scrapy probe`` against replica variants on 127.0.0.1, and crawls with the settings it gives."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from newscrawl.probe import MAX_REQUESTS, discovered_page_urls, template_of
from newscrawl.replica import DirectorySite, RedesignedSite, ReplicaServer, Response, default_site
from newscrawl.replica.faults import REDESIGN_RENAMES, Fault, FaultySite
from newscrawl.replica.variants import IgnoresPageParamSite, PathPagingSite
from newscrawl.site import SECTION_PATH
from tests.conftest import ROOT, read_jsonl
from tests.test_crawl import assert_matches_replica, crawl
from tests.test_parsers import REPAIR

NO_DELAY = ["-s", "DOWNLOAD_DELAY=0"]
MOVED_PATH = "/en/category/world-news"
HOME_MENU = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Caliber.Az</title></head>'
    '<body><header><nav class="menu"><a href="/en/category/politics">POLITICS</a>'
    '<a href="{path}">WORLD</a><a href="/en/category/economy">ECONOMY</a></nav></header>'
    "<main><p>Home</p></main></body></html>"
)


class HomePageSite:
    """The bundled replica plus a home page ``/en`` whose menu links WORLD to ``path``."""

    def __init__(self, site: Any, path: str = SECTION_PATH) -> None:
        self.site = site
        self.path = path

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        if path.rstrip("/") == "/en":
            return Response(200, HOME_MENU.format(path=self.path).encode())
        return self.site.resolve(path, query)


class MovedSectionSite:
    """The section moved to ``MOVED_PATH`` (the old path answers 404); links follow it."""

    def __init__(self, site: Any) -> None:
        self.site = site

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        if path.rstrip("/") == SECTION_PATH:
            return Response(404, b"<html><body>Not found</body></html>")
        if path.rstrip("/") == MOVED_PATH:
            path = SECTION_PATH
        answer = self.site.resolve(path, query)
        body = answer.body.replace(SECTION_PATH.encode(), MOVED_PATH.encode())
        return Response(answer.status, body, answer.content_type, answer.headers)


def probe(base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "probe", "--base-url", base_url, *NO_DELAY, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def suggested(stdout: str) -> list[str]:
    """The ``-s NAME=VALUE`` lines of a probe's report, as crawl arguments."""
    words: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("  -s "):
            words += shlex.split(line.strip())
    return words


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ReplicaServer] = []

    def start(site: Any) -> ReplicaServer:
        server = ReplicaServer(site).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_probe_of_the_bundled_replica_finds_every_assumption_true(serve: Any) -> None:
    server = serve(HomePageSite(default_site()))
    result = probe(server.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    base = server.base_url
    assert lines[0] == (
        "OK   robots.txt: 200, allows /en/category/world for newscrawl/0.1; sitemaps: none"
    )
    assert lines[1] == (
        f"OK   home page navigation: {base}/en: 'WORLD' links to /en/category/world,"
        " the configured section"
    )
    assert lines[2].startswith(f"OK   section page 1: {base}/en/category/world: 200, 7 cards,")
    assert lines[3].startswith(
        "OK   page 2 by {section}?page={page} (configured): "
        f"{base}/en/category/world?page=2: 200, 9 cards, 7 of the section"
    )
    assert lines[3].endswith("6 new section cards; page 3: 6 more")
    assert any(
        line.startswith("OK   article page: ")
        and 'published_at="2025-11-07T11:03:00+04:00", author="Aghakazim Guliyev",'
        ' cited_sources=["The Wall Street Journal"], views=96'
        in line
        for line in lines
    ), result.stdout
    assert "Settings to use" not in result.stdout
    assert lines[-1] == (
        f"Verdict: a crawl with the current settings would walk the section (9 requests to {base})"
    )
    requests = server.requests
    assert len(requests) == 9 <= MAX_REQUESTS
    assert requests[0].target == "/robots.txt"
    assert all(r.headers["User-Agent"].startswith("newscrawl/0.1") for r in requests)


def test_probe_json_and_save(serve: Any, tmp_path: Path) -> None:
    server = serve(default_site())
    result = probe(server.base_url, "--json", "--save", str(tmp_path / "pages"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["would_walk"] is True
    assert report["settings"] == {}
    assert report["requests"] == len(server.requests)
    names = [check["name"] for check in report["checks"]]
    assert names[:2] == ["robots.txt", "home page"]
    saved = sorted(path.name for path in (tmp_path / "pages").iterdir())
    assert "index.tsv" in saved
    index = (tmp_path / "pages" / "index.tsv").read_text().splitlines()
    assert index[0].endswith(f"\t200\t{server.base_url}/robots.txt")
    page_one = next(line for line in index if line.endswith("/en/category/world"))
    html = (tmp_path / "pages" / page_one.split("\t")[0]).read_bytes()
    assert html == (DirectorySite(default_site().root).resolve(SECTION_PATH, {}).body)


def test_probe_of_a_site_that_ignores_the_page_parameter_fails_and_finds_no_fix(
    serve: Any,
) -> None:
    server = serve(IgnoresPageParamSite(default_site()))
    result = probe(server.base_url)
    assert result.returncode == 1
    assert (
        "FAIL page 2 by {section}?page={page} (configured): "
        f"{server.base_url}/en/category/world?page=2: 200, 7 cards, 7 of the section"
    ) in result.stdout
    assert "the same 7 section cards as page 1" in result.stdout
    assert "FAIL paging: no paging form gave new section cards" in result.stdout
    assert "Settings to use" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith("Verdict: a crawl would NOT walk the section")
    assert len(server.requests) <= MAX_REQUESTS


def test_a_crawl_of_a_site_that_ignores_the_page_parameter_stops_as_paging_repeats(
    serve: Any, tmp_path: Path
) -> None:
    server = serve(IgnoresPageParamSite(default_site()))
    dataset = tmp_path / "world.jsonl"
    result = crawl("-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}")
    assert result.returncode == 1
    assert "paging_repeats" in result.stderr
    assert len(read_jsonl(dataset)) == 7  # page 1's articles are kept


def test_probe_finds_path_paging_and_a_crawl_with_its_settings_gets_every_article(
    serve: Any, tmp_path: Path
) -> None:
    server = serve(PathPagingSite(default_site()))
    result = probe(server.base_url)
    assert result.returncode == 1
    assert "OK   page 2 by {section}/page/{page} (tried)" in result.stdout
    fix = suggested(result.stdout)
    assert fix == ["-s", "CALIBER_PAGE_URL={section}/page/{page}"]
    assert result.stdout.splitlines()[-1].startswith(
        "Verdict: a crawl would walk the section only with the settings above"
    )
    dataset = tmp_path / "world.jsonl"
    crawled = crawl("-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}", *fix)
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert_matches_replica(read_jsonl(dataset), server.base_url)
    again = probe(server.base_url, *fix)
    assert again.returncode == 0, again.stdout


def test_probe_follows_the_menu_to_a_moved_section(serve: Any, tmp_path: Path) -> None:
    server = serve(HomePageSite(MovedSectionSite(default_site()), MOVED_PATH))
    result = probe(server.base_url)
    assert result.returncode == 1
    assert (
        f"FAIL home page navigation: {server.base_url}/en: 'WORLD' links to {MOVED_PATH},"
        f" not the configured {SECTION_PATH}"
    ) in result.stdout
    assert f"FAIL section page 1: {server.base_url}{SECTION_PATH}: 404" in result.stdout
    assert "OK   section page 1 (menu link)" in result.stdout
    fix = suggested(result.stdout)
    assert fix == ["-s", f"CALIBER_SECTION_PATH={MOVED_PATH}"]
    dataset = tmp_path / "world.jsonl"
    crawled = crawl("-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}", *fix)
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert_matches_replica(read_jsonl(dataset), server.base_url)


def test_renamed_classes_fail_the_probe_and_are_repaired_through_caliber_selectors(
    serve: Any, tmp_path: Path
) -> None:
    assert REDESIGN_RENAMES["float_block"] == "news_card"
    server = serve(RedesignedSite(default_site()))
    result = probe(server.base_url)
    assert result.returncode == 1
    assert "FAIL section page 1" in result.stdout
    assert "outside any CARD: the card markup moved" in result.stdout
    repair = ["-s", "CALIBER_SELECTORS=" + json.dumps(REPAIR)]
    repaired = probe(server.base_url, *repair)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    dataset = tmp_path / "world.jsonl"
    crawled = crawl("-a", f"base_url={server.base_url}", "-s", f"JSONL_PATH={dataset}", *repair)
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert_matches_replica(read_jsonl(dataset), server.base_url)


def test_bad_base_url_is_one_line_and_exit_2() -> None:
    result = probe("ftp://x")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("probe: base_url must be http(s)://host[:port]")


def test_template_of_and_discovery() -> None:
    page = HtmlResponse(
        "https://caliber.az/en/category/world",
        body=(
            b'<html><head><link rel="next" href="/en/category/world?page=2"></head><body>'
            b'<a href="/en/post/more-than-two-years">More than two years of war</a>'
            b'<button class="load_more" data-url="/api/category/world/posts?limit=18&page=2">'
            b"Load more</button><script>var next = '/en/category/world/page/2';</script>"
            b'<a href="https://elsewhere.example/page/2">next</a></body></html>'
        ),
        encoding="utf-8",
    )
    urls = discovered_page_urls(page)
    assert urls == [
        "https://caliber.az/en/category/world?page=2",
        "https://caliber.az/api/category/world/posts?limit=18&page=2",
        "https://caliber.az/en/category/world/page/2",
    ]
    section = "https://caliber.az/en/category/world"
    assert [template_of(url, section) for url in urls] == [
        "{section}?page={page}",
        None,
        "{section}/page/{page}",
    ]


def test_a_bad_setting_is_one_line_and_exit_2() -> None:
    result = probe("http://127.0.0.1:9", "-s", "CALIBER_REQUIRED_COVERAGE=nan")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "probe: CALIBER_REQUIRED_COVERAGE must be a number from 0 to 1, got 'nan'\n"
    )


class RobotsSite:
    """``site`` with its own robots.txt."""

    def __init__(self, site: Any, robots: str) -> None:
        self.site = site
        self.robots = robots

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/robots.txt":
            return Response(200, self.robots.encode(), "text/plain")
        return self.site.resolve(path, query)


def test_a_robots_txt_that_disallows_everything_is_obeyed(serve: Any) -> None:
    robots = (
        "User-agent: *\nDisallow: /\nCrawl-delay: 3600\n"
        "Sitemap: /sitemap.xml\nSitemap: https://elsewhere.example/s.xml\n"
    )
    server = serve(RobotsSite(default_site(), robots))
    result = probe(server.base_url)
    assert result.returncode == 1
    base = server.base_url
    assert result.stdout.splitlines() == [
        "FAIL robots.txt: 200, DISALLOWS /en/category/world for newscrawl/0.1; sitemaps:"
        " /sitemap.xml, https://elsewhere.example/s.xml; Crawl-delay 3600 s (ignored by the"
        " crawl, as by Scrapy; the probe waits at most 5 s)",
        f"INFO home page: {base}/en: disallowed by robots.txt",
        f"FAIL section page 1: {base}/en/category/world: disallowed by robots.txt",
        "INFO feed /sitemap.xml: disallowed by robots.txt",
        "INFO feed https://elsewhere.example/s.xml: not on the probed origin",
        "INFO feed /rss.xml: disallowed by robots.txt",
        "INFO feed /en/rss.xml: disallowed by robots.txt",
        f"Verdict: a crawl would NOT walk the section (see FAIL above) (1 requests to {base})",
    ]
    assert [request.target for request in server.requests] == ["/robots.txt"]


def test_robots_txt_is_read_by_the_crawls_own_rules(serve: Any) -> None:
    # The longest match wins, as for Scrapy's parser (Protego): the section is allowed. The
    # standard library's parser, which the probe used, took the first rule and said no.
    robots = "User-agent: *\nDisallow: /\nAllow: /en/\n"
    server = serve(RobotsSite(default_site(), robots))
    result = probe(server.base_url)
    assert result.stdout.splitlines()[0] == (
        "OK   robots.txt: 200, allows /en/category/world for newscrawl/0.1; sitemaps: none"
    )


class RedirectLoopSite:
    """Every page redirects to itself with one more ``?n=``: a loop with no end."""

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        hops = int(query.get("n", ["0"])[0])
        return Response(302, b"", headers={"Location": f"{path}?n={hops + 1}"})


def test_redirects_count_in_the_budget_and_a_loop_is_named(serve: Any) -> None:
    server = serve(RedirectLoopSite())
    result = probe(server.base_url)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "FAIL robots.txt: could not be read (302 redirect to /robots.txt?n=6: a redirect loop,"
        " or more than 5 in a row)"
    )
    # Each page: the request and 5 redirects followed, as the crawl's REDIRECT_MAX_TIMES.
    assert len(server.requests) == MAX_REQUESTS
    assert lines[-1] == (
        "Verdict: a crawl would NOT walk the section (see FAIL above)"
        f" ({MAX_REQUESTS} requests to {server.base_url})"
    )


def test_a_redirect_to_another_host_is_not_followed_and_says_where(serve: Any) -> None:
    elsewhere = "http://127.0.0.2:9"
    server = serve(
        FaultySite(default_site(), {SECTION_PATH: Fault(status=301, location=elsewhere + "/x")})
    )
    result = probe(server.base_url)
    assert result.returncode == 1
    assert (
        f"FAIL section page 1: {server.base_url}{SECTION_PATH}: 301 redirect to {elsewhere}/x:"
        " another origin, not followed"
    ) in result.stdout.splitlines()


def test_a_host_that_drips_or_stalls_is_given_up_per_request(serve: Any) -> None:
    server = serve(
        FaultySite(default_site(), {SECTION_PATH: Fault(drip=0.5), "/en": Fault(stall=60)})
    )
    # The subprocess's own timeout (120 s) is the bound: a hung probe fails the test.
    result = probe(server.base_url, "-s", "DOWNLOAD_TIMEOUT=2")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"INFO home page: {server.base_url}/en: TimeoutError: timed out" in lines
    assert f"FAIL section page 1: {server.base_url}{SECTION_PATH}: not complete in 2 s" in lines


def test_a_page_over_2_mib_is_refused(serve: Any) -> None:
    server = serve(FaultySite(default_site(), {SECTION_PATH: Fault(pad_to=2 * 1024 * 1024 + 1)}))
    result = probe(server.base_url)
    assert result.returncode == 1
    assert (
        f"FAIL section page 1: {server.base_url}{SECTION_PATH}: larger than 2097152 bytes"
    ) in result.stdout.splitlines()


def test_an_unknown_option_or_an_unwritable_save_dir_is_exit_2(tmp_path: Path) -> None:
    typo = probe("http://127.0.0.1:9", "--base_url", "http://127.0.0.1:8")
    assert (typo.returncode, typo.stdout) == (2, "")
    assert typo.stderr == (
        "probe: unrecognized arguments: --base_url http://127.0.0.1:8 (see scrapy probe -h)\n"
    )
    afile = tmp_path / "afile"
    afile.write_text("")
    save = probe("http://127.0.0.1:9", "--save", str(afile / "pages"))
    assert (save.returncode, save.stdout) == (2, "")
    assert save.stderr == (
        f"probe: --save {afile / 'pages'}: cannot write pages there ([Errno 20] Not a"
        f" directory: '{afile / 'pages'}')\n"
    )


class FeedsSite:
    """The replica with a sitemap declared in robots.txt, ``/rss.xml`` and the edition's feed."""

    SLUGS = (
        "wsj-russian-forces-in-ukraine-near-first-major-conquest-in-more-than-two-years",
        "reuters-eu-and-uk-agree-to-coordinate-shadow-fleet-tanker-inspections",
    )

    def __init__(self, site: Any) -> None:
        self.site = site

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        links = "".join(f"<item><link>/en/post/{slug}</link></item>" for slug in self.SLUGS)
        if path == "/robots.txt":
            return Response(
                200,
                b"User-agent: *\nAllow: /\nSitemap: /news-sitemap.xml\nSitemap: http://[bad/s.xml\n",
                "text/plain",
            )
        if path == "/news-sitemap.xml":
            locs = f"<url><loc>https://caliber.az/en/post/{self.SLUGS[0]}</loc></url>"
            locs += "<url><loc>https://caliber.az/post/some-russian-story</loc></url>"
            return Response(200, f"<urlset>{locs}</urlset>".encode(), "application/xml")
        if path == "/en/rss.xml":
            return Response(
                200, f"<rss><channel>{links}</channel></rss>".encode(), "application/rss+xml"
            )
        return self.site.resolve(path, query)


def test_the_probe_reads_declared_sitemaps_rss_and_the_editions_feed(serve: Any) -> None:
    server = serve(FeedsSite(default_site()))
    result = probe(server.base_url)
    assert result.returncode == 0, result.stdout
    feeds = [line for line in result.stdout.splitlines() if line.startswith("INFO feed")]
    assert feeds == [
        "INFO feed /news-sitemap.xml: 200 (application/xml), 2 URLs, 1 articles of this edition,"
        " 1 of them seen on the section's pages",
        "INFO feed http://[bad/s.xml: not a URL",
        "INFO feed /sitemap.xml: 404",
        "INFO feed /rss.xml: 404",
        "INFO feed /en/rss.xml: 200 (application/rss+xml), 2 URLs, 2 articles of this edition,"
        " 2 of them seen on the section's pages",
    ]
    targets = [request.target for request in server.requests]
    assert targets[-4:] == ["/news-sitemap.xml", "/sitemap.xml", "/rss.xml", "/en/rss.xml"]
    assert len(targets) <= MAX_REQUESTS


@pytest.mark.parametrize(
    "template", ["{base}/en/category/world/page/{page}", "/en/category/world/page/{page}"]
)
def test_every_template_form_the_crawl_takes_is_probed_as_the_crawl_reads_it(
    serve: Any, template: str
) -> None:
    server = serve(PathPagingSite(default_site()))
    result = probe(server.base_url, "-s", f"CALIBER_PAGE_URL={template}")
    assert result.returncode == 0, result.stdout
    assert (
        f"OK   page 2 by {template} (configured): {server.base_url}/en/category/world/page/2: 200,"
    ) in result.stdout
    assert "Settings to use" not in result.stdout


def test_only_the_forms_page_1_names_are_labelled_so(serve: Any) -> None:
    # Page 1 names a path form and two API URLs (no form): the common forms tried after the
    # named one were labelled "named by page 1" too.
    page = (
        default_site()
        .resolve(SECTION_PATH, {})
        .body.replace(
            b"</body>",
            b'<link rel="next" href="/en/category/world/page/2">'
            b'<button class="load_more" data-url="/api/a?page=2">Load more</button>'
            b'<button class="load_more" data-url="/api/b?page=2">Load more</button></body>',
        )
    )
    site = FaultySite(IgnoresPageParamSite(default_site()), {SECTION_PATH: Fault(body=page)})
    server = serve(site)
    result = probe(server.base_url)
    forms = [line.split(":", 1)[0] for line in result.stdout.splitlines() if " page 2 by " in line]
    assert forms[:3] == [
        "FAIL page 2 by {section}?page={page} (configured)",
        "FAIL page 2 by {section}/page/{page} (named by page 1)",
        "FAIL page 2 by {section}/{page} (tried)",
    ]
