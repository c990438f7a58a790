"""Downloads that colliding names, planted files or a lying server cannot fool (issue 13).

* Temporary files belong to one transfer: objects ``doc`` and ``doc.part`` both arrive,
  a link or a user's file at a predictable name is never opened, a resume reopens only the
  file it created, and a file swapped in before the rename is never given the real name.
* What the server says is checked against the listed size: a lying Content-Length or
  Content-Range, an ``<Error>`` document sent as a 200, a HEAD claiming a huge size.
* A property test over batches of awkward keys: no two planned writes (targets and
  temporary files) are one path, and nothing lands outside the chosen folder.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudbrowser.core import downloads
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.details import Version
from cloudbrowser.core.downloads import is_temporary_name, temporary_name
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import LocalFileError, StorageError, WrongReply
from cloudbrowser.core.journal import Journal, State
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfer_plan import (
    plan_downloads,
    plan_version_download,
    version_file_name,
)
from cloudbrowser.core.transfers import MiB, TransferOptions, TransferQueue
from tests.conftest import S3Server
from tests.contract.test_transfers import (
    OPTIONS,
    PART,
    download,
    make_file,
    run,
    slow,
    temporaries,
    wait_until,
)
from tests.hostile import Forward, Reply, Request, error_reply

QueueFactory = Callable[..., TransferQueue]


@pytest.fixture
def make_queue(tmp_path: Path) -> Iterator[QueueFactory]:
    """Queues on a given backend (any server, the hostile one too), journalled in tmp_path."""
    queues: list[TransferQueue] = []

    def make(backend: S3Backend, options: TransferOptions = OPTIONS) -> TransferQueue:
        queue = TransferQueue(lambda _name: backend, Journal(tmp_path / "j.sqlite3"), options)
        queues.append(queue)
        return queue

    yield make
    for queue in queues:
        queue.shutdown()


@pytest.fixture
def named_temporaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads fetched in one GET write a named temporary file, as they do where the
    system makes no unnamed files (Windows, macOS, some file systems); on Linux they are
    unnamed until whole (``test_unnamed_downloads.py``), so there is no name to attack."""
    monkeypatch.setattr(downloads, "_UNNAMED_FLAG", 0)


