"""Share links of in-memory objects: a small HTTP server on 127.0.0.1, in this process.

A link is ``http://127.0.0.1:PORT/<token>``; the token names the store, bucket and key
and when it expires. Like a presigned URL, it serves the object as it is when fetched (a
deleted object is a 404) and is refused (403) once expired, by the store's clock. The
server starts with the first link and runs, on daemon threads, until the process ends.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudbrowser.core.backends.memory.store import MemoryStore


@dataclass(frozen=True, slots=True)
class _Link:
    store: MemoryStore
    bucket: str
    key: str
    expires: float


_links: dict[str, _Link] = {}
_server: ThreadingHTTPServer | None = None
_lock = threading.Lock()


def make_link(store: MemoryStore, bucket: str, key: str, expires: float) -> str:
    """A URL that serves ``bucket/key`` of ``store`` until ``expires`` (store clock)."""
    token = secrets.token_urlsafe(16)
    with _lock:
        _links[token] = _Link(store, bucket, key, expires)
        server = _running_server()
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/{token}"


def _running_server() -> ThreadingHTTPServer:
    global _server
    if _server is None:
        _server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        _server.daemon_threads = True
        threading.Thread(
            target=_server.serve_forever, name="memory-share-links", daemon=True
        ).start()
    return _server


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is not the place for an access log."""

    def do_GET(self) -> None:
        with _lock:
            link = _links.get(self.path.lstrip("/"))
        if link is None:
            self._refuse(403, "AccessDenied", "No such link.")
            return
        with link.store.lock:
            if link.store.clock() > link.expires:
                self._refuse(403, "AccessDenied", "Request has expired.")
                return
            bucket = link.store.buckets.get(link.bucket)
            version = bucket.current(link.key) if bucket is not None else None
        if version is None:
            self._refuse(404, "NoSuchKey", "The specified key does not exist.")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(version.data)))
        self.send_header("Content-Type", version.content_type or "binary/octet-stream")
        self.send_header("ETag", f'"{version.etag}"')
        self.end_headers()
        self.wfile.write(version.data)

    def _refuse(self, status: int, code: str, message: str) -> None:
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
