"""``scrapy probe``: test every assumption about the site in a few polite requests, say what to set.

The probe fetches synchronously, one request at a time, with the crawl's User-Agent, obeying
robots.txt, at most ``MAX_REQUESTS`` requests, and reads each page with the crawl's own parsers.
"""

from __future__ import annotations

import http.client
import json
import re
import shlex
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from protego import Protego
from scrapy.http import HtmlResponse, TextResponse

from newscrawl.alarms import REQUIRED_FIELDS, filled, safe_name
from newscrawl.editions import EDITIONS
from newscrawl.loaders import build_article
from newscrawl.middlewares import same_origin, user_agent
from newscrawl.parsers import ListedArticle, parse_article, parse_section_listing
from newscrawl.processors import clean_text
from newscrawl.responses import page_selector
from newscrawl.selectors import DEFAULT, Selectors
from newscrawl.site import SiteScheme, page_url

#: The most requests one probe makes, robots.txt included.
MAX_REQUESTS = 30
#: Paging forms tried when the configured one gives nothing new, as ``CALIBER_PAGE_URL`` values.
PAGE_FORMS = (
    "{section}?page={page}",
    "{section}/page/{page}",
    "{section}/{page}",
    "{section}?p={page}",
    "{section}?PAGEN_1={page}",
    "{section}?pg={page}",
)
#: How many paging forms (tried and found on the page) one probe asks for at most.
MAX_PAGE_TRIES = 8
#: Words of a link or button that loads more cards ("next", "more", "далее", "ещё", ...).
MORE_WORDS_RE = re.compile(
    r"\b(?:next|more|load|older)\b|далее|ещ[её]|следующ|показать", re.IGNORECASE
)
#: URLs an inline script or a ``data-*`` attribute names that look like a next page or an API.
SCRIPT_URL_RE = re.compile(
    r"""["'](?P<url>(?:https?://[^"'\s]+|/[^"'\s]*)(?:page|api)[^"'\s]*)["']"""
)
#: A page number 2 in a URL, to turn a discovered page-2 URL into a template.
PAGE_TWO_RE = re.compile(r"(?<=[=/])2(?=$|[&/#])")
SITEMAP_LOC_RE = re.compile(r"<(?:loc|link)>\s*([^<\s]+)\s*</(?:loc|link)>")
MAX_BODY = 2 * 1024 * 1024
#: The longest wait between two requests: a robots.txt ``Crawl-delay`` beyond it (which the
#: crawl, like Scrapy, does not honour) must not make the probe last for hours.
MAX_DELAY = 5.0


class ProbeBudgetError(RuntimeError):
    """The probe has made all the requests it may make."""


@dataclass
class Fetched:
    """One answer: status (0 when none came), the final URL, the page as a response if HTML."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    error: str | None = None
    response: TextResponse | None = None

    @property
    def ok(self) -> bool:
        """A whole 200 answer."""
        return self.status == 200 and self.error is None

    @cached_property
    def selector(self) -> Selector:
        """The page as the crawl's parsers read it (an empty page when the answer was not HTML)."""
        return page_selector(self.response.text if self.response is not None else "")


@dataclass
class Check:
    """One assumption tested: ``ok`` True, False, or None (information only), with evidence."""

    name: str
    ok: bool | None
    evidence: str

    def line(self) -> str:
        """The check as one line of the report."""
        mark = {True: "OK  ", False: "FAIL", None: "INFO"}[self.ok]
        return f"{mark} {self.name}: {self.evidence}"


@dataclass
class ProbeReport:
    """Everything one probe found: the checks, the settings that would fix what failed."""

    base_url: str
    section_url: str
    checks: list[Check] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    would_walk: bool = False
    walks_with_settings: bool = False
    requests: int = 0
    saved: str | None = None

    def add(self, name: str, ok: bool | None, evidence: str) -> Check:
        check = Check(name, ok, evidence)
        self.checks.append(check)
        return check

    def as_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return asdict(self)

    def text(self) -> str:
        """The report as lines: one per check, then the settings to paste, then the verdict."""
        lines = [check.line() for check in self.checks]
        if self.settings:
            lines.append("Settings to use (paste into the crawl command or a Scrapyd setting=):")
            lines.extend(
                f"  -s {shlex.quote(f'{name}={value}')}" for name, value in self.settings.items()
            )
        if self.would_walk:
            verdict = "a crawl with the current settings would walk the section"
        elif self.walks_with_settings:
            verdict = "a crawl would walk the section only with the settings above"
        else:
            verdict = "a crawl would NOT walk the section (see FAIL above)"
        lines.append(f"Verdict: {verdict} ({self.requests} requests to {self.base_url})")
        return "\n".join(lines)