@pytest.fixture(params=["unnamed", "named"])
def either_temporary(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads in one GET run once as on Linux and once as with named temporary files."""
    if request.param == "named":
        monkeypatch.setattr(downloads, "_UNNAMED_FLAG", 0)


def planned_requests(server: S3Server, bucket: str, prefix: str, dest: Path) -> Any:
    plan = plan_downloads(
        server.backend(), server.settings().name, bucket, [Entry(prefix, is_prefix=True)], "", dest
    )
    return plan, [item.request for item in plan.items]


# ── temporary files and collisions ──────────────────────────────────────────────────────


def test_objects_doc_and_doc_part_both_arrive_byte_identical(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    objects = {
        "c/doc": make_file(tmp_path / "s1", 3000, 1),
        "c/doc.part": make_file(tmp_path / "s2", 2000, 2),
        # The form of our own temporary files: refused, never written.
        "c/.doc.cbpart-1": make_file(tmp_path / "s3", 1000, 3),
    }
    server.put(bucket, objects)
    dest = tmp_path / "dl"
    plan, requests = planned_requests(server, bucket, "c/", dest)
    assert [key for key, _ in plan.refused] == ["c/.doc.cbpart-1"]
    assert "reserves for temporary files" in plan.refused[0][1]
    transfers = run(make_queue(server.backend()), requests)
    assert [(t.state, t.verified) for t in transfers] == [(State.DONE, True)] * 2
    assert (dest / "c" / "doc").read_bytes() == objects["c/doc"]
    assert (dest / "c" / "doc.part").read_bytes() == objects["c/doc.part"]
    assert sorted(p.name for p in (dest / "c").iterdir()) == ["doc", "doc.part"]


@pytest.mark.usefixtures("either_temporary")
def test_a_planted_link_at_a_temporary_name_is_never_followed(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "src", 1500)
    server.put(bucket, {"hello.txt": data})
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    dest = tmp_path / "dl"
    dest.mkdir()
    # The old predictable name, and the names this transfer (id 1) would try first.
    planted = [dest / "hello.txt.part", dest / temporary_name("hello.txt", 1)]
    for link in planted:
        link.symlink_to(outside)

    [t] = run(
        make_queue(server.backend()), [download(server, bucket, "hello.txt", dest / "hello.txt")]
    )
    assert (t.state, t.verified) == (State.DONE, True), t.error
    assert outside.read_bytes() == b"precious"
    target = dest / "hello.txt"
    assert not target.is_symlink() and target.read_bytes() == data
    assert all(link.is_symlink() and link.resolve() == outside for link in planted)


def test_a_users_own_part_file_is_left_alone(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "src", 2 * PART + 10)
    server.put(bucket, {"movie.mkv": data})
    dest = tmp_path / "dl"
    dest.mkdir()
    mine = dest / "movie.mkv.part"
    mine.write_bytes(b"the user's own half-copied film")
    [t] = run(
        make_queue(server.backend()), [download(server, bucket, "movie.mkv", dest / "movie.mkv")]
    )
    assert t.state is State.DONE, t.error
    assert (dest / "movie.mkv").read_bytes() == data
    assert mine.read_bytes() == b"the user's own half-copied film"


def test_resume_reopens_only_the_file_it_created(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    data = make_file(tmp_path / "src", 4 * PART + 3)
    server.put(bucket, {"big.bin": data})
    target = tmp_path / "dl" / "big.bin"
    queue = make_queue(server.backend(), slow())
    [t] = queue.add([download(server, bucket, "big.bin", target)])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
    queue.pause([t.id])
    assert queue.wait([t], timeout=30)
    [temp] = temporaries(target)
    # Someone replaces the temporary file by a link to a file outside (same name, not ours).
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"x" * 100)
    temp.unlink()
    temp.symlink_to(outside)

    queue.set_options(OPTIONS)
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.error) == (State.DONE, None)
    assert target.read_bytes() == data
    assert outside.read_bytes() == b"x" * 100, "never written through the planted link"
    assert temp.is_symlink(), "what is not ours is not deleted either"


@pytest.mark.usefixtures("named_temporaries")
def test_a_file_swapped_in_before_the_rename_is_never_given_the_real_name(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"a.txt": b"the real bytes"})
    target = tmp_path / "dl" / "a.txt"
    verify = downloads._verify

    def verify_then_swap(ctx: Any, fd: int, *checksums: Any) -> None:
        verify(ctx, fd, *checksums)
        # Another process replaces the verified file by its own between verify and rename.
        [temp] = temporaries(target)
        impostor = temp.with_name("impostor")
        impostor.write_bytes(b"not what was verified")
        impostor.replace(temp)

    monkeypatch.setattr(downloads, "_verify", verify_then_swap)
    [t] = run(make_queue(server.backend()), [download(server, bucket, "a.txt", target)])
    assert t.state is State.FAILED
    assert isinstance(t.error, LocalFileError)
    assert "was replaced by something else" in t.error.message
    assert not target.exists()


# ── what the server says ────────────────────────────────────────────────────────────────


def object_get(key: str) -> Any:
    def matches(request: Request) -> bool:
        return request.method == "GET" and request.key == key and not request.query

    return matches


def test_a_get_claiming_more_bytes_than_listed_writes_nothing(
    hostile_server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    data = make_file(tmp_path / "src", 1000)
    hostile_server.put(bucket, {"x.bin": data})
    request = download(hostile_server, bucket, "x.bin", tmp_path / "dl" / "x.bin")
    assert hostile_server.hostile is not None

    @hostile_server.hostile.rule
    def lie(req: Request, forward: Forward) -> Reply | None:
        if not object_get("x.bin")(req):
            return None
        reply = forward()
        # 5 GiB declared, 16 MiB of other bytes sent, then the server hangs up.
        reply.body = reply.body + b"\0" * (16 * MiB)
        reply.length = 5 * 1024 * MiB
        return reply

    queue = make_queue(hostile_server.backend())
    [t] = run(queue, [request])
    assert t.state is State.FAILED
    assert isinstance(t.error, StorageError)
    assert t.error.message == (
        f"The server sent a reply of {5 * 1024 * MiB} bytes for an object of 1000 bytes: “x.bin”."
    )
    assert not request.local_path.exists()
    assert temporaries(request.local_path) == [], "nothing of the reply is kept"


def test_a_ranged_reply_for_another_object_size_fails_that_file(
    hostile_server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    data = make_file(tmp_path / "src", 2 * PART + 5)
    hostile_server.put(bucket, {"r.bin": data})
    request = download(hostile_server, bucket, "r.bin", tmp_path / "dl" / "r.bin")
    assert hostile_server.hostile is not None

    @hostile_server.hostile.rule
    def other_total(req: Request, forward: Forward) -> Reply | None:
        if not object_get("r.bin")(req) or "range" not in req.headers:
            return None
        reply = forward()
        first_last = reply.header("Content-Range").split("/")[0]
        reply.set_header("Content-Range", f"{first_last}/{5 * 1024 * MiB}")
        return reply

    [t] = run(make_queue(hostile_server.backend()), [request])
    assert t.state is State.FAILED
    assert isinstance(t.error, StorageError)
    assert f"a reply of {5 * 1024 * MiB} bytes for an object of {2 * PART + 5}" in str(t.error)
    assert temporaries(request.local_path) == [], "no full-length temporary file is left"
    assert not request.local_path.exists()


def test_an_error_document_sent_as_200_is_not_saved_as_the_file(
    hostile_server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    error = error_reply(200, "InternalError", "We encountered an internal error.")
    # An object exactly as long as the error document: the length check alone cannot tell.
    hostile_server.put(bucket, {"e.txt": make_file(tmp_path / "src", len(error.body))})
    request = download(hostile_server, bucket, "e.txt", tmp_path / "dl" / "e.txt")
    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(lambda req, fwd: error if object_get("e.txt")(req) else None)

    [t] = run(make_queue(hostile_server.backend()), [request])
    assert t.state is State.FAILED
    assert isinstance(t.error, StorageError)
    assert "sent an error message instead of the contents of “e.txt”" in t.error.message
    assert not request.local_path.exists()
    assert temporaries(request.local_path) == []


def test_a_wrong_reply_keeps_its_kind_and_hint_after_a_restart(
    hostile_server: S3Server, tmp_path: Path
) -> None:
    """The journal records the error's kind by name: a WrongReply read back after a restart
    is a WrongReply, with its title and hint, not a plain StorageError."""
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"w.txt": make_file(tmp_path / "src", 1000)})
    request = download(hostile_server, bucket, "w.txt", tmp_path / "dl" / "w.txt")
    assert hostile_server.hostile is not None

    @hostile_server.hostile.rule
    def short(req: Request, forward: Forward) -> Reply | None:
        if not object_get("w.txt")(req):
            return None
        reply = forward()
        reply.body = reply.body[:10]
        return reply

    backend = hostile_server.backend()
    journal_path = tmp_path / "j.sqlite3"
    queue = TransferQueue(lambda _name: backend, Journal(journal_path), OPTIONS)
    [t] = run(queue, [request])
    queue.shutdown()
    queue.journal.close()
    assert t.state is State.FAILED
    assert isinstance(t.error, WrongReply)

    reopened = TransferQueue(lambda _name: backend, Journal(journal_path), OPTIONS)
    try:
        [restored] = reopened.restore()
        assert restored.id == t.id
        assert restored.state is State.FAILED
        assert type(restored.error) is WrongReply
        assert restored.error.title == "Unexpected reply from the server"
        assert (restored.error.message, restored.error.hint) == (t.error.message, t.error.hint)
        assert "Nothing of it was saved" in restored.error.hint
    finally:
        reopened.shutdown()
        reopened.journal.close()


def test_a_listed_size_larger_than_the_disk_fails_before_writing(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"huge.bin": b"small really"})
    honest = download(server, bucket, "huge.bin", tmp_path / "dl" / "huge.bin")
    (tmp_path / "dl").mkdir()
    free = shutil.disk_usage(tmp_path).free
    claimed = replace(honest, size=free + 1024 * 1024 * MiB)
    [t] = run(make_queue(server.backend()), [claimed])
    assert t.state is State.FAILED
    assert isinstance(t.error, LocalFileError)
    assert re.fullmatch(
        r"The disk is full: “huge\.bin” needs [\d.]+ TiB, [\d.]+ [GT]iB free\.", t.error.message
    ), t.error.message
    assert "continues from" not in t.error.hint
    assert temporaries(claimed.local_path) == [], "no sparse file of the claimed size"


# ── planning: a property over batches of awkward keys ──────────────────────────────────


def listing_of(keys: list[str]) -> Storage:
    """Just enough of a server for planning: bucket "bkt" holding ``keys``, in memory."""
    storage = open_storage(ConnectionSettings(kind="memory", endpoint_url="memory://plans"))
    forget_store(storage.settings)  # the next example starts from an empty server
    storage.create_bucket("bkt")
    for key in keys:
        storage.put_object("bkt", key, b"1", content_md5="")
    return storage


_LEAVES = st.sampled_from(
    ["x", "X", "x.part", "X.PART", ".x.cbpart-1", ".X.CBPART-2", ".x.cbpart-1-1", "x (1)", "y"]
)
_KEYS = st.lists(
    st.builds(
        lambda folder, leaf: f"p/{folder}{leaf}",
        st.sampled_from(["", "d/", "D/", ".x.cbpart-3/"]),
        _LEAVES,
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def plan_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("plans")


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keys=_KEYS)
def test_no_two_planned_writes_are_one_path(plan_root: Path, keys: list[str]) -> None:
    dest = plan_root / "dest"
    plan = plan_downloads(listing_of(keys), "c", "bkt", [Entry("p/", is_prefix=True)], "", dest)
    targets = [item.request.local_path for item in plan.items]
    # Each transfer gets an id; its temporary file is named after it.
    temps = [t.with_name(temporary_name(t.name, i)) for i, t in enumerate(targets, start=1)]
    writes = targets + temps
    assert len(set(writes)) == len(writes), "two writes to one path"
    assert not any(is_temporary_name(p.name) for p in targets)
    root = dest.resolve()
    assert all(p.resolve().is_relative_to(root) for p in writes)
    # Every key is planned or refused with a reason, none silently dropped.
    refused = {key for key, _why in plan.refused}
    planned = {item.request.key for item in plan.items}
    assert set(keys) == planned | refused
    assert all(why for _key, why in plan.refused)


def test_a_version_download_to_a_reserved_name_is_refused(tmp_path: Path) -> None:
    version = Version(".x.cbpart-1", "v1", 1_700_000_000.0, size=3, etag="e")
    target = tmp_path / version_file_name(version.key, version.modified)
    plan = plan_version_download("c", "b", version, target)
    assert plan.items == []
    [(key, why)] = plan.refused
    assert key == ".x.cbpart-1" and "reserves for temporary files" in why


# ── every key delivered byte-identical or named ─────────────────────────────────────────


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(keys=st.lists(_LEAVES, min_size=2, max_size=6, unique=True))
def test_every_key_arrives_identical_or_is_named(
    moto_server: S3Server, tmp_path_factory: pytest.TempPathFactory, keys: list[str]
) -> None:
    tmp = tmp_path_factory.mktemp("batch")
    bucket = moto_server.bucket()
    objects = {f"p/{k}": hashlib.sha256(k.encode()).digest() * (i + 1) for i, k in enumerate(keys)}
    moto_server.put(bucket, objects)
    dest = tmp / "dl"
    plan, requests = planned_requests(moto_server, bucket, "p/", dest)
    backend = moto_server.backend()
    queue = TransferQueue(lambda _n: backend, Journal(tmp / "j.sqlite3"), TransferOptions())
    try:
        transfers = run(queue, requests)
    finally:
        queue.shutdown()
    refused = {key for key, _why in plan.refused}
    for t in transfers:
        assert (t.state, t.verified) == (State.DONE, True), t.error
        assert t.local_path.read_bytes() == objects[t.key]
    assert {t.key for t in transfers} | refused == set(objects)
