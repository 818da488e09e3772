"""The walk of the section's listing pages: where it stands, and the rules that end it.

``Walk`` is plain data, kept in Scrapy's JOBDIR spider state so that a resumed crawl goes on from
the page it had reached instead of walking the section again from page 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

#: Close reason: a listing page only repeated what earlier pages listed (the paging is wrong).
PAGING_REPEATS = "paging_repeats"
#: Close reason: the walk reached CALIBER_MAX_LISTING_PAGES and the section went on.
LISTING_CEILING = "listing_ceiling"


@dataclass
class Walk:
    """One walk down the section's listing pages (a chain: page N's answer asks for page N+1)."""

    #: Which walk a listing request belongs to: a JOBDIR may still queue an earlier walk's.
    generation: int = 0
    #: The URL of page 2 the walk pages by (host, edition, section and CALIBER_PAGE_URL): a
    #: JOBDIR resumes the walk only for a crawl of the same pages.
    pages: str = ""
    #: Slugs asked for in this walk, from cards and owed articles: each is asked for once.
    requested: set[str] = field(default_factory=set)
    #: Slugs the walk's listing pages showed.
    listed: set[str] = field(default_factory=set)
    #: The section's slugs on the last page of the chain, in page order.
    last_cards: list[str] = field(default_factory=list)
    #: Whether most of those cards were new to the walk (a page of its own, not a repeat).
    last_fresh: bool = False
    #: The last page of the chain that was answered (0: none yet).
    page: int = 0
    #: Pages in a row without a section card, and the ones among them not yet known to be the
    #: section's end (re-asked once when a later page shows cards again).
    empty_pages: int = 0
    unconfirmed_empty: list[int] = field(default_factory=list)
    #: Pages in a row of which no card was new.
    stale_pages: int = 0
    #: Listing pages that failed, or were still cut short or empty when asked again.
    listing_failures: int = 0
    #: Paging stopped at the section's end or at pages already stored.
    reached_end: bool = False
    #: The close reason when paging had to stop as a failure (``PAGING_REPEATS``, ...).
    failure: str | None = None

    @property
    def walked(self) -> bool:
        """Whether the walk read the section down to its end (or to stored pages) and every
        listing page it read was whole and answered as expected.

        >>> walk = Walk(reached_end=True)
        >>> walk.walked
        True
        >>> walk.listing_failures = 1
        >>> walk.walked
        False
        """
        return self.reached_end and self.listing_failures == 0 and self.failure is None


def repeats_earlier_pages(slugs: Sequence[str], listed: set[str], previous: Sequence[str]) -> bool:
    """Whether a listing page's section cards (``slugs``) only repeat what earlier pages listed.

    That is a site answering page 1 (or any page already read) to the page asked for: the paging
    is wrong, and following it would never end.

    >>> repeats_earlier_pages(["a", "b"], {"a", "b"}, ["a", "b"])
    True
    >>> repeats_earlier_pages(["b", "x"], {"a", "b"}, ["a", "b"])
    False

    A page holding only the last cards of the page before it, fewer than that page held, is the
    section's end read while new posts pushed those cards down: not a repeat.

    >>> repeats_earlier_pages(["c"], {"a", "b", "c"}, ["a", "b", "c"])
    False
    >>> repeats_earlier_pages([], set(), [])
    False
    """
    if not slugs or not all(slug in listed for slug in slugs):
        return False
    pushed_down = len(slugs) < len(previous) and list(previous[-len(slugs) :]) == list(slugs)
    return not pushed_down


def repeats_the_last_page(page: int, slugs: Sequence[str], walk: Walk) -> bool:
    """Whether listing page ``page`` is the site's last page again: a site that clamps page
    numbers answers every page past its last with the last. That is the section's end, where
    a page repeating page 1 (or a page that was itself mostly a repeat) is wrong paging.

    >>> walk = Walk(last_cards=["x", "y"], last_fresh=True)
    >>> repeats_the_last_page(4, ["x", "y"], walk), repeats_the_last_page(2, ["x", "y"], walk)
    (True, False)
    >>> walk.last_fresh = False
    >>> repeats_the_last_page(4, ["x", "y"], walk)
    False
    """
    return page >= 3 and walk.last_fresh and bool(slugs) and list(slugs) == walk.last_cards


def mostly_new(slugs: Sequence[str], listed: set[str]) -> bool:
    """Whether more than half of a page's section cards were not listed before.

    >>> mostly_new(["a", "b", "c"], {"a"}), mostly_new(["a", "b"], {"a"}), mostly_new([], set())
    (True, False, False)
    """
    return sum(slug not in listed for slug in slugs) * 2 > len(slugs)
