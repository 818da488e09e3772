"""Page parsers: a listing page to its section cards, an article page to raw field values.

They take a ``parsel.Selector`` and return plain data; normalisation is the loader's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from parsel import Selector

from newscrawl.editions import EDITIONS
from newscrawl.processors import author_from_byline, clean_text, is_signature, views_count
from newscrawl.site import SiteScheme

# Listing pages
CARD = "div.float_block"
# Cards in page furniture are not the section's (related stories, sidebars, menus).
CARD_OUTSIDE_FURNITURE = (
    "not(ancestor::header or ancestor::nav or ancestor::footer or ancestor::aside"
    " or ancestor::*[contains(@class, 'related') or contains(@class, 'sidebar')"
    " or contains(@class, 'last_news')])"
)
CARD_TITLE_LINK = "a[href]:has(.float_block_title)"
CARD_ANY_LINK = "a[href]"
CARD_TITLE = ".float_block_title"
CARD_TIME = ".float_block_time"
CARD_CATEGORY = ".float_block_category"
CARD_CATEGORY_LINK = "a[href]:has(.float_block_category)"

# Article pages
ARTICLE_ROOT = ".post"
HEADLINE = "h1.post_title"
HEADLINE_META = "meta[property='og:title']::attr(content)"
CATEGORY = ".post_categoty, .post_category"
PUBLISHED = ".post_time"
PUBLISHED_META = "meta[property='article:published_time']::attr(content)"
COVER_STYLE = ".post_cover::attr(style)"
BODY = ".post_body"
EMBED_CLASSES = ("twitter-tweet", "instagram-media", "tiktok-embed", "telegram-post")
BODY_PARAGRAPHS = (
    ".//p[not(ancestor::blockquote[{embeds}])"
    " and not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' ads ')"
    " or contains(@class, 'related') or contains(@class, 'share')])]"
).format(embeds=" or ".join(f"contains(@class, '{c}')" for c in EMBED_CLASSES))
# BODY_PARAGRAPHS is the rule; _body_paragraphs applies it in one walk down the body instead of
# an ancestor scan per paragraph (tests/test_parsers.py checks they agree).
_XML_SPACE = re.compile(r"[ \t\n\r]+")


def _hides_paragraphs(element: etree._Element) -> bool:
    """Whether paragraphs inside ``element`` are not the article's (see ``BODY_PARAGRAPHS``)."""
    css = element.get("class")
    if css is None:
        return False
    if element.tag == "blockquote" and any(embed in css for embed in EMBED_CLASSES):
        return True
    return "related" in css or "share" in css or ("ads" in css and "ads" in _XML_SPACE.split(css))


_PARAGRAPHS_BELOW = etree.XPath(".//p")


def _body_paragraphs(body: etree._Element) -> list[etree._Element]:
    """The ``p`` elements below ``body`` that ``BODY_PARAGRAPHS`` selects, in document order."""
    hidden: dict[etree._Element, bool] = {}  # whether an element or an ancestor hides paragraphs

    def hides(element: etree._Element) -> bool:
        known = hidden.get(element)
        if known is None:
            parent = element.getparent()
            known = _hides_paragraphs(element) or (parent is not None and hides(parent))
            hidden[element] = known
        return known

    return [p for p in _PARAGRAPHS_BELOW(body) if not hides(p.getparent())]


# Text of a paragraph without scripts; <br> kept as a line break.
PARAGRAPH_TEXT = ".//text()[not(ancestor::script or ancestor::style)] | .//br"
# Compiled once and run on the lxml element: a Selector per text node costs more than the parse.
_PARAGRAPH_TEXT = etree.XPath(PARAGRAPH_TEXT)
AUTHOR_ELEMENT = ".post [class*='author'], .post [class*='byline']"
VIEWS = ".post_hits"
VIEWS_LABELS = tuple(edition.views_label for edition in EDITIONS.values())

#: The selector each item field is read with, by constant name: the drift alarm names it.
FIELD_SELECTORS: dict[str, tuple[str, str]] = {
    "headline": ("HEADLINE", HEADLINE),
    "published_at": ("PUBLISHED", PUBLISHED),
    "section": ("CATEGORY", CATEGORY),
    "body": ("BODY", BODY),
    "author": ("AUTHOR_ELEMENT", AUTHOR_ELEMENT),
    "views": ("VIEWS", VIEWS),
    "cited_sources": ("BODY", BODY),
    "image_url": ("COVER_STYLE", COVER_STYLE),
}


@dataclass(frozen=True)
class Card:
    """One article card of a listing page, as written on the page."""

    href: str
    title: str | None
    time: str | None
    category: str | None
    category_href: str | None


@dataclass(frozen=True)
class ListedArticle:
    """A section card resolved to the article it names."""

    slug: str
    title: str | None
    time: str | None
    category: str | None


