"""Every CSS selector the parsers read the site with, declared once by name and compiled once.

``CALIBER_SELECTORS`` overrides any of them; ``python -m newscrawl.selectors`` prints the table.
"""

from __future__ import annotations

import argparse
import bisect
import difflib
import json
import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import cssselect
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from newscrawl.arguments import BadArgumentError

SETTING = "CALIBER_SELECTORS"

#: Name → CSS of every selector the parsers use. Attributes (``href``, ``style``, ``content``)
#: are read by the code from the elements selected here.
DEFAULT_SELECTORS: Mapping[str, str] = MappingProxyType(
    {
        # Listing pages: one card per article.
        "CARD": "div.float_block",
        # A card inside one of these is page furniture (menus, sidebars, related stories).
        "CARD_FURNITURE": (
            "header, nav, footer, aside, [class*='related'], [class*='sidebar'],"
            " [class*='last_news']"
        ),
        # Within a card: the link around the title, else any link.
        "CARD_TITLE_LINK": "a[href]:has(.float_block_title)",
        "CARD_ANY_LINK": "a[href]",
        "CARD_TITLE": ".float_block_title",
        "CARD_TIME": ".float_block_time",
        "CARD_CATEGORY": ".float_block_category",
        "CARD_CATEGORY_LINK": "a[href]:has(.float_block_category)",
        # Article pages: the root holding the article; the parts below are read inside it.
        "ARTICLE_ROOT": ".post",
        "HEADLINE": "h1.post_title",
        "CATEGORY": ".post_categoty, .post_category",
        "PUBLISHED": ".post_time",
        "COVER": ".post_cover[style]",
        "BODY": ".post_body",
        "BODY_PARAGRAPH": "p",
        # Nothing inside these is the article's text.
        "BODY_EMBED": (
            "blockquote[class*='twitter-tweet'], blockquote[class*='instagram-media'],"
            " blockquote[class*='tiktok-embed'], blockquote[class*='telegram-post']"
        ),
        "BODY_AD": ".ads",
        "BODY_RELATED": "[class*='related']",
        "BODY_SHARE": "[class*='share']",
        # Below the article root: an element naming the author (with or without "By").
        "AUTHOR_ELEMENT": "[class*='author'], [class*='byline']",
        "VIEWS": ".post_hits",
        # Read anywhere on the page when the article root lacks the part.
        "HEADLINE_META": "meta[property='og:title'][content]",
        "PUBLISHED_META": "meta[property='article:published_time'][content]",
        # Elements whose content is never text a reader sees.
        "NOT_TEXT": "script, style, noscript, template",
    }
)

#: The selector each item field is read with, by name: the drift alarm names it.
FIELD_SELECTORS: Mapping[str, str] = MappingProxyType(
    {
        "headline": "HEADLINE",
        "published_at": "PUBLISHED",
        "section": "CATEGORY",
        "body": "BODY",
        "author": "AUTHOR_ELEMENT",
        "views": "VIEWS",
        "cited_sources": "BODY",
        "image_url": "COVER",
    }
)

#: The article's parts, found in one pass below the article root (``AUTHOR_ELEMENT`` strictly
#: below it); the root holding most of the first six is the article's.
ARTICLE_PARTS = ("HEADLINE", "PUBLISHED", "CATEGORY", "COVER", "BODY", "VIEWS", "AUTHOR_ELEMENT")
#: What hides body text and paragraphs (on them or on an ancestor).
BODY_EXCLUDED = ("BODY_EMBED", "BODY_AD", "BODY_RELATED", "BODY_SHARE", "NOT_TEXT")

_TRANSLATOR = HTMLTranslator()
# XPath 1.0 splits attribute values (normalize-space) on these only.
_XML_SPACE = re.compile(r"[ \t\n\r]+")
_XML_SPACE_CHARS = frozenset(" \t\n\r")
_EMPTY_DOCUMENT = etree.fromstring("<html/>")


def _xpath(path: str) -> Any:
    """``path`` compiled without EXSLT regular expressions: CSS never translates to them, and
    registering them costs every evaluation ~0.5 µs."""
    return etree.XPath(path, regexp=False)


