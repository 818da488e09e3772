"""A DNS resolver for tests that fails every lookup at once, as a machine without network does.

``-s TWISTED_DNS_RESOLVER=tests.fakedns.NoDnsResolver``: no name is ever sent to a real resolver.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


@implementer(IResolverSimple)
class NoDnsResolver:
    """Answers every ``getHostByName`` with ``DNSLookupError``."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> NoDnsResolver:
        return cls(reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:  # noqa: N802
        return defer.fail(DNSLookupError(f"no network in tests: {name}"))
