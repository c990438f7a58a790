"""Local file errors say what happened: a full disk is not a file too large for its disk."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from cloudbrowser.core.errors import LocalFileError
from cloudbrowser.core.localfs import check_free_space, local_error


def test_efbig_is_too_large_for_the_file_system_not_a_full_disk(tmp_path: Path) -> None:
    error = local_error(OSError(errno.EFBIG, "File too large"), tmp_path / "big.iso", writing=True)
    assert error.message == "“big.iso” is too large for this file system."
    assert "disk is full" not in error.message


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_no_space_is_a_full_disk(tmp_path: Path, code: int) -> None:
    error = local_error(OSError(code, "No space"), tmp_path / "a.bin", writing=True)
    assert error.message == "The disk is full: “a.bin” could not be written completely."


@pytest.mark.parametrize(("resumable", "said"), [(True, "continues from there"), (False, "again")])
def test_the_hint_says_what_a_retry_does(tmp_path: Path, resumable: bool, said: str) -> None:
    error = local_error(
        OSError(errno.ENOSPC, "No space"), tmp_path / "a.bin", writing=True, resumable=resumable
    )
    assert said in error.hint


def test_free_space_is_checked_before_writing(tmp_path: Path) -> None:
    check_free_space(tmp_path, "small.bin", 1)
    with pytest.raises(LocalFileError, match=r"The disk is full: “huge\.bin” needs .* free\."):
        check_free_space(tmp_path, "huge.bin", 2**60)


def test_renames_into_one_folder_share_fsyncs_and_each_hears_of_one_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each rename hears that it is durable only once a folder fsync that *began after
    it* has ended, while renames made during one fsync (or soon after) share the next."""
    import threading
    import time

    from cloudbrowser.core import localfs

    synced: list[set[str]] = []  # the folder's names as each fsync began, once it ended
    real_fsync = localfs._fsync_folder

    def slow_fsync(folder: Path) -> None:
        seen = {p.name for p in folder.iterdir()}
        time.sleep(0.02)  # a disk's journal commit
        real_fsync(folder)
        synced.append(seen)

    monkeypatch.setattr(localfs, "_fsync_folder", slow_fsync)
    folder = tmp_path / "folder"
    folder.mkdir()
    names = [f"f{i:03d}" for i in range(48)]
    for name in names:
        (folder / f".{name}.tmp").write_bytes(b"x")
    syncs = localfs.FolderSyncs()
    heard: dict[str, OSError | None] = {}
    uncovered: list[str] = []
    all_heard = threading.Event()

    def done(name: str, error: OSError | None) -> None:
        heard[name] = error
        if not any(name in seen for seen in list(synced)):
            uncovered.append(name)
        if len(heard) == len(names):
            all_heard.set()

    def finish(name: str) -> None:
        renamed = localfs.rename(folder / f".{name}.tmp", folder / name)
        assert renamed == folder
        syncs.after_sync(folder, lambda error: done(name, error))

    threads = [threading.Thread(target=finish, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all_heard.wait(10)
    assert syncs.close(10)
    assert heard == dict.fromkeys(names)  # each once, none failed
    assert not uncovered
    assert sorted(p.name for p in folder.iterdir()) == names
    assert len(synced) < len(names)  # shared: fewer fsyncs than renames


def test_a_failed_folder_fsync_is_reported_and_the_next_rename_syncs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from cloudbrowser.core import localfs

    calls: list[Path] = []

    def failing(folder: Path) -> None:
        calls.append(folder)
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(localfs, "_fsync_folder", failing)
    syncs = localfs.FolderSyncs()
    heard: list[OSError | None] = []
    each = threading.Semaphore(0)

    def done(error: OSError | None) -> None:
        heard.append(error)
        each.release()

    syncs.after_sync(tmp_path, done)
    assert each.acquire(timeout=10)
    assert isinstance(heard[0], OSError) and heard[0].errno == errno.EIO
    monkeypatch.setattr(localfs, "_fsync_folder", calls.append)
    syncs.after_sync(tmp_path, done)
    assert each.acquire(timeout=10)
    assert heard[1] is None
    assert calls == [tmp_path, tmp_path]
    assert syncs.close(10)
    # A rename that outlives the close is synced on its own thread, at once.
    syncs.after_sync(tmp_path, done)
    assert heard[2] is None and calls == [tmp_path] * 3


def test_the_folder_sync_thread_ends_when_idle_and_the_next_rename_starts_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from cloudbrowser.core import localfs

    monkeypatch.setattr(localfs.FolderSyncs, "IDLE", 0.05)
    syncs = localfs.FolderSyncs()
    heard = threading.Semaphore(0)
    for _ in range(2):
        syncs.after_sync(tmp_path, lambda _error: heard.release())
        assert heard.acquire(timeout=10)
        thread = syncs._thread  # None already if it ended before this line ran
        if thread is not None:
            thread.join(10)
            assert not thread.is_alive()
        assert syncs._thread is None
    assert syncs.close(10)