Element = Any  # an lxml element; lxml ships no type stubs
Predicate = Callable[[Element], bool]


class CssError(ValueError):
    """A selector that cannot be used: not CSS, or it selects no elements (``::text``)."""


def class_tokens(value: str) -> list[str]:
    """A class attribute's tokens, split as XPath's ``normalize-space`` splits them.

    >>> class_tokens(" post\\tpost_body  x\\u00a0y ")
    ['post', 'post_body', 'x\\xa0y']
    """
    return [token for token in _XML_SPACE.split(value) if token]


@dataclass(frozen=True)
class _Compound:
    """A compound selector simple enough to test on one element in Python: ``tag.a.b[x='v']``.

    ``conditions`` are (attribute, operator, value) with operator ``exists``, ``=``, ``*=`` or
    ``~=`` (a class is ``("class", "~=", name)``); each means what the XPath translation means.
    """

    tag: str | None
    conditions: tuple[tuple[str, str, str], ...]

    @property
    def needs_class(self) -> bool:
        """Whether only an element with a class attribute can match."""
        return any(attrib == "class" for attrib, _, _ in self.conditions)

    @property
    def class_needle(self) -> str | None:
        """A text every class attribute it matches contains (``""``: any class), or ``None``
        when it needs no class."""
        values = [v for a, op, v in self.conditions if a == "class" and op != "exists"]
        return max(values, key=len) if values else "" if self.needs_class else None

    @property
    def tokens(self) -> tuple[str, ...]:
        """The class names this compound requires."""
        return tuple(v for a, op, v in self.conditions if a == "class" and op == "~=")

    def matches(self, element: Element, css: str | None, tokens: Collection[str] | None) -> bool:
        """Whether ``element`` (whose class attribute is ``css``, split into ``tokens`` when
        already known) matches."""
        if self.tag is not None and element.tag != self.tag:
            return False
        for attrib, operator, expected in self.conditions:
            value = css if attrib == "class" else element.get(attrib)
            if value is None or not (
                operator == "exists"
                or (operator == "=" and value == expected)
                or (operator == "*=" and expected in value)
                or (
                    operator == "~="
                    and expected in value
                    and expected
                    in (tokens if attrib == "class" and tokens is not None else class_tokens(value))
                )
            ):
                return False
        return True


def _compound(tree: Any) -> _Compound | None:
    """The ``_Compound`` of a parsed cssselect tree, or ``None`` when it is not that simple."""
    conditions: list[tuple[str, str, str]] = []
    while not isinstance(tree, cssselect.parser.Element):
        if isinstance(tree, cssselect.parser.Class):
            name = tree.class_name
            if not name or _XML_SPACE_CHARS.intersection(name):
                return None
            conditions.append(("class", "~=", name))
        elif isinstance(tree, cssselect.parser.Hash):
            conditions.append(("id", "=", tree.id))
        elif isinstance(tree, cssselect.parser.Attrib):
            if tree.namespace is not None or getattr(tree, "flag", None):
                return None
            value = str(tree.value.value) if tree.value is not None else ""
            operator = tree.operator
            if (
                operator not in ("exists", "=", "*=", "~=")
                or (operator == "*=" and not value)  # cssselect: matches nothing
                or (operator == "~=" and (not value or _XML_SPACE_CHARS.intersection(value)))
            ):
                return None
            conditions.append((tree.attrib.lower(), operator, value))
        else:
            return None
        tree = tree.selector
    if tree.namespace is not None:
        return None
    tag = None if tree.element in (None, "*") else tree.element.lower()
    return _Compound(tag, tuple(reversed(conditions)))


def _xpath_literal(value: str) -> str:
    literal: str = _TRANSLATOR.xpath_literal(value)
    return literal


