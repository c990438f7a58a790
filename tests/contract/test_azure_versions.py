"""Azure blob versions through the engine's walks. Azurite keeps no versions, so these run
against a small stub on 127.0.0.1 that answers List Blobs with ``include=versions`` with
a reply recorded in Azure's documented format (List Blobs, service version 2019-12-12+:
each version a ``<Blob>`` with ``<VersionId>``, the current one ``<IsCurrentVersion>``),
and records the copy and delete requests the backend sends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from cloudbrowser.core import versions as walks
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.storage import Storage, versions_of

ACCOUNT = "stubaccount"
CONTAINER = "papers"

_ROW = (
    "<Blob><Name>{name}</Name><VersionId>{vid}</VersionId>{current}<Properties>"
    "<Last-Modified>{when}</Last-Modified><Etag>0x{etag}</Etag>"
    "<Content-Length>{size}</Content-Length><BlobType>BlockBlob</BlobType>"
    "<AccessTier>Hot</AccessTier></Properties></Blob>"
)


def _row(name: str, vid: str, when: str, etag: str, size: int, *, current: bool = False) -> str:
    flag = "<IsCurrentVersion>true</IsCurrentVersion>" if current else ""
    return _ROW.format(name=name, vid=vid, current=flag, when=when, etag=etag, size=size)


# Recorded shape; oldest version first per blob, as Azure lists them. "gone.txt" was
# deleted (no current version), "kept.txt" has two versions, the newer current.
LISTING = (
    '<?xml version="1.0" encoding="utf-8"?>'
    f'<EnumerationResults ServiceEndpoint="http://127.0.0.1/{ACCOUNT}/" '
    f'ContainerName="{CONTAINER}"><Prefix>docs/</Prefix><Delimiter>/</Delimiter><Blobs>'
    + _row(
        "docs/gone.txt", "2024-01-01T10:00:00.0000000Z", "Mon, 01 Jan 2024 10:00:00 GMT", "A1", 3
    )
    + _row(
        "docs/gone.txt", "2024-02-01T10:00:00.0000000Z", "Thu, 01 Feb 2024 10:00:00 GMT", "A2", 5
    )
    + _row(
        "docs/kept.txt", "2024-01-02T10:00:00.0000000Z", "Tue, 02 Jan 2024 10:00:00 GMT", "B1", 7
    )
    + _row(
        "docs/kept.txt",
        "2024-03-01T10:00:00.0000000Z",
        "Fri, 01 Mar 2024 10:00:00 GMT",
        "B2",
        9,
        current=True,
    )
    + "<BlobPrefix><Name>docs/sub/</Name></BlobPrefix></Blobs><NextMarker /></EnumerationResults>"
)


class _Stub(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, dict[str, str]]]

    def log_message(self, *_args: object) -> None:
        pass

    def _record(self) -> tuple[str, dict[str, list[str]]]:
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        headers["?query"] = url.query  # the request's query, for the tests to read
        self.requests.append((self.command, unquote(url.path), headers))
        return unquote(url.path), parse_qs(url.query)

    def _reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in {
            "x-ms-version": "2025-01-05",
            "x-ms-request-id": "stub",
            "Content-Length": str(len(body)),
            **headers,
        }.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        _path, query = self._record()
        if query.get("comp") == ["list"] and query.get("include") == ["versions"]:
            self._reply(200, LISTING.encode(), Content_Type="application/xml")
        else:
            self._reply(400, x_ms_error_code="UnsupportedByStub")

    def do_PUT(self) -> None:
        self._record()
        self._reply(
            202,
            ETag='"0xC0PY"',
            Last_Modified="Sat, 01 Jun 2024 10:00:00 GMT",
            x_ms_copy_id="copy-1",
            x_ms_copy_status="success",
        )

    def do_HEAD(self) -> None:
        self._record()
        self._reply(
            200,
            ETag='"0xC0PY"',
            Last_Modified="Sat, 01 Jun 2024 10:00:00 GMT",
            x_ms_blob_type="BlockBlob",
            Content_Type="text/plain",
        )

    def do_DELETE(self) -> None:
        self._record()
        self._reply(202)


@pytest.fixture
def stub() -> Iterator[tuple[Storage, list[tuple[str, str, dict[str, str]]]]]:
    requests: list[tuple[str, str, dict[str, str]]] = []
    handler = type("Handler", (_Stub,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = ConnectionSettings(
        name="stub",
        kind="azure",
        endpoint_url=f"http://127.0.0.1:{server.server_port}/{ACCOUNT}",
        auth="anonymous",
        account=ACCOUNT,
        max_attempts=1,
    )
    try:
        yield open_storage(settings), requests
    finally:
        server.shutdown()
        server.server_close()


def test_versions_newest_first_and_a_deleted_blob_gets_a_marker(
    stub: tuple[Storage, list[tuple[str, str, dict[str, str]]]],
) -> None:
    storage, _requests = stub
    assert storage.features.versions
    assert versions_of(storage).bucket_versioning(CONTAINER) == "Enabled"
    kept = walks.object_versions(storage, CONTAINER, "docs/kept.txt")
    assert [(v.version_id, v.is_latest, v.size) for v in kept] == [
        ("2024-03-01T10:00:00.0000000Z", True, 9),
        ("2024-01-02T10:00:00.0000000Z", False, 7),
    ]
    gone = walks.object_versions(storage, CONTAINER, "docs/gone.txt")
    assert [(v.delete_marker, v.is_latest) for v in gone][:1] == [(True, True)]
    assert [v.version_id for v in gone[1:]] == [
        "2024-02-01T10:00:00.0000000Z",
        "2024-01-01T10:00:00.0000000Z",
    ]
    [page] = list(walks.iter_deleted(storage, CONTAINER, "docs/"))
    assert [(e.key, e.size) for e in page.objects] == [("docs/gone.txt", 5)]
    assert [e.key for e in page.prefixes] == ["docs/sub/"]


def test_undelete_copies_the_newest_version_back(
    stub: tuple[Storage, list[tuple[str, str, dict[str, str]]]],
) -> None:
    storage, requests = stub
    requests.clear()
    # Removing the marker (what the engine's undelete does) restores the newest version.
    versions_of(storage).delete_version(CONTAINER, "docs/gone.txt", "deleted")
    copies = [(path, h) for method, path, h in requests if method == "PUT"]
    assert len(copies) == 1
    path, headers = copies[0]
    assert path == f"/{ACCOUNT}/{CONTAINER}/docs/gone.txt"
    assert headers["x-ms-copy-source"].endswith("versionid=2024-02-01T10%3A00%3A00.0000000Z")
    assert headers["x-ms-requires-sync"].lower() == "true"


def test_a_version_is_deleted_by_its_id(
    stub: tuple[Storage, list[tuple[str, str, dict[str, str]]]],
) -> None:
    storage, requests = stub
    versions_of(storage).delete_version(CONTAINER, "docs/kept.txt", "2024-01-02T10:00:00.0000000Z")
    [(_method, path, headers)] = [r for r in requests if r[0] == "DELETE"]
    assert path == f"/{ACCOUNT}/{CONTAINER}/docs/kept.txt"
    assert parse_qs(headers["?query"])["versionid"] == ["2024-01-02T10:00:00.0000000Z"]
