"""The parsers against the selector table they read: plain parsel CSS as the reference, on every
page we have, with the defaults and with overrides; and pages built to break them."""

from __future__ import annotations

import dataclasses
import random
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from newscrawl import parsers
from newscrawl.loaders import build_article
from newscrawl.processors import clean_paragraphs, clean_text, published_at
from newscrawl.replica.faults import REDESIGN_RENAMES
from newscrawl.replica.generate import make_articles, render_article, render_listing
from newscrawl.responses import page_selector
from newscrawl.selectors import DEFAULT, DEFAULT_SELECTORS, Selectors
from tests.conftest import LIVE, PAGES, REPLICA_SITE

TRICKY_BODY = """<html><body><div class="post"><div class="post_body">
<p>one</p>
<div class="x\tads"><p>ad</p></div>
<div class="adsense"><p>kept: adsense is not ads</p></div>
<blockquote class="twitter-tweet"><p>tweet</p></blockquote>
<blockquote class="quote"><p>kept quote</p></blockquote>
<div class="share-line"><p>share</p></div>
<div><div class="related_news"><p>related</p></div><p>kept nested</p></div>
<!-- a comment --><p>two<br>lines</p>
<p>a <b>b<br><i>c</i> d</b><script>no()</script> e<style>.x{}</style><!-- c -->f<?pi x?>g</p>
<p>h<noscript>enable JavaScript</noscript>i<template><b>tpl</b></template>j</p>
<p class="ads">an ad paragraph</p>
<p>k<span class="share">share this</span>l</p>
</div></div></body></html>"""

# Every selector of the table matters on one of these pages (see test_every_selector_is_used).
KITCHEN_SINK = """<html><head><meta property="og:title" content="Meta headline">
<meta property="article:published_time" content="2025-11-07T07:03:00Z"></head><body>
<div class="post">
 <a href="/en/category/world"><div class="post_categoty">WORLD</div></a>
 <h1 class="post_title">Real headline</h1><div class="post_time">07 November 2025 11:03</div>
 <div class="post_cover" style="background-image:url(/media/a.webp)"></div>
 <div class="post_body"><p>First <noscript>no script</noscript>paragraph.</p>
  <blockquote class="twitter-tweet"><p>a tweet</p></blockquote><div class="ads"><p>an ad</p></div>
  <div class="related_news"><p>a related story</p></div><div class="share"><p>share it</p></div>
  <p>Second<br>paragraph.</p></div>
 <span class="post_author">Leyla Mammadova</span><div class="post_hits">Views: 96</div>
</div></body></html>"""
META_ONLY = KITCHEN_SINK.replace('<h1 class="post_title">Real headline</h1>', "").replace(
    '<div class="post_time">07 November 2025 11:03</div>', ""
)
CARD = (
    '<div class="float_block"><a href="/en/post/{slug}?utm=1"><div class="float_block_image">'
    '</div></a><a href="/en/post/{slug}"><h2 class="float_block_title">Title {slug}</h2></a>'
    '<div><a href="/en/category/world"><div class="float_block_category">WORLD</div></a>'
    '<div class="float_block_time">07 November 2025 11:03</div></div></div>'
)
LISTING_SINK = (
    "<html><body><header>{}</header><main>{}"
    '<div class="float_block"><a href="/en/post/no-title">x</a></div></main>'
    '<aside class="last_news">{}</aside></body></html>'
).format(CARD.format(slug="menu"), CARD.format(slug="main"), CARD.format(slug="side"))


def _pages() -> list[str]:
    found = [p.read_text(encoding="utf-8") for p in sorted(PAGES.glob("*.html"))]
    found += [
        p.read_text(encoding="utf-8") for p in sorted((REPLICA_SITE / "en" / "post").glob("*.html"))
    ]
    articles = make_articles(60, seed=9)
    found += [render_article(a, articles[i + 1 : i + 5]) for i, a in enumerate(articles)]
    return [*found, TRICKY_BODY, KITCHEN_SINK, META_ONLY]


def _listing_pages() -> list[str]:
    found = [p.read_text(encoding="utf-8") for p in sorted(PAGES.glob("listing-*.html"))]
    found += [
        p.read_text(encoding="utf-8")
        for p in sorted((REPLICA_SITE / "en" / "category" / "world").glob("*.html"))
    ]
    cards = [article.card() for article in make_articles(40, seed=3)]
    found += [render_listing(cards[:20], 1), render_listing(cards[20:], 2)]
    return [*found, LISTING_SINK]


