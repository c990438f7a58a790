"""Azure blob soft delete through the engine's walks (Versions…, Show deleted, Undelete).

Azurite keeps no soft-deleted blobs (its Undelete Blob answers 501), so these run against
a small stub on 127.0.0.1 that answers as Azure documents: Get Blob Service Properties
with a ``DeleteRetentionPolicy``; List Blobs with ``include=deleted`` giving soft-deleted
rows ``<Deleted>true</Deleted>`` with ``DeletedTime`` and ``RemainingRetentionDays``
(snapshots only in a flat listing: with a delimiter Azure refuses ``include=snapshots``,
and so does the stub); Undelete Blob (``comp=undelete``); a synchronous Copy Blob. It
records the requests the backend sends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from cloudbrowser.core import versions as walks
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.storage import Storage, soft_deletes_of

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
        elif query.get("comp") == ["list"]:
            self._list(query)
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


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[ThreadingHTTPServer] = []

    def start(account: Account, *, auth: str = "key") -> Storage:
        handler = type("Handler", (_Stub,), {"account": account})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings = ConnectionSettings(
            name="stub",
            kind="azure",
            endpoint_url=f"http://127.0.0.1:{server.server_port}/{ACCOUNT}",
            auth=auth,
            account=ACCOUNT,
            max_attempts=1,
        )
        if auth == "sas":
            credentials = Credentials("sas", "sv=2025-01-05&sr=c&sp=rl&sig=c3R1Yg%3D%3D")
        else:
            credentials = Credentials(ACCOUNT, KEY)
        return open_storage(settings, credentials)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_retention_off_lists_no_soft_deleted_blobs(serve) -> None:  # type: ignore[no-untyped-def]
    account = Account(VERSIONED, retention_days=0)
    storage = serve(account)
    assert soft_deletes_of(storage).soft_delete_retention(CONTAINER) == 0
    history = walks.object_versions(storage, CONTAINER, "docs/v.txt")
    assert [(v.version_id, v.soft_deleted) for v in history] == [
        ("2024-03-01T10:00:00.0000000Z", False)
    ]
    # Nothing asked for deleted rows.
    assert not [q for q in account.calls("GET", comp="list") if "deleted" in str(q)]


def test_retention_on_lists_a_blobs_soft_deleted_snapshot(serve) -> None:  # type: ignore[no-untyped-def]
    account = Account(UNVERSIONED)
    storage = serve(account)
    assert soft_deletes_of(storage).soft_delete_retention(CONTAINER) == 7 * DAY
    history = walks.object_versions(storage, CONTAINER, "docs/kept.txt")
    # No versioning: the live blob (no id) on top, then the snapshot soft delete took
    # when it was overwritten, kept 7 days from when it was deleted.
    assert [(v.version_id, v.is_latest, v.soft_deleted, v.size) for v in history] == [
        ("", True, False, 9),
        ("snapshot:2024-01-03T09:00:00.0000000Z", False, True, 7),
    ]
    soft = history[1]
    assert soft.deleted_at == DELETED_AT
    assert soft.kept_until == DELETED_AT + 7 * DAY
    # One blob's history is a flat listing (Azure lists snapshots only so) …
    [flat] = [q for q in account.calls("GET", comp="list") if "snapshots" in q["include"][0]]
    assert flat["prefix"] == ["docs/kept.txt"] and "delimiter" not in flat
    assert set(flat["include"][0].split(",")) == {"deleted", "versions", "snapshots"}


def test_show_deleted_lists_what_only_soft_delete_keeps(serve) -> None:  # type: ignore[no-untyped-def]
    account = Account(UNVERSIONED)
    storage = serve(account)
    pages = list(walks.iter_deleted(storage, CONTAINER, "docs/"))
    deleted = [(e.key, e.size, e.modified) for p in pages for e in p.objects]
    # The blob itself (its snapshot's row is older): deleted when Azure says.
    assert deleted == [("docs/gone.txt", 5, DELETED_AT)]
    folders = {e.key for p in pages for e in p.prefixes}
    assert "docs/sub/" in folders
    # … a folder's is delimited, without snapshots.
    folder_lists = [q for q in account.calls("GET", comp="list") if "deleted" in str(q)]
    assert folder_lists and all(q.get("delimiter") == ["/"] for q in folder_lists)


def test_undelete_of_a_soft_deleted_blob_is_undelete_blob(serve) -> None:  # type: ignore[no-untyped-def]
    account = Account(UNVERSIONED)
    storage = serve(account)
    assert walks.undelete(storage, CONTAINER, "docs/gone.txt") == 1
    undeletes = [p for m, p, q, _h in account.requests if q.get("comp") == ["undelete"]]
    assert undeletes == [f"/{ACCOUNT}/{CONTAINER}/docs/gone.txt"]
    # The blob comes back as it was: no copy.
    assert not [h for m, _p, _q, h in account.requests if "x-ms-copy-source" in h]


def test_restoring_a_soft_deleted_snapshot_copies_it_back(serve) -> None:  # type: ignore[no-untyped-def]
    account = Account(UNVERSIONED)
    storage = serve(account)
    [soft] = [
        v for v in walks.object_versions(storage, CONTAINER, "docs/kept.txt") if v.soft_deleted
    ]
    account.requests.clear()
    walks.restore(storage, CONTAINER, soft)
    puts = [(q, h) for m, _p, q, h in account.requests if m == "PUT"]
    # Undelete Blob first (Azure restores every soft-deleted snapshot), then the copy.
    assert [q.get("comp") for q, _h in puts] == [["undelete"], None]
    copy = puts[1][1]
    assert copy["x-ms-copy-source"].endswith("snapshot=2024-01-03T09%3A00%3A00.0000000Z")
    assert copy["x-ms-requires-sync"].lower() == "true"


def test_restoring_a_soft_deleted_version_undeletes_then_copies_it(serve) -> None:  # type: ignore[no-untyped-def]
    account = Account(VERSIONED)
    storage = serve(account)
    history = walks.object_versions(storage, CONTAINER, "docs/v.txt")
    assert [(v.version_id, v.is_latest, v.soft_deleted) for v in history] == [
        ("2024-03-01T10:00:00.0000000Z", True, False),
        ("2024-01-01T10:00:00.0000000Z", False, True),
    ]
    account.requests.clear()
    assert walks.restore(storage, CONTAINER, history[1]) == "0xC0PY"
    puts = [(q, h) for m, _p, q, h in account.requests if m == "PUT"]
    assert [q.get("comp") for q, _h in puts] == [["undelete"], None]
    assert puts[1][1]["x-ms-copy-source"].endswith("versionid=2024-01-01T10%3A00%3A00.0000000Z")


@pytest.mark.parametrize(
    ("auth", "refusal"),
    [
        # A container SAS signs no account-level request.
        ("sas", "AuthenticationFailed"),
        # An Entra ID role, or an account SAS, without the service's properties.
        ("key", "AuthorizationPermissionMismatch"),
        ("sas", "AuthorizationResourceTypeMismatch"),
    ],
)
def test_a_principal_that_cannot_read_the_setting_still_gets_versions(  # type: ignore[no-untyped-def]
    serve, caplog: pytest.LogCaptureFixture, auth: str, refusal: str
) -> None:
    account = Account(VERSIONED, properties_refused=refusal)
    storage = serve(account, auth=auth)
    with caplog.at_level(logging.WARNING, logger="cloudbrowser.core.versions"):
        history = walks.object_versions(storage, CONTAINER, "docs/v.txt")
    assert [(v.version_id, v.soft_deleted) for v in history] == [
        ("2024-03-01T10:00:00.0000000Z", False)
    ]
    assert "Soft-deleted objects of papers not listed" in caplog.text


def test_no_versioning_and_no_soft_delete_says_so(serve) -> None:  # type: ignore[no-untyped-def]
    account = Account(UNVERSIONED, retention_days=0)
    storage = serve(account)
    from cloudbrowser.core.errors import NoVersioning

    with pytest.raises(NoVersioning):
        walks.object_versions(storage, CONTAINER, "docs/kept.txt")
