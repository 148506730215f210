"""Loopback stand-in for the OSV query API, as pip-audit's ``osv`` service uses it.

Usage::

    with FakeOSV() as osv:                      # default table: KNOWN_VULNS
        subprocess.run([..., "-s", "osv", "--osv-url", osv.url, ...])
        osv.requests                            # parsed JSON bodies received, in order
        osv.fail_with(500)                      # every query now fails (times=N: next N only)
        osv.recover()
    closed_port_url()                           # http://127.0.0.1:<refusing port>/v1/query

What pip-audit 2.10.1 actually does (read from pip_audit/_service/osv.py and checked by
tests/integration/fakes/test_osv_server.py):

* ``--osv-url`` is the full query endpoint (default ``https://api.osv.dev/v1/query``), not a
  base URL. pip-audit sends one ``POST`` per dependency, body
  ``{"package": {"name": <PEP 503 name>, "ecosystem": "PyPI"}, "version": "<version>"}``
  (no ``/v1/querybatch``, no paging). An empty JSON object means "no vulnerabilities";
  otherwise it reads ``vulns[*]``: ``id``, ``aliases``, ``summary`` (falls back to
  ``details``), ``published``, ``withdrawn`` (skipped), and the ``fixed`` events of the
  ``ECOSYSTEM`` range whose ``affected[].package`` matches the name and ecosystem ``PyPI``.
  Records without ``affected`` are dropped.
* Offline command line (nothing but the OSV URL is contacted; the tests prove it by pointing
  HTTP(S)_PROXY at a refusing port with NO_PROXY=127.0.0.1)::

      python -m pip_audit -r requirements.txt --no-deps --disable-pip \
          -s osv --osv-url http://127.0.0.1:PORT/v1/query -f json \
          --progress-spinner off --cache-dir DIR --timeout 5

  ``--no-deps`` needs every requirement pinned with ``==``.
* Vulnerable pin (``requests==2.25.0``): exit 1; stderr has
  ``Found 1 known vulnerability in 1 package``; stdout is
  ``{"dependencies": [{"name": "requests", "version": "2.25.0", "vulns": [{"id":
  "CVE-2023-32681", "fix_versions": ["2.31.0"], "aliases": ["GHSA-j8r2-6x86-q33q"],
  "description": "Unintended leak of ..."}]}], "fixes": []}``. Note that pip-audit re-ranks
  the ids (PYSEC > CVE > anything else), so the GHSA id ends up in ``aliases``; match on
  ``{id, *aliases}``, never on ``id`` alone. (The live OSV database also has PYSEC-2023-74 for
  this CVE; when that record is returned too, it becomes the ``id``.)
* Clean pin (``idna==3.7``): exit 0; stderr ``No known vulnerabilities found``; stdout
  ``{"dependencies": [{"name": "idna", "version": "3.7", "vulns": []}], "fixes": []}``.
* OSV answers an HTTP error (500, 503, ...): exit 1 -- the same code as "vulnerabilities
  found" -- with EMPTY stdout (no JSON, no partial results, no ``skip_reason``) and an
  uncaught traceback on stderr containing ``requests.exceptions.HTTPError: 500 Server Error``
  and ending with the line ``pip_audit._service.interface.ServiceError``. The first failing
  query aborts the run; nothing is retried.
* OSV unreachable (connection refused): exit 1, empty stdout, traceback whose last line starts
  ``requests.exceptions.ConnectionError:`` and mentions ``Connection refused``. pip-audit's
  friendly "Could not connect to OSV's vulnerability feed" message is printed only for a
  connect *timeout*, not for a refusal.
* So "could not audit" = non-zero exit and stdout that is not a JSON document; "audited, found
  vulnerabilities" = exit 1 with a JSON document on stdout.
* pip-audit logs two ``--no-deps`` WARNING lines to stderr on every run.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import json
import re
import socket
import socketserver
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

__all__ = [
    "KNOWN_VULNS",
    "OSV_QUERY_PATH",
    "REQUESTS_PROXY_AUTH_LEAK",
    "FakeOSV",
    "IncomingRequest",
    "LoopbackHTTPService",
    "Reply",
    "closed_port",
    "closed_port_url",
]

LOOPBACK = "127.0.0.1"

# ---------------------------------------------------------------------------
# Shared loopback HTTP plumbing (also used by slack_receiver.py)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingRequest:
    """One HTTP request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What a fake answers; always sent with an exact Content-Length."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, status: int, payload: object) -> Reply:
        return cls(status, json.dumps(payload).encode(), "application/json")

    @classmethod
    def from_text(cls, status: int, text: str, content_type: str = "text/plain") -> Reply:
        return cls(status, text.encode(), f"{content_type}; charset=utf-8")


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, hands it to the owning service, writes its Reply."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real services
    server: _LoopbackServer

    def do_POST(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None and self.headers.get("Transfer-Encoding"):
            # Neither client we imitate sends chunked bodies; refuse rather than guess.
            self._write(Reply.from_text(411, "length_required"))
            self.close_connection = True
            return
        body = self.rfile.read(int(length)) if length else b""
        request = IncomingRequest(
            method=self.command,
            path=self.path,
            headers={name: value for name, value in self.headers.items()},
            body=body,
        )
        try:
            reply = self.server.service.handle(request)
        except Exception as exc:  # a bug in a fake must not hang the client under test
            reply = Reply.from_text(500, f"fake server error: {exc!r}")
        self._write(reply)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr logging."""


class _LoopbackServer(ThreadingHTTPServer):
    """ThreadingHTTPServer bound to 127.0.0.1:0 that tracks and un-Nagles its connections."""

    daemon_threads = True

    def __init__(self, service: LoopbackHTTPService) -> None:
        self.service = service
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((LOOPBACK, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a reverse DNS lookup we don't need.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(conn)
        return conn, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_open_connections(self) -> None:
        """Unblock handler threads parked on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class LoopbackHTTPService:
    """Base for the fakes: a threaded HTTP server on 127.0.0.1 with an ephemeral port.

    Subclasses implement :meth:`handle`. Use as a context manager; leaving the block always
    stops the serving thread, drops open keep-alive connections and closes the listening socket.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: _LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        server = _LoopbackServer(self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{server.server_port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        try:
            server.shutdown()
            server.drop_open_connections()
        finally:
            server.server_close()
            if thread is not None:
                thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addressing --------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    # -- behaviour ---------------------------------------------------------
    def handle(self, request: IncomingRequest) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError


# ---------------------------------------------------------------------------
# A port nobody listens on
# ---------------------------------------------------------------------------

_reserved_socket: socket.socket | None = None
_reserved_lock = threading.Lock()


def _close_reserved_socket() -> None:
    if _reserved_socket is not None:
        _reserved_socket.close()


def closed_port() -> int:
    """A 127.0.0.1 port that refuses connections for the rest of this process.

    The port is held by a socket that is bound but never listens, so no other process can take
    it and every connect() gets ECONNREFUSED immediately (no timeout to wait for).
    """
    global _reserved_socket
    with _reserved_lock:
        if _reserved_socket is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            _reserved_socket = sock
            atexit.register(_close_reserved_socket)
        return int(_reserved_socket.getsockname()[1])


def closed_port_url(path: str = "/v1/query") -> str:
    """URL on :func:`closed_port`; the default path matches what ``--osv-url`` expects."""
    return f"http://{LOOPBACK}:{closed_port()}{path}"


# ---------------------------------------------------------------------------
# The OSV fake
# ---------------------------------------------------------------------------

OSV_QUERY_PATH = "/v1/query"

OsvRecord = dict[str, Any]
VulnTable = Mapping[tuple[str, str], Sequence[OsvRecord]]

#: The real advisory for requests < 2.31.0 (OSV record GHSA-j8r2-6x86-q33q), abridged.
REQUESTS_PROXY_AUTH_LEAK: OsvRecord = {
    "schema_version": "1.6.0",
    "id": "GHSA-j8r2-6x86-q33q",
    "modified": "2024-11-19T16:38:41Z",
    "published": "2023-05-22T20:36:32Z",
    "aliases": ["CVE-2023-32681"],
    "related": ["PYSEC-2023-74"],
    "summary": "Unintended leak of Proxy-Authorization header in requests",
    "details": (
        "Requests 2.3.0 through 2.30.0 re-attach the `Proxy-Authorization` header when "
        "following an HTTPS redirect through a proxy whose credentials are given in the proxy "
        "URL, sending those credentials to the destination server over the tunnel.\n\n"
        "Upgrade to 2.31.0 or later and rotate any proxy credentials that may have leaked."
    ),
    "affected": [
        {
            "package": {
                "ecosystem": "PyPI",
                "name": "requests",
                "purl": "pkg:pypi/requests",
            },
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}],
                }
            ],
            "database_specific": {"source": "https://github.com/github/advisory-database"},
        }
    ],
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"}],
    "references": [
        {
            "type": "WEB",
            "url": "https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q",
        },
        {"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2023-32681"},
        {"type": "PACKAGE", "url": "https://github.com/psf/requests"},
    ],
    "database_specific": {
        "cwe_ids": ["CWE-200"],
        "github_reviewed": True,
        "severity": "MODERATE",
    },
}

#: Default table: (package name, exact version) -> OSV records returned for that pin.
KNOWN_VULNS: Mapping[tuple[str, str], Sequence[OsvRecord]] = {
    ("requests", "2.25.0"): [REQUESTS_PROXY_AUTH_LEAK],
}


def _canonical_name(name: str) -> str:
    """PEP 503 normalisation, which is also what pip-audit sends."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class _Failure:
    status: int
    body: bytes
    remaining: int | None  # None: until cleared


class FakeOSV(LoopbackHTTPService):
    """Answers ``POST /v1/query`` from a fixed (name, version) -> [OSV record] table.

    >>> with FakeOSV() as osv:                                  # doctest: +SKIP
    ...     run(["pip-audit", "-s", "osv", "--osv-url", osv.url, ...])
    ...     osv.requests  # [{"package": {"name": "requests", "ecosystem": "PyPI"}, ...}]
    """

    def __init__(self, vulns: VulnTable | None = None) -> None:
        super().__init__()
        table = KNOWN_VULNS if vulns is None else vulns
        self._table: dict[tuple[str, str], list[OsvRecord]] = {
            (_canonical_name(name), version): copy.deepcopy(list(records))
            for (name, version), records in table.items()
        }
        self._requests: list[dict[str, Any]] = []
        self._failure: _Failure | None = None

    @property
    def url(self) -> str:
        """Value for pip-audit's ``--osv-url`` (the full query endpoint, not a base URL)."""
        return self.base_url + OSV_QUERY_PATH

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Parsed JSON bodies of every query received so far (a snapshot copy)."""
        with self._lock:
            return copy.deepcopy(self._requests)

    def fail_with(self, status: int, body: str | None = None, *, times: int | None = None) -> None:
        """Answer every query (or only the next ``times`` ones) with ``status``.

        The default body imitates the JSON error shape of OSV's API gateway.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for 'until recover()')")
        if body is None:
            payload = {"code": 13, "message": f"fake OSV failure (HTTP {status})"}
            encoded = json.dumps(payload).encode()
        else:
            encoded = body.encode()
        with self._lock:
            self._failure = _Failure(status, encoded, times)

    def recover(self) -> None:
        """Stop failing; answer from the vulnerability table again."""
        with self._lock:
            self._failure = None

    def handle(self, request: IncomingRequest) -> Reply:
        if urlsplit(request.path).path != OSV_QUERY_PATH:
            return Reply.from_json(404, {"code": 5, "message": "Not Found"})
        if request.method != "POST":
            return Reply.from_json(405, {"code": 12, "message": "Method Not Allowed"})
        try:
            query = json.loads(request.body)
        except ValueError:
            return Reply.from_json(400, {"code": 3, "message": "Invalid query."})
        if not isinstance(query, dict):
            return Reply.from_json(400, {"code": 3, "message": "Invalid query."})

        with self._lock:
            self._requests.append(query)
            failure = self._take_failure()
        if failure is not None:
            return Reply(failure.status, failure.body, "application/json")

        records = self._lookup(query)
        # Like the real API: an empty object (not an empty list) when nothing matches.
        return Reply.from_json(200, {"vulns": records} if records else {})

    def _take_failure(self) -> _Failure | None:
        failure = self._failure
        if failure is not None and failure.remaining is not None:
            left = failure.remaining - 1
            self._failure = _Failure(failure.status, failure.body, left) if left > 0 else None
        return failure

    def _lookup(self, query: Mapping[str, Any]) -> list[OsvRecord]:
        package = query.get("package")
        version = query.get("version")
        if not isinstance(package, dict) or not isinstance(version, str):
            return []
        if package.get("ecosystem") != "PyPI":
            return []
        name = package.get("name")
        if not isinstance(name, str):
            return []
        return copy.deepcopy(self._table.get((_canonical_name(name), version), []))
