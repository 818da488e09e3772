"""Page parsers: a listing page to its section cards, an article page to raw field values.

They take a ``parsel.Selector`` and a compiled selector table (``newscrawl.selectors``) and return
plain data; normalisation is the loader's job. Nothing a page holds makes them raise or recurse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from parsel import Selector

from newscrawl.editions import EDITIONS
from newscrawl.processors import author_from_byline, clean_text, is_signature, is_views_line
from newscrawl.selectors import DEFAULT, Element, FirstBelow, Predicate, Selectors
from newscrawl.site import SiteScheme

#: How many article roots are weighed against each other when a page has several.
MAX_ROOTS_WEIGHED = 16
#: Elements that end a run of text written straight into the body (between paragraphs).
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "ol", "p", "pre", "section", "table", "tbody", "td", "th", "tr", "ul",
    }
)  # fmt: skip
#: The page's own header and footer, never the article's (an unclosed body holds them).
_PAGE_FURNITURE_TAGS = frozenset({"header", "nav", "footer"})
#: Text in these is a picture's caption, not the article's.
_CAPTION_TAGS = frozenset({"figure", "figcaption"})
#: A body paragraph that links to related news ("Read also: …", "Читайте также: …").
_RELATED_RE = re.compile(
    "|".join(f"(?:{edition.related_label})" for edition in EDITIONS.values()), re.IGNORECASE
)
#: A related-news link is a label and a headline: a longer paragraph is the article's.
_MAX_RELATED_LENGTH = 300
#: The parts that tell the article's root from a decoy: the one holding most of them wins.
_ROOT_EVIDENCE = ("HEADLINE", "BODY", "PUBLISHED", "CATEGORY", "COVER", "VIEWS")


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
    #: The article links that are no URL at all (``http://[oops``), of any card.
    malformed: list[str] = field(default_factory=list)

    @property
    def cards(self) -> int:
        """How many cards the page showed (``CARD`` matches with a link), the section's or not."""
        return len(self.articles) + self.other_section + self.not_article


@dataclass
class ArticlePage:
    """Raw text of an article page's parts, before normalisation (``paragraphs`` as written:
    blank ones and repeats are the loader's to drop)."""

    headline: str | None = None
    published: str | None = None
    section: str | None = None
    cover_style: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    byline: str | None = None
    views: str | None = None


# Text ------------------------------------------------------------------------------------------


def _texts(element: Element, skip: Predicate) -> Iterator[str | None]:
    """The text below ``element`` in document order, ``None`` for a ``<br>``, leaving out
    comments and whatever ``skip`` matches (its content, not its tail). An explicit stack, not
    recursion: any depth lxml builds is walked."""
    if element.text:
        yield element.text
    stack: list[tuple[Iterator[Element], str | None]] = [(iter(element), None)]
    while stack:
        children, _ = stack[-1]
        child = next(children, None)
        if child is None:
            tail = stack.pop()[1]
            if tail:
                yield tail
            continue
        tag = child.tag
        if isinstance(tag, str):  # not a comment or processing instruction
            if tag == "br":
                yield None
            if not skip(child):
                if child.text:
                    yield child.text
                if len(child):
                    stack.append((iter(child), child.tail))
                    continue
        if child.tail:
            yield child.tail


def _lines(element: Element, skip: Predicate) -> list[str]:
    """The text below ``element`` split at its ``<br>``s: what ``_texts`` yields, joined."""
    if len(element) == 0:  # text only: the common paragraph
        return [element.text or ""]
    # _texts inlined: this runs on every paragraph with markup in it.
    lines: list[str] = []
    line = [element.text] if element.text else []
    stack: list[tuple[Iterator[Element], str | None]] = [(iter(element), None)]
    while stack:
        child = next(stack[-1][0], None)
        if child is None:
            tail = stack.pop()[1]
            if tail:
                line.append(tail)
            continue
        tag = child.tag
        if isinstance(tag, str):
            if tag == "br":
                lines.append("".join(line))
                line = []
            if not skip(child):
                if child.text:
                    line.append(child.text)
                if len(child):
                    stack.append((iter(child), child.tail))
                    continue
        if child.tail:
            line.append(child.tail)
    lines.append("".join(line))
    return lines


