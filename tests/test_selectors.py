"""The selector table: CALIBER_SELECTORS read and checked, the command that prints it, and the
Python tests derived from it against the XPath they stand for."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newscrawl.alarms import coverage_failures, selector_text
from newscrawl.arguments import BadArgumentError
from newscrawl.parsers import parse_section_listing
from newscrawl.replica import RedesignedSite, ReplicaServer, default_site
from newscrawl.responses import page_selector
from newscrawl.selectors import (
    DEFAULT,
    DEFAULT_SELECTORS,
    FIELD_SELECTORS,
    AnyOf,
    FirstBelow,
    Rule,
    Selectors,
    parse_selectors_setting,
)
from newscrawl.site import SiteScheme
from tests.conftest import ROOT, read_jsonl
from tests.test_crawl import assert_matches_replica, expected_articles
from tests.test_faults import crawl_site, drift_line, serve, start
from tests.test_parsers import REPAIR

__all__ = ["serve"]  # the fixture, used by name


def test_unset_or_empty_is_the_defaults() -> None:
    for value in (None, "", "  ", "{}", {}):
        assert parse_selectors_setting(value) == dict(DEFAULT_SELECTORS)
    assert Selectors.from_settings(Settings()) is DEFAULT
    assert Selectors.compile() is DEFAULT


def test_a_json_string_or_a_dict_is_merged_over_the_defaults() -> None:
    expected = dict(DEFAULT_SELECTORS) | {"HEADLINE": "h1.title", "CARD": "article.card"}
    given = '{"HEADLINE": "h1.title", "CARD": "article.card"}'
    assert parse_selectors_setting(given) == expected
    assert parse_selectors_setting(json.loads(given)) == expected
    settings = Settings({"CALIBER_SELECTORS": given})
    assert Selectors.from_settings(settings).css == expected
    assert Selectors.from_settings(Settings({"CALIBER_SELECTORS": json.loads(given)})).css == (
        expected
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "{HEADLINE: h1}",
            'CALIBER_SELECTORS must be a JSON object such as {"HEADLINE": "h1.title"}, got '
            "'{HEADLINE: h1}' (Expecting property name enclosed in double quotes: line 1 "
            "column 2 (char 1))",
        ),
        (
            '["h1"]',
            'CALIBER_SELECTORS must be a JSON object such as {"HEADLINE": "h1.title"}, '
            "got '[\"h1\"]'",
        ),
        (
            '{"HEADLIN": "h1"}',
            "CALIBER_SELECTORS must name known selectors, got 'HEADLIN' (did you mean "
            "'HEADLINE'? python -m newscrawl.selectors lists them)",
        ),
        (
            '{"card": "div.x"}',
            "CALIBER_SELECTORS must name known selectors, got 'card' (did you mean 'CARD'? "
            "python -m newscrawl.selectors lists them)",
        ),
        (
            '{"NOTHING_LIKE_IT": "p"}',
            "CALIBER_SELECTORS must name known selectors, got 'NOTHING_LIKE_IT' "
            "(python -m newscrawl.selectors lists them)",
        ),
        (
            '{"HEADLINE": 5}',
            "CALIBER_SELECTORS[\"HEADLINE\"] must be a CSS selector string, got '5'",
        ),
        (
            '{"HEADLINE": "h1["}',
            "CALIBER_SELECTORS[\"HEADLINE\"] must be CSS that selects elements, got 'h1[' "
            "(Expected ident or '*', got <EOF at 3>)",
        ),
        (
            '{"HEADLINE": ""}',
            "CALIBER_SELECTORS[\"HEADLINE\"] must be CSS that selects elements, got '' "
            "(Expected selector, got <EOF at 0>)",
        ),
        (
            '{"COVER": ".post_cover::attr(style)"}',
            'CALIBER_SELECTORS["COVER"] must be CSS that selects elements, got '
            "'.post_cover::attr(style)' (a pseudo-element such as ::text or ::attr() selects "
            "no element)",
        ),
        (
            '{"HEADLINE": "x|h1"}',
            "CALIBER_SELECTORS[\"HEADLINE\"] must be CSS that selects elements, got 'x|h1' "
            "(Undefined namespace prefix)",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting_and_the_selector(
    value: str, message: str
) -> None:
    with pytest.raises(BadArgumentError) as raised:
        parse_selectors_setting(value)
    assert str(raised.value) == message
    with pytest.raises(BadArgumentError):
        Selectors.from_settings(Settings({"CALIBER_SELECTORS": value}))


def test_a_long_or_multiline_value_stays_one_short_line() -> None:
    with pytest.raises(BadArgumentError) as raised:
        parse_selectors_setting('{"HEADLINE": "h1\\n[' + "x" * 500 + '"}')
    message = str(raised.value)
    assert "\n" not in message and len(message) < 300


def test_the_table_is_copied_not_shared() -> None:
    table = DEFAULT.css
    table["HEADLINE"] = "changed"
    assert DEFAULT.css["HEADLINE"] == "h1.post_title"
    with pytest.raises(TypeError):
        DEFAULT_SELECTORS["HEADLINE"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        DEFAULT.parts = DEFAULT.parts


def test_every_field_names_a_selector_of_the_table() -> None:
    assert set(FIELD_SELECTORS.values()) <= set(DEFAULT_SELECTORS)


def test_the_drift_alarm_names_the_effective_selector() -> None:
    repaired = Selectors.compile({"VIEWS": "span.hits", "BODY": "article .text"})
    assert selector_text("views", repaired) == 'VIEWS = "span.hits"'
    stats = {"caliber_world/articles_parsed": 2, "caliber_world/field_missing/body": 2}
    assert coverage_failures(stats, 0.5, {}, repaired) == [
        'BODY = "article .text" found nothing on 2 of 2 articles (coverage 0%, floor 50%)'
    ]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl.selectors", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_command_prints_the_effective_table() -> None:
    done = _run()
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == dict(DEFAULT_SELECTORS)
    done = _run("-s", 'CALIBER_SELECTORS={"HEADLINE": "h1.title"}')
    assert done.returncode == 0
    assert json.loads(done.stdout) == dict(DEFAULT_SELECTORS) | {"HEADLINE": "h1.title"}


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["-s", 'CALIBER_SELECTORS={"HEADLINE": "h1["}'],
            "CALIBER_SELECTORS[\"HEADLINE\"] must be CSS that selects elements, got 'h1[' "
            "(Expected ident or '*', got <EOF at 3>)\n",
        ),
        (
            ["-s", "JSONL_PATH=x"],
            "-s must be CALIBER_SELECTORS=<JSON object>, got 'JSONL_PATH=x'\n",
        ),
    ],
)
def test_the_command_refuses_a_bad_value_in_one_line(args: list[str], stderr: str) -> None:
    done = _run(*args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", stderr)


def test_the_command_has_help() -> None:
    done = _run("--help")
    assert done.returncode == 0 and "CALIBER_SELECTORS" in done.stdout


# The Python tests and the fast XPath derived from simple selectors mean what the translated CSS
# means: random simple selectors on random elements.

TAGS = ["div", "p", "span", "h1", "blockquote", "a"]
CLASSES = ["post", "post_body", "post_title", "ads", "adsense", "x-share", "share", "a b"]
ATTRS = ["style", "href", "data-x", "id"]


def _random_page(rng: random.Random) -> str:
    parts = []
    for _ in range(40):
        tag = rng.choice(TAGS)
        attrs = []
        if rng.random() < 0.8:
            separator = rng.choice([" ", "\t", "  ", "\n"])
            classes = separator.join(rng.sample(CLASSES, rng.randint(0, 3)))
            attrs.append(f'class="{rng.choice(["", " "])}{classes}{rng.choice(["", " "])}"')
        for attr in rng.sample(ATTRS, rng.randint(0, 2)):
            attrs.append(f'{attr}="{rng.choice(["v", "x v", "", "post"])}"')
        parts.append(f"<{tag} {' '.join(attrs)}>t" + ("" if rng.random() < 0.5 else f"</{tag}>"))
    return "<html><body>" + "".join(parts) + "</body></html>"


def _random_compound(rng: random.Random) -> str:
    css = rng.choice(["", "*", *TAGS])
    for _ in range(rng.randint(0 if css else 1, 3)):
        kind = rng.randrange(6)
        name = rng.choice(["post", "post_body", "ads", "share", "v", "x"])
        attr = rng.choice([*ATTRS, "class"])
        css += [
            f".{name}",
            f"[{attr}]",
            f"[{attr}='{name}']",
            f"[{attr}*='{name}']",
            f"[{attr}~='{name}']",
            f"#{name}",
        ][kind]
    return css


def test_simple_selectors_derived_for_python_and_libxml2_mean_what_the_css_means() -> None:
    rng = random.Random(8)
    simple = 0
    for _ in range(300):
        root = page_selector(_random_page(rng)).root
        css = ", ".join(_random_compound(rng) for _ in range(rng.randint(1, 3)))
        rule = Rule.compile("X", css)
        expected = rule.xpath(root)
        assert rule.select(root) == expected, css
        if rule.compounds is not None:
            simple += 1
            elements = list(root.iter())
            assert [e for e in elements if rule.matches(e)] == expected, css
            test = AnyOf([rule]).bind(root)
            assert [e for e in elements if test(e)] == expected, css
    assert simple > 250


def test_complex_selectors_are_run_as_xpath() -> None:
    root = page_selector("<div class='post'><h1>a</h1><p><h1>b</h1></p></div>").root
    rule = Rule.compile("X", "div.post > h1, p:not(.x) h1")
    assert rule.compounds is None
    assert [h.text for h in rule.select(root)] == ["a", "b"]
    test = AnyOf([rule, Rule.compile("Y", "p")]).bind(root)
    assert [e.tag for e in root.iter() if test(e)] == ["h1", "p", "h1"]


def test_first_below_is_the_first_of_the_selection_below_every_element() -> None:
    rng = random.Random(9)
    combinators = [" ", " > ", " + ", " ~ ", ", "]
    for _ in range(200):
        root = page_selector(_random_page(rng)).root
        css = _random_compound(rng)
        for _ in range(rng.randint(0, 2)):
            css += rng.choice(combinators) + _random_compound(rng)
        if rng.random() < 0.3:
            css = f"{rng.choice(TAGS)}:has({css})"
        rule = Rule.compile("X", css)
        first = FirstBelow(root, [rule])
        selection = rule.xpath(root)
        for scope in root.iter():
            below = set(scope.iter())  # as querySelector: the document's selection, below scope
            expected = next((element for element in selection if element in below), None)
            assert first(rule, scope) is expected, css


def test_cards_nested_a_thousand_deep_are_each_read_by_their_own_parts() -> None:
    # First of each part below a card used to walk every card nested in it: 38 s for this page.
    card = (
        '<div class="float_block"><a href="/en/post/s{0}"><h2 class="float_block_title">T{0}</h2>'
        '</a><div class="float_block_category">WORLD</div>'
        '<div class="float_block_time">07 November 2025 11:03</div>'
    )
    cards = "".join(card.format(index) for index in range(1000)) + "</div>" * 1000
    page = page_selector(f"<html><body><main>{cards}</main></body></html>")
    listing = parse_section_listing(
        page, SiteScheme("http://h"), "http://h/en/category/world", DEFAULT
    )
    assert listing.cards == 1000
    assert [a.slug for a in listing.articles] == [f"s{index}" for index in range(1000)]
    assert {a.title for a in listing.articles[:3]} == {"T0", "T1", "T2"}


# End to end: a redesigned replica crawled with the selectors mended by a setting ---------------


def test_a_redesign_is_mended_by_the_setting_alone(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    server = start(serve, RedesignedSite(default_site()))
    dataset = tmp_path / "out.jsonl"

    code, log = crawl_site(server, dataset, "-s", f"CALIBER_SELECTORS={json.dumps(REPAIR)}")

    assert code == 0, log[-3000:]
    assert_matches_replica(read_jsonl(dataset), server.base_url)


def test_the_drift_alarm_shows_an_overridden_selector(
    serve: list[ReplicaServer], tmp_path: Path
) -> None:
    server = start(serve, RedesignedSite(default_site()))
    wrong = REPAIR | {"BODY": "div.article-text"}

    code, log = crawl_site(
        server, tmp_path / "out.jsonl", "-s", f"CALIBER_SELECTORS={json.dumps(wrong)}"
    )

    assert code == 1
    count = len(expected_articles(server.base_url))
    assert drift_line(log).startswith(
        f'BODY = "div.article-text" found nothing on {count} of {count} articles'
    )