# The reference: what the selectors say, by plain parsel CSS, one scan per rule --------------


def _document(sel: Selector) -> Selector:
    return Selector(root=sel.root.getroottree().getroot(), type="html")


def _matched(sel: Selector, css: str) -> set[Any]:
    return {found.root for found in _document(sel).css(css)}


def _inside(node: Any, top: Any, skip: set[Any]) -> bool:
    """Whether ``node`` or an ancestor of it below ``top`` is in ``skip``."""
    while node is not None and node is not top:
        if node in skip:
            return True
        node = node.getparent()
    return False


def ref_lines(element: Any, skip: set[Any]) -> list[str]:
    """Text nodes and <br>s below ``element`` by XPath, those under a skipped element left out."""
    lines = [""]
    for node in element.xpath("descendant::text() | descendant::br"):
        if isinstance(node, str):
            owner = node.getparent()
            container = owner.getparent() if node.is_tail else owner
            if not _inside(container, element, skip):
                lines[-1] += node
        elif not _inside(node.getparent(), element, skip):
            lines.append("")
    return lines


def ref_text(element: Any, skip: set[Any]) -> str | None:
    if element is None:
        return None
    return "" if element in skip else " ".join(ref_lines(element, skip))


def ref_label(element: Any, skip: set[Any]) -> str | None:
    if element is None:
        return None
    if element in skip:
        return ""
    for node in element.xpath("descendant::text()[normalize-space()]"):
        owner = node.getparent()
        if not _inside(owner.getparent() if node.is_tail else owner, element, skip):
            return str(node)
    return ""


def _first(scope: Selector, css: str, but: Any = None) -> Any:
    return next((found.root for found in scope.css(css) if found.root is not but), None)


def parse_article_by_css(sel: Selector, selectors: Selectors) -> parsers.ArticlePage:
    """parse_article as the selector table defines it, with nothing derived or fast."""
    css = selectors.css
    roots = sel.css(css["ARTICLE_ROOT"])
    root: Selector | None = roots[0] if roots else None
    if len(roots) > 1:
        weights = [
            sum(bool(r.css(css[name])) for name in parsers._ROOT_EVIDENCE)
            for r in roots[: parsers.MAX_ROOTS_WEIGHED]
        ]
        root = roots[weights.index(max(weights))]
    scope = root if root is not None else sel
    not_text = _matched(sel, css["NOT_TEXT"])
    excluded = set().union(*(_matched(sel, css[n]) for n in parsers_body_exclusions()))
    body_root = _first(scope, css["BODY"])
    body: list[str] = []
    byline = views = None
    if body_root is not None and not _inside(body_root, None, excluded):
        kept = [p.root for p in Selector(root=body_root, type="html").css(css["BODY_PARAGRAPH"])]
        parts = {_first(scope, css[name]) for name in parsers_parts() if name != "BODY"}
        furniture = _matched(sel, "header, nav, footer") | _matched(sel, css["CARD"])
        skip = excluded | furniture | (parts - {None})
        blocks = ref_blocks(body_root, kept, skip)
        body, byline, views = parsers._split_trailer(blocks)
    if byline is None and root is not None:
        author = _first(root, css["AUTHOR_ELEMENT"], but=root.root)
        byline = parsers._as_byline(ref_text(author, not_text))
    cover = _first(scope, css["COVER"])

    def meta(name: str) -> str | None:
        return next(
            (m.attrib["content"] for m in sel.css(css[name]) if "content" in m.attrib), None
        )

    return parsers.ArticlePage(
        headline=ref_text(_first(scope, css["HEADLINE"]), not_text) or meta("HEADLINE_META"),
        published=ref_text(_first(scope, css["PUBLISHED"]), not_text) or meta("PUBLISHED_META"),
        section=ref_label(_first(scope, css["CATEGORY"]), not_text),
        cover_style=cover.get("style") if cover is not None else None,
        paragraphs=body,
        byline=byline,
        views=ref_text(_first(scope, css["VIEWS"]), not_text) or views,
    )


