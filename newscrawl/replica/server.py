"""A loopback HTTP server for a local replica of the Caliber.az WORLD section.

The server only speaks HTTP; what it answers comes from a ``Site`` (here: ``DirectorySite``).
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import string
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, unquote, urlsplit

from newscrawl.editions import DEFAULT_EDITION, EDITIONS
from newscrawl.site import SECTION_PATH

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

#: The saved pages bundled with the package.
SITE_DIR = Path(__file__).resolve().parent / "site"

#: Prefix of English article paths; the slug follows it.
POST_PREFIX = "/en/post/"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PAGE = re.compile(r"[0-9]{1,9}")

_NOT_FOUND_BODY = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
    b"<title>Page not found | Caliber.Az</title></head>\n"
    b'<body><div class="not_found"><h1>404</h1><p>Page not found</p></div></body>\n</html>\n'
)


def without_proxy_for_loopback(env: MutableMapping[str, str]) -> None:
    """Add the replica's hosts to ``NO_PROXY`` in ``env`` (``os.environ`` or a child's): an
    ``http_proxy`` set for the machine would send loopback requests to the proxy instead."""
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [host for host in env.get(name, "").split(",") if host.strip()]
        env[name] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "localhost"]))


@dataclass(frozen=True)
class Response:
    """What a site answers to one request; the server adds Content-Length itself.

    The last three fields are faults only the HTTP layer can make: ``stall`` waits that many
    seconds before answering, ``reset`` drops the connection with a TCP reset instead of an
    answer, ``cut_after`` sends only that many bytes of the body (after the full Content-Length)
    and then closes the connection. ``drip`` sends the body one byte every that many seconds (a
    slow-loris host: each read returns something, the answer never ends).
    """

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: Mapping[str, str] = field(default_factory=dict)
    stall: float = 0.0
    reset: bool = False
    cut_after: int | None = None
    drip: float = 0.0


@dataclass(frozen=True)
class RequestRecord:
    """One request the server received, as the client sent it."""

    method: str
    target: str
    headers: Mapping[str, str]


class Site(Protocol):
    """Something the replica can serve: answers a GET for a path and its query."""

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """Answer ``path`` (percent-decoded, no query) given ``query`` as from ``parse_qs``."""
        ...


def not_found() -> Response:
    """The replica's 404: a small HTML page."""
    return Response(404, _NOT_FOUND_BODY)


