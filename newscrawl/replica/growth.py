"""A replica whose view counts grow as time passes since each article was published."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from newscrawl.replica.server import POST_PREFIX, Response, Site

# The count in an article page's ``<div class="post_hits">Views: 1 234</div>``.
_HITS = re.compile(r'(class="post_hits">[^<0-9]*)([0-9](?:[0-9 ,.\u00a0]|&nbsp;)*)')


def grown(count_text: str, extra: int) -> int:
    """A count as the page prints it, plus ``extra``.

    >>> grown("1&nbsp;234", 10), grown("3,456", 0)
    (1244, 3456)
    """
    return int(re.sub(r"[^0-9]", "", count_text.replace("&nbsp;", ""))) + extra


class GrowingViewsSite:
    """Serves ``site`` with each listed article's ``Views: N`` grown by ``per_second`` for every
    second since it was published (``published``, by slug), as read counts grow on the live site.

    ``served`` keeps, by slug, every count the pages showed, in order. A page without a count is
    served as it is.
    """

    def __init__(
        self,
        site: Site,
        published: Mapping[str, datetime],
        per_second: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.site = site
        self.published = dict(published)
        self.per_second = per_second
        self.clock = clock
        self.served: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """The wrapped answer, its view count grown when it is a listed article's page."""
        answer = self.site.resolve(path, query)
        slug = path.removeprefix(POST_PREFIX).rstrip("/")
        published = self.published.get(slug) if path.startswith(POST_PREFIX) else None
        if published is None or answer.status != 200:
            return answer
        extra = int(self.per_second * max(0.0, self.clock() - published.timestamp()))
        page = answer.body.decode("utf-8")
        match = _HITS.search(page)
        if match is None:
            return answer
        views = grown(match[2], extra)
        with self._lock:
            self.served.setdefault(slug, []).append(views)
        page = page[: match.start(2)] + str(views) + page[match.end(2) :]
        return replace(answer, body=page.encode("utf-8"))
