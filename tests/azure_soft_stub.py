"""A small stand-in for Azure Blob Storage's soft delete, as Azure documents it (Azurite
keeps no soft-deleted blobs: its Undelete Blob answers 501).

* Get Blob Service Properties: a ``DeleteRetentionPolicy`` (``Account.retention_days``),
  or 403 with ``Account.properties_refused`` as its error code.
* List Containers: the one container.
* List Blobs: the account's rows below ``prefix`` (folders by ``delimiter``); with
  ``include=deleted`` the soft-deleted ones too (``<Deleted>true</Deleted>``,
  ``DeletedTime``, ``RemainingRetentionDays``), with ``include=versions`` old versions,
  with ``include=snapshots`` snapshots, which Azure refuses with a delimiter (400,
  "Listing snapshots is only supported in flat mode"), and so does the stub.
* Undelete Blob (``comp=undelete``) → 200; any other PUT is a synchronous Copy Blob → 202
  "success"; HEAD → a blob's properties. Nothing changes state: ``Account.requests``
  records what was sent, for the tests to read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from cloudbrowser.core.connection import ConnectionSettings, Credentials

ACCOUNT = "stubaccount"
CONTAINER = "papers"
KEY = "a2V5LWZvci10aGUtc3R1Yi1hY2NvdW50LW5vdC1yZWFs"
DAY = 86400
#: When the stub's blobs were soft-deleted: 2 days and an hour ago, kept 7 days in all
#: (Azure says 5 days remain).
DELETED_AT = float(int(time.time()) - 2 * DAY - 3600)


@dataclass
class Row:
    name: str
    modified: str = "Mon, 01 Jan 2024 10:00:00 GMT"
    size: int = 3
    etag: str = "A1"
    version_id: str = ""
    current: bool = False
    snapshot: str = ""
    deleted: bool = False

    def xml(self, include: list[str]) -> str:
        parts = [f"<Blob><Name>{self.name}</Name>"]
        if self.snapshot:
            parts.append(f"<Snapshot>{self.snapshot}</Snapshot>")
        if self.version_id and "versions" in include:
            parts.append(f"<VersionId>{self.version_id}</VersionId>")
            if self.current:
                parts.append("<IsCurrentVersion>true</IsCurrentVersion>")
        if self.deleted:
            parts.append("<Deleted>true</Deleted>")
        parts.append(
            f"<Properties><Last-Modified>{self.modified}</Last-Modified>"
            f"<Etag>0x{self.etag}</Etag><Content-Length>{self.size}</Content-Length>"
            "<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier>"
        )
        if self.deleted:
            parts.append(
                f"<DeletedTime>{formatdate(DELETED_AT, usegmt=True)}</DeletedTime>"
                "<RemainingRetentionDays>5</RemainingRetentionDays>"
            )
        parts.append("</Properties></Blob>")
        return "".join(parts)

    def listed(self, include: list[str]) -> bool:
        if self.deleted and "deleted" not in include:
            return False
        if self.snapshot and "snapshots" not in include:
            return False
        # Without include=versions only current versions (or unversioned blobs) show.
        return not (self.version_id and not self.current and "versions" not in include)


#: No versioning: "docs/kept.txt" is live and was overwritten once (Azure kept a
#: soft-deleted snapshot of it); "docs/gone.txt" was deleted with its snapshot.
UNVERSIONED = [
    Row("docs/gone.txt", snapshot="2024-01-01T09:00:00.0000000Z", deleted=True, size=2),
    Row("docs/gone.txt", modified="Tue, 02 Jan 2024 10:00:00 GMT", deleted=True, size=5),
    Row("docs/kept.txt", snapshot="2024-01-03T09:00:00.0000000Z", deleted=True, size=7),
    Row("docs/kept.txt", modified="Thu, 04 Jan 2024 10:00:00 GMT", size=9, etag="B2"),
    Row("docs/kept.txt/inner.txt", size=1),
    Row("docs/sub/deep.txt", deleted=True),
]
#: Versioning: "docs/v.txt" has a current version and a deleted (soft-deleted) one.
VERSIONED = [
    Row("docs/v.txt", version_id="2024-01-01T10:00:00.0000000Z", deleted=True, size=4),
    Row(
        "docs/v.txt",
        modified="Fri, 01 Mar 2024 10:00:00 GMT",
        version_id="2024-03-01T10:00:00.0000000Z",
        current=True,
        size=6,
        etag="C2",
    ),
]


@dataclass
class Account:
    rows: list[Row]
    #: Days of the DeleteRetentionPolicy (0: off); or the error code Get Blob Service
    #: Properties answers with 403.
    retention_days: int = 7
    properties_refused: str = ""
    requests: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = field(
        default_factory=list
    )

    def calls(self, method: str, **query: str) -> list[dict[str, list[str]]]:
        return [
            q
            for m, _p, q, _h in self.requests
            if m == method and all(q.get(k) == [v] for k, v in query.items())
        ]


class _Stub(BaseHTTPRequestHandler):
    account: Account

    def log_message(self, *_args: object) -> None:
        pass

    def _record(self) -> dict[str, list[str]]:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.account.requests.append((self.command, unquote(url.path), query, headers))
        return query

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

    def _error(self, status: int, code: str, message: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>"
        ).encode()
        self._reply(status, body, Content_Type="application/xml", x_ms_error_code=code)

    def do_GET(self) -> None:
        query = self._record()
        if query.get("restype") == ["service"] and query.get("comp") == ["properties"]:
            self._properties()
        elif query.get("comp") == ["list"] and query.get("restype") == ["container"]:
            self._list(query)
        elif query.get("comp") == ["list"]:
            self._containers()
        else:
            self._error(400, "UnsupportedByStub", "Not answered by the stub.")

    def _properties(self) -> None:
        a = self.account
        if a.properties_refused:
            self._error(403, a.properties_refused, "This request is not authorized.")
            return
        policy = (
            f"<Enabled>true</Enabled><Days>{a.retention_days}</Days>"
            if a.retention_days
            else "<Enabled>false</Enabled>"
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><StorageServiceProperties>'
            f"<DeleteRetentionPolicy>{policy}</DeleteRetentionPolicy>"
            "</StorageServiceProperties>"
        ).encode()
        self._reply(200, body, Content_Type="application/xml")

    def _containers(self) -> None:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<EnumerationResults ServiceEndpoint="http://127.0.0.1/{ACCOUNT}/"><Containers>'
            f"<Container><Name>{CONTAINER}</Name><Properties>"
            "<Last-Modified>Mon, 01 Jan 2024 10:00:00 GMT</Last-Modified>"
            "<Etag>0x1</Etag></Properties></Container></Containers><NextMarker />"
            "</EnumerationResults>"
        ).encode()
        self._reply(200, body, Content_Type="application/xml")

    def _list(self, query: dict[str, list[str]]) -> None:
        include = ",".join(query.get("include", [])).split(",")
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [""])[0]
        if delimiter and "snapshots" in include:
            self._error(
                400,
                "InvalidQueryParameterValue",
                "Listing snapshots is only supported in flat mode (no delimiter).",
            )
            return
        blobs: list[str] = []
        folders: list[str] = []
        for row in self.account.rows:
            if not row.name.startswith(prefix) or not row.listed(include):
                continue
            rest = row.name[len(prefix) :]
            if delimiter and delimiter in rest:
                folder = prefix + rest[: rest.index(delimiter) + 1]
                if folder not in folders:
                    folders.append(folder)
                    blobs.append(f"<BlobPrefix><Name>{folder}</Name></BlobPrefix>")
                continue
            blobs.append(row.xml(include))
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<EnumerationResults ServiceEndpoint="http://127.0.0.1/{ACCOUNT}/" '
            f'ContainerName="{CONTAINER}"><Blobs>{"".join(blobs)}</Blobs><NextMarker />'
            "</EnumerationResults>"
        ).encode()
        self._reply(200, body, Content_Type="application/xml")

    def do_PUT(self) -> None:
        query = self._record()
        if query.get("comp") == ["undelete"]:
            self._reply(200)
            return
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


@dataclass
class Served:
    """A stub serving an account: the connection to it and its credentials (the shape of
    the test servers' ``settings()`` and ``credentials``)."""

    port: int
    auth: str = "key"

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(
            name="stub",
            kind="azure",
            endpoint_url=f"http://127.0.0.1:{self.port}/{ACCOUNT}",
            auth=self.auth,
            account=ACCOUNT,
            max_attempts=1,
        )

    @property
    def credentials(self) -> Credentials:
        if self.auth == "sas":
            return Credentials("sas", "sv=2025-01-05&sr=c&sp=rl&sig=c3R1Yg%3D%3D")
        return Credentials(ACCOUNT, KEY)


@contextmanager
def serving(account: Account, *, auth: str = "key") -> Iterator[Served]:
    """The stub on 127.0.0.1 for the time of the ``with``."""
    handler = type("Handler", (_Stub,), {"account": account})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(server.server_port, auth)
    finally:
        server.shutdown()
        server.server_close()