@dataclass
class Listing:
    """The section's articles on one listing page, and what else the page's cards named."""

    articles: list[ListedArticle] = field(default_factory=list)
    other_section: int = 0
    not_article: int = 0

    @property
    def cards(self) -> int:
        """How many cards the page showed (``CARD`` matches with a link), the section's or not."""
        return len(self.articles) + self.other_section + self.not_article


@dataclass
class ArticlePage:
    """Raw text of an article page's parts, before normalisation."""

    headline: str | None = None
    published: str | None = None
    section: str | None = None
    cover_style: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    byline: str | None = None
    views: str | None = None


def _text(sel: Selector | None) -> str | None:
    """All text below ``sel`` (scripts excluded), or ``None`` when there is no element."""
    if sel is None:
        return None
    return "".join(sel.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall())


def _label(sel: Selector | None) -> str | None:
    """The first non-blank text of a short label (on a malformed page it may not be closed)."""
    if sel is None:
        return None
    texts = sel.xpath(".//text()[normalize-space()][not(ancestor::script or ancestor::style)]")
    return texts[0].get() if texts else ""


def _first(sel: Selector, css: str) -> Selector | None:
    found = sel.css(css)
    return found[0] if found else None


def parse_listing(sel: Selector) -> list[Card]:
    """The article cards of a listing page's main content, in page order."""
    cards = []
    for block in sel.css(CARD).xpath(f"self::*[{CARD_OUTSIDE_FURNITURE}]"):
        href = block.css(CARD_TITLE_LINK).attrib.get("href") or block.css(CARD_ANY_LINK).attrib.get(
            "href"
        )
        if not href:
            continue
        cards.append(
            Card(
                href=href,
                title=_text(_first(block, CARD_TITLE)),
                time=_text(_first(block, CARD_TIME)),
                category=_text(_first(block, CARD_CATEGORY)),
                category_href=block.css(CARD_CATEGORY_LINK).attrib.get("href"),
            )
        )
    return cards


def card_in_section(card: Card, scheme: SiteScheme, page_url: str) -> bool:
    """Cards without a category label count as the section's; labelled ones must match it."""
    if card.category_href is not None:
        return scheme.is_section_link(card.category_href, page_url)
    label = clean_text(card.category or "")
    return label is None or label.casefold() == scheme.section_label.casefold()


def parse_section_listing(sel: Selector, scheme: SiteScheme, page_url: str) -> Listing:
    """The section's own articles on a listing page, in page order."""
    listing = Listing()
    for card in parse_listing(sel):
        if not card_in_section(card, scheme, page_url):
            listing.other_section += 1
            continue
        slug = scheme.article_slug(card.href, page_url)
        if slug is None:
            listing.not_article += 1
            continue
        listing.articles.append(
            ListedArticle(slug, clean_text(card.title or ""), card.time, card.category)
        )
    return listing


_NO_TEXT = frozenset({"script", "style"})


def _paragraph_lines(p: etree._Element) -> list[str]:
    """The text below ``p`` split at its ``<br>``s, without scripts and styles.

    What ``PARAGRAPH_TEXT`` selects, in one walk (tests/test_parsers.py checks they agree);
    an HTML parser puts no element inside a script or style, so ``p`` has no such ancestor.
    """
    skip = p.tag in _NO_TEXT
    lines = ["" if skip else p.text or ""]
    _collect_lines(p, lines, skip)
    return lines


def _collect_lines(parent: etree._Element, lines: list[str], skip: bool) -> None:
    # Document order: an element, its text, its children, then its tail (its parent's text).
    for child in parent:
        tag = child.tag
        if tag == "br":
            lines.append("")
        if isinstance(tag, str):  # not a comment or processing instruction
            child_skip = skip or tag in _NO_TEXT
            if child.text and not child_skip:
                lines[-1] += child.text
            _collect_lines(child, lines, child_skip)
        if child.tail and not skip:
            lines[-1] += child.tail


def _split_trailer(paragraphs: list[list[str]]) -> tuple[list[str], str | None, str | None]:
    """Take the byline, signature and views lines off the end of the body paragraphs.

    Returns the body paragraphs (lines joined, empty ones dropped), the byline and the views.
    """
    lines = [
        (index, text)
        for index, para in enumerate(paragraphs)
        for text in map(clean_text, para)
        if text is not None
    ]
    byline: str | None = None
    views: str | None = None
    while lines:
        last = lines[-1][1]
        if is_signature(last):
            pass
        elif (
            views is None
            and last.lower().startswith(VIEWS_LABELS)
            and views_count(last) is not None
        ):
            views = last
        elif byline is None and author_from_byline(last) is not None:
            byline = last
        else:
            break
        lines.pop()
    body: dict[int, list[str]] = {}
    for index, text in lines:
        body.setdefault(index, []).append(text)
    return [" ".join(para) for para in body.values()], byline, views