def ref_blocks(body: Any, kept: list[Any], skip: set[Any]) -> list[list[str]]:
    """The body's paragraphs by recursion: each kept paragraph's lines, and the text outside
    them cut at every ``<br>`` and block element; captions and related-news links left out."""
    blocks: list[list[str]] = []
    line: list[str] = []

    def end() -> None:
        if line:
            blocks.append(["".join(line)])
            line.clear()

    def walk(element: Any) -> None:
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else None
            cuts = tag in parsers._BLOCK_TAGS or tag in parsers._CAPTION_TAGS or tag == "br"
            if tag is None:
                pass
            elif child in skip or tag in parsers._CAPTION_TAGS:
                if cuts or child in kept:
                    end()
            elif child in kept:
                end()
                blocks.append(ref_lines(child, skip))
            else:
                if cuts:
                    end()
                line.append(child.text or "")
                walk(child)
                if cuts:
                    end()
            line.append(child.tail or "")

    line.append(body.text or "")
    walk(body)
    end()
    return parsers._without_related(blocks)


def parsers_parts() -> tuple[str, ...]:
    return ("HEADLINE", "PUBLISHED", "CATEGORY", "COVER", "BODY", "VIEWS", "AUTHOR_ELEMENT")


def parsers_body_exclusions() -> tuple[str, ...]:
    return ("BODY_EMBED", "BODY_AD", "BODY_RELATED", "BODY_SHARE", "NOT_TEXT")


def parse_listing_by_css(sel: Selector, selectors: Selectors) -> list[parsers.Card]:
    css = selectors.css
    furniture = _matched(sel, css["CARD_FURNITURE"])
    not_text = _matched(sel, css["NOT_TEXT"])
    cards = []
    for block in sel.css(css["CARD"]):
        if _inside(block.root.getparent(), None, furniture):
            continue
        href = block.css(css["CARD_TITLE_LINK"]).attrib.get("href") or block.css(
            css["CARD_ANY_LINK"]
        ).attrib.get("href")
        if not href:
            continue
        cards.append(
            parsers.Card(
                href=href,
                title=ref_text(_first(block, css["CARD_TITLE"]), not_text),
                time=ref_text(_first(block, css["CARD_TIME"]), not_text),
                category=ref_text(_first(block, css["CARD_CATEGORY"]), not_text),
                category_href=block.css(css["CARD_CATEGORY_LINK"]).attrib.get("href"),
            )
        )
    return cards


def _complex(table: dict[str, str], names: Iterable[str]) -> dict[str, str]:
    """The same selectors written so that no fast path can take them (``:not()`` of nothing)."""
    return table | {
        name: ", ".join(f"{part.strip()}:not(.never-used)" for part in table[name].split(","))
        for name in names
    }


TABLES = {
    "default": DEFAULT,
    "xpath only": Selectors(DEFAULT_SELECTORS, fast=False),
    "all complex": Selectors.compile(_complex(dict(DEFAULT_SELECTORS), DEFAULT_SELECTORS)),
    "half complex": Selectors.compile(
        _complex(dict(DEFAULT_SELECTORS), list(DEFAULT_SELECTORS)[::2])
    ),
}

# Pages that test the root's choice and the parts' reading
SPLIT_PARTS = (
    '<div class="post"><h1 class="post_title">Two<br>lines</h1><div class="post_time">'
    "<span>07 November 2025</span><span>11:03</span></div></div>"
)
TRICKY_ROOTS = [
    # no article root: the whole page is read, an author element outside .post is not a byline
    '<div><h1 class="post_title">T</h1><span class="author">A</span><div class="post_body">'
    "<p>x</p></div></div>",
    # two article roots holding one part each: the first is read
    '<div class="post"><h1 class="x post_title">One</h1></div>'
    '<div class="post"><span class="post_author">Leyla Mammadova</span></div>',
    # a decoy root before the article, and nested roots
    '<div class="post"><div class="post_body"><p>Subscribe!</p></div></div><div class="post">'
    '<h1 class="post_title">H</h1><div class="post_body"><p>Text.</p></div></div>',
    '<div class="post"><div class="post"><h1 class="post_title">H</h1></div></div>',
    # the root itself carries a part's class; a cover without style; tag must match
    '<div class="post post_time"><div class="post_cover"></div><div class="post_cover" '
    'style="background:url(a.webp)"></div><h2 class="post_title">no</h2><h1 class="post_title">'
    'yes<script>x</script></h1><div class="post_category">c</div><div class="post_categoty">'
    'd</div><div class="post_hits">Views: 1</div><div class="author_box">By X</div></div>',
    '<div class="post author"><div class="post_body">text</div></div>',
    # a byline element after the body, with and without "By"
    '<div class="post"><div class="post_body"><p>Text.</p></div><p class="post_byline">'
    "By Nigar Hasanova</p></div>",
    '<div class="post"><div class="post_body"><p>Text.</p></div><span class="post_author">'
    "Nigar Hasanova</span></div>",
    "<p>nothing at all</p>",
    SPLIT_PARTS,
    # a label's first non-blank text, nested or unclosed; a blank one, an NBSP one
    '<div class="post"><div class="post_categoty">\n  <b> </b><a>WORLD</a> x</div></div>',
    '<div class="post"><div class="post_categoty"><script>x</script> \t</div></div>',
    '<div class="post"><div class="post_categoty">\u00a0</div><h1 class="post_title">World',
    # a body of text and <br>s only, with an ad and a script in it; a body inside a share block
    '<div class="post"><div class="post_body">One<br>Two<div class="ads">ad</div><script>s'
    "</script><br>By Leyla Mammadova</div></div>",
    '<div class="share"><div class="post"><div class="post_body"><p>x</p></div></div></div>',
]


