"""Copies and moves to a name found free (a pasted "keep both" name, a rename) never write
over an object someone made there meanwhile: the server refuses the copy where it checks
``create_only`` itself (the memory server, Amazon S3, GCS, Azure), the engine looks at the
name right before where it does not (rclone serve s3, a server answering 501 to the
condition on a copy). The item then fails with CreatedMeanwhile and, for a move, its
source stays. A copy whose answer was lost and that was sent again is recognised by its
bytes and counted as made."""

from __future__ import annotations

import hashlib

import pytest

from cloudbrowser.core.backends.memory.backend import MemoryStorage
from cloudbrowser.core.entries import ObjectInfo
from cloudbrowser.core.errors import CreatedMeanwhile, KeyNotFound, NotSupported
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.storage import Features, Storage
from tests.conftest import MemoryServer, S3Server


def contents(storage: Storage, bucket: str, key: str) -> bytes:
    with storage.get_object(bucket, key) as reader:
        return reader.read(-1)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Watched(MemoryStorage):
    """A memory connection that records its copies' ``create_only`` and, with ``taker``,
    lets someone else take a target name just before the copy reaches the server."""

    def __init__(self, server: MemoryServer, *, checks: bool = True, rejects: bool = False) -> None:
        super().__init__(server.settings(), server.store, page_size=1000)
        self._checks = checks
        self._rejects = rejects
        #: ("head", key) and ("copy", create_only), in order.
        self.calls: list[tuple[str, object]] = []
        self.taker: dict[str, bytes] = {}

    @property
    def features(self) -> Features:
        return super().features._replace(conditional_puts=self._checks)

    def head_object(self, bucket: str, key: str, *, version_id: str = "") -> ObjectInfo:
        self.calls.append(("head", key))
        self._take(bucket)
        return super().head_object(bucket, key, version_id=version_id)

    def copy_object(
        self, src_bucket: str, src_key: str, bucket: str, key: str, *, create_only: bool = False
    ) -> str:
        self.calls.append(("copy", create_only))
        if create_only and self._rejects:
            raise NotSupported("This server does not support CopyObject with If-None-Match.")
        self._take(bucket)
        return super().copy_object(src_bucket, src_key, bucket, key, create_only=create_only)

    def _take(self, bucket: str) -> None:
        for key, body in self.taker.items():
            super().put_object(bucket, key, body, content_md5="")
        self.taker = {}


@pytest.mark.parametrize("kind", [OpKind.COPY, OpKind.MOVE])
def test_a_name_taken_meanwhile_is_not_written_over(
    memory_server: MemoryServer, kind: OpKind
) -> None:
    storage = Watched(memory_server)
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"report.pdf": b"mine"})
    storage.taker = {"report copy.pdf": b"someone else's"}
    item = OpItem("report.pdf", "report copy.pdf", 4, md5=md5(b"mine"), create_only=True)
    result = Operation(storage, kind, bucket, [item]).run()
    assert [(key, type(error)) for key, error in result.failed] == [
        ("report.pdf", CreatedMeanwhile)
    ]
    assert "someone else" in result.failed[0][1].message
    assert contents(storage, bucket, "report copy.pdf") == b"someone else's"
    assert contents(storage, bucket, "report.pdf") == b"mine"  # a move kept its source
    # The server's own check, no HEAD before; after its refusal, one look at what is there.
    assert storage.calls == [("copy", True), ("head", "report copy.pdf")]


def test_a_copy_only_asks_for_creation_where_the_item_says_so(
    memory_server: MemoryServer,
) -> None:
    storage = Watched(memory_server)
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"a.txt": b"new", "b.txt": b"old"})
    result = Operation(storage, OpKind.COPY, bucket, [OpItem("a.txt", "b.txt", 3)]).run()
    assert result.ok and contents(storage, bucket, "b.txt") == b"new"
    assert storage.calls == [("copy", False)]


