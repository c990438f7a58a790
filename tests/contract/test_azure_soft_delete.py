"""Azure blob soft delete through the engine's walks (Versions…, Show deleted, Undelete).

Azurite keeps no soft-deleted blobs (its Undelete Blob answers 501), so these run against
a small stub on 127.0.0.1 that answers as Azure documents (tests/azure_soft_stub.py) and
records the requests the backend sends. The window's path: tests/gui/test_soft_delete.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from cloudbrowser.core import versions as walks
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.errors import NoVersioning
from cloudbrowser.core.storage import Storage, soft_deletes_of
from tests.azure_soft_stub import (
    ACCOUNT,
    CONTAINER,
    DAY,
    DELETED_AT,
    UNVERSIONED,
    VERSIONED,
    Account,
    serving,
)

#: Starts a stub for an account; the backend opened on it (``auth``: key or sas).
Serve = Callable[..., Storage]


@pytest.fixture
def serve() -> Iterator[Serve]:
    with ExitStack() as stack:

        def start(account: Account, *, auth: str = "key") -> Storage:
            served = stack.enter_context(serving(account, auth=auth))
            return open_storage(served.settings(), served.credentials)

        yield start


def test_retention_off_lists_no_soft_deleted_blobs(serve: Serve) -> None:
    account = Account(VERSIONED, retention_days=0)
    storage = serve(account)
    assert soft_deletes_of(storage).soft_delete_retention(CONTAINER) == 0
    history = walks.object_versions(storage, CONTAINER, "docs/v.txt")
    assert [(v.version_id, v.soft_deleted) for v in history] == [
        ("2024-03-01T10:00:00.0000000Z", False)
    ]
    # Nothing asked for deleted rows.
    assert not [q for q in account.calls("GET", comp="list") if "deleted" in str(q)]


def test_retention_on_lists_a_blobs_soft_deleted_snapshot(serve: Serve) -> None:
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


def test_show_deleted_lists_what_only_soft_delete_keeps(serve: Serve) -> None:
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


def test_undelete_of_a_soft_deleted_blob_is_undelete_blob(serve: Serve) -> None:
    account = Account(UNVERSIONED)
    storage = serve(account)
    assert walks.undelete(storage, CONTAINER, "docs/gone.txt") == 1
    undeletes = [p for m, p, q, _h in account.requests if q.get("comp") == ["undelete"]]
    assert undeletes == [f"/{ACCOUNT}/{CONTAINER}/docs/gone.txt"]
    # The blob comes back as it was: no copy.
    assert not [h for m, _p, _q, h in account.requests if "x-ms-copy-source" in h]


def test_restoring_a_soft_deleted_snapshot_copies_it_back(serve: Serve) -> None:
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


def test_restoring_a_soft_deleted_version_undeletes_then_copies_it(serve: Serve) -> None:
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
def test_a_principal_that_cannot_read_the_setting_still_gets_versions(
    serve: Serve, caplog: pytest.LogCaptureFixture, auth: str, refusal: str
) -> None:
    account = Account(VERSIONED, properties_refused=refusal)
    storage = serve(account, auth=auth)
    with caplog.at_level(logging.WARNING, logger="cloudbrowser.core.versions"):
        history = walks.object_versions(storage, CONTAINER, "docs/v.txt")
    assert [(v.version_id, v.soft_deleted) for v in history] == [
        ("2024-03-01T10:00:00.0000000Z", False)
    ]
    assert "Soft-deleted objects of papers not listed" in caplog.text


def test_no_versioning_and_no_soft_delete_says_so(serve: Serve) -> None:
    account = Account(UNVERSIONED, retention_days=0)
    storage = serve(account)
    with pytest.raises(NoVersioning):
        walks.object_versions(storage, CONTAINER, "docs/kept.txt")