@pytest.mark.parametrize("table", list(TABLES), ids=str)
@pytest.mark.parametrize("html", [*_pages(), *TRICKY_ROOTS])
def test_parse_article_agrees_with_the_selectors(html: str, table: str) -> None:
    sel = page_selector(html)
    selectors = TABLES[table]
    assert _as_loaded(parsers.parse_article(sel, selectors)) == _as_loaded(
        parse_article_by_css(sel, DEFAULT)
    )


def _as_loaded(page: parsers.ArticlePage) -> parsers.ArticlePage:
    """The page with its paragraphs as the loader writes them (blank lines between paragraphs
    are read differently by the two ways and written the same)."""
    return dataclasses.replace(page, paragraphs=clean_paragraphs(page.paragraphs))


@pytest.mark.parametrize("table", list(TABLES), ids=str)
@pytest.mark.parametrize("html", _listing_pages())
def test_parse_listing_agrees_with_the_selectors(html: str, table: str) -> None:
    sel = page_selector(html)
    assert parsers.parse_listing(sel, TABLES[table]) == parse_listing_by_css(sel, DEFAULT)


def test_parse_article_reads_below_the_selector_it_is_given() -> None:
    html = '<div class="post"><h1 class="post_title">Out</h1></div><section><div class="x  post">'
    html += '<h1 class="post_title">In</h1></div></section>'
    inner = page_selector(html).css("section")[0]
    assert parsers.parse_article(inner) == parse_article_by_css(inner, DEFAULT)
    assert parsers.parse_article(inner).headline == "In"


def _parse_all(selectors: Selectors) -> tuple[object, ...]:
    return (
        parsers.parse_article(page_selector(KITCHEN_SINK), selectors),
        parsers.parse_article(page_selector(META_ONLY), selectors),
        parsers.parse_listing(page_selector(LISTING_SINK), selectors),
    )


@pytest.mark.parametrize("name", list(DEFAULT_SELECTORS))
def test_every_selector_is_used(name: str) -> None:
    """Overriding any one selector with one that matches nothing changes what is parsed."""
    assert _parse_all(Selectors.compile({name: "x-matches-nothing"})) != _parse_all(DEFAULT)


def test_no_class_name_of_the_table_is_spelt_in_the_parsers() -> None:
    source = Path(parsers.__file__).read_text(encoding="utf-8")
    names = set()
    for css in DEFAULT_SELECTORS.values():
        names.update(re.findall(r"\.([\w-]+)", css))
        names.update(re.findall(r"='([^']+)'", css))
    assert len(names) > 15
    spelt = [f"{q}{n}{q}" for n in names for q in "'\"" if f"{q}{n}{q}" in source]
    spelt += [f".{n}" for n in names if re.search(rf"\.{re.escape(n)}\b", source)]
    spelt += [n for n in names if ("_" in n or "-" in n) and n in source]
    assert spelt == []


def test_the_kitchen_sink_pages_as_items() -> None:
    item = build_article(
        parsers.parse_article(page_selector(KITCHEN_SINK)),
        url="https://caliber.az/en/post/s",
        slug="s",
        crawled_at="-",
    )
    assert (item.headline, item.published_at, item.author, item.views, item.image_url) == (
        "Real headline",
        "2025-11-07T11:03:00+04:00",
        "Leyla Mammadova",
        96,
        "https://caliber.az/media/a.webp",
    )
    assert item.body == "First paragraph.\n\nSecond paragraph."
    meta = parsers.parse_article(page_selector(META_ONLY))
    assert (meta.headline, published_at(meta.published or "")) == (
        "Meta headline",
        "2025-11-07T11:03:00+04:00",
    )
    cards = parsers.parse_listing(page_selector(LISTING_SINK))
    assert [(c.href, c.title) for c in cards] == [
        ("/en/post/main", "Title main"),
        ("/en/post/no-title", None),
    ]


