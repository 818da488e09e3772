"""Nothing of a crawl listens on a port, and HTTPS certificates are checked for the crawled host."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from scrapy.exceptions import DownloadFailedError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from newscrawl.replica import Fault, FaultySite, ReplicaServer, default_site
from newscrawl.responses import GONE, failure_kind
from tests.conftest import REPLICA_SITE, load_json, read_jsonl, start_crawl
from tests.test_crawl import FAST, crawl
from tests.test_faults import stat

PAGE_1 = [
    card["slug"]
    for card in load_json(REPLICA_SITE / "en" / "category" / "world" / "page-1.expected.json")[
        "articles"
    ]
]


def listening_inodes() -> dict[int, int]:
    """Every listening TCP socket of this machine: its inode and its port."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as rows:
            next(rows)
            for row in rows:
                fields = row.split()
                if fields[3] == "0A":  # LISTEN
                    found[int(fields[9])] = int(fields[1].rsplit(":", 1)[1], 16)
    return found


def ports_listened_on_by(pid: int) -> set[int]:
    """The TCP ports a process holds a listening socket on, right now."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
            if match:
                inodes.add(int(match[1]))
    except FileNotFoundError:
        return set()  # the process ended
    listening = listening_inodes()
    return {listening[inode] for inode in inodes if inode in listening}


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_a_crawl_listens_on_no_port_and_logs_no_console_password(tmp_path: Path) -> None:
    # One stalled article keeps the crawl running for a few seconds while it is watched.
    slow = FaultySite(default_site(), {f"/en/post/{PAGE_1[0]}": Fault(stall=3)})
    with ReplicaServer(slow) as replica:
        process = start_crawl(
            *FAST, "-a", f"base_url={replica.base_url}", "-a", "max_pages=1",
            "-s", f"JSONL_PATH={tmp_path / 'world.jsonl'}", "-s", "DOWNLOAD_TIMEOUT=10",
        )  # fmt: skip
        listened: set[int] = set()
        watched = 0
        while process.poll() is None:
            listened |= ports_listened_on_by(process.pid)
            watched += 1
            time.sleep(0.05)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-3000:]
    assert watched > 20  # the crawl was watched while it ran
    assert listened == set()
    assert not re.search(r"Telnet Password|Telnet console listening|Remote control HTTP", stderr)
    assert len(read_jsonl(tmp_path / "world.jsonl")) == len(PAGE_1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path
    name: x509.Name
    private_key: ec.EllipticCurvePrivateKey


def issue(
    folder: Path, stem: str, names: list[x509.GeneralName] | None, issuer: Issued | None = None
) -> Issued:
    """A certificate for ``names`` by ``issuer`` (self-signed without); without names, a CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(stem))
        .issuer_name(issuer.name if issuer else _name(stem))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if names is None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    certificate = builder.sign(issuer.private_key if issuer else key, hashes.SHA256())
    cert, private = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Issued(cert, private, _name(stem), key)


@dataclass(frozen=True)
class Certificates:
    ca: Issued
    loopback: Issued  # by the CA, for 127.0.0.1
    other_name: Issued  # by the CA, for other.example
    self_signed: Issued  # by itself, for other.example


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("certificates")
    ca = issue(folder, "private-ca", None)
    loopback = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    other = [x509.DNSName("other.example")]
    return Certificates(
        ca=ca,
        loopback=issue(folder, "loopback", loopback, ca),
        other_name=issue(folder, "other-name", other, ca),
        self_signed=issue(folder, "self-signed", other),
    )


@pytest.fixture
def https() -> Iterator[list[ReplicaServer]]:
    servers: list[ReplicaServer] = []
    yield servers
    for server in servers:
        server.stop()


def serve_https(servers: list[ReplicaServer], issued: Issued) -> ReplicaServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.cert, issued.key)
    server = ReplicaServer(default_site(), ssl_context=context).start()
    servers.append(server)
    return server


def crawl_https(server: ReplicaServer, dataset: Path, *settings: str) -> tuple[int, str]:
    result = crawl(
        "-a", f"base_url={server.base_url}", "-a", "max_pages=1", "-s", f"JSONL_PATH={dataset}",
        "-s", "RETRY_TIMES=0", *(arg for setting in settings for arg in ("-s", setting)),
    )  # fmt: skip
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    ("which", "settings"),
    [
        ("self_signed", ()),  # the system's CAs: not trusted, and for another name
        ("other_name", ("CALIBER_TLS_CA_FILE={ca}",)),  # a trusted CA, but for another name
        ("loopback", ()),  # for the host, but not by a CA the system trusts
    ],
)
def test_a_certificate_not_valid_for_the_host_is_refused(
    certificates: Certificates,
    https: list[ReplicaServer],
    tmp_path: Path,
    which: str,
    settings: tuple[str, ...],
) -> None:
    server = serve_https(https, getattr(certificates, which))
    dataset = tmp_path / "world.jsonl"
    status, stderr = crawl_https(
        server, dataset, *(s.format(ca=certificates.ca.cert) for s in settings)
    )
    assert status == 1
    failed = [line for line in stderr.splitlines() if "page failed" in line]
    assert len(failed) == 1
    assert failed[0].endswith(
        f"[caliber_world] ERROR: Listing page failed (tls): {server.base_url}/en/category/world"
    )
    assert stat(stderr, "caliber_world/errors/listing_tls") == 1
    assert stat(stderr, "finish_reason") == "section_unreachable"
    assert server.requests == []  # no request was sent over the refused connection
    assert read_jsonl(dataset) == []


def test_a_certificate_from_the_given_ca_for_the_host_is_accepted(
    certificates: Certificates, https: list[ReplicaServer], tmp_path: Path
) -> None:
    server = serve_https(https, certificates.loopback)
    dataset = tmp_path / "world.jsonl"
    status, stderr = crawl_https(server, dataset, f"CALIBER_TLS_CA_FILE={certificates.ca.cert}")
    assert status == 0, stderr[-3000:]
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(PAGE_1)
    assert all(
        item["url"].startswith(f"{server.base_url}/en/post/") for item in read_jsonl(dataset)
    )


def test_verification_switched_off_accepts_any_certificate(
    certificates: Certificates, https: list[ReplicaServer], tmp_path: Path
) -> None:
    server = serve_https(https, certificates.self_signed)
    dataset = tmp_path / "world.jsonl"
    status, stderr = crawl_https(server, dataset, "CALIBER_TLS_VERIFY=false")
    assert status == 0, stderr[-3000:]
    assert sorted(item["slug"] for item in read_jsonl(dataset)) == sorted(PAGE_1)


def test_a_refused_certificate_is_the_failure_kind_tls_and_the_article_stays_owed() -> None:
    refused = Failure(SSL.Error([("SSL routines", "", "certificate verify failed")]))
    try:
        try:
            raise ResponseNeverReceived([refused])
        except ResponseNeverReceived as cause:
            raise DownloadFailedError(str(cause)) from cause
    except DownloadFailedError as error:
        wrapped = Failure(error)
    assert failure_kind(wrapped) == "tls"
    assert "tls" not in GONE  # an article whose page failed so is asked for again next run
    assert failure_kind(Failure(DownloadFailedError("Connection refused"))) == "connection"
