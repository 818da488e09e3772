"""Replica variants that page the section another way than ``?page=N``, as a live site may.

``IgnoresPageParamSite`` answers page 1 whatever page is asked for (a site that loads more cards
by script); ``PathPagingSite`` pages as ``<section>/page/N`` and ignores ``?page=N``;
``ClampsPageSite`` answers its last page to any page past it.
"""

from __future__ import annotations

import re

from newscrawl.replica.server import Response, Site
from newscrawl.site import SECTION_PATH

#: The query parameter the wrapped site (``DirectorySite``) pages the section with.
PAGE_PARAM = "page"


class IgnoresPageParamSite:
    """Serves ``site`` with every query dropped: any ``?page=N`` of the section is page 1."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """The wrapped answer to ``path`` without its query."""
        return self.site.resolve(path, {})


class PathPagingSite:
    """Serves ``site`` with the section paged by path: ``<section>/page/N`` is page N, and the
    section's query is ignored (``?page=N`` answers page 1)."""

    def __init__(self, site: Site, section_path: str = SECTION_PATH) -> None:
        self.site = site
        self.section_path = section_path
        self._page_path = re.compile(re.escape(section_path) + r"/page/([0-9]+)/?")

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """Page N for ``<section>/page/N``; anything else as the wrapped site answers it."""
        match = self._page_path.fullmatch(path)
        if match is not None:
            return self.site.resolve(self.section_path, {PAGE_PARAM: [match[1]]})
        if path.rstrip("/") == self.section_path:
            return self.site.resolve(path, {})
        return self.site.resolve(path, query)


class ClampsPageSite:
    """Serves ``site`` with every ``?page=N`` past ``last`` answered as page ``last`` (as many
    sites clamp a page number to their last page instead of answering 404 or an empty page)."""

    def __init__(self, site: Site, last: int, section_path: str = SECTION_PATH) -> None:
        self.site = site
        self.last = last
        self.section_path = section_path

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """Page ``last`` for any page past it; anything else as the wrapped site answers it."""
        page = query.get(PAGE_PARAM, ["1"])[0]
        if path.rstrip("/") == self.section_path and page.isdigit() and int(page) > self.last:
            query = {**query, PAGE_PARAM: [str(self.last)]}
        return self.site.resolve(path, query)
