"""HTTPS that checks the server's certificate for the crawled host (``CALIBER_TLS_*`` settings).

Scrapy accepts any certificate by default; this download handler verifies it against the
system's CAs, or only those of ``CALIBER_TLS_CA_FILE`` (a mirror with a private CA).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from twisted.internet.ssl import Certificate, platformTrust, trustRootFromCertificates
from twisted.web.client import BrowserLikePolicyForHTTPS
from twisted.web.iweb import IPolicyForHTTPS

from newscrawl import config

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL
)


def trust_root(ca_file: Path | None) -> Any:
    """The CAs to trust: those in a PEM file, else the system's (OpenSSL's default paths)."""
    if ca_file is None:
        return platformTrust()  # type: ignore[no-untyped-call]
    certificates = [
        Certificate.loadPEM(pem) for pem in _PEM_CERTIFICATE.findall(ca_file.read_bytes())
    ]
    return trustRootFromCertificates(certificates)  # type: ignore[no-untyped-call]


class HTTPSDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, refusing a certificate that is not valid for the host.

    The policy is Twisted's browser-like one: the chain must lead to a trusted CA and the
    certificate must name the host asked for (or its IP address). With ``CALIBER_TLS_VERIFY``
    false it is Scrapy's own handler, which accepts any certificate.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        if config.TLS_VERIFY.read(crawler.settings):
            trust = trust_root(config.TLS_CA_FILE.read(crawler.settings))
            policy = BrowserLikePolicyForHTTPS(trust)  # type: ignore[no-untyped-call]
            # Where Scrapy's HTTP/1.1 handler keeps its TLS policy (see HTTP11DownloadHandler).
            self._contextFactory = cast(IPolicyForHTTPS, policy)