def _text(element: Element | None, skip: Predicate) -> str | None:
    """All text below ``element`` (``<br>`` read as a space), ``None`` when there is no element."""
    if element is None:
        return None
    if skip(element):
        return ""
    return " ".join(_lines(element, skip))


def _label(element: Element | None, skip: Predicate) -> str | None:
    """A short label's first non-blank text (on a malformed page it may not be closed): ``""``
    if there is none, ``None`` if there is no element."""
    if element is None:
        return None
    if skip(element):
        return ""
    for piece in _texts(element, skip):
        if piece and piece.strip(" \t\n\r"):  # XPath's blank: NBSP is text
            return piece
    return ""


def _hidden_by(test: Predicate, *, self_too: bool = True) -> Callable[[Element], bool]:
    """Whether ``test`` matches an ancestor of an element (or, with ``self_too``, the element),
    remembered per ancestor: one walk up the tree for all the elements asked about."""
    known: dict[Element, bool] = {}

    def walk(node: Element | None) -> bool:
        chain = []
        answer = False
        while node is not None:
            seen = known.get(node)
            if seen is not None:
                answer = seen
                break
            if test(node):
                answer = known[node] = True
                break
            chain.append(node)
            node = node.getparent()
        for node in chain:
            known[node] = answer
        return answer

    def hidden(element: Element) -> bool:
        parent = element.getparent()
        answer = known.get(parent) if parent is not None else False
        if answer is None:
            answer = walk(parent)
        return answer or (self_too and test(element))

    return hidden


# Listing pages ---------------------------------------------------------------------------------


def _href(element: Element | None) -> str | None:
    return element.get("href") if element is not None else None


def parse_listing(sel: Selector, selectors: Selectors = DEFAULT) -> list[Card]:
    """The article cards of a listing page's main content, in page order."""
    rule = selectors.rule
    card_rule, title_link, any_link = rule("CARD"), rule("CARD_TITLE_LINK"), rule("CARD_ANY_LINK")
    title, time, category = rule("CARD_TITLE"), rule("CARD_TIME"), rule("CARD_CATEGORY")
    category_link = rule("CARD_CATEGORY_LINK")
    blocks = card_rule.select(sel.root)
    if not blocks:
        return []
    in_furniture = _hidden_by(selectors.card_furniture.bind(sel.root), self_too=False)
    not_text = selectors.not_text.bind(sel.root)
    first = FirstBelow(sel.root, (title_link, any_link, title, time, category, category_link))
    cards = []
    for block in blocks:
        if in_furniture(block):
            continue
        href = _href(first(title_link, block)) or _href(first(any_link, block))
        if not href:
            continue
        cards.append(
            Card(
                href=href,
                title=_text(first(title, block), not_text),
                time=_text(first(time, block), not_text),
                category=_text(first(category, block), not_text),
                category_href=_href(first(category_link, block)),
            )
        )
    return cards


def card_in_section(card: Card, scheme: SiteScheme, page_url: str) -> bool:
    """Cards without a category label count as the section's; labelled ones must match it.

    A category link that is no URL at all (``http://[oops``) is judged by its label.
    """
    if card.category_href is not None and scheme.link_is_valid(card.category_href, page_url):
        return scheme.is_section_link(card.category_href, page_url)
    label = clean_text(card.category or "")
    return label is None or label.casefold() == scheme.section_label.casefold()


def parse_section_listing(
    sel: Selector, scheme: SiteScheme, page_url: str, selectors: Selectors = DEFAULT
) -> Listing:
    """The section's own articles on a listing page, in page order."""
    listing = Listing()
    for card in parse_listing(sel, selectors):
        if not scheme.link_is_valid(card.href, page_url):
            listing.malformed.append(card.href)
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


# Article pages ---------------------------------------------------------------------------------


