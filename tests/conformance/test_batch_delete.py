"""Batch delete: up to the limit in one call, missing keys count as deleted, refusals
are reported per key."""

from __future__ import annotations

import pytest

from cloudbrowser.core.errors import AccessDenied, CloudBrowserError
from cloudbrowser.core.storage import BatchDelete
from tests.conformance.conftest import Target
from tests.conformance.test_listing import listed
from tests.conftest import MemoryServer, S3Server
from tests.hostile import refusing_deletes


def test_a_batch_deletes_present_and_missing_keys(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, ["a", "b/c", "d e", "keep"])
    storage = target.storage()
    assert storage.features.batch_delete and isinstance(storage, BatchDelete)
    assert storage.delete_objects(bucket, ["a", "b/c", "d e", "never-there"]) == []
    assert storage.delete_objects(bucket, []) == []
    assert listed(storage, bucket, recursive=True) == ["keep"]


def test_a_batch_over_the_limit_is_refused_before_anything_is_sent(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, ["k0"])
    storage = target.storage()
    assert isinstance(storage, BatchDelete)
    too_many = [f"k{i}" for i in range(storage.features.limits.max_delete_batch + 1)]
    with pytest.raises(ValueError, match="at most"):
        storage.delete_objects(bucket, too_many)
    assert listed(storage, bucket, recursive=True) == ["k0"]


@pytest.mark.parametrize("kind", ["memory", pytest.param("hostile", marks=pytest.mark.server)])
def test_refused_keys_are_returned_with_their_errors(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """No real server refuses a key on its own: the memory store and the hostile front
    are told to refuse one."""
    server: MemoryServer | S3Server = request.getfixturevalue(f"{kind}_server")
    bucket = server.bucket()
    server.put(bucket, ["free.txt", "held.txt"])
    if isinstance(server, MemoryServer):

        def refuse(_bucket: str, key: str) -> CloudBrowserError | None:
            return AccessDenied(f"{key} is held") if key == "held.txt" else None

        server.store.refuse_delete = refuse
    else:
        assert server.hostile is not None
        server.hostile.rule(refusing_deletes({"held.txt"}))
    storage = server.backend()
    assert isinstance(storage, BatchDelete)
    refused = storage.delete_objects(bucket, ["free.txt", "held.txt"])
    assert [(key, type(error)) for key, error in refused] == [("held.txt", AccessDenied)]
    assert listed(storage, bucket, recursive=True) == ["held.txt"]
