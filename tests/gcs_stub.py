"""A small stand-in for Google Cloud Storage's resumable upload protocol, as GCS documents
it (fake-gcs-server's sessions are weaker: see core/backends/gcs/uploads.py).

* ``POST /upload/storage/v1/b/B/o?uploadType=resumable&name=K`` → 200, ``Location``: the
  session URI.
* ``PUT <session>`` with ``Content-Range: bytes A-B/*`` appends when A is the committed
  offset (else 400), answers 308 and ``Range: bytes=0-N``; ``bytes A-B/T`` with B+1 = T
  and ``bytes */T`` with T = committed finish the object (200 and its JSON resource);
  ``bytes */*`` is the status query (308 and the Range, no Range when nothing is held).
* ``DELETE <session>`` → 499.

``keep_next`` makes the next chunk be committed only in part (GCS may keep fewer bytes
than were sent); ``received`` counts the bytes of chunk bodies that arrived.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

_IDS = itertools.count(1)


class GcsStub:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.objects: dict[tuple[str, str], bytes] = {}
        self.received = 0
        self.status_queries = 0
        self.begun = 0
        self.keep_next: int | None = None
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                stub.post(self)

            def do_PUT(self) -> None:
                stub.put(self)

            def do_DELETE(self) -> None:
                stub.delete(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> GcsStub:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ── the protocol ────────────────────────────────────────────────────────────────────

    def post(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        query = parse_qs(url.query)
        bucket = url.path.split("/")[5]
        length = int(h.headers.get("Content-Length", 0))
        h.rfile.read(length)
        sid = str(next(_IDS))
        with self.lock:
            self.begun += 1
            self.sessions[sid] = {"bucket": bucket, "key": query["name"][0], "data": b""}
        h.send_response(200)
        h.send_header("Location", f"{self.url}/upload/session/{sid}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def put(self, h: BaseHTTPRequestHandler) -> None:
        sid = h.path.rsplit("/", 1)[-1]
        body = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        content_range = h.headers.get("Content-Range", "")
        with self.lock:
            session = self.sessions.get(sid)
            if session is None:
                self._reply(h, 404, b'{"error": {"code": 404, "message": "No such upload"}}')
                return
            if content_range == "bytes */*":
                self.status_queries += 1
                self._incomplete(h, session)
                return
            finish = re.fullmatch(r"bytes \*/(\d+)", content_range)
            if finish:
                if int(finish.group(1)) != len(session["data"]):
                    self._reply(h, 400, b'{"error": {"code": 400, "message": "bad total"}}')
                    return
                self._finish(h, sid, session)
                return
            chunk = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
            if not chunk or int(chunk.group(1)) != len(session["data"]):
                self._reply(h, 400, b'{"error": {"code": 400, "message": "bad offset"}}')
                return
            self.received += len(body)
            keep = len(body) if self.keep_next is None else self.keep_next
            self.keep_next = None
            session["data"] += body[:keep]
            total = chunk.group(3)
            if total != "*" and int(total) == len(session["data"]):
                self._finish(h, sid, session)
            else:
                self._incomplete(h, session)

    def delete(self, h: BaseHTTPRequestHandler) -> None:
        sid = h.path.rsplit("/", 1)[-1]
        with self.lock:
            self.sessions.pop(sid, None)
        self._reply(h, 499, b"")

    def _incomplete(self, h: BaseHTTPRequestHandler, session: dict[str, Any]) -> None:
        h.send_response(308)
        if session["data"]:
            h.send_header("Range", f"bytes=0-{len(session['data']) - 1}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _finish(self, h: BaseHTTPRequestHandler, sid: str, session: dict[str, Any]) -> None:
        data: bytes = session["data"]
        self.objects[(session["bucket"], session["key"])] = data
        del self.sessions[sid]
        resource = {
            "name": session["key"],
            "bucket": session["bucket"],
            "size": str(len(data)),
            "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "generation": "1",
        }
        self._reply(h, 200, json.dumps(resource).encode())

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
