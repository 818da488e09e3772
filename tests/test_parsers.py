"""The parsers' fast paths against the selector rules they implement, on every page we have."""

from __future__ import annotations

import pytest
from parsel import Selector

from newscrawl import parsers
from newscrawl.loaders import build_article
from newscrawl.processors import published_at
from newscrawl.replica.generate import make_articles, render_article
from tests.conftest import PAGES, REPLICA_SITE

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
</div></div></body></html>"""


def _pages() -> list[str]:
    found = [p.read_text(encoding="utf-8") for p in sorted(PAGES.glob("*.html"))]
    found += [
        p.read_text(encoding="utf-8") for p in sorted((REPLICA_SITE / "en" / "post").glob("*.html"))
    ]
    articles = make_articles(60, seed=9)
    found += [render_article(a, articles[i + 1 : i + 5]) for i, a in enumerate(articles)]
    return [*found, TRICKY_BODY]


@pytest.mark.parametrize("html", _pages())
def test_body_paragraphs_follow_the_xpath_rule(html: str) -> None:
    sel = Selector(text=html)
    tree = sel.root.getroottree()
    for body in sel.css(parsers.BODY):
        rule = [tree.getpath(p.root) for p in body.xpath(parsers.BODY_PARAGRAPHS)]
        fast = [tree.getpath(p) for p in parsers._body_paragraphs(body.root)]
        assert fast == rule


def parse_article_by_selectors(sel: Selector) -> parsers.ArticlePage:
    """parse_article as the selector constants define it, one document scan per rule."""

    def first(scope: Selector, css: str) -> Selector | None:
        found = scope.css(css)
        return found[0] if found else None

    def text(scope: Selector | None) -> str | None:
        return None if scope is None else " ".join(lines(scope))

    def lines(scope: Selector) -> list[str]:
        found = [""]
        for node in scope.xpath(parsers.PARAGRAPH_TEXT):
            if isinstance(node.root, str):
                found[-1] += node.root
            else:
                found.append("")
        return found

    root = first(sel, parsers.ARTICLE_ROOT) or sel
    body_root = first(root, parsers.BODY)
    paragraphs = body_root.xpath(parsers.BODY_PARAGRAPHS) if body_root else []
    body, byline, views = parsers._split_trailer([lines(p) for p in paragraphs])
    if not body and body_root is not None:
        body, byline, views = parsers._split_trailer([[line] for line in lines(body_root)])
    if byline is None:
        byline = parsers._as_byline(text(first(sel, parsers.AUTHOR_ELEMENT)))
    return parsers.ArticlePage(
        headline=text(first(root, parsers.HEADLINE)) or sel.css(parsers.HEADLINE_META).get(),
        published=text(first(root, parsers.PUBLISHED)) or sel.css(parsers.PUBLISHED_META).get(),
        section=parsers._label(first(root, parsers.CATEGORY)),
        cover_style=root.css(parsers.COVER_STYLE).get(),
        paragraphs=body,
        byline=byline,
        views=text(first(root, parsers.VIEWS)) or views,
    )


# A headline broken by <br>, a time in two elements side by side.
SPLIT_PARTS = (
    '<div class="post"><h1 class="post_title">Two<br>lines</h1><div class="post_time">'
    "<span>07 November 2025</span><span>11:03</span></div></div>"
)
TRICKY_ROOTS = [
    # no article root: the whole page is read, an author element outside .post is not a byline
    '<div><h1 class="post_title">T</h1><span class="author">A</span><div class="post_body">'
    "<p>x</p></div></div>",
    # two article roots: the first is read, an author element in the second counts
    '<div class="post"><h1 class="x post_title">One</h1></div>'
    '<div class="post"><span class="post_author">Leyla Mammadova</span></div>',
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
]


@pytest.mark.parametrize("html", [*_pages(), *TRICKY_ROOTS])
def test_parse_article_agrees_with_the_selectors(html: str) -> None:
    sel = Selector(text=html)
    assert parsers.parse_article(sel) == parse_article_by_selectors(sel)


def test_parse_article_reads_below_the_selector_it_is_given() -> None:
    html = '<div class="post"><h1 class="post_title">Out</h1></div><section><div class="x  post">'
    html += '<h1 class="post_title">In</h1></div></section>'
    inner = Selector(text=html).css("section")[0]
    assert parsers.parse_article(inner) == parse_article_by_selectors(inner)
    assert parsers.parse_article(inner).headline == "In"


def test_headline_br_is_a_space_and_a_split_time_is_read() -> None:
    page = parsers.parse_article(Selector(text=SPLIT_PARTS))
    assert page.headline == "Two lines"
    assert published_at(page.published or "") == "2025-11-07T11:03:00+04:00"


def test_tricky_body_paragraphs() -> None:
    page = parsers.parse_article(Selector(text=TRICKY_BODY))
    assert page.paragraphs == [
        "one",
        "kept: adsense is not ads",
        "kept quote",
        "kept nested",
        "two lines",
        "a b c d efg",
    ]


def test_paragraphs_inside_a_hidden_ancestor_of_the_body_are_skipped() -> None:
    html = '<div class="share"><div class="post_body"><p>x</p></div></div>'
    body = Selector(text=html).css(parsers.BODY)[0]
    assert body.xpath(parsers.BODY_PARAGRAPHS) == []
    assert parsers._body_paragraphs(body.root) == []


def test_an_author_element_names_the_author_with_or_without_by() -> None:
    for element in (
        '<span class="post_author">Nigar Hasanova</span>',
        '<p class="post_byline">BY Nigar Hasanova</p>',
    ):
        html = f'<div class="post"><div class="post_body"><p>Text.</p></div>{element}</div>'
        article = build_article(
            parsers.parse_article(Selector(text=html)), url="u", slug="s", crawled_at="t"
        )
        assert article.author == "Nigar Hasanova"
