"""Small downloads do no per-file work they need not: no folder made, no free space asked."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from cloudbrowser.core import downloads
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.transfers import TransferQueue, TransferRequest

FILES = 100


def test_small_downloads_make_their_folder_once_and_do_not_look_at_free_space(
    tmp_path: Path,
) -> None:
    """A folder was made (mkdir) and the disk's free space asked (statvfs) before every
    file: now the folder is made when the temporary file finds it missing, and a file
    written in one write lets that write report a full disk."""
    storage = open_storage(ConnectionSettings(kind="memory", endpoint_url="memory://folders"))
    forget_store(storage.settings)
    storage.create_bucket("bkt")
    for i in range(FILES):
        storage.put_object("bkt", f"{i % 2}/f{i}", b"y" * 50 + bytes([i]), content_md5="")
    queue = TransferQueue(lambda _name: storage, Journal(tmp_path / "j.sqlite3"))
    requests = [
        TransferRequest(
            Direction.DOWNLOAD, "c", "bkt", o.key, tmp_path / "d" / o.key, o.size, 0, o.etag
        )
        for o in storage.list_page("bkt", "", "", recursive=True).objects
    ]
    made: list[Path] = []
    looked: list[Path] = []
    real_make = downloads.make_folder

    def making(folder: Path) -> None:
        made.append(folder)
        real_make(folder)

    with (
        mock.patch.object(downloads, "make_folder", making),
        mock.patch.object(downloads, "check_free_space", lambda f, *_: looked.append(f)),
    ):
        transfers = queue.add(requests)
        assert queue.wait(transfers, timeout=60)
    queue.shutdown()
    assert all(t.state is State.DONE and t.verified for t in transfers)
    for r in requests:
        assert r.local_path.read_bytes() == storage.get_object("bkt", r.key).read(1000)
    # Two folders; a worker or two may both find one missing at the start.
    assert set(made) == {tmp_path / "d" / "0", tmp_path / "d" / "1"}
    assert len(made) <= 2 * queue.options.concurrency, made
    assert looked == []