# A redesign repaired by overrides -------------------------------------------------------------

REPAIR = {
    "CARD": "div.news_card",
    "CARD_TITLE_LINK": "a[href]:has(.news_card_title)",
    "CARD_TITLE": ".news_card_title",
    "CARD_TIME": ".news_card_time",
    "CARD_CATEGORY": ".news_card_category",
    "CARD_CATEGORY_LINK": "a[href]:has(.news_card_category)",
    "ARTICLE_ROOT": ".article",
    "HEADLINE": "h1.article__title",
    "CATEGORY": ".article__categoty, .article__category",
    "PUBLISHED": ".article__time",
    "COVER": ".article__cover[style]",
    "BODY": ".article__body",
    "VIEWS": ".article__hits",
}


def _redesign(html: str) -> str:
    for old, new in REDESIGN_RENAMES.items():
        html = html.replace(old, new)
    return html


def _item(html: str, slug: str, selectors: Selectors = DEFAULT) -> dict[str, object]:
    article = build_article(
        parsers.parse_article(page_selector(html), selectors),
        url=f"https://caliber.az/en/post/{slug}",
        slug=slug,
        crawled_at="-",
    )
    return dataclasses.asdict(article)


@pytest.mark.parametrize(
    "page", sorted((REPLICA_SITE / "en" / "post").glob("*.html")), ids=lambda p: p.stem
)
def test_a_redesigned_article_is_read_right_through_overrides(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    slug = page.stem
    redesigned = _redesign(html)
    assert redesigned != html
    repaired = Selectors.compile(REPAIR)
    assert _item(redesigned, slug, repaired) == _item(html, slug)
    broken = _item(redesigned, slug)
    assert broken["body"] == "" and broken["published_at"] is None


def test_a_redesigned_listing_is_read_right_through_overrides() -> None:
    page_url = "https://caliber.az/en/category/world"
    for page in sorted((REPLICA_SITE / "en" / "category" / "world").glob("page-*.html")):
        html = page.read_text(encoding="utf-8")
        original = parsers.parse_section_listing(page_selector(html), LIVE, page_url)
        redesigned = page_selector(_redesign(html))
        assert original.articles
        assert parsers.parse_section_listing(redesigned, LIVE, page_url).cards == 0
        repaired = parsers.parse_section_listing(
            redesigned, LIVE, page_url, Selectors.compile(REPAIR)
        )
        assert repaired == original


# Parts of an article -------------------------------------------------------------------------


def test_headline_br_is_a_space_and_a_split_time_is_read() -> None:
    page = parsers.parse_article(page_selector(SPLIT_PARTS))
    assert page.headline == "Two lines"
    assert published_at(page.published or "") == "2025-11-07T11:03:00+04:00"


def test_tricky_body_paragraphs() -> None:
    page = parsers.parse_article(page_selector(TRICKY_BODY))
    assert page.paragraphs == [
        "one",
        "kept: adsense is not ads",
        "kept quote",
        "kept nested",
        "two lines",
        "a b c d efg",
        "hij",
        "kl",
    ]


def test_noscript_template_style_and_script_text_is_never_read() -> None:
    html = (
        '<div class="post"><h1 class="post_title">Head<noscript>NO</noscript>line</h1>'
        '<div class="post_body"><p>A<noscript><img src=x>Please enable JavaScript</noscript>B'
        "</p><noscript><p>Enable JavaScript to read on.</p></noscript><template><p>T</p>"
        "</template><style>p{}</style><p>C</p></div></div>"
    )
    page = parsers.parse_article(page_selector(html))
    assert (page.headline, page.paragraphs) == ("Headline", ["AB", "C"])


def test_paragraphs_inside_a_hidden_ancestor_of_the_body_are_skipped() -> None:
    html = '<div class="share"><div class="post_body"><p>x</p></div></div>'
    assert parsers.parse_article(page_selector(html)).paragraphs == []


def test_an_author_element_names_the_author_with_or_without_by() -> None:
    for element in (
        '<span class="post_author">Nigar Hasanova</span>',
        '<p class="post_byline">BY Nigar Hasanova</p>',
    ):
        html = f'<div class="post"><div class="post_body"><p>Text.</p></div>{element}</div>'
        article = build_article(
            parsers.parse_article(page_selector(html)), url="u", slug="s", crawled_at="t"
        )
        assert article.author == "Nigar Hasanova"


def test_a_decoy_root_before_the_article_is_not_read() -> None:
    html = (
        '<div class="post promo"><div class="post_time">01 January 2020 00:00</div>'
        '<div class="post_body"><p>Subscribe to our newsletter!</p></div>'
        '<span class="author">Promo Desk</span></div>'
        '<div class="post"><div class="post_categoty">WORLD</div><h1 class="post_title">Real</h1>'
        '<div class="post_time">07 November 2025 11:03</div><div class="post_body"><p>Real text.'
        '</p></div><div class="post_hits">Views: 5</div></div>'
    )
    page = parsers.parse_article(page_selector(html))
    assert (page.headline, page.published, page.paragraphs, page.byline, page.views) == (
        "Real",
        "07 November 2025 11:03",
        ["Real text."],
        None,
        "Views: 5",
    )


def test_a_views_sentence_ending_the_body_stays_in_the_body() -> None:
    html = (
        '<div class="post"><div class="post_body"><p>Parties met.</p><p>Views differ sharply: 3 '
        "of the 5 parties backed it.</p><p>Views 1 234</p></div></div>"
    )
    page = parsers.parse_article(page_selector(html))
    assert page.paragraphs == [
        "Parties met.",
        "Views differ sharply: 3 of the 5 parties backed it.",
    ]
    assert page.views == "Views 1 234"


# Hostile pages: nothing raises, recurses or takes long ----------------------------------------


def _nested(depth: int, inner: str = "deep text") -> str:
    return "<span>" * depth + inner + "</span>" * depth


def test_deeply_nested_markup_is_read_without_recursion() -> None:
    html = (
        '<div class="post"><h1 class="post_title">H</h1><div class="post_body">'
        f"<p>{_nested(1500)}</p><p>after</p></div></div>"
    )
    item = _item(html, "x")
    assert (item["headline"], item["body"]) == ("H", "deep text\n\nafter")
    # Deeper than lxml builds (2,048 levels with huge_tree): what it could read is kept.
    deeper = html.replace(_nested(1500), _nested(20_000))
    item = _item(deeper, "x")
    assert item["headline"] == "H"
    assert isinstance(item["body"], str)


def _within(seconds: float, run: Callable[[], object]) -> None:
    # Not a benchmark: a generous ceiling that quadratic code blows by orders of magnitude.
    started = time.process_time()
    run()
    assert time.process_time() - started < seconds


@pytest.mark.parametrize("size", [32 * 1024, 512 * 1024, 2 * 1024 * 1024])
def test_text_is_gathered_in_linear_time(size: int) -> None:
    """A paragraph of many small elements (old code: quadratic string building)."""
    count = size // len("<b>word</b> text ")
    html = '<div class="post"><div class="post_body"><p>' + "<b>word</b> text " * count
    sel = page_selector(html + "</p></div></div>")
    _within(2.0, lambda: parsers.parse_article(sel))
    assert parsers.parse_article(sel).paragraphs[0].count("word text") == count


HOSTILE_ARTICLES = {
    "empty": b"",
    "garbage": bytes(range(256)) * 64,
    "only html": b"<html>",
    "nul bytes": b"<div class='post'>\x00<h1 class='post_title'>\x00</h1></div>",
    "giant class": b'<div class="post ' + b"x" * 2_000_000 + b'"><p>t</p></div>',
    "giant style": b'<div class="post"><div class="post_cover" style="background-image:'
    + b"url(" * 400_000
    + b'"></div></div>',
    "giant views": b'<div class="post"><div class="post_hits">Views: '
    + b"9" * 1_000_000
    + b"</div></div>",
    "deep roots": b'<div class="post">' * 3000 + b"<p>x</p>",
    "many roots": b'<div class="post"><div class="post_body"><p>p</p></div></div>' * 5000,
    "unclosed everything": b'<div class="post"><h1 class="post_title"><div class="post_body"><p>a',
    "bad urls": b'<div class="post"><div class="post_cover" style="background:url(http://[oops/x'
    b'.webp)"></div><a href="http://[oops">x</a></div>',
    "bad dates": b'<div class="post"><div class="post_time">9999-12-31T23:59:00-05:00</div>'
    b'<div class="post_body"><p>x</p></div></div>',
}


@pytest.mark.parametrize("name", list(HOSTILE_ARTICLES))
def test_hostile_article_pages_give_an_item(name: str) -> None:
    response = HtmlResponse("https://caliber.az/en/post/x", body=HOSTILE_ARTICLES[name])
    started = time.process_time()
    article = build_article(
        parsers.parse_article(page_selector(response.text)),
        url=response.url,
        slug="x",
        crawled_at="2026-01-01T00:00:00Z",
    )
    assert time.process_time() - started < 5.0  # a generous ceiling, not a benchmark
    assert isinstance(article.body, str)
    assert article.image_url is None and article.published_at is None
    assert article.views is None or 0 <= article.views < 2**63


def _cards(count: int, href: str | None = None) -> bytes:
    """``count`` section cards of articles ``a-0``, ``a-1``…, or all linking to ``href``."""
    cards = []
    for index in range(count):
        card = CARD.format(slug=f"a-{index}")
        if href is not None:
            card = card.replace(f"/en/post/a-{index}?utm=1", href)
            card = card.replace(f"/en/post/a-{index}", href)
        cards.append(card)
    return "".join(cards).encode()


HOSTILE_LISTINGS = {
    "empty": (b"", 0),
    "garbage": (bytes(range(256)) * 64, 0),
    "only html": (b"<html>", 0),
    "5,000 cards": (_cards(5000), 5000),
    "bad links": (
        _cards(1, "http://[oops/en/post/x")
        + _cards(1).replace(b"/en/category/world", b"http://[oops/c")
        + _cards(1, "http://h:99999/en/post/y"),
        1,
    ),
    "deep furniture": (b"<aside>" + b"<div>" * 3000 + _cards(3), 0),
    # Cards never closed, each holding all the later ones, their parts missing: the first of
    # each part below every card used to walk the whole rest of the page (12 s for 190 KB).
    "unclosed cards without parts": (
        "".join(
            f'<div class="float_block"><a href="/en/post/s{n}">t</a>' for n in range(1000)
        ).encode()
        + b"<i></i>" * 20_000,
        1000,
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE_LISTINGS))
def test_hostile_listing_pages_give_a_listing(name: str) -> None:
    body, articles = HOSTILE_LISTINGS[name]
    response = HtmlResponse("https://caliber.az/en/category/world", body=body)
    started = time.process_time()
    listing = parsers.parse_section_listing(page_selector(response.text), LIVE, response.url)
    assert time.process_time() - started < 5.0  # a generous ceiling, not a benchmark
    assert len(listing.articles) == articles


def test_a_malformed_link_is_not_an_article_and_spares_the_others() -> None:
    body = _cards(1, "http://[oops/en/post/x") + _cards(2)
    listing = parsers.parse_section_listing(
        page_selector(body.decode()), LIVE, "https://caliber.az/"
    )
    assert [a.slug for a in listing.articles] == ["a-0", "a-1"]
    assert listing.not_article == 1
    assert listing.malformed == ["http://[oops/en/post/x"]


def _body(inner: str) -> list[str]:
    """The body's paragraphs as written to the dataset."""
    html = f'<div class="post"><div class="post_body">{inner}</div></div>'
    article = build_article(
        parsers.parse_article(page_selector(html)), url="u", slug="s", crawled_at="t"
    )
    return article.body.split("\n\n") if article.body else []


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        # a body of <div>s (no <p>): one paragraph each, the byline still taken off
        (
            "<div>First.</div><div>Second.</div><div>By Aghakazim Guliyev</div>",
            ["First.", "Second."],
        ),
        # text written straight into the body around paragraphs is the article's too
        ("Lead.<p>Second.</p>Tail.<p>Third.</p>", ["Lead.", "Second.", "Tail.", "Third."]),
        ("Lead<br>more lead<p>Second.</p>", ["Lead", "more lead", "Second."]),
        # list items and subheads are text; picture captions are not
        (
            "<p>One:</p><ul><li>first</li><li>second</li></ul><h2>Sub</h2><p>Two</p>",
            ["One:", "first", "second", "Sub", "Two"],
        ),
        (
            '<p>One</p><figure><img src="/a.webp"><figcaption>Photo: AP</figcaption></figure>'
            '<p><img src="/b.webp"></p><p>Two</p>',
            ["One", "Two"],
        ),
        # related news linked from the body is no part of it
        (
            '<p>One</p><p><strong>Read also:</strong> <a href="/en/post/x">Other</a></p>'
            '<p>Read more: <a href="/en/post/y">More</a></p><p>Two</p>',
            ["One", "Two"],
        ),
        (
            '<p>Один</p><p>Также читайте: <a href="/post/x">Другое</a></p>'
            '<p>Читайте также <a href="/post/y">Ещё</a></p><p>Два</p>',
            ["Один", "Два"],
        ),
        (
            "<p>Related talks are planned.</p><p>Read more books.</p>",
            ["Related talks are planned.", "Read more books."],
        ),
        # a related-news link parted from the article's text by a <br>: only the link goes
        (
            "<p>Read also: <a>X</a><br>Officials said the talks resumed.</p><p>Second.</p>"
            "<p>First.<br>Читайте также: <a>Y</a></p>",
            ["Officials said the talks resumed.", "Second.", "First."],
        ),
        # a paragraph printed twice in a row is read once; NBSP-only paragraphs are none
        ("<p>One</p><p>One</p><p>&nbsp;</p><p>Two</p><p>One</p>", ["One", "Two", "One"]),
    ],
)
def test_body_variety(inner: str, expected: list[str]) -> None:
    assert _body(inner) == expected