@dataclass(frozen=True, eq=False)
class Rule:
    """One named selector, compiled: the XPath of its CSS, and a Python test when it is simple."""

    name: str
    css: str
    #: The CSS translated by parsel's translator, at or below the element it is run on.
    xpath: Any
    #: Its compound selectors when every one can be tested in Python, else ``None``.
    compounds: tuple[_Compound, ...] | None = None
    #: For a simple rule, the same selection written for libxml2 to run faster (``_fast_xpath``).
    fast_xpath: Any = None
    #: Whether ``fast_xpath`` gives elements (bare tags) rather than their attributes.
    gives_elements: bool = False

    @classmethod
    def compile(cls, name: str, css: str, *, fast: bool = True) -> Rule:
        """Translate and compile ``css``; ``CssError`` says what is wrong with it.

        With ``fast`` (the default) a simple selector is also tested in Python (see
        ``_Compound``) and selected by ``_fast_xpath``; without, every use runs the translation.
        """
        try:
            parsed = cssselect.parse(css)
            if any(selector.pseudo_element is not None for selector in parsed):
                raise CssError("a pseudo-element such as ::text or ::attr() selects no element")
            xpath = _xpath(_TRANSLATOR.css_to_xpath(css, prefix="descendant-or-self::"))
            xpath(_EMPTY_DOCUMENT)  # an undeclared namespace prefix fails only when run
        except (cssselect.SelectorError, etree.XPathError) as error:
            raise CssError(" ".join(str(error).split()) or type(error).__name__) from None
        compounds = [_compound(selector.parsed_tree) for selector in parsed]
        if not fast or None in compounds:
            return cls(name, css, xpath)
        simple = tuple(c for c in compounds if c is not None)
        fast_xpath = _fast_xpath(simple)
        if fast_xpath is None:
            return cls(name, css, xpath)
        gives_elements = not any(c.needs_class for c in simple)
        return cls(name, css, xpath, simple, fast_xpath, gives_elements)

    def select(self, scope: Element) -> list[Element]:
        """Every element at or below ``scope`` that the rule selects, in document order."""
        if self.fast_xpath is None:
            found: list[Element] = self.xpath(scope)
            return found
        nodes: list[Any] = self.fast_xpath(scope)
        if self.gives_elements:
            return nodes
        if len(self.compounds or ()) == 1:
            return [node.getparent() for node in nodes]  # lxml's "smart" attribute strings
        selected: list[Element] = []
        for node in nodes:
            element = _owner(node)
            # An element and its attributes are next to each other in document order.
            if not selected or selected[-1] is not element:
                selected.append(element)
        return selected

    def matches(self, element: Element) -> bool:
        """Whether the rule selects ``element`` (a simple rule only: ``compounds`` is set)."""
        assert self.compounds is not None
        css = element.get("class")
        return any(compound.matches(element, css, None) for compound in self.compounds)


class FirstBelow:
    """The first element each of some rules selects at or below any element of one document,
    as a browser's ``element.querySelector`` finds it (the selection is the document's).

    The document is numbered once and each rule selected once, so blocks nested in each other
    (unclosed cards, each holding all the later ones) cost no more than side by side.

    >>> from newscrawl.responses import page_selector
    >>> root = page_selector("<div><p class='a'>1</p><div><p class='a'>2</p></div></div>").root
    >>> rule = Rule.compile("A", "p.a")
    >>> first = FirstBelow(root, [rule])
    >>> [first(rule, element).text for element in root.iter("div")]
    ['1', '2']
    """

    def __init__(self, root: Element, rules: Iterable[Rule]) -> None:
        self._start: dict[Element, int] = {}
        self._end: dict[Element, int] = {}
        position = 0
        for event, element in etree.iterwalk(root, events=("start", "end")):
            if event == "start":
                self._start[element] = position
                position += 1
            else:
                self._end[element] = position
        self._found: dict[str, tuple[list[int], list[Element]]] = {}
        for rule in rules:
            elements = [e for e in rule.select(root) if e in self._start]
            self._found[rule.name] = ([self._start[e] for e in elements], elements)

    def __call__(self, rule: Rule, scope: Element) -> Element | None:
        """The first element ``rule`` selects at or below ``scope`` (an element of the document)."""
        positions, elements = self._found[rule.name]
        index = bisect.bisect_left(positions, self._start[scope])
        if index < len(positions) and positions[index] < self._end[scope]:
            return elements[index]
        return None


def _owner(node: Any) -> Element:
    """An XPath result's element: itself, or the element an attribute value (an lxml "smart"
    string) belongs to."""
    getparent = getattr(node, "getparent", None)
    return getparent() if isinstance(node, str) and getparent is not None else node


