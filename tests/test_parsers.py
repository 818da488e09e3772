"""The parsers' fast paths against the selector rules they implement, on every page we have."""

from __future__ import annotations

import pytest
from parsel import Selector

from newscrawl import parsers
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


def test_tricky_body_paragraphs() -> None:
    page = parsers.parse_article(Selector(text=TRICKY_BODY))
    assert page.paragraphs == [
        "one",
        "kept: adsense is not ads",
        "kept quote",
        "kept nested",
        "two lines",
    ]


def test_paragraphs_inside_a_hidden_ancestor_of_the_body_are_skipped() -> None:
    html = '<div class="share"><div class="post_body"><p>x</p></div></div>'
    body = Selector(text=html).css(parsers.BODY)[0]
    assert body.xpath(parsers.BODY_PARAGRAPHS) == []
    assert parsers._body_paragraphs(body.root) == []
