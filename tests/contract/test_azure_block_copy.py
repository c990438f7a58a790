"""Server-side copy of a large blob block by block (Put Block From URL: the Azure backend's
``copy_chunk``), through the engine's copy operation.

Azurite 3.35 answers Put Block From URL with 501 APINotImplemented, so these tests run
against a small stub on 127.0.0.1 in front of Azurite: every request goes to Azurite
unchanged (its SharedKey signature still verifies) except Put Block From URL (``PUT
?comp=block`` with ``x-ms-copy-source``), which the stub answers as Azure documents it: it
reads ``x-ms-source-range`` of the source URL (with its SAS, honouring
``x-ms-source-if-match``: 412 ``SourceConditionNotMet`` otherwise), stages those bytes as
the block on Azurite, and replies 201 with the block's ``Content-MD5``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.storage.blob import BlobServiceClient

from cloudbrowser.core import operations
from cloudbrowser.core.errors import ObjectChanged
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.storage import MiB, chunked_uploads_of, server_copy_of
from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from tests.conftest import AzuriteServer

_HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive", "content-length"}


class BlockCopyStub:
    """Azurite behind a front that implements Put Block From URL (see above)."""

    def __init__(self, azurite_url: str) -> None:
        parts = urlsplit(azurite_url)
        self.backend_host, self.backend_port = parts.hostname or "", parts.port or 80
        self.azurite = BlobServiceClient(
            azurite_url, credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY}
        )
        #: Each Put Block From URL answered: (blob path, block id, first, last).
        self.block_copies: list[tuple[str, str, int, int]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _any(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if (
                    self.command == "PUT"
                    and query.get("comp") == ["block"]
                    and "x-ms-copy-source" in self.headers
                ):
                    stub.put_block_from_url(self, query["blockid"][0])
                else:
                    stub.forward(self)

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{AZURITE_ACCOUNT}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
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
        for name, value in reply.getheaders():
            if name.lower() not in _HOP_BY_HOP:
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

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("x-ms-request-id", "stub-0001")
        handler.send_header("Content-Length", "0")
        handler.end_headers()


@pytest.fixture
def stub(azurite_server: AzuriteServer) -> Iterator[BlockCopyStub]:
    front = BlockCopyStub(azurite_server.endpoint_url)
    yield front
    front.close()


def test_a_large_blob_is_copied_block_by_block_on_the_server(
    azurite_server: AzuriteServer, stub: BlockCopyStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the one-request copy limit (lowered here from 256 MiB) a blob is copied in
    blocks by Put Block From URL and committed by Put Block List: same bytes, and the
    source's Content-MD5 kept, so a download of the copy is verified."""
    monkeypatch.setattr(operations, "COPY_PART_SIZE", 1 * MiB)  # Azure's smallest block here
    bucket = azurite_server.bucket("blockcopy")
    data = os.urandom(3 * MiB + 12_345)  # three full blocks and a short one
    storage = azurite_server.backend(endpoint_url=stub.url)
    storage.put_object(bucket, "big.bin", data, content_md5="")
    source = storage.head_object(bucket, "big.bin")
    assert source.md5 == hashlib.md5(data).hexdigest()  # Put Blob stores it

    op = Operation(storage, OpKind.COPY, bucket, [OpItem("big.bin", "copy.bin")], max_copy=MiB)
    result = op.run()
    assert result.ok, result.failed

    # Four blocks, copied by the server from the byte ranges of the source.
    ranges = [(first, last) for path, _id, first, last in stub.block_copies]
    assert {path for path, *_ in stub.block_copies} == {f"{bucket}/copy.bin"}
    assert sorted(set(ranges)) == [
        (0, MiB - 1),
        (MiB, 2 * MiB - 1),
        (2 * MiB, 3 * MiB - 1),
        (3 * MiB, len(data) - 1),
    ]
    with storage.get_object(bucket, "copy.bin") as reader:
        copied = reader.read(-1)
        assert reader.md5 == source.md5  # the copy's Content-MD5: the source's
    assert hashlib.md5(copied).hexdigest() == hashlib.md5(data).hexdigest()
    assert copied == data
    copy = storage.head_object(bucket, "copy.bin")
    assert (copy.size, copy.md5) == (len(data), source.md5)
    # No provisional block is left in the committed blob.
    blob = stub.azurite.get_blob_client(bucket, "copy.bin")
    committed, _uncommitted = blob.get_block_list("committed")
    assert len(committed) == 4


def test_a_block_copy_of_a_changed_source_is_refused(
    azurite_server: AzuriteServer, stub: BlockCopyStub
) -> None:
    """Each block is pinned to the source's revision (``x-ms-source-if-match``)."""
    bucket = azurite_server.bucket("blockcopy")
    storage = azurite_server.backend(endpoint_url=stub.url)
    storage.put_object(bucket, "src.bin", b"a" * 4096, content_md5="")
    old = storage.head_object(bucket, "src.bin").etag
    storage.put_object(bucket, "src.bin", b"b" * 4096, content_md5="")
    session = chunked_uploads_of(storage).begin_upload(bucket, "copy.bin")
    with pytest.raises(ObjectChanged):
        server_copy_of(storage).copy_chunk(
            bucket, "src.bin", bucket, "copy.bin", session, 1, 0, 4095, if_match=old
        )
    token = server_copy_of(storage).copy_chunk(
        bucket, "src.bin", bucket, "copy.bin", session, 1, 0, 4095
    )
    assert token == hashlib.md5(b"b" * 4096).hexdigest()
