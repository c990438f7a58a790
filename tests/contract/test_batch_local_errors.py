"""One bad file never sinks the batch: local errors fail that file alone, with its reason.

Real local errors, on moto: a key whose name is too long for the disk (ENAMETOOLONG), a
file where a folder must be, a read-only folder. Every other file arrives byte-identical.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.entries import Entry
from cloudbrowser.core.errors import ConfigError, LocalFileError
from cloudbrowser.core.journal import Journal, State
from cloudbrowser.core.localfs import look_up
from cloudbrowser.core.transfer_plan import plan_downloads, plan_uploads
from cloudbrowser.core.transfers import Transfer, TransferQueue
from tests.conftest import S3Server

LONG = "x" * 300  # above every common file system's 255-byte name limit


@pytest.fixture
def queue(moto_server: S3Server) -> Iterator[TransferQueue]:
    backend = moto_server.backend()

    def lookup(name: str) -> S3Backend:
        if name != backend.settings.name:
            raise ConfigError(f"unknown connection {name}")
        return backend

    q = TransferQueue(lookup, Journal())
    yield q
    q.shutdown()


def download_all(server: S3Server, queue: TransferQueue, bucket: str, dest: Path) -> list[Transfer]:
    backend = server.backend()
    plan = plan_downloads(
        backend, backend.settings.name, bucket, [Entry("d/", is_prefix=True)], "", dest
    )
    assert not plan.refused, plan.refused
    transfers = queue.add(i.request for i in plan.items)
    assert queue.wait(transfers, timeout=60)
    return transfers


def by_key(transfers: list[Transfer]) -> dict[str, Transfer]:
    return {t.key: t for t in transfers}


def test_name_too_long_and_a_file_in_the_way_fail_alone(
    moto_server: S3Server, queue: TransferQueue, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    good = {"d/ok.txt": b"ok" * 1000, "d/sub/z.bin": os.urandom(3000)}
    moto_server.put(bucket, {**good, f"d/{LONG}": b"long", "d/blocked/inner.txt": b"in"})
    dest = tmp_path / "out"
    (dest / "d").mkdir(parents=True)  # the folder exists: planning looks at the long name
    (dest / "d" / "blocked").write_bytes(b"a file where a folder must be")

    ts = by_key(download_all(moto_server, queue, bucket, dest))

    for key, data in good.items():
        assert ts[key].state is State.DONE and ts[key].verified
        assert (dest / key).read_bytes() == data
    long = ts[f"d/{LONG}"]
    assert long.state is State.FAILED and isinstance(long.error, LocalFileError)
    assert "too long for this disk" in long.error.message
    assert "Save as" in long.error.hint
    blocked = ts["d/blocked/inner.txt"]
    assert blocked.state is State.FAILED and isinstance(blocked.error, LocalFileError)
    assert "A file is in the way" in blocked.error.message
    assert str(dest / "d" / "blocked") in blocked.error.message
    assert (dest / "d" / "blocked").read_bytes() == b"a file where a folder must be"
    summary = queue.summary(long.batch)
    assert {t.key for t in summary.failed} == {f"d/{LONG}", "d/blocked/inner.txt"}


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[str]:
    """Make ``folder`` one nobody may write into; yields the message expected.

    A user is refused by the folder's mode. Root writes whatever the mode says, so for
    root the folder becomes a read-only file system (a tmpfs mounted read-only), where the
    kernel refuses everyone.
    """
    folder.mkdir(parents=True)
    if os.geteuid() != 0:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            yield "Permission denied"
        finally:
            folder.chmod(stat.S_IRWXU)
        return
    mount = ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True, check=False).returncode != 0:
        pytest.skip("running as root without permission to mount a read-only file system")
    try:
        yield "The disk is read-only"
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, check=False)


def test_a_read_only_folder_fails_its_files_alone(
    moto_server: S3Server, queue: TransferQueue, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, {"d/ok.txt": b"ok", "d/ro/x.txt": b"x", "d/ro/sub/y.txt": b"y"})
    dest = tmp_path / "out"
    with read_only_folder(dest / "d" / "ro") as expected:
        ts = by_key(download_all(moto_server, queue, bucket, dest))
    assert ts["d/ok.txt"].state is State.DONE
    assert (dest / "d" / "ok.txt").read_bytes() == b"ok"
    for key in ("d/ro/x.txt", "d/ro/sub/y.txt"):
        failed = ts[key]
        assert failed.state is State.FAILED and failed.error is not None
        assert expected in failed.error.message, failed.error.message


def test_an_unreadable_name_in_an_upload_fails_alone(
    moto_server: S3Server, queue: TransferQueue, tmp_path: Path
) -> None:
    """A file that vanishes between planning and upload fails alone; the others arrive."""
    bucket = moto_server.bucket()
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    (src / "gone.txt").write_bytes(b"g")
    backend = moto_server.backend()
    plan = plan_uploads(backend, backend.settings.name, [src], bucket, "")
    (src / "gone.txt").unlink()
    transfers = queue.add(i.request for i in plan.items)
    assert queue.wait(transfers, timeout=60)
    ts = by_key(transfers)
    assert ts["src/a.txt"].state is State.DONE
    gone = ts["src/gone.txt"]
    assert gone.state is State.FAILED and gone.error is not None
    assert "no longer exists" in gone.error.message


def test_look_up_says_what_is_wrong_with_a_path(tmp_path: Path) -> None:
    assert look_up(tmp_path / "nothing") is None
    with pytest.raises(LocalFileError, match="too long"):
        look_up(tmp_path / LONG)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(LocalFileError, match="A file is in the way"):
        look_up(tmp_path / "file" / "below")


def test_unsafe_keys_are_refused_with_a_clean_name_to_offer(
    moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, {"d/a\\b.txt": b"1", "d/x/../../up.txt": b"2", "d/ok.txt": b"3"})
    backend = moto_server.backend()
    dest = tmp_path / "out"
    plan = plan_downloads(
        backend, backend.settings.name, bucket, [Entry("d/", is_prefix=True)], "d/", dest
    )
    assert [i.request.key for i in plan.items] == ["d/ok.txt"]
    assert {name for name, _ in plan.refused} == {"d/a\\b.txt", "d/x/../../up.txt"}
    offered = {r.key: r.local_path for r, _ in plan.renamable}
    assert offered == {"d/a\\b.txt": dest / "a_b.txt", "d/x/../../up.txt": dest / "x" / "up.txt"}