class _Runs:
    """A body's paragraphs as they are gathered: whole ones, and text written outside them."""

    __slots__ = ("blocks", "line")

    def __init__(self, text: str | None) -> None:
        self.blocks: list[list[str]] = []
        self.line: list[str] = [text] if text else []

    def end(self) -> None:
        """End the run of loose text, if any but blanks, as one paragraph."""
        if self.line:
            text = "".join(self.line)
            if not text.isspace():
                self.blocks.append([text])
            self.line = []

    def after(self, ends: bool, tail: str | None) -> None:
        """An element is done: end the run if it is a block, then go on with its tail."""
        if ends:
            self.end()
        if tail:
            self.line.append(tail)


def _elsewhere(body: Element, parts: dict[str, Element], selectors: Selectors) -> Predicate:
    """Whether an element below ``body`` is another part of the page (an unclosed body holds
    the rest of it): a part of the article, a card, the page's header or footer. The cards
    are looked for once asked about (most bodies hold no text outside their paragraphs)."""
    found: set[Element] = set()

    def test(element: Element) -> bool:
        if element.tag in _PAGE_FURNITURE_TAGS:
            return True
        if not found:
            found.update(part for name, part in parts.items() if name != "BODY")
            found.update(selectors.rule("CARD").select(body))
            found.add(body)  # never empty again
        return element in found

    return test


def _body_blocks(
    root: Element, paragraphs: list[Element], skip: Predicate, elsewhere: Predicate
) -> list[list[str]]:
    """The lines of each paragraph of the body ``root`` in document order: each of
    ``paragraphs``, and each run of text written outside them (straight into the body, in a
    ``<div>`` or list item), ended by a ``<br>`` or a block element. Nothing ``skip`` or
    ``elsewhere`` (page parts and furniture) matches is read, nor a picture's caption; a
    paragraph linking to related news is left out. An explicit stack, not recursion.

    >>> from lxml.html import fromstring
    >>> body = fromstring("<div>Lead<p>One</p><p>Read also: <a>X</a></p><figure>"
    ...                   "<figcaption>Photo: AP</figcaption></figure><ul><li>Item</li></ul></div>")
    >>> _body_blocks(body, body.findall("p"), lambda _: False, lambda _: False)
    [['Lead'], ['One'], ['Item']]
    """
    chosen = set(paragraphs)
    runs = _Runs(root.text)
    stack: list[tuple[Iterator[Element], Element]] = [(iter(root), root)]
    while stack:
        child = next(stack[-1][0], None)
        if child is None:
            done = stack.pop()[1]
            if stack:
                runs.after(done.tag in _BLOCK_TAGS, done.tail)
            continue
        tag = child.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            runs.after(False, child.tail)
            continue
        if child in chosen:
            if not skip(child):
                runs.end()
                runs.blocks.append(_lines(child, skip))
                if child.tail:
                    runs.line.append(child.tail)
                continue
            read = False
        else:
            read = tag not in _CAPTION_TAGS and not skip(child) and not elsewhere(child)
        ends = tag in _BLOCK_TAGS or tag in _CAPTION_TAGS or tag == "br" or child in chosen
        if ends:
            runs.end()
        if read:
            if child.text:
                runs.line.append(child.text)
            if len(child):
                stack.append((iter(child), child))
                continue
        runs.after(ends, child.tail)
    runs.end()
    return _without_related(runs.blocks)


def _without_related(blocks: list[list[str]]) -> list[list[str]]:
    """The body's blocks without their lines that link to related news ("Read also: …"), each
    line judged on its own: a ``<br>`` may part such a link from the article's text.

    >>> _without_related([["Read also: X", "Talks resumed."], ["Related: Y"], ["One"]])
    [['Talks resumed.'], ['One']]
    """
    kept = []
    for block in blocks:
        lines = [
            line for line in block if len(line) > _MAX_RELATED_LENGTH or not _RELATED_RE.match(line)
        ]
        if lines:
            kept.append(lines)
    return kept


def _split_trailer(paragraphs: list[list[str]]) -> tuple[list[str], str | None, str | None]:
    """Take the byline, signature and views lines off the end of the body paragraphs.

    Returns the body paragraphs (each one's lines joined, as written: the loader cleans them),
    the byline and the views. Only the lines read off the end are cleaned here.

    >>> _split_trailer([["One"], ["\xa0"], ["Two "], ["By Ann Lee", "Caliber.Az"], [" "]])
    (['One', '\xa0', 'Two '], 'By Ann Lee', None)
    """
    byline: str | None = None
    views: str | None = None
    while paragraphs:
        lines = paragraphs[-1]
        if not lines:
            paragraphs.pop()
            continue
        last = clean_text(lines[-1])
        if last is None or is_signature(last):
            pass
        elif views is None and is_views_line(last):
            views = last
        elif byline is None and author_from_byline(last) is not None:
            byline = last
        else:
            break
        lines.pop()
    return [" ".join(lines) for lines in paragraphs], byline, views