# The article root's parts, found in one pass over its elements rather than one document scan
# per selector: (tag or None, class tokens) for each CSS rule above. tests/test_parsers.py checks
# that parse_article agrees with the selectors themselves.
_ROOT_PARTS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    BODY: (None, ("post_body",)),
    HEADLINE: ("h1", ("post_title",)),
    PUBLISHED: (None, ("post_time",)),
    CATEGORY: (None, ("post_categoty", "post_category")),
    COVER_STYLE: (None, ("post_cover",)),  # the first one with a style attribute
    VIEWS: (None, ("post_hits",)),
}
_RULES_BY_CLASS: dict[str, list[str]] = {}
for _rule, (_, _classes) in _ROOT_PARTS.items():
    for _class in _classes:
        _RULES_BY_CLASS.setdefault(_class, []).append(_rule)
# ARTICLE_ROOT (".post") as libxml2 does it fastest: class attributes that mention the class,
# then a token check in Python (~50 us a page instead of ~80 for the translated CSS).
_ARTICLE_ROOT_CLASS = ARTICLE_ROOT.removeprefix(".")
_CLASSES_MENTIONING_ROOT = etree.XPath(
    f"descendant-or-self::*/@class[contains(., '{_ARTICLE_ROOT_CLASS}')]"
)


def _article_roots(document: etree._Element) -> list[etree._Element]:
    """The elements ``ARTICLE_ROOT`` selects in the document, in document order."""
    return [
        css.getparent()
        for css in _CLASSES_MENTIONING_ROOT(document)
        if _ARTICLE_ROOT_CLASS in _XML_SPACE.split(css)
    ]


# Only elements with a class can match: asking libxml2 for them makes fewer Python proxies.
_WITH_CLASS = etree.XPath("descendant-or-self::*[@class]")
# AUTHOR_ELEMENT: a class containing one of these, below the article root
_AUTHOR_CLASSES = ("author", "byline")


def _find_parts(root: etree._Element) -> tuple[dict[str, etree._Element], etree._Element | None]:
    """The first element of each ``_ROOT_PARTS`` rule at or below ``root``, in document order,
    and the first element strictly below ``root`` whose class contains ``author``."""
    found: dict[str, etree._Element] = {}
    author = None
    for element in _WITH_CLASS(root):
        css = element.get("class")
        if author is None and element is not root and any(c in css for c in _AUTHOR_CLASSES):
            author = element
        for token in _XML_SPACE.split(css):
            for rule in _RULES_BY_CLASS.get(token, ()):
                tag = _ROOT_PARTS[rule][0]
                if (
                    rule not in found
                    and (tag is None or element.tag == tag)
                    and (rule != COVER_STYLE or element.get("style") is not None)
                ):
                    found[rule] = element
    return found, author


def _element_text(element: etree._Element | None) -> str | None:
    """All text below ``element`` (scripts excluded, ``<br>`` read as a space), or ``None`` when
    there is no element."""
    if element is None:
        return None
    if len(element) == 0 and element.tag not in _NO_TEXT:  # text only: no XPath needed
        return element.text or ""
    return " ".join(_paragraph_lines(element))


_LABEL_TEXT = etree.XPath(".//text()[normalize-space()][not(ancestor::script or ancestor::style)]")


def _element_label(element: etree._Element | None) -> str | None:
    """What ``_label`` reads: the first non-blank text, ``""`` if none, ``None`` if no element."""
    if element is None:
        return None
    texts = _LABEL_TEXT(element)
    return str(texts[0]) if texts else ""


def _as_byline(text: str | None) -> str | None:
    """An author element's text as a byline: it names a person even without ``By``.

    >>> _as_byline("Nigar Hasanova"), _as_byline(" By Nigar Hasanova"), _as_byline(" ")
    ('By Nigar Hasanova', ' By Nigar Hasanova', None)
    """
    name = clean_text(text or "")
    if name is None:
        return None
    return text if name.lower().startswith("by") else f"By {name}"


def parse_article(sel: Selector) -> ArticlePage:
    """The raw parts of an article page; absent parts are ``None`` (or empty)."""
    roots = _article_roots(sel.root)
    parts, author_element = _find_parts(roots[0] if roots else sel.root)
    body_root = parts.get(BODY)
    paragraphs = _body_paragraphs(body_root) if body_root is not None else []
    body, byline, views_in_body = _split_trailer([_paragraph_lines(p) for p in paragraphs])
    if not body and body_root is not None:
        lines = _paragraph_lines(body_root)
        body, byline, views_in_body = _split_trailer([[line] for line in lines])
    if byline is None and roots:
        # With one article root the pass saw every candidate; otherwise ask the selector.
        byline = _as_byline(
            _element_text(author_element) if len(roots) == 1 else _text(_first(sel, AUTHOR_ELEMENT))
        )
    cover = parts.get(COVER_STYLE)
    return ArticlePage(
        headline=_element_text(parts.get(HEADLINE)) or sel.css(HEADLINE_META).get(),
        published=_element_text(parts.get(PUBLISHED)) or sel.css(PUBLISHED_META).get(),
        section=_element_label(parts.get(CATEGORY)),
        cover_style=cover.get("style") if cover is not None else None,
        paragraphs=body,
        byline=byline,
        views=_element_text(parts.get(VIEWS)) or views_in_body,
    )