def _condition_xpath(subject: str, operator: str, value: str) -> str:
    """An XPath predicate on ``subject`` (``@x`` or ``.``) meaning what cssselect translates."""
    literal = _xpath_literal(value)
    if operator == "exists":
        return f"[{subject}]" if subject != "." else ""
    if operator == "=":
        return f"[{subject} = {literal}]"
    if operator == "*=":
        return f"[contains({subject}, {literal})]"
    padded = _xpath_literal(f" {value} ")  # "~=": a whole token
    spaced = f"concat(' ', normalize-space({subject}), ' ')"
    return f"[contains({subject}, {literal})][contains({spaced}, {padded})]"


def _fast_xpath(compounds: tuple[_Compound, ...]) -> Any:
    """The selection of ``compounds`` as an XPath that libxml2 runs faster than the translation:
    conditions on the class are tested on the attribute itself (``*/@class[...]``), which also
    gives fewer results to make Python objects of (~15 µs instead of ~30 for ``.post``).

    ``None`` when it cannot be written (an unusual attribute name).
    """
    branches = []
    for compound in compounds:
        step = compound.tag or "*"
        on_element = "".join(
            _condition_xpath(f"@{a}", op, v) for a, op, v in compound.conditions if a != "class"
        )
        on_class = [(op, v) for a, op, v in compound.conditions if a == "class"]
        branch = f"descendant-or-self::{step}{on_element}"
        if on_class:
            branch += "/@class" + "".join(_condition_xpath(".", op, v) for op, v in on_class)
        branches.append(branch)
    try:
        fast = _xpath(" | ".join(dict.fromkeys(branches)))
        fast(_EMPTY_DOCUMENT)  # a name with a namespace prefix fails only when run
    except etree.XPathError:
        return None
    return fast


