"""Azurite behind a small front that answers what Azurite does not do as Azure does.

* **Put Block From URL** (``PUT ?comp=block`` with ``x-ms-copy-source``; Azurite 3.35
  answers it 501): the front reads ``x-ms-source-range`` of the source URL (with its SAS,
  honouring ``x-ms-source-if-match``: 412 ``SourceConditionNotMet`` otherwise), stages
  those bytes as the block on Azurite, and replies 201 with the block's ``Content-MD5``.
* **Pending Copy Blob** (``pending_copies=True``; Azurite finishes every copy in its
  account at once): a Copy Blob is answered 202 ``x-ms-copy-status: pending`` and leaves
  an empty destination blob, as Azure's does while it copies; its Get Blob Properties
  says pending, with ``x-ms-copy-progress`` (``progress``), until the test calls
  :meth:`CopyStub.complete` (or ``complete_after`` polls); **Abort Copy Blob** (``PUT
  ?comp=copy&copyid=…``, ``x-ms-copy-action: abort``) leaves the empty blob, or answers
  409 ``NoPendingCopyOperation`` where the copy completed (``complete_on_abort``: it
  completes just before the abort comes; ``abort_after``: answered only once that event
  is set). A destination's ``x-ms-creation-time`` is
  Azure's: the blob's own where the copy wrote over one, the copy's where it made it.

Every other request goes to Azurite unchanged (its SharedKey signature still verifies).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from azure.storage.blob import BlobServiceClient

from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY

_HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive", "content-length"}


@dataclass
class PendingCopy:
    """One Copy Blob the front keeps pending."""

    copy_id: str
    source: tuple[str, str]  # container, blob
    size: int
    #: ``x-ms-creation-time`` of the destination (an HTTP date).
    created: str
    status: str = "pending"
    polls: int = 0


class CopyStub:
    """Azurite behind a front (see above)."""

    def __init__(self, azurite_url: str, *, pending_copies: bool = False) -> None:
        parts = urlsplit(azurite_url)
        self.backend_host, self.backend_port = parts.hostname or "", parts.port or 80
        self.azurite = BlobServiceClient(
            azurite_url, credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
        )
        #: Each Put Block From URL answered: (blob path, block id, first, last).
        self.block_copies: list[tuple[str, str, int, int]] = []
        self.pending_copies = pending_copies
        #: The copies kept pending, by destination ("container/blob").
        self.copies: dict[str, PendingCopy] = {}
        #: Set when a pending copy's destination is asked about (the client polls).
        self.polled = threading.Event()
        #: The Abort Copy Blob requests, by destination.
        self.aborts: list[str] = []
        #: The ``x-ms-copy-progress`` a poll is answered with.
        self.progress: Callable[[PendingCopy], str] = lambda c: f"0/{c.size}"
        #: Complete a copy when it is polled this many times (0: never by itself).
        self.complete_after = 0
        #: Complete a copy right before its abort is answered (the abort is too late).
        self.complete_on_abort = False
        #: Where set, an abort is answered only once this is set (a slow service): what
        #: the client does meanwhile is seen.
        self.abort_after: threading.Event | None = None
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _any(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                copying = self.command == "PUT" and "x-ms-copy-source" in self.headers
                path = stub.blob_path(self)
                if copying and query.get("comp") == ["block"]:
                    stub.put_block_from_url(self, query["blockid"][0])
                elif copying and not query.get("comp") and stub.pending_copies:
                    stub.start_copy(self, path)
                elif self.command == "PUT" and query.get("comp") == ["copy"]:
                    stub.abort_copy(self, path, query.get("copyid", [""])[0])
                elif self.command == "HEAD" and path in stub.copies:
                    stub.poll(self, path)
                else:
                    if self.command in ("PUT", "DELETE") and not query.get("comp"):
                        stub.copies.pop(path, None)  # written or deleted: no copy's now
                    stub.forward(self)

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{AZURITE_ACCOUNT}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def blob_path(handler: BaseHTTPRequestHandler) -> str:
        """The request's blob as "container/blob" ("" for an account or container)."""
        parts = unquote(urlsplit(handler.path).path).lstrip("/").split("/", 2)
        return "/".join(parts[1:]) if len(parts) == 3 else ""

    def forward(
        self, handler: BaseHTTPRequestHandler, changed: dict[str, str] | None = None
    ) -> None:
        """The request, sent to Azurite; its reply sent back, with the headers in
        ``changed`` set (on a success)."""
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        connection = http.client.HTTPConnection(self.backend_host, self.backend_port, timeout=30)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
            headers["Host"] = f"{self.backend_host}:{self.backend_port}"
            connection.request(handler.command, handler.path, body=body, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        handler.send_response(reply.status, reply.reason)
        replaced = {k.lower(): v for k, v in (changed or {}).items()} if reply.status < 300 else {}
        for name, value in reply.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() not in replaced:
                handler.send_header(name, value)
        for name, value in replaced.items():
            handler.send_header(name, value)
        # A HEAD's Content-Length is the blob's size, not of the (empty) body.
        length = reply.getheader("Content-Length", "0") if handler.command == "HEAD" else ""
        handler.send_header("Content-Length", length or str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    def put_block_from_url(self, handler: BaseHTTPRequestHandler, block_id: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        source = handler.headers["x-ms-copy-source"]
        ranged = handler.headers.get("x-ms-source-range", "")
        request = urllib.request.Request(source)
        if ranged:
            request.add_header("Range", ranged)
        if_match = handler.headers.get("x-ms-source-if-match", "")
        if if_match:
            request.add_header("If-Match", if_match)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                data = reply.read()
        except urllib.error.HTTPError as error:
            code = "SourceConditionNotMet" if error.code == 412 else "CannotVerifyCopySource"
            self._reply(handler, 412 if error.code == 412 else 400, {"x-ms-error-code": code})
            return
        _account, container, blob = urlsplit(handler.path).path.lstrip("/").split("/", 2)
        # The query's block id is base64 already; the SDK encodes the one it is given.
        plain_id = base64.b64decode(block_id).decode()
        self.azurite.get_blob_client(container, blob).stage_block(plain_id, data)
        first, _, last = ranged.removeprefix("bytes=").partition("-")
        self.block_copies.append((f"{container}/{blob}", block_id, int(first), int(last)))
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        self._reply(
            handler,
            201,
            {
                "Content-MD5": md5,
                "x-ms-request-server-encrypted": "true",
                "x-ms-version": handler.headers.get("x-ms-version", "2021-08-06"),
            },
        )

    # ── pending copies ──────────────────────────────────────────────────────────────────

    def start_copy(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        """Copy Blob, kept pending: the destination becomes an empty blob now."""
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        source_path = unquote(urlsplit(handler.headers["x-ms-copy-source"]).path)
        _account, src_container, src_blob = source_path.lstrip("/").split("/", 2)
        container, blob = path.split("/", 1)
        target = self.azurite.get_blob_client(container, blob)
        existed = target.exists()
        if existed and handler.headers.get("If-None-Match") == "*":
            self._reply(handler, 409, {"x-ms-error-code": "BlobAlreadyExists"})
            return
        began = time.time()
        if existed:
            # Azure keeps a blob's creation time when it is written over; the copy began
            # after the blob was made (the same second, in a test: said as one before).
            made = target.get_blob_properties().creation_time.timestamp()
            created = formatdate(min(made, began - 1), usegmt=True)
        else:
            created = formatdate(began, usegmt=True)
        size = self.azurite.get_blob_client(src_container, src_blob).get_blob_properties().size
        target.upload_blob(b"", overwrite=True)
        with self._lock:
            copy_id = f"copy-{len(self.copies) + len(self.aborts) + 1}"
            self.copies[path] = PendingCopy(copy_id, (src_container, src_blob), size, created)
        self._reply(
            handler,
            202,
            {
                "ETag": f'"{target.get_blob_properties().etag}"',
                "Last-Modified": formatdate(began, usegmt=True),
                "x-ms-copy-id": copy_id,
                "x-ms-copy-status": "pending",
                "x-ms-version": handler.headers.get("x-ms-version", "2021-08-06"),
            },
        )

    def poll(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        """Get Blob Properties of a copy's destination: Azurite's answer, with the
        copy's status and progress."""
        copy = self.copies[path]
        copy.polls += 1
        if copy.status == "pending" and self.complete_after and copy.polls >= self.complete_after:
            self.complete(path)
        changed = {
            "x-ms-copy-id": copy.copy_id,
            "x-ms-copy-status": copy.status,
            "x-ms-creation-time": copy.created,
        }
        if copy.status == "pending":
            changed["x-ms-copy-progress"] = self.progress(copy)
        self.forward(handler, changed)
        if copy.status == "pending":
            self.polled.set()

    def complete(self, path: str) -> None:
        """The copy to ``path`` ends: its source's bytes are the destination's."""
        copy = self.copies[path]
        data = self.azurite.get_blob_client(*copy.source).download_blob().readall()
        container, blob = path.split("/", 1)
        self.azurite.get_blob_client(container, blob).upload_blob(data, overwrite=True)
        copy.status = "success"

    def abort_copy(self, handler: BaseHTTPRequestHandler, path: str, copy_id: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        self.aborts.append(path)
        if self.abort_after is not None:
            self.abort_after.wait(30)
        copy = self.copies.get(path)
        if copy is not None and copy.status == "pending" and self.complete_on_abort:
            self.complete(path)
        if copy is None or copy.status != "pending":
            self._reply(handler, 409, {"x-ms-error-code": "NoPendingCopyOperation"})
        elif copy.copy_id != copy_id:
            self._reply(handler, 409, {"x-ms-error-code": "CopyIdMismatch"})
        else:
            copy.status = "aborted"  # the destination stays empty, as Azure leaves it
            self._reply(handler, 204, {})

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("x-ms-request-id", "stub-0001")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
