"""Saved pages against their expected JSON: every field exact, no key missing or extra."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PAGES, REPLICA_SITE, extract_article, extract_listing, load_json


def _saved_pages() -> list[Path]:
    pages = sorted(PAGES.glob("*.html"))
    pages += sorted((REPLICA_SITE / "en" / "category" / "world").glob("page-*.html"))
    pages += sorted((REPLICA_SITE / "en" / "post").glob("*.html"))
    # The Russian edition's section and articles (read with its own scheme: see scheme_of).
    pages += sorted((REPLICA_SITE / "category" / "mir").glob("page-*.html"))
    pages += sorted((REPLICA_SITE / "post").glob("*.html"))
    return [page for page in pages if _expected_path(page).exists()]


def _expected_path(page: Path) -> Path:
    if page.parent == PAGES:
        return page.with_suffix(".json")
    return page.with_suffix(".expected.json")


@pytest.mark.parametrize("page", _saved_pages(), ids=lambda page: f"{page.parent.name}/{page.stem}")
def test_page_matches_expected(page: Path) -> None:
    expected = load_json(_expected_path(page))
    html = page.read_text(encoding="utf-8")
    if page.name.startswith(("listing", "page-")):
        got = extract_listing(html, expected["page_url"])
    else:
        got = extract_article(html, expected["url"])
    assert list(got) == list(expected), "keys differ (missing, extra or out of order)"
    for key, value in expected.items():
        assert got[key] == value, f"{page.name}: field {key!r}"


SEED = "wsj-russian-forces-in-ukraine-near-first-major-conquest-in-more-than-two-years"


def test_the_shared_sample_pages_are_among_the_fixtures() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "site-sample"
    names = {page.name for page in _saved_pages()}
    assert {f"{SEED}.html", "listing-world-page1.html", "page-1.html"} <= names
    assert len(names) >= 20
    seed = REPLICA_SITE / "en" / "post" / f"{SEED}.html"
    if shared.is_dir():  # beside the checkout, as on the developers' machines and CI
        assert seed.read_bytes() == (shared / "article-wsj-pokrovsk.html").read_bytes()
        assert (PAGES / "listing-world-page1.html").read_bytes() == (
            shared / "listing-world-page1.html"
        ).read_bytes()
