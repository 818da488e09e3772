"""HTTPS that checks the server's certificate for the crawled host (``CALIBER_TLS_*`` settings).

Scrapy accepts any certificate by default; this download handler verifies it against the
system's CAs, or only those of ``CALIBER_TLS_CA_FILE`` (a mirror with a private CA).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from OpenSSL import SSL
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from service_identity import CertificateError, VerificationError
from twisted.internet.ssl import Certificate, platformTrust, trustRootFromCertificates
from twisted.python.failure import Failure
from twisted.web.client import BrowserLikePolicyForHTTPS
from twisted.web.iweb import IPolicyForHTTPS

from newscrawl import config

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL
)


def is_tls_error(error: BaseException | None) -> bool:
    """Whether a download failed in the TLS handshake (a certificate refused, no common cipher).

    Looks through the wrappers Scrapy and Twisted put around it (``DownloadFailedError`` caused
    by ``ResponseNeverReceived`` whose reasons hold the ``OpenSSL.SSL.Error``).

    >>> is_tls_error(SSL.Error([("SSL routines", "", "certificate verify failed")]))
    True
    >>> is_tls_error(ConnectionRefusedError())
    False
    """
    pending = [error] if error is not None else []
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, SSL.Error | VerificationError | CertificateError):
            return True
        for reason in getattr(current, "reasons", None) or ():
            if isinstance(reason, Failure) and isinstance(reason.value, BaseException):
                pending.append(reason.value)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


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
