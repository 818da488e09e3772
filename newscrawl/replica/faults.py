"""Fault injection for the replica: sites that wrap another ``Site`` and misbehave on purpose.

``FaultySite`` answers chosen request targets with a fault; ``RedesignedSite`` renames CSS classes
in every page, as a redesign of the live site would.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from newscrawl.replica.server import Response, Site


@dataclass(frozen=True)
class Fault:
    """How one request target misbehaves; ``times`` limits it to the first N requests.

    Every other field left at its default passes the wrapped site's answer through unchanged:

    - ``status``: answer this status (with the wrapped body), e.g. 503 or 404;
    - ``location``: with a 3xx ``status``, where to redirect;
    - ``reset``: drop the connection with a TCP reset, no answer;
    - ``stall``: wait this many seconds before answering;
    - ``cut_after``: send only this many bytes of the body, then close the connection;
    - ``drip``: send the body one byte every this many seconds (a slow-loris host);
    - ``content_type``: serve the body under this Content-Type, e.g. ``application/pdf``;
    - ``pad_to``: pad the body with an HTML comment to this many bytes;
    - ``body``: serve these bytes instead of the page;
    - ``headers``: add these headers to the answer, e.g. ``{"Content-Encoding": "gzip"}``.
    """

    times: int | None = None
    status: int | None = None
    location: str | None = None
    reset: bool = False
    stall: float = 0.0
    cut_after: int | None = None
    content_type: str | None = None
    pad_to: int | None = None
    body: bytes | None = None
    headers: Mapping[str, str] | None = None
    drip: float = 0.0

    def apply(self, answer: Response) -> Response:
        """The wrapped site's ``answer`` with this fault applied."""
        body = answer.body if self.body is None else self.body
        if self.pad_to is not None and len(body) < self.pad_to:
            filler = self.pad_to - len(body) - len(b"<!--  -->")
            body += b"<!-- " + b"x" * max(filler, 0) + b" -->"
        headers = dict(answer.headers)
        if self.location is not None:
            headers["Location"] = self.location
        headers.update(self.headers or {})
        return replace(
            answer,
            status=self.status or answer.status,
            body=body,
            content_type=self.content_type or answer.content_type,
            headers=headers,
            stall=self.stall,
            reset=self.reset,
            cut_after=self.cut_after,
            drip=self.drip,
        )


def request_target(path: str, query: Mapping[str, list[str]]) -> str:
    """The key a fault is registered under: the path, then the query if any.

    >>> request_target("/en/category/world", {"page": ["2"]})
    '/en/category/world?page=2'
    >>> request_target("/en/post/a", {})
    '/en/post/a'
    """
    return f"{path}?{urlencode(query, doseq=True)}" if query else path


class FaultySite:
    """Serves ``site``, except that the targets in ``faults`` misbehave as described.

    ``FaultySite(default_site(), {"/en/post/x": Fault(status=503, times=2)})``: article ``x``
    answers 503 twice, then normally. ``served`` counts how often each target was asked for.
    Every answer closes its connection, so that a client never retries a request on its own
    because a reused connection broke (faults then count exactly).
    """

    def __init__(self, site: Site, faults: Mapping[str, Fault]) -> None:
        self.site = site
        self.faults = dict(faults)
        self.served: dict[str, int] = {}
        self._lock = threading.Lock()

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """The wrapped answer, with the target's fault applied while it lasts."""
        target = request_target(path, query)
        with self._lock:
            seen = self.served.get(target, 0)
            self.served[target] = seen + 1
        answer = self.site.resolve(path, query)
        answer = replace(answer, headers={**answer.headers, "Connection": "close"})
        fault = self.faults.get(target)
        if fault is None or (fault.times is not None and seen >= fault.times):
            return answer
        return fault.apply(answer)


#: Class names a plausible redesign changes: cards and every part of the article page.
REDESIGN_RENAMES: Mapping[str, str] = {
    "float_block": "news_card",
    "post_": "article__",
    'class="post"': 'class="article"',
}


class RedesignedSite:
    """Serves ``site`` with CSS class names rewritten in every HTML page (old → new).

    By default the whole site is redesigned (``REDESIGN_RENAMES``); pass your own ``renames`` to
    change only some parts, e.g. ``{"post_": "article__"}`` keeps the cards and breaks articles.
    """

    def __init__(self, site: Site, renames: Mapping[str, str] = REDESIGN_RENAMES) -> None:
        self.site = site
        self.renames = [(old.encode(), new.encode()) for old, new in renames.items()]

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """The wrapped answer, renamed when it is HTML."""
        answer = self.site.resolve(path, query)
        if not answer.content_type.startswith("text/html"):
            return answer
        body = answer.body
        for old, new in self.renames:
            body = body.replace(old, new)
        return replace(answer, body=body)