class AnyOf:
    """Whether an element matches any of several rules, bound to one document.

    Simple rules are tested in Python (bare tags by a set lookup, class rules only on class
    attributes holding one of their class texts); the others are run once on the document and
    kept as a set.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        compounds = [c for rule in self.rules if rule.compounds for c in rule.compounds]
        self._complex = tuple(rule for rule in self.rules if rule.compounds is None)
        self._tags = frozenset(c.tag for c in compounds if c.tag and not c.conditions)
        rest = [c for c in compounds if c.conditions or not c.tag]
        self._class_compounds = tuple(c for c in rest if c.needs_class)
        self._other_compounds = tuple(c for c in rest if not c.needs_class)
        needles = [c.class_needle or "" for c in self._class_compounds]
        # A class attribute holding none of these texts matches none of the class compounds.
        self._needles = (
            re.compile("|".join(re.escape(n) for n in sorted(set(needles), key=len, reverse=True)))
            if needles and all(needles)
            else None
        )

    @property
    def tags(self) -> frozenset[str] | None:
        """The tags tested, when every rule is a list of bare tags (``script, style``)."""
        if self._complex or self._class_compounds or self._other_compounds:
            return None
        return self._tags

    def bind(self, document: Element) -> Predicate:
        """The test for elements of ``document`` (any element of its tree)."""
        tags = self._tags
        if self.tags is not None:
            return lambda element: element.tag in tags
        matched: set[Element] = set()
        if self._complex:
            top = document.getroottree().getroot()
            for rule in self._complex:
                matched.update(rule.xpath(top))
        class_compounds, other_compounds = self._class_compounds, self._other_compounds
        needles = self._needles.search if self._needles is not None else None

        def test(element: Element) -> bool:
            if element.tag in tags:
                return True
            css = element.get("class")
            if (
                css is not None
                and class_compounds
                and (needles is None or needles(css) is not None)
                and any(c.matches(element, css, None) for c in class_compounds)
            ):
                return True
            if other_compounds and any(c.matches(element, css, None) for c in other_compounds):
                return True
            return bool(matched) and element in matched

        return test


class PartFinder:
    """The first element of each article part at or below a root, in one pass where it can.

    Parts whose every compound needs a class are found in one walk over the class attributes
    below the root (indexed by class name); any other part is looked up by its own XPath.
    ``strict`` parts are looked for strictly below the root.
    """

    _CLASSES = _xpath("descendant-or-self::*/@class")

    def __init__(self, rules: Sequence[Rule], strict: Iterable[str] = ()) -> None:
        self.strict = frozenset(strict)
        self.by_token: dict[str, list[tuple[str, _Compound]]] = {}
        # Compounds without a class name (``[class*='author']``): (name, substring, compound).
        self.unindexed: list[tuple[str, str, _Compound]] = []
        self.by_xpath: list[Rule] = []
        for rule in rules:
            if rule.compounds is None or not all(c.needs_class for c in rule.compounds):
                self.by_xpath.append(rule)
                continue
            for compound in rule.compounds:
                tokens = compound.tokens
                if tokens:
                    self.by_token.setdefault(tokens[0], []).append((rule.name, compound))
                else:
                    _, operator, value = next(c for c in compound.conditions if c[0] == "class")
                    needle = "" if operator == "exists" else value
                    self.unindexed.append((rule.name, needle, compound))

    def find(self, root: Element) -> dict[str, Element]:
        """Part name → its first element at or below ``root`` (strict parts: below it)."""
        found: dict[str, Element] = {}
        by_token = self.by_token
        unindexed = self.unindexed
        strict = self.strict
        if by_token or unindexed:
            split = _XML_SPACE.split
            for css in self._CLASSES(root):
                element = None
                tokens = split(css)  # "" at either end when padded: never a class name
                known: frozenset[str] | None = None
                for token in dict.fromkeys(tokens):  # a token repeated is tested once
                    for name, compound in by_token.get(token, ()):
                        if name in found:
                            continue
                        element = element if element is not None else css.getparent()
                        known = known if known is not None else frozenset(tokens)
                        if compound.matches(element, css, known) and not (
                            element is root and name in strict
                        ):
                            found[name] = element
                for name, needle, compound in unindexed:
                    if name in found or needle not in css:
                        continue
                    element = element if element is not None else css.getparent()
                    if compound.matches(element, css, tokens) and not (
                        element is root and name in strict
                    ):
                        found[name] = element
        for rule in self.by_xpath:
            for element in rule.xpath(root):
                if not (element is root and rule.name in strict):
                    found[rule.name] = element
                    break
        return found


class Selectors:
    """A selector table compiled once: its CSS by name, and what the parsers derive from it.

    Build it with ``Selectors.compile(overrides)`` or ``Selectors.from_settings(settings)``;
    ``DEFAULT`` is the compiled default table. It is never changed after compiling.
    """

    _css: dict[str, str]
    _rules: dict[str, Rule]
    #: The article's parts, found in one pass below a root.
    parts: PartFinder
    #: What hides body paragraphs and text (``BODY_*`` exclusions and ``NOT_TEXT``).
    body_excluded: AnyOf
    #: What makes a card page furniture.
    card_furniture: AnyOf
    #: Elements whose content is never text.
    not_text: AnyOf

    def __init__(self, table: Mapping[str, str], *, fast: bool = True) -> None:
        rules = {name: Rule.compile(name, css, fast=fast) for name, css in table.items()}
        derived = {
            "_css": dict(table),
            "_rules": rules,
            "parts": PartFinder([rules[n] for n in ARTICLE_PARTS], strict=("AUTHOR_ELEMENT",)),
            "body_excluded": AnyOf(rules[name] for name in BODY_EXCLUDED),
            "card_furniture": AnyOf([rules["CARD_FURNITURE"]]),
            "not_text": AnyOf([rules["NOT_TEXT"]]),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a compiled selector table is not changed ({name})")

    @classmethod
    def compile(cls, overrides: Mapping[str, str] | None = None) -> Selectors:
        """The defaults with ``overrides`` (name → CSS) merged over them, compiled.

        ``BadArgumentError`` (see ``parse_selectors_setting``) for an unknown name or bad CSS.
        """
        table = parse_selectors_setting(overrides or None)
        return DEFAULT if table == DEFAULT.css else cls(table)

    @classmethod
    def from_settings(cls, settings: Any) -> Selectors:
        """The table ``CALIBER_SELECTORS`` in Scrapy settings makes (``DEFAULT`` if unset)."""
        return cls.compile(parse_selectors_setting(settings.get(SETTING)))

    @property
    def css(self) -> dict[str, str]:
        """The effective table, name → CSS (a copy)."""
        return dict(self._css)

    def rule(self, name: str) -> Rule:
        """The compiled rule of one selector name."""
        return self._rules[name]

    def describe(self, name: str) -> str:
        """How a log line names a selector: ``NAME = "css"``.

        >>> DEFAULT.describe("HEADLINE")
        'HEADLINE = "h1.post_title"'
        """
        return f'{name} = "{self._css[name]}"'

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selectors) and self._css == other._css

    def __hash__(self) -> int:
        return hash(tuple(self._css.items()))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._css.items() if DEFAULT_SELECTORS[k] != v}
        return f"Selectors.compile({changed!r})"


def _quoted(value: object, limit: int = 120) -> str:
    """``value`` in single quotes on one line, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def parse_selectors_setting(value: object) -> dict[str, str]:
    """``CALIBER_SELECTORS`` (a dict, or a JSON object as ``-s`` gives it) over the defaults.

    >>> parse_selectors_setting('{"HEADLINE": "h1.title"}')["HEADLINE"]
    'h1.title'
    >>> parse_selectors_setting(None) == dict(DEFAULT_SELECTORS)
    True
    >>> parse_selectors_setting('{"HEADLIN": "h1"}')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: ... got 'HEADLIN' (did you mean 'HEADLINE'? ...)
    >>> parse_selectors_setting({"HEADLINE": "h1["})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newscrawl.arguments.BadArgumentError: ...["HEADLINE"] must be CSS that selects elements, ...
    """
    table = dict(DEFAULT_SELECTORS)
    if value is None or (isinstance(value, str) and not value.strip()):
        return table
    overrides: object = value
    if isinstance(value, str | bytes):
        try:
            overrides = json.loads(value)
        except ValueError as error:
            raise BadArgumentError(
                f'{SETTING} must be a JSON object such as {{"HEADLINE": "h1.title"}}, '
                f"got {_quoted(value)} ({error})"
            ) from None
    if not isinstance(overrides, Mapping):
        raise BadArgumentError(
            f'{SETTING} must be a JSON object such as {{"HEADLINE": "h1.title"}}, '
            f"got {_quoted(value)}"
        )
    for name, css in overrides.items():
        if not isinstance(name, str) or name not in DEFAULT_SELECTORS:
            close = difflib.get_close_matches(str(name).upper(), DEFAULT_SELECTORS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise BadArgumentError(
                f"{SETTING} must name known selectors, got {_quoted(name)}"
                f" ({hint}python -m newscrawl.selectors lists them)"
            )
        if not isinstance(css, str):
            raise BadArgumentError(
                f'{SETTING}["{name}"] must be a CSS selector string, got {_quoted(css)}'
            )
        try:
            Rule.compile(name, css)
        except CssError as error:
            raise BadArgumentError(
                f'{SETTING}["{name}"] must be CSS that selects elements, got {_quoted(css)}'
                f" ({error})"
            ) from None
        table[name] = css
    return table


DEFAULT = Selectors(DEFAULT_SELECTORS)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the effective selector table as one JSON object; exit 2 for a bad value."""
    parser = argparse.ArgumentParser(
        prog="python -m newscrawl.selectors",
        description="Print the effective selector table (name -> CSS) as one JSON object: the "
        f"defaults, with {SETTING} from the project settings and -s merged over them.",
    )
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar=f"{SETTING}=JSON",
        help=f"a JSON object of overrides, as for scrapy crawl: -s {SETTING}="
        """'{"HEADLINE": "h1.title"}'""",
    )
    args = parser.parse_args(argv)
    from scrapy.utils.project import get_project_settings  # noqa: PLC0415 - only for the CLI

    value: object = get_project_settings().get(SETTING)
    for setting in args.settings:
        name, sep, given = setting.partition("=")
        if not sep or name.strip() != SETTING:
            print(f"-s must be {SETTING}=<JSON object>, got {_quoted(setting)}", file=sys.stderr)
            return 2
        value = given
    try:
        table = parse_selectors_setting(value)
    except BadArgumentError as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(table, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
