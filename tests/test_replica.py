"""Tests of the local replica: the loopback server, DirectorySite routing and the bundled pages."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from newscrawl.replica import SITE_DIR, DirectorySite, ReplicaServer, Response, default_site

SEED = "wsj-russian-forces-in-ukraine-near-first-major-conquest-in-more-than-two-years"
SECTION = "/en/category/world"
LISTING_DIR = SITE_DIR / "en" / "category" / "world"
POST_DIR = SITE_DIR / "en" / "post"
EXPECTED_KEYS = [
    "url",
    "slug",
    "language",
    "section",
    "headline",
    "published_at",
    "author",
    "cited_sources",
    "views",
    "body",
    "image_url",
]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def nodelay() -> list[int]:
    """TCP_NODELAY as read on the server side of every accepted connection."""
    return []


@pytest.fixture
def server(nodelay: list[int]) -> Iterator[ReplicaServer]:
    def on_connection(sock: socket.socket) -> None:
        nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    with ReplicaServer(default_site(), on_connection=on_connection) as replica:
        yield replica


def fetch(
    replica: ReplicaServer, target: str, method: str = "GET"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(replica.host, replica.port, timeout=5)
    try:
        conn.request(method, target)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def main_content_cards(body: bytes) -> list[Selector]:
    return list(Selector(text=body.decode("utf-8")).css(".main_content .float_block"))


def expected_slugs() -> list[str]:
    slugs: list[str] = json.loads((LISTING_DIR / "expected-slugs.json").read_text("utf-8"))
    return slugs


# --- server and routing -------------------------------------------------------------------


def test_base_url_and_default_site(server: ReplicaServer) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0
    assert server.running
    assert isinstance(server.site, DirectorySite)
    assert server.site.root == SITE_DIR


@pytest.mark.parametrize(
    "target", [SECTION, SECTION + "/", SECTION + "?page=1", SECTION + "/?page=1&limit=18"]
)
def test_page_one(server: ReplicaServer, target: str) -> None:
    status, headers, body = fetch(server, target)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    assert body == (LISTING_DIR / "page-1.html").read_bytes()
    assert SEED in body.decode("utf-8")


@pytest.mark.parametrize("page", [2, 3])
def test_later_pages(server: ReplicaServer, page: int) -> None:
    status, _, body = fetch(server, f"{SECTION}?page={page}")
    assert status == 200
    assert body == (LISTING_DIR / f"page-{page}.html").read_bytes()


@pytest.mark.parametrize("page", [4, 99])
def test_exhausted_pages_are_empty_listings(server: ReplicaServer, page: int) -> None:
    status, headers, body = fetch(server, f"{SECTION}?page={page}")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert main_content_cards(body) == []
    sel = Selector(text=body.decode("utf-8"))
    assert sel.css("aside.sidebar .last_news_item")  # the furniture is there
    assert sel.css("nav a::attr(href)").getall()
    canonical = sel.css("link[rel=canonical]::attr(href)").get() or ""
    assert canonical.endswith(f"?page={page}")


@pytest.mark.parametrize("page", ["0", "-1", "abc", "", "2.5", "1e3", "+2", "9" * 40])
def test_bad_page_numbers_are_404(server: ReplicaServer, page: str) -> None:
    status, _, _ = fetch(server, f"{SECTION}?page={page}")
    assert status == 404


@pytest.mark.parametrize(
    "suffix", ["", "/", "?utm_source=telegram&utm_medium=social", "/?utm_source=telegram"]
)
def test_article_forms_served_identically(server: ReplicaServer, suffix: str) -> None:
    status, headers, body = fetch(server, f"/en/post/{SEED}{suffix}")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (POST_DIR / f"{SEED}.html").read_bytes()


def test_unknown_slug_is_404_with_small_html(server: ReplicaServer) -> None:
    status, headers, body = fetch(server, "/en/post/no-such-story-anywhere")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    assert b"Page not found" in body
    assert len(body) < 1024


@pytest.mark.parametrize(
    "target",
    [
        "/en/post/../../robots.txt",
        "/en/post/..%2F..%2Frobots.txt",
        "/en/post/%2e%2e/%2e%2e/robots.txt",
        "/en/post/..%2F..%2F..%2Fserver.py",
        "/en/category/world/../../../server.py",
        "/../server.py",
        "/%2e%2e/server.py",
        f"/en/post/{SEED}.expected.json",
        f"/en/post/{SEED}.html",
        "/en/category/world/page-1.html",
        "/en/category/world/expected-slugs.json",
        "/en/category/politics",
        "/media/photos/original/00b361c83e7c.webp",
        "/",
        "/en/post/",
        "/en/post/UPPER-case",
    ],
)
def test_other_paths_are_404(server: ReplicaServer, target: str) -> None:
    status, _, body = fetch(server, target)
    assert status == 404
    assert b"Page not found" in body


def test_symlink_out_of_root_is_not_served(tmp_path: Path) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text("secret")
    root = tmp_path / "site"
    (root / "en" / "post").mkdir(parents=True)
    (root / "en" / "post" / "leak.html").symlink_to(secret)
    response = DirectorySite(root).resolve("/en/post/leak", {})
    assert response.status == 404


def test_missing_empty_template_is_404(tmp_path: Path) -> None:
    assert DirectorySite(tmp_path).resolve(SECTION, {}).status == 404


def test_robots_txt(server: ReplicaServer) -> None:
    status, headers, body = fetch(server, "/robots.txt")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert body.decode("ascii").splitlines() == ["User-agent: *", "Allow: /"]


def test_head_has_length_but_no_body(server: ReplicaServer) -> None:
    status, headers, body = fetch(server, SECTION, method="HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) == (LISTING_DIR / "page-1.html").stat().st_size


def test_keep_alive_reuses_one_connection(server: ReplicaServer, nodelay: list[int]) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        for target in (SECTION, f"/en/post/{SEED}", "/en/post/missing-story"):
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            assert response.version == 11
            assert response.getheader("Connection", "").lower() != "close"
            assert not response.will_close
    finally:
        conn.close()
    assert len(nodelay) == 1


def test_tcp_nodelay_on_accepted_sockets(server: ReplicaServer, nodelay: list[int]) -> None:
    fetch(server, "/robots.txt")
    fetch(server, SECTION)
    assert len(nodelay) == 2
    assert all(value != 0 for value in nodelay)


def test_stop_closes_connections_and_releases_port() -> None:
    replica = ReplicaServer(default_site()).start()
    port = replica.port
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    idle.request("GET", "/robots.txt")
    idle.getresponse().read()

    replica.stop()
    replica.stop()  # a second stop is harmless
    assert not replica.running
    assert idle.sock is not None
    assert idle.sock.recv(1) == b""  # the kept-alive connection was closed by the server
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(RuntimeError):
        replica.start()

    with ReplicaServer(default_site(), port=port) as again:
        assert again.port == port
        assert fetch(again, "/robots.txt")[0] == 200


class _EchoSite:
    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/boom":
            raise ValueError("broken site")
        body = json.dumps({"path": path, "query": query}).encode()
        return Response(201, body, "application/json", {"X-Replica": "yes"})


def test_server_serves_any_site(capfd: pytest.CaptureFixture[str]) -> None:
    with ReplicaServer(_EchoSite()) as replica:
        status, headers, body = fetch(replica, "/a%20b/?x=1&x=2&empty=")
        assert status == 201
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Replica"] == "yes"
        assert json.loads(body) == {"path": "/a b/", "query": {"x": ["1", "2"], "empty": [""]}}
        assert fetch(replica, "/boom")[0] == 500
    assert "broken site" in capfd.readouterr().err


def test_quiet_by_default(server: ReplicaServer, capfd: pytest.CaptureFixture[str]) -> None:
    fetch(server, SECTION)
    fetch(server, "/en/post/missing-story")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_module_entry_point_serves_until_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newscrawl.replica", "--port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("replica serving http://127.0.0.1:")
        url = urlsplit(line.removeprefix("replica serving "))
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
        conn.request("GET", SECTION + "?page=2")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- the bundled site ---------------------------------------------------------------------


def test_every_expected_item_has_the_item_keys_in_order() -> None:
    files = sorted(POST_DIR.glob("*.expected.json"))
    assert files
    for path in files:
        item = json.loads(path.read_text("utf-8"))
        assert list(item) == EXPECTED_KEYS, path.name
        slug = path.name.removesuffix(".expected.json")
        assert item["slug"] == slug
        assert item["url"] == f"https://caliber.az/en/post/{slug}"
        assert item["language"] == "en"
        assert item["section"] == "World"


def test_expected_slugs_have_pages_and_items() -> None:
    slugs = expected_slugs()
    assert len(slugs) == len(set(slugs))
    assert 16 <= len(slugs) <= 20
    assert slugs[0] == SEED
    for slug in slugs:
        assert (POST_DIR / f"{slug}.html").is_file(), slug
        assert (POST_DIR / f"{slug}.expected.json").is_file(), slug
    items = {p.name.removesuffix(".expected.json") for p in POST_DIR.glob("*.expected.json")}
    assert items == set(slugs)


def test_expected_slugs_are_the_world_cards_of_pages_one_to_three() -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        for card in main_content_cards((LISTING_DIR / f"page-{page}.html").read_bytes()):
            if card.css(".float_block_category::text").get() != "WORLD":
                continue
            slugs = {
                urlsplit(href).path.rstrip("/").rsplit("/", 1)[-1]
                for href in card.css("a::attr(href)").getall()
                if "/en/post/" in href
            }
            assert len(slugs) == 1
            slug = slugs.pop()
            if slug not in seen:
                seen.append(slug)
    assert seen == expected_slugs()
    assert not (LISTING_DIR / "page-4.html").exists()


def test_other_sections_pages_exist_but_are_not_expected() -> None:
    labels = {
        path.name: Selector(text=path.read_text("utf-8")).css(".post_categoty::text").get()
        for path in POST_DIR.glob("*.html")
    }
    others = {name for name, label in labels.items() if label != "WORLD"}
    assert "POLITICS" in {labels[name] for name in others}
    assert {f"{slug}.html" for slug in expected_slugs()} == set(labels) - others


# --- the Russian edition's section --------------------------------------------------------

RU_SECTION = "/category/mir"
RU_LISTING_DIR = SITE_DIR / "category" / "mir"
RU_POST_DIR = SITE_DIR / "post"
RU_SEED = "prokuratura-trebuet-smertnoj-kazni-dlya-eks-prezidenta-yuzhnoj-korei"


def ru_expected_slugs() -> list[str]:
    slugs: list[str] = json.loads((RU_LISTING_DIR / "expected-slugs.json").read_text("utf-8"))
    return slugs


@pytest.mark.parametrize(
    ("target", "saved"),
    [
        (RU_SECTION, RU_LISTING_DIR / "page-1.html"),
        (RU_SECTION + "/?page=1", RU_LISTING_DIR / "page-1.html"),
        (RU_SECTION + "?page=2", RU_LISTING_DIR / "page-2.html"),
        (RU_SECTION + "?page=3&limit=18", RU_LISTING_DIR / "page-3.html"),
        (f"/post/{RU_SEED}", RU_POST_DIR / f"{RU_SEED}.html"),
        (f"/post/{RU_SEED}/?utm_source=telegram", RU_POST_DIR / f"{RU_SEED}.html"),
        (f"/en/post/{SEED}", POST_DIR / f"{SEED}.html"),
    ],
)
def test_russian_section_and_articles_are_served(
    server: ReplicaServer, target: str, saved: Path
) -> None:
    status, headers, body = fetch(server, target)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == saved.read_bytes()


def test_russian_exhausted_page_is_an_empty_listing(server: ReplicaServer) -> None:
    status, _, body = fetch(server, f"{RU_SECTION}?page=4")
    assert status == 200
    assert main_content_cards(body) == []
    sel = Selector(text=body.decode("utf-8"))
    assert sel.css("aside.sidebar .last_news_item")
    assert (
        sel.css("link[rel=canonical]::attr(href)").get() == "https://caliber.az/category/mir?page=4"
    )


@pytest.mark.parametrize(
    "target",
    [
        f"/en/post/{RU_SEED}",
        f"/post/{SEED}",
        f"/post/{RU_SEED}.expected.json",
        "/post/../en/post/x",
        "/post/%2e%2e/robots.txt",
        "/category/mir/page-1.html",
        "/category/mir/expected-slugs.json",
        "/category/politika",
        "/post/",
        f"{RU_SECTION}?page=0",
    ],
)
def test_russian_other_paths_are_404(server: ReplicaServer, target: str) -> None:
    status, _, body = fetch(server, target)
    assert status == 404
    assert b"Page not found" in body


def test_every_russian_expected_item_is_a_russian_record() -> None:
    files = sorted(RU_POST_DIR.glob("*.expected.json"))
    assert {p.name.removesuffix(".expected.json") for p in files} == set(ru_expected_slugs())
    for path in files:
        item = json.loads(path.read_text("utf-8"))
        assert list(item) == EXPECTED_KEYS, path.name
        slug = path.name.removesuffix(".expected.json")
        assert item["slug"] == slug
        assert slug.isascii()
        assert item["url"] == f"https://caliber.az/post/{slug}"
        assert item["language"] == "ru"
        assert item["section"] == "Мир"
        assert item["author"] is None  # no Russian byline is known: none is invented


def test_russian_expected_slugs_are_the_mir_cards_of_pages_one_to_three() -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        for card in main_content_cards((RU_LISTING_DIR / f"page-{page}.html").read_bytes()):
            if card.css(".float_block_category::text").get() != "МИР":
                continue
            paths = {
                urlsplit(href).path.rstrip("/")
                for href in card.css("a:has(.float_block_title)::attr(href)").getall()
            }
            assert len(paths) == 1
            path = paths.pop()
            if path.startswith("/en/"):  # a card linking to the English edition
                continue
            slug = path.removeprefix("/post/")
            if slug not in seen:
                seen.append(slug)
    assert seen == ru_expected_slugs()
    assert len(seen) == 16
    assert not (RU_LISTING_DIR / "page-4.html").exists()


def test_russian_pages_hold_every_case_the_edition_must_read() -> None:
    items = [json.loads(p.read_text("utf-8")) for p in RU_POST_DIR.glob("*.expected.json")]
    cited = [item["cited_sources"] for item in items]
    assert {len(outlets) for outlets in cited} == {0, 1, 2, 3}
    assert any(not item["cited_sources"] and "ссылкой" in item["body"] for item in items)
    assert any(name.isascii() for outlets in cited for name in outlets)
    assert any(not name.isascii() for outlets in cited for name in outlets)
    assert any("Об этом сообщает Caliber.Az со ссылкой на" in item["body"] for item in items)
    assert None in {item["views"] for item in items}
    assert any(item["views"] >= 1000 for item in items if item["views"] is not None)
    times = [
        Selector(text=p.read_text("utf-8")).css(".post_time::text").get() or ""
        for p in RU_POST_DIR.glob("*.html")
    ]
    assert {len(time.split()[0]) for time in times} == {1, 2}
    assert len({time.split()[1].lower() for time in times}) >= 4


def test_russian_other_sections_pages_exist_but_are_not_expected() -> None:
    labels = {
        path.name: Selector(text=path.read_text("utf-8")).css(".post_categoty::text").get()
        for path in RU_POST_DIR.glob("*.html")
    }
    others = {name for name, label in labels.items() if label != "МИР"}
    assert {labels[name] for name in others} == {"ПОЛИТИКА"}
    assert {f"{slug}.html" for slug in ru_expected_slugs()} == set(labels) - others