class DirectorySite:
    """Serves saved pages from a folder laid out like the live site's paths.

    ``/en/category/world[?page=N]`` → ``en/category/world/page-N.html`` (missing: the empty listing
    rendered from ``empty.html``, ``${page}`` substituted), ``/en/post/<slug>`` →
    ``en/post/<slug>.html``, ``/robots.txt`` → ``robots.txt``; everything else is a 404.
    The other editions' sections and articles likewise (``/category/mir`` →
    ``category/mir/page-N.html``, ``/post/<slug>`` → ``post/<slug>.html``).
    Files are read on every request, so pages written into the folder are served at once.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.section_dir = self.root / "en" / "category" / "world"
        self.post_dir = self.root / "en" / "post"
        # The other editions' section and article folders, by section path and article prefix.
        others = [edition for code, edition in EDITIONS.items() if code != DEFAULT_EDITION]
        self.section_dirs = {e.section_path: self.root / e.section_path.strip("/") for e in others}
        self.post_dirs = {e.article_prefix: self.root / e.article_prefix.strip("/") for e in others}

    def resolve(self, path: str, query: dict[str, list[str]]) -> Response:
        """Route ``path`` to a saved file (see the class docstring)."""
        if path == "/robots.txt":
            return self._file(self.root / "robots.txt", TEXT)
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if path == SECTION_PATH:
            return self._listing(query.get("page", ["1"])[0])
        if path.startswith(POST_PREFIX):
            slug = path.removeprefix(POST_PREFIX)
            if _SLUG.fullmatch(slug):
                return self._file(self.post_dir / f"{slug}.html", HTML)
        if path in self.section_dirs:
            return self._listing(query.get("page", ["1"])[0], self.section_dirs[path])
        for prefix, post_dir in self.post_dirs.items():
            slug = path.removeprefix(prefix)
            if slug != path and _SLUG.fullmatch(slug):
                return self._file(post_dir / f"{slug}.html", HTML)
        return not_found()

    def _listing(self, raw_page: str, section_dir: Path | None = None) -> Response:
        if not _PAGE.fullmatch(raw_page) or int(raw_page) < 1:
            return not_found()
        page = int(raw_page)
        section_dir = section_dir or self.section_dir
        saved = self._read(section_dir / f"page-{page}.html")
        if saved is not None:
            return Response(200, saved)
        template = self._read(section_dir / "empty.html")
        if template is None:
            return not_found()
        text = string.Template(template.decode("utf-8")).safe_substitute(page=str(page))
        return Response(200, text.encode("utf-8"))

    def _file(self, path: Path, content_type: str) -> Response:
        body = self._read(path)
        if body is None:
            return not_found()
        return Response(200, body, content_type)

    def _read(self, path: Path) -> bytes | None:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return None
        return resolved.read_bytes()


def default_site() -> DirectorySite:
    """The bundled replica of the section (``newscrawl/replica/site/``)."""
    return DirectorySite(SITE_DIR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "replica/1.0"
    sys_version = ""
    # An idle keep-alive connection is closed after this many seconds.
    timeout = 60
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        path, _, raw_query = self.path.partition("?")
        if not path.startswith("/"):  # absolute-form request target
            parts = urlsplit(self.path)
            path, raw_query = parts.path or "/", parts.query
        query = parse_qs(raw_query, keep_blank_values=True)
        self.server.record(RequestRecord(self.command, self.path, dict(self.headers.items())))
        try:
            response = self.server.site.resolve(unquote(path), query)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = Response(500, b"internal error\n", TEXT)
        if response.stall and self.server.stopping.wait(response.stall):
            response = Response(503, b"stopping\n", TEXT)
        if response.reset:
            self._reset()
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        if response.drip:
            for index in range(len(response.body)):
                self.wfile.write(response.body[index : index + 1])
                self.wfile.flush()
                if self.server.stopping.wait(response.drip):
                    break
            self.close_connection = True
            return
        if response.cut_after is None:
            self.wfile.write(response.body)
            return
        self.wfile.write(response.body[: response.cut_after])
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)

    def _reset(self) -> None:
        """Close the connection with a TCP RST (SO_LINGER 0), sending no answer at all."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # A burst of new connections (every faulty answer closes its own) must not overflow it.
    request_queue_size = 128
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        site: Site,
        *,
        verbose: bool,
        on_connection: Callable[[socket.socket], None] | None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.site = site
        self.verbose = verbose
        self.on_connection = on_connection
        self.ssl_context = ssl_context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.requests: list[RequestRecord] = []
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def record(self, request: RequestRecord) -> None:
        """Keep ``request`` in the log of everything received."""
        with self._open_lock:
            self.requests.append(request)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up the host's FQDN, which can be slow; skip it.
        TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            # The handshake happens on the handler's first read, not in the accepting thread.
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        with self._open_lock:
            self._open.add(sock)
        if self.on_connection is not None:
            try:
                self.on_connection(sock)
            except Exception:
                traceback.print_exc(file=sys.stderr)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Wake every handler waiting on a keep-alive connection, so that it ends."""
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError | ssl.SSLError) and not self.verbose:
            return  # the client went away (or refused our certificate): not worth a traceback
        super().handle_error(request, client_address)


class ReplicaServer:
    """Serves a ``Site`` on ``host:port`` (port 0: any free port) from a background thread.

    The socket is bound on construction, so ``port`` and ``base_url`` are known at once;
    ``start()`` begins serving and ``stop()`` (or leaving the ``with`` block) ends it,
    closing the listening socket and every open connection.
    """

    def __init__(
        self,
        site: Site,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        on_connection: Callable[[socket.socket], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``verbose`` logs each request to stderr; ``on_connection`` sees each accepted socket;
        with ``ssl_context`` (server side, certificate loaded) it speaks HTTPS."""
        self._httpd = _HTTPServer(
            (host, port),
            site,
            verbose=verbose,
            on_connection=on_connection,
            ssl_context=ssl_context,
        )
        self.host = host
        self.port: int = self._httpd.server_port
        scheme = "http" if ssl_context is None else "https"
        self.base_url = f"{scheme}://{host}:{self.port}"
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def site(self) -> Site:
        """The site being served."""
        return self._httpd.site

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far, in order (a copy)."""
        with self._httpd._open_lock:
            return list(self._httpd.requests)

    @property
    def running(self) -> bool:
        """Whether the server has been started and not yet stopped."""
        return self._thread is not None and not self._closed

    def start(self) -> Self:
        """Begin serving in a daemon thread."""
        if self._closed or self._thread is not None:
            raise RuntimeError("a ReplicaServer can be started only once")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"replica-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and release the port; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.close_open_connections()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        if self._thread is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