def _as_byline(text: str | None) -> str | None:
    """An author element's text as a byline: it names a person even without ``By``.

    >>> _as_byline("Nigar Hasanova"), _as_byline(" By Nigar Hasanova"), _as_byline(" ")
    ('By Nigar Hasanova', ' By Nigar Hasanova', None)
    """
    name = clean_text(text or "")
    if name is None:
        return None
    return text if name.lower().startswith("by") else f"By {name}"


def _article_root(
    scope: Element, selectors: Selectors
) -> tuple[Element | None, dict[str, Element]]:
    """The ``ARTICLE_ROOT`` element that holds the article (``None`` if none matches), and the
    parts found below it (below ``scope`` when there is none).

    With several (a decoy block before the article, a teaser, nested roots), the one holding the
    most of headline, body, time, category, cover and views wins, the first of those on a tie;
    only the first ``MAX_ROOTS_WEIGHED`` are weighed.
    """
    roots = selectors.rule("ARTICLE_ROOT").select(scope)
    if len(roots) <= 1:
        root = roots[0] if roots else None
        return root, selectors.parts.find(root if root is not None else scope)
    best: tuple[Element | None, dict[str, Element]] = (None, {})
    best_score = -1
    for root in roots[:MAX_ROOTS_WEIGHED]:
        parts = selectors.parts.find(root)
        score = sum(name in parts for name in _ROOT_EVIDENCE)
        if score > best_score:
            best, best_score = (root, parts), score
    return best


def parse_article(sel: Selector, selectors: Selectors = DEFAULT) -> ArticlePage:
    """The raw parts of an article page; absent parts are ``None`` (or empty).

    Everything is read below the article's root (see ``_article_root``; the whole of ``sel`` when
    no root matches), the meta fallbacks anywhere in ``sel``. Body paragraphs are
    ``BODY_PARAGRAPH`` elements below ``BODY``, and the body leaves out whatever is inside what
    ``NOT_TEXT`` or a ``BODY_*`` exclusion matches.
    """
    scope = sel.root
    root, parts = _article_root(scope, selectors)
    not_text = selectors.not_text.bind(scope)
    body_root = parts.get("BODY")
    body: list[str] = []
    byline = views_in_body = None
    if body_root is not None:
        excluded = selectors.body_excluded.bind(scope)
        hidden = _hidden_by(excluded)
        if not hidden(body_root):
            paragraphs = selectors.rule("BODY_PARAGRAPH").select(body_root)
            # An unclosed body holds the rest of the page: its parts, cards and furniture.
            blocks = _body_blocks(
                body_root, paragraphs, excluded, _elsewhere(body_root, parts, selectors)
            )
            body, byline, views_in_body = _split_trailer(blocks)
    if byline is None and root is not None:
        byline = _as_byline(_text(parts.get("AUTHOR_ELEMENT"), not_text))
    cover = parts.get("COVER")
    return ArticlePage(
        headline=_text(parts.get("HEADLINE"), not_text) or _meta(scope, selectors, "HEADLINE_META"),
        published=_text(parts.get("PUBLISHED"), not_text)
        or _meta(scope, selectors, "PUBLISHED_META"),
        section=_label(parts.get("CATEGORY"), not_text),
        cover_style=cover.get("style") if cover is not None else None,
        paragraphs=body,
        byline=byline,
        views=_text(parts.get("VIEWS"), not_text) or views_in_body,
    )


def _meta(scope: Element, selectors: Selectors, name: str) -> str | None:
    """The ``content`` of the first element the ``name`` selector matches in ``scope``."""
    for element in selectors.rule(name).select(scope):
        content = element.get("content")
        if content is not None:
            return str(content)
    return None