def test_page_furniture_inside_an_unclosed_body_is_no_body_text() -> None:
    html = (
        '<div class="post"><div class="post_body"><div class="post_categoty">WORLD</div>'
        '<p>One.</p>Two.<div class="post_signature">Caliber.Az</div>'
        '<div class="post_hits">Views: 96</div><div class="float_block"><a href="/en/post/x">'
        '<h2 class="float_block_title">Another story</h2></a></div>'
        "<footer><div>Any use of materials is allowed</div></footer>"
    )
    page = parsers.parse_article(page_selector(html))
    assert (page.paragraphs, page.section, page.views) == (["One.", "Two."], "WORLD", "Views: 96")


#: Pieces of body markup whose text needs cleaning: every kind of whitespace, invisible
#: characters, line breaks, nested inline and block elements, trailer lines.
_BODY_PIECES = [
    "Talks", " resumed", "  ", "\n", "\t", "\r\n  ", "&nbsp;", "\u00a0", "\u200b", "\u2028",
    "<br>", "<p>", "</p>", "<div>", "</div>", "<span>", "</span>", "<b> bold </b>", "<li>x</li>",
    "By Ann Lee", "Views: 5", "Caliber.Az", "<!-- c -->", "Ünïcode’s",
]  # fmt: skip


def test_body_paragraphs_are_written_clean_and_once() -> None:
    """Whatever markup the body's text sits in, each paragraph written is whitespace-collapsed,
    trimmed, free of invisible characters, not empty and not the one before it again."""
    rng = random.Random(11)
    pages = [
        f'<div class="post"><div class="post_body">{"".join(rng.choices(_BODY_PIECES, k=40))}'
        for _ in range(300)
    ]
    pages += [body.decode("utf-8", "replace") for body in HOSTILE_ARTICLES.values()]
    pages += [
        path.read_text("utf-8")
        for path in [*PAGES.glob("article-*.html"), *(REPLICA_SITE / "en" / "post").glob("*.html")]
    ]
    assert len(pages) > 320
    written = 0
    for html in pages:
        page = parsers.parse_article(page_selector(html))
        body = build_article(page, url="u", slug="s", crawled_at="t").body
        paragraphs = body.split("\n\n") if body else []
        for previous, paragraph in zip([None, *paragraphs], paragraphs, strict=False):
            assert paragraph and clean_text(paragraph) == paragraph != previous, repr(paragraph)
        written += len(paragraphs)
    assert written > 1000


def test_a_class_token_repeated_many_times_is_read_in_linear_time() -> None:
    # An override of several classes tested the whole class list once per repeated token.
    selectors = Selectors.compile({"BODY": ".post_body.article_text"})
    html = '<div class="post"><div class="' + "post_body " * 160_000 + 'article_text"><p>x</p>'
    started = time.process_time()
    page = parsers.parse_article(page_selector(html), selectors)
    assert time.process_time() - started < 5.0  # a generous ceiling, not a benchmark
    assert page.paragraphs == ["x"]
