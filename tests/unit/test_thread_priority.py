"""The window's transfer queue runs its threads nicer than the process (Linux), so that the
scheduler gives a core to the window's thread first; the CLI's queue does not. Threads
started by those threads (the part pool's) are as nice, not nicer."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core import downloads
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import MiB, Storage
from cloudbrowser.core.thread_priority import NICER_BY
from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's"
)


@pytest.fixture
def storage() -> Iterator[Storage]:
    settings = ConnectionSettings(name="m", kind="memory", endpoint_url="memory://nice")
    backend = open_storage(settings)
    backend.create_bucket("nice")
    backend.put_object("nice", "small.txt", b"small", content_md5="")
    backend.put_object("nice", "big.bin", os.urandom(11 * MiB), content_md5="")
    yield backend
    forget_store(settings)


def nice_of_readers(
    storage: Storage, tmp_path: Path, options: TransferOptions, monkeypatch: pytest.MonkeyPatch
) -> set[int]:
    """The nice values of the threads that wrote the bytes: a small file's (a worker's)
    and a big file's parts (the part pool's)."""
    seen: set[int] = set()
    real = downloads._write

    def write(*args: Any) -> None:
        seen.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        real(*args)

    monkeypatch.setattr(downloads, "_write", write)
    queue = TransferQueue(lambda _name: storage, Journal(tmp_path / "journal.sqlite3"), options)
    try:
        requests = [
            TransferRequest(Direction.DOWNLOAD, "m", "nice", key, tmp_path / key, size, 0.0, "")
            for key, size in (("small.txt", 5), ("big.bin", 11 * MiB))
        ]
        transfers = queue.add(requests)
        assert queue.wait(transfers, timeout=60)
        assert [t.state for t in transfers] == [State.DONE, State.DONE]
        assert transfers[1].multipart  # read in parts, on the part pool
    finally:
        queue.shutdown()
    return seen


def test_the_windows_queue_runs_its_threads_nicer(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = os.getpriority(os.PRIO_PROCESS, 0)
    options = TransferOptions(part_size=5 * MiB, background=True)
    assert nice_of_readers(storage, tmp_path, options, monkeypatch) == {min(19, process + NICER_BY)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == process  # the process itself is untouched


def test_the_clis_queue_runs_at_the_processs_priority(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = os.getpriority(os.PRIO_PROCESS, 0)
    options = TransferOptions(part_size=5 * MiB)
    assert nice_of_readers(storage, tmp_path, options, monkeypatch) == {process}
