"""A file fetched in one GET is written unnamed (Linux ``O_TMPFILE``) and named once whole.

Until its bytes are verified and on the disk the file has no name at all: nothing to
journal, to find half-written in the folder, or to clean up after a crash. Where the
target's name is taken it is renamed over atomically, through a journalled temporary name;
where the file system makes no unnamed files, the named temporary file of
``test_download_safety.py`` is used. Run on the in-memory backend, moto and rclone.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core import downloads
from cloudbrowser.core.errors import LocalFileError
from cloudbrowser.core.journal import Journal, State
from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest
from tests.conftest import TestServer
from tests.contract.test_checksums import download_request
from tests.contract.test_transfers import temporaries

pytestmark = pytest.mark.skipif(
    not hasattr(os, "O_TMPFILE"), reason="unnamed files are Linux's (O_TMPFILE)"
)


@pytest.fixture
def queue(any_server: TestServer, tmp_path: Path) -> Iterator[TransferQueue]:
    backend = any_server.backend()
    q = TransferQueue(
        lambda _name: backend, Journal(tmp_path / "j.sqlite3"), TransferOptions(concurrency=2)
    )
    yield q
    q.shutdown()


def request(server: TestServer, bucket: str, key: str, path: Path) -> TransferRequest:
    return download_request(server.backend(), bucket, key, path)


def seeded(server: TestServer, objects: dict[str, bytes]) -> str:
    bucket = server.bucket()
    server.put(bucket, objects)
    return bucket


def watch_before_naming(monkeypatch: pytest.MonkeyPatch, seen: list[Any], look: Any) -> None:
    """Call ``look()`` once the bytes are verified, just before the file gets its name."""
    verify = downloads._verify

    def verify_then_look(ctx: Any, fd: int, *checksums: Any) -> None:
        verify(ctx, fd, *checksums)
        seen.append(look(ctx))

    monkeypatch.setattr(downloads, "_verify", verify_then_look)


def test_a_small_download_has_no_name_until_it_is_whole(
    any_server: TestServer,
    queue: TransferQueue,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = os.urandom(5000)
    bucket = seeded(any_server, {"docs/report.pdf": data})
    folder = tmp_path / "dl" / "docs"  # missing: made on the way
    seen: list[Any] = []

    def look(ctx: Any) -> tuple[list[str], Any]:
        return sorted(p.name for p in folder.iterdir()), ctx.journal.partial(ctx.transfer.id)

    watch_before_naming(monkeypatch, seen, look)
    [t] = queue.add([request(any_server, bucket, "docs/report.pdf", folder / "report.pdf")])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.verified, t.error) == (State.DONE, True, None)
    assert seen == [([], None)], "no name in the folder and none journalled before it is whole"
    target = folder / "report.pdf"
    assert target.read_bytes() == data
    assert target.stat().st_mtime == pytest.approx(t.mtime, abs=1e-3)
    assert target.stat().st_nlink == 1
    assert sorted(p.name for p in folder.iterdir()) == ["report.pdf"]


def test_an_existing_file_is_replaced_at_once_and_nothing_is_left(
    any_server: TestServer, queue: TransferQueue, tmp_path: Path
) -> None:
    data = os.urandom(3000)
    bucket = seeded(any_server, {"a.txt": data})
    folder = tmp_path / "dl"
    folder.mkdir()
    target = folder / "a.txt"
    target.write_bytes(b"the old contents")
    old_inode = target.stat().st_ino
    [t] = queue.add([request(any_server, bucket, "a.txt", target)])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.verified, t.error) == (State.DONE, True, None)
    assert target.read_bytes() == data
    assert target.stat().st_ino != old_inode, "renamed over, never written in place"
    assert [p.name for p in folder.iterdir()] == ["a.txt"], "no temporary name left"


def test_a_folder_at_the_targets_name_fails_that_file_and_leaves_nothing(
    any_server: TestServer, queue: TransferQueue, tmp_path: Path
) -> None:
    bucket = seeded(any_server, {"photos": b"an object named like the folder"})
    folder = tmp_path / "dl"
    target = folder / "photos"
    target.mkdir(parents=True)
    (target / "kept.jpg").write_bytes(b"the user's photo")
    [t] = queue.add([request(any_server, bucket, "photos", target)])
    assert queue.wait([t], timeout=60)
    assert t.state is State.FAILED
    assert isinstance(t.error, LocalFileError), t.error
    assert [p.name for p in folder.iterdir()] == ["photos"], "no temporary name left"
    assert [p.name for p in target.iterdir()] == ["kept.jpg"]
    assert (target / "kept.jpg").read_bytes() == b"the user's photo"


def test_a_file_system_without_unnamed_files_gets_named_ones(
    any_server: TestServer,
    queue: TransferQueue,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused: list[str] = []
    real_open = os.open

    def no_unnamed(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            refused.append(str(path))
            raise OSError(errno.EOPNOTSUPP, "Operation not supported", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_unnamed)
    monkeypatch.setattr(downloads, "_folders_without_unnamed", set())
    data = {f"f{i}.bin": os.urandom(1000 + i) for i in range(3)}
    bucket = seeded(any_server, data)
    folder = tmp_path / "dl"
    folder.mkdir()
    seen: list[Any] = []
    watch_before_naming(monkeypatch, seen, lambda ctx: temporaries(ctx.transfer.local_path))
    transfers = queue.add([request(any_server, bucket, k, folder / k) for k in sorted(data)])
    assert queue.wait(transfers, timeout=60)
    assert [(t.state, t.verified) for t in transfers] == [(State.DONE, True)] * 3
    assert all(len(temps) == 1 for temps in seen), "each went through a named temporary file"
    # Asked at most once a worker (two run at once), then remembered for that folder.
    assert set(refused) == {str(folder)} and len(refused) <= 2, refused
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == data


@pytest.mark.parametrize("existing", [False, True], ids=["new name", "taken name"])
def test_a_folder_that_refuses_hard_links_gets_a_copy_and_named_files_after(
    any_server: TestServer,
    queue: TransferQueue,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    existing: bool,
) -> None:
    links: list[Path] = []

    def no_links(fd: int, path: Path) -> None:
        links.append(path)
        if path.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(path))
        raise OSError(errno.EPERM, "Operation not permitted", str(path))

    monkeypatch.setattr(downloads, "_link", no_links)
    monkeypatch.setattr(downloads, "_folders_without_unnamed", set())
    data = {"a.bin": os.urandom(7000), "b.bin": os.urandom(100)}
    bucket = seeded(any_server, data)
    folder = tmp_path / "dl"
    folder.mkdir()
    if existing:
        (folder / "a.bin").write_bytes(b"the old contents")
    [first] = queue.add([request(any_server, bucket, "a.bin", folder / "a.bin")])
    assert queue.wait([first], timeout=60)
    assert (first.state, first.verified, first.error) == (State.DONE, True, None)
    assert (folder / "a.bin").read_bytes() == data["a.bin"]
    assert (folder / "a.bin").stat().st_mtime == pytest.approx(first.mtime, abs=1e-3)
    # The target's name (taken, or refused), a temporary name where it was taken; copied.
    assert len(links) == (2 if existing else 1), links
    assert [p.name for p in folder.iterdir()] == ["a.bin"], "no temporary name left"
    assert downloads._folders_without_unnamed == {folder}
    [second] = queue.add([request(any_server, bucket, "b.bin", folder / "b.bin")])
    assert queue.wait([second], timeout=60)
    assert (second.state, second.verified) == (State.DONE, True)
    assert len(links) == (2 if existing else 1), "the folder's next file went to a named one"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == data