def test_every_key_of_a_folder_is_only_created(memory_server: MemoryServer) -> None:
    storage = Watched(memory_server)
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"f/1.txt": b"1", "f/2.txt": b"2", "f/sub/3.txt": b"3"})
    storage.taker = {"g/sub/3.txt": b"someone else's"}
    result = Operation(
        storage, OpKind.MOVE, bucket, [OpItem("f/", "g/", create_only=True)], workers=1
    ).run()
    assert [key for key, _ in result.failed] == ["f/sub/3.txt"]
    assert result.done == 2
    assert contents(storage, bucket, "g/sub/3.txt") == b"someone else's"
    assert contents(storage, bucket, "f/sub/3.txt") == b"3"  # its source stays
    assert [c for c in storage.calls if c[0] == "copy"] == [("copy", True)] * 3


def test_a_copy_made_by_an_earlier_try_counts_as_made(memory_server: MemoryServer) -> None:
    """The server made the copy but its answer was lost; sent again, the create-only copy
    is refused because of itself: the object there holds the source's bytes."""
    storage = Watched(memory_server)
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"a.txt": b"same bytes"})
    storage.taker = {"b.txt": b"same bytes"}
    result = Operation(
        storage, OpKind.MOVE, bucket, [OpItem("a.txt", "b.txt", create_only=True)]
    ).run()
    assert result.ok and result.done == 1
    assert contents(storage, bucket, "b.txt") == b"same bytes"
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, "a.txt")  # the move finished: the source is gone


@pytest.mark.parametrize("why", ["takes no condition", "answers 501 to it on a copy"])
def test_where_the_server_does_not_check_the_name_is_looked_at_first(
    memory_server: MemoryServer, why: str
) -> None:
    rejects = why.startswith("answers")
    storage = Watched(memory_server, checks=rejects, rejects=rejects)
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"a.txt": b"mine", "c.txt": b"mine too"})
    items = [OpItem("a.txt", "b.txt", 4, create_only=True)]
    assert Operation(storage, OpKind.COPY, bucket, items).run().ok
    assert contents(storage, bucket, "b.txt") == b"mine"
    asked = [("copy", True)] if rejects else []
    assert storage.calls == [*asked, ("head", "b.txt"), ("copy", False)]

    storage.calls = []
    storage.taker = {"d.txt": b"someone else's"}
    items = [OpItem("c.txt", "d.txt", 8, create_only=True)]
    result = Operation(storage, OpKind.COPY, bucket, items).run()
    assert [type(error) for _, error in result.failed] == [CreatedMeanwhile]
    assert contents(storage, bucket, "d.txt") == b"someone else's"
    assert storage.calls == [*asked, ("head", "d.txt")]


def test_a_copy_between_connections_only_creates_too(
    memory_server: MemoryServer, rclone_server: S3Server
) -> None:
    """Streamed: the bytes go through this machine, into a create-only upload (rclone
    serve s3 takes no condition: the name is looked at right before)."""
    source = memory_server.backend()
    bucket, other = memory_server.bucket(), rclone_server.bucket()
    memory_server.put(bucket, {"a.txt": b"mine", "c.txt": b"also mine"})
    rclone_server.put(other, {"taken.txt": b"someone else's"})
    items = [
        OpItem("a.txt", "free.txt", create_only=True),
        OpItem("c.txt", "taken.txt", create_only=True),
    ]
    result = Operation(
        source, OpKind.COPY, bucket, items, dest_backend=rclone_server.backend(), dest_bucket=other
    ).run()
    assert [(key, type(error)) for key, error in result.failed] == [("c.txt", CreatedMeanwhile)]
    target = rclone_server.backend()
    assert contents(target, other, "free.txt") == b"mine"
    assert contents(target, other, "taken.txt") == b"someone else's"


def test_a_rename_on_a_server_without_the_condition_refuses_a_name_taken(
    rclone_server: S3Server,
) -> None:
    """rclone serve s3 takes no create-only condition (its features say so): the name is
    looked at right before the move's copy, and the move is refused."""
    storage = rclone_server.backend()
    bucket = rclone_server.bucket()
    rclone_server.put(bucket, {"old.txt": b"mine", "new.txt": b"someone else's"})
    result = Operation(
        storage, OpKind.MOVE, bucket, [OpItem("old.txt", "new.txt", create_only=True)]
    ).run()
    assert [type(error) for _, error in result.failed] == [CreatedMeanwhile]
    assert contents(storage, bucket, "new.txt") == b"someone else's"
    assert contents(storage, bucket, "old.txt") == b"mine"