class Fetcher:
    """Polite synchronous GETs on one origin: robots.txt obeyed, a budget, a delay, pages saved."""

    def __init__(
        self,
        base_url: str,
        agent: str,
        *,
        delay: float = 1.0,
        timeout: float = 15.0,
        max_requests: int = MAX_REQUESTS,
        save_dir: Path | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.base_url = base_url
        self.agent = agent
        self.delay = delay
        self.timeout = timeout
        self.max_requests = max_requests
        self.save_dir = save_dir
        self.requests = 0
        self.robots: Protego | None = None
        self._last = 0.0
        self.obey_robots = True
        # Why the last redirect was not followed, when it was refused for a reason of ours.
        self.refused: str | None = None
        handlers: list[Any] = [_PoliteRedirects(self)]
        if tls is not None:
            handlers.append(urllib.request.HTTPSHandler(context=tls))
        self._opener = urllib.request.build_opener(*handlers)

    @property
    def left(self) -> int:
        """Requests still allowed."""
        return self.max_requests - self.requests

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets the crawl's User-Agent fetch ``url``."""
        return self.robots is None or bool(self.robots.can_fetch(url, self.agent))

    def get(self, url: str, *, obey_robots: bool = True) -> Fetched:
        """Fetch ``url``; raises ``ProbeBudgetError`` when no request is left.

        A redirect is one more request of the budget, obeys robots.txt and stays on the origin;
        an answer not complete within ``timeout`` seconds (a host that stalls or drips) is given
        up, so one request never takes much longer than that.
        """
        if not same_origin(url, self.base_url):
            return Fetched(url, 0, error="not on the probed origin")
        if obey_robots and not self.allowed(url):
            return Fetched(url, 0, error="disallowed by robots.txt")
        self._spend()
        self.obey_robots = obey_robots
        self.refused = None
        outcome: list[Fetched] = []
        worker = threading.Thread(target=self._fetch, args=(url, outcome), daemon=True)
        worker.start()
        worker.join(self.timeout + 1.0 + _PoliteRedirects.max_redirections * self.delay)
        if outcome:
            fetched = outcome[0]
        else:  # the worker is left reading a socket nobody waits for; the process ends it
            fetched = Fetched(url, 0, error=f"no complete answer in {self.timeout:g} s")
        self._last = time.monotonic()
        self._save(fetched)
        return fetched

    def _spend(self) -> None:
        """Take one request from the budget, after the delay since the last one."""
        if self.requests >= self.max_requests:
            raise ProbeBudgetError(f"the probe's {self.max_requests} requests are used up")
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.requests += 1
        self._last = time.monotonic()

    def _fetch(self, url: str, outcome: list[Fetched]) -> None:
        deadline = time.monotonic() + self.timeout
        request = urllib.request.Request(
            url, headers={"User-Agent": self.agent, "Accept-Encoding": "identity"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                fetched = self._read(
                    url, answer.geturl(), answer.status, answer.headers, answer, deadline=deadline
                )
        except urllib.error.HTTPError as error:
            if 300 <= error.code < 400:
                where = error.headers.get("Location", "?")
                why = self.refused or "not followed"
                fetched = Fetched(url, error.code, error=f"{error.code} redirect to {where}: {why}")
            else:
                fetched = self._read(url, url, error.code, error.headers, error, deadline=deadline)
        except ProbeBudgetError as error:
            fetched = Fetched(url, 0, error=f"a redirect, but {error}")
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            fetched = Fetched(url, 0, error=f"{type(reason).__name__}: {reason}")
        outcome.append(fetched)

    def _read(
        self, asked: str, final: str, status: int, headers: Any, stream: Any, *, deadline: float
    ) -> Fetched:
        chunks: list[bytes] = []
        size = 0
        try:
            while size <= MAX_BODY:
                if time.monotonic() > deadline:
                    return Fetched(asked, status, error=f"not complete in {self.timeout:g} s")
                chunk = stream.read1(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as error:
            return Fetched(asked, status, error=f"{type(error).__name__}: {error}")
        body = b"".join(chunks)
        if len(body) > MAX_BODY:
            return Fetched(asked, status, error=f"larger than {MAX_BODY} bytes")
        content_type = str(headers.get("Content-Type") or "")
        response: TextResponse | None = None
        kind = content_type.split(";", maxsplit=1)[0].strip().lower()
        if kind in ("", "text/html", "application/xhtml+xml"):
            response = HtmlResponse(
                final, status=status, body=body, headers={"Content-Type": content_type}
            )
        return Fetched(final, status, body, content_type, None, response)

    def _save(self, fetched: Fetched) -> None:
        if self.save_dir is None or not fetched.body:
            return
        self.save_dir.mkdir(parents=True, exist_ok=True)
        name = f"{self.requests:02d}-{safe_name(fetched.url)}"
        suffix = ".html" if fetched.response is not None else ".txt"
        (self.save_dir / (name + suffix)).write_bytes(fetched.body)
        with (self.save_dir / "index.tsv").open("a", encoding="utf-8") as index:
            index.write(f"{name}{suffix}\t{fetched.status}\t{fetched.url}\n")

    def load_robots(self) -> Fetched:
        """Fetch and parse robots.txt (a 4xx allows everything, as Scrapy does)."""
        fetched = self.get(urljoin(self.base_url, "/robots.txt"), obey_robots=False)
        if fetched.ok:
            # Protego, the parser Scrapy's robots.txt middleware uses: the crawl's own rules
            # (wildcards, the longest match wins), not the standard library's.
            parser = Protego.parse(fetched.body.decode("utf-8", "replace"))
            self.robots = parser
            delay = parser.crawl_delay(self.agent)
            if delay is not None:
                self.delay = min(max(self.delay, float(delay)), MAX_DELAY)
        return fetched


class _PoliteRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect as the crawl would: on the probed origin, robots.txt obeyed, at most
    ``REDIRECT_MAX_TIMES`` (5) in a row, each one a request of the probe's budget."""

    max_redirections = 5

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def redirect_request(self, req: Any, fp: Any, code: int, *args: Any) -> Any:
        msg, headers, newurl = args
        fetcher = self.fetcher
        visited = getattr(req, "redirect_dict", {})
        if len(visited) >= self.max_redirections or visited.get(newurl, 0) >= self.max_repeats:
            fetcher.refused = "a redirect loop, or more than 5 in a row"
            return None
        if not same_origin(newurl, fetcher.base_url):
            fetcher.refused = "another origin, not followed"
            return None
        if fetcher.obey_robots and not fetcher.allowed(newurl):
            fetcher.refused = "disallowed by robots.txt, not followed"
            return None
        fetcher._spend()
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def template_of(url: str, section_url: str) -> str | None:
    """A ``CALIBER_PAGE_URL`` template from a URL of page 2 of the section, if it is one.

    >>> template_of("https://caliber.az/en/category/world?page=2&limit=18",
    ...             "https://caliber.az/en/category/world")
    '{section}?page={page}&limit=18'
    >>> template_of("https://caliber.az/en/category/world/page/2/",
    ...             "https://caliber.az/en/category/world")
    '{section}/page/{page}/'
    >>> template_of("https://caliber.az/en/post/x", "https://caliber.az/en/category/world") is None
    True
    """
    if not url.startswith(section_url) or url == section_url:
        return None
    rest = url[len(section_url) :]
    if rest[:1] not in ("?", "/", "&"):
        return None
    templated, count = PAGE_TWO_RE.subn("{page}", rest, count=1)
    return "{section}" + templated if count else None


def discovered_page_urls(response: TextResponse) -> list[str]:
    """URLs on the page's own origin that a listing page names for more cards: next links,
    load-more buttons, ``data-*`` attributes and URLs in inline scripts, without repeats."""
    sel = response.selector
    found: list[str] = []
    for href in sel.css("link[rel~=next]::attr(href), a[rel~=next]::attr(href)").getall():
        found.append(href)
    for link in sel.css("a[href], button, div[data-url], div[data-href], div[data-next]"):
        words = " ".join(" ".join(link.css("::text").getall()).split())
        if (len(words.split()) <= 3 and MORE_WORDS_RE.search(words)) or MORE_WORDS_RE.search(
            link.attrib.get("class", "")
        ):
            for name, value in link.attrib.items():
                if name == "href" or name.startswith("data-"):
                    found.append(value)
    for name_value in sel.xpath("//@*[starts-with(name(), 'data-')]"):
        value = name_value.get()
        if "page" in value or "/api/" in value:
            found.append(value)
    for script in sel.css("script:not([src])::text").getall():
        found.extend(match["url"] for match in SCRIPT_URL_RE.finditer(script[:200_000]))
    urls: list[str] = []
    for raw in found:
        value = raw.strip()
        if not value or value.startswith(("#", "javascript:")):
            continue
        try:
            url = urljoin(response.url, value)
        except ValueError:
            continue
        if url not in urls and url != response.url and same_origin(url, response.url):
            urls.append(url)
    return urls


#: The selectors whose matches the probe counts on a listing page and on an article page.
LISTING_SELECTORS = ("CARD", "CARD_TITLE_LINK", "CARD_TITLE", "CARD_TIME", "CARD_CATEGORY")
ARTICLE_SELECTORS = (
    "ARTICLE_ROOT", "HEADLINE", "CATEGORY", "PUBLISHED", "BODY", "VIEWS", "COVER", "AUTHOR_ELEMENT",
)  # fmt: skip
#: Article parts a page may lack (the probe does not fail on them).
OPTIONAL_PARTS = ("COVER", "AUTHOR_ELEMENT")


def count_matches(sel: Selector, selectors: Selectors, names: Iterable[str]) -> dict[str, int]:
    """How many elements each named selector matches on a page."""
    counts = {}
    for name in names:
        css = selectors.css[name]
        try:
            counts[name] = len(sel.css(css))
        except Exception:  # an override the translator cannot read: counted as no match
            counts[name] = 0
    return counts


def home_path(section_path: str) -> str:
    """The edition's home page: ``/en`` for English sections, ``/`` otherwise.

    >>> home_path("/en/category/world"), home_path("/category/mir")
    ('/en', '/')
    """
    first = section_path.strip("/").split("/", 1)[0]
    return f"/{first}" if len(first) == 2 else "/"


@dataclass
class _Page:
    """A listing page read: its URL, the section's articles on it, and what else it showed."""

    url: str
    fetched: Fetched
    articles: list[ListedArticle] = field(default_factory=list)
    cards: int = 0

    @property
    def slugs(self) -> list[str]:
        return [article.slug for article in self.articles]


class Probe:
    """One probe of a site: ``run()`` fills a ``ProbeReport``."""

    def __init__(
        self, scheme: SiteScheme, fetcher: Fetcher, page_template: str, selectors: Selectors
    ) -> None:
        self.scheme = scheme
        self.selectors = selectors
        self.fetcher = fetcher
        self.page_template = page_template
        self.report = ProbeReport(scheme.base_url, scheme.section_url)
        self.section_url = scheme.section_url
        self.seen: set[str] = set()
        # The section's path as the home page's menu names it, when it is not the configured one.
        self.moved_to: str | None = None

    def run(self) -> ProbeReport:
        """Test every assumption, within the request budget."""
        walks = False
        try:
            robots_ok = self.check_robots()
            section_ok = self.check_home()
            first = self.check_page_one()
            paging_ok = first is not None and first.articles and self.check_paging(first)
            article_ok = first is not None and first.articles and self.check_article(first)
            self.check_feeds()
            walks = bool(robots_ok and section_ok and paging_ok and article_ok)
        except ProbeBudgetError as error:
            self.report.add("budget", False, str(error))
        self.report.would_walk = walks and not self.report.settings
        self.report.walks_with_settings = walks
        self.report.requests = self.fetcher.requests
        return self.report

    # robots.txt ---------------------------------------------------------------------------
    def check_robots(self) -> bool:
        fetched = self.fetcher.load_robots()
        robots = self.fetcher.robots
        if robots is None:
            if 400 <= fetched.status < 500:
                self.report.add("robots.txt", True, f"{fetched.status}: no rules, all allowed")
                return True
            self.report.add(
                "robots.txt", False, f"could not be read ({fetched.error or fetched.status})"
            )
            return True  # Scrapy's robots.txt middleware then allows every page too
        allowed = self.fetcher.allowed(self.section_url)
        sitemaps = list(robots.sitemaps)
        self.report.add(
            "robots.txt",
            allowed,
            f"200, {'allows' if allowed else 'DISALLOWS'} {urlsplit(self.section_url).path}"
            f" for {self.fetcher.agent.split(' ')[0]}; sitemaps: {', '.join(sitemaps) or 'none'}"
            + _crawl_delay_note(robots.crawl_delay(self.fetcher.agent)),
        )
        return allowed

    # home page navigation ------------------------------------------------------------------
    def check_home(self) -> bool:
        url = urljoin(self.scheme.base_url, home_path(self.scheme.section_path))
        fetched = self.fetcher.get(url)
        if fetched.response is None or not fetched.ok:
            self.report.add("home page", None, f"{url}: {fetched.error or fetched.status}")
            return True
        label = self.scheme.section_label.casefold()
        links = []
        for link in fetched.response.css("a[href]"):
            text = clean_text(" ".join(link.css("::text").getall())) or ""
            if text.casefold() == label:
                try:
                    links.append(urljoin(fetched.url, link.attrib["href"]))
                except ValueError:
                    continue
        paths = list(dict.fromkeys(urlsplit(link).path.rstrip("/") or "/" for link in links))
        configured = self.scheme.section_path.rstrip("/")
        if not paths:
            self.report.add(
                "home page navigation",
                None,
                f"{url}: no link labelled {self.scheme.section_label!r}",
            )
            return True
        if configured in paths:
            self.report.add(
                "home page navigation",
                True,
                f"{url}: {self.scheme.section_label!r} links to {configured},"
                " the configured section",
            )
            return True
        self.report.add(
            "home page navigation",
            False,
            f"{url}: {self.scheme.section_label!r} links to {', '.join(paths)},"
            f" not the configured {configured}",
        )
        self.moved_to = paths[0]
        return True

    # listing pages --------------------------------------------------------------------------
    def read_listing(self, url: str) -> _Page:
        fetched = self.fetcher.get(url)
        page = _Page(url, fetched)
        if fetched.response is not None and fetched.ok:
            listing = parse_section_listing(
                fetched.selector, self.scheme, fetched.url, self.selectors
            )
            page.articles, page.cards = listing.articles, listing.cards
        return page

    def describe(self, page: _Page) -> str:
        if page.fetched.response is None or not page.fetched.ok:
            return f"{page.url}: {page.fetched.error or page.fetched.status}"
        counts = count_matches(page.fetched.selector, self.selectors, LISTING_SELECTORS)
        per = ", ".join(f"{name} {count}" for name, count in counts.items())
        return (
            f"{page.url}: {page.fetched.status}, {page.cards} cards, {len(page.articles)}"
            f" of the section ({per})"
        )

    def check_page_one(self) -> _Page | None:
        page = self.read_listing(self.section_url)
        if page.articles:
            self.report.add("section page 1", True, self.describe(page))
            if self.moved_to is not None:
                self.report.checks[-1].evidence += " (the menu link differs: see above)"
            return page
        self.report.add("section page 1", False, self.describe(page) + self._drift_hint(page))
        if self.moved_to is None:
            return None
        moved = self.scheme.base_url + self.moved_to
        self.scheme = _moved(self.scheme, self.moved_to)
        self.section_url = moved
        page = self.read_listing(moved)
        if not page.articles:
            self.report.add("section page 1 (menu link)", False, self.describe(page))
            return None
        self.report.add("section page 1 (menu link)", True, self.describe(page))
        self.report.settings["CALIBER_SECTION_PATH"] = self.moved_to
        return page

    def _drift_hint(self, page: _Page) -> str:
        response = page.fetched.response
        if response is None or not page.fetched.ok or page.cards:
            return ""
        links = {
            slug
            for href in response.css("a::attr(href)").getall()
            if (slug := self.scheme.article_slug(href, response.url)) is not None
        }
        if not links:
            return ""
        return (
            f"; the page links to {len(links)} articles outside any CARD: the card markup moved"
            ' (repair with -s CALIBER_SELECTORS=\'{"CARD": "…"}\')'
        )

    def check_paging(self, first: _Page) -> bool:
        self.seen = set(first.slugs)
        configured = self.try_form(self.page_template, first, "configured")
        if configured:
            return True
        tried = {self.page_template}
        candidates: list[str] = []
        response = first.fetched.response
        discovered = discovered_page_urls(response) if response is not None else []
        for url in discovered:
            template = template_of(url, self.section_url)
            if template is None:
                self.check_endpoint(url)
            elif template not in candidates:
                candidates.append(template)
        named = set(candidates)
        candidates += [form for form in PAGE_FORMS if form not in named]
        for template in candidates[:MAX_PAGE_TRIES]:
            if template in tried:
                continue
            tried.add(template)
            origin = "named by page 1" if template in named else "tried"
            if self.try_form(template, first, origin):
                self.report.settings["CALIBER_PAGE_URL"] = template
                return True
        self.report.add(
            "paging",
            False,
            f"no paging form gave new section cards (tried {', '.join(sorted(tried))}); the"
            " site may load more cards only by script: see the saved pages (--save)",
        )
        return False

    def try_form(self, template: str, first: _Page, origin: str) -> bool:
        try:
            url = page_url(template, self.scheme.base_url, self.section_url, 2)
        except (KeyError, IndexError, ValueError) as error:
            self.report.add(
                f"page 2 by {template} ({origin})", False, f"not a usable template ({error})"
            )
            return False
        page = self.read_listing(url)
        new = [slug for slug in page.slugs if slug not in self.seen]
        name = f"page 2 by {template} ({origin})"
        if not new:
            why = (
                f"the same {len(page.articles)} section cards as page 1"
                if page.articles
                else "no section cards"
            )
            self.report.add(name, False, f"{self.describe(page)}; {why}")
            return False
        third = self.read_listing(page_url(template, self.scheme.base_url, self.section_url, 3))
        newer = [slug for slug in third.slugs if slug not in self.seen and slug not in new]
        self.report.add(
            name,
            True,
            f"{self.describe(page)}; {len(new)} new section cards; page 3: {len(newer)} more",
        )
        self.seen.update(new)
        return True

    def check_endpoint(self, url: str) -> None:
        """A URL page 1 names that is not a page of the section (an API, a script's feed)."""
        if self.fetcher.left < 6:
            return
        fetched = self.fetcher.get(url)
        kind = fetched.content_type.split(";")[0] or "?"
        summary = f"{url}: {fetched.error or fetched.status} ({kind})"
        if fetched.ok and "json" in kind:
            try:
                data = json.loads(fetched.body)
            except ValueError:
                data = None
            items = _json_items(data)
            if items is not None:
                summary += f", {items} items: a JSON feed the crawler cannot read as listing pages"
        self.report.add("more-cards URL named by page 1", None, summary)

    # sitemaps and feeds ------------------------------------------------------------------------
    def check_feeds(self) -> None:
        robots = self.fetcher.robots
        declared = list(robots.sitemaps) if robots is not None else []
        own_feed = EDITIONS[self.scheme.language].feed_path
        feeds = [*declared[:2], "/sitemap.xml", "/rss.xml", own_feed]
        urls = list(dict.fromkeys(feed for feed in feeds if feed))
        for target in urls:
            if self.fetcher.left < 2:
                return
            try:
                url = urljoin(self.scheme.base_url, target)
                own = same_origin(url, self.scheme.base_url)
                name = f"feed {urlsplit(url).path if own else url}"
            except ValueError:  # a Sitemap: line of robots.txt that is no URL
                self.report.add(f"feed {target}", None, "not a URL")
                continue
            fetched = self.fetcher.get(url)
            if not fetched.ok:
                self.report.add(name, None, f"{fetched.error or fetched.status}")
                continue
            text = fetched.body.decode("utf-8", "replace")
            links = SITEMAP_LOC_RE.findall(text)
            slugs = [s for link in links if (s := self.scheme.article_slug(link, url)) is not None]
            of_section = sum(slug in self.seen for slug in slugs)
            self.report.add(
                name,
                None,
                f"200 ({fetched.content_type or '?'}), {len(links)} URLs, {len(slugs)} articles"
                f" of this edition, {of_section} of them seen on the section's pages",
            )

    # an article page ---------------------------------------------------------------------------
    def check_article(self, first: _Page) -> bool:
        slug = first.slugs[0]
        url = self.scheme.article_url(slug)
        fetched = self.fetcher.get(url)
        if fetched.response is None or not fetched.ok:
            self.report.add("article page", False, f"{url}: {fetched.error or fetched.status}")
            return False
        sel = fetched.selector
        counts = count_matches(sel, self.selectors, ARTICLE_SELECTORS)
        self.report.add(
            "article selectors",
            all(counts[name] for name in counts if name not in OPTIONAL_PARTS),
            ", ".join(f"{name} {count}" for name, count in counts.items()),
        )
        article = build_article(
            parse_article(sel, self.selectors),
            url=url,
            slug=slug,
            crawled_at="",
            language=self.scheme.language,
        )
        missing = [name for name in REQUIRED_FIELDS if not filled(getattr(article, name))]
        values = {
            name: getattr(article, name)
            for name in ("headline", "published_at", "author", "cited_sources", "views")
        }
        evidence = f"{url}: " + ", ".join(
            f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in values.items()
        )
        if missing:
            evidence += f"; missing {', '.join(missing)}"
        self.report.add("article page", not missing, evidence)
        return not missing


def _crawl_delay_note(delay: Any) -> str:
    """What the report says of a robots.txt ``Crawl-delay`` (Scrapy's crawl does not honour it).

    >>> _crawl_delay_note(None)
    ''
    >>> _crawl_delay_note(3600.0)
    '; Crawl-delay 3600 s (ignored by the crawl, as by Scrapy; the probe waits at most 5 s)'
    """
    if delay is None:
        return ""
    return (
        f"; Crawl-delay {float(delay):g} s (ignored by the crawl, as by Scrapy;"
        f" the probe waits at most {MAX_DELAY:g} s)"
    )


def _json_items(data: Any) -> int | None:
    """How many items a JSON listing answer holds (``{"body": {"result": [...]}}`` or a list)."""
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        for value in data.values():
            found = _json_items(value) if isinstance(value, dict | list) else None
            if found:
                return found
    return None


def _moved(scheme: SiteScheme, section_path: str) -> SiteScheme:
    return replace(scheme, section_path=section_path)


def probe_site(
    scheme: SiteScheme,
    *,
    agent: str,
    page_template: str,
    delay: float,
    timeout: float,
    selectors: Selectors = DEFAULT,
    save_dir: Path | None = None,
    tls: ssl.SSLContext | None = None,
) -> ProbeReport:
    """Probe ``scheme``'s site and return the report (at most ``MAX_REQUESTS`` requests)."""
    fetcher = Fetcher(
        scheme.base_url, agent, delay=delay, timeout=timeout, save_dir=save_dir, tls=tls
    )
    report = Probe(scheme, fetcher, page_template, selectors).run()
    report.saved = str(save_dir) if save_dir is not None and fetcher.requests else None
    return report


def agent_from_settings(settings: Any) -> str:
    """The crawl's User-Agent, contact included."""
    return user_agent(settings["USER_AGENT"], settings.get("NEWSCRAWL_CONTACT", ""))
