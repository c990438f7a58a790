"""What a transfer reports while it runs: progress restored from the journal, bytes moved
now (not kept from an earlier attempt) for speeds, and the stage after the last byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core import downloads
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.journal import Journal, State
from cloudbrowser.core.transfers import Stage, Transfer, TransferOptions
from tests.conftest import S3Server
from tests.contract.test_transfers import (
    OPTIONS,
    PART,
    QueueFactory,
    download,
    make_file,
    slow,
    upload,
    wait_until,
)
from tests.contract.test_transfers import make_queue as _make_queue

make_queue = _make_queue  # the fixture, shared with test_transfers.py


def test_a_restored_upload_shows_the_journalled_progress_and_its_speed_counts_only_new_bytes(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    size = 4 * PART + 7
    make_file(tmp_path / "big.bin", size)
    journal_path = tmp_path / "j.sqlite3"
    first = make_queue(options=slow(), journal=Journal(journal_path))
    [t] = first.add([upload(server, bucket, "big.bin", tmp_path / "big.bin")])
    wait_until(lambda: len(first.journal.parts(t.id)) >= 2)
    first.shutdown()  # as the window closing mid-upload: the next start continues it
    kept = sum(p.size for p in first.journal.parts(t.id))
    assert kept >= 2 * PART

    second = make_queue(options=OPTIONS, journal=Journal(journal_path))
    [restored] = second.restore()
    assert restored.state is State.PAUSED
    assert restored.bytes_done == kept, "the row shows what the journal knows, not 0 %"
    second.resume([restored.id])
    assert second.wait(timeout=60)
    assert (restored.state, restored.error) == (State.DONE, None)
    assert restored.bytes_done == size
    # The parts the server already had were not moved again, and are not speed.
    assert restored.bytes_moved == size - kept


def test_a_resumed_download_counts_kept_ranges_as_done_but_not_as_moved(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    size = 4 * PART + 3
    server.put(bucket, {"big.bin": make_file(tmp_path / "src.bin", size)})
    queue = make_queue(options=slow())
    [t] = queue.add([download(server, bucket, "big.bin", tmp_path / "dl" / "big.bin")])
    wait_until(lambda: len(queue.journal.parts(t.id)) >= 1)
    queue.pause([t.id])
    assert queue.wait([t], timeout=30)
    kept = sum(p.size for p in queue.journal.parts(t.id))

    queue.set_options(OPTIONS)
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.bytes_done, t.bytes_moved) == (State.DONE, size, size - kept)
    assert queue.activity().bytes_moved == 0, "nothing active"


class StageSpy(S3Backend):
    """Records the stage of the uploading transfer when the parts are joined."""

    transfer: Transfer | None = None
    seen: list[tuple[Stage, int]]

    def commit_upload(self, *args: Any, **kwargs: Any) -> str:
        assert self.transfer is not None
        self.seen.append((self.transfer.stage, self.transfer.bytes_done))
        return super().commit_upload(*args, **kwargs)


def test_after_the_last_byte_an_upload_says_finishing(
    server: S3Server, make_queue: QueueFactory, tmp_path: Path
) -> None:
    bucket = server.bucket()
    size = 2 * PART + 1
    make_file(tmp_path / "big.bin", size)
    spy = StageSpy(server.settings(), server.credentials)
    spy.seen = []
    queue = make_queue(spy)
    [t] = queue.add([upload(server, bucket, "big.bin", tmp_path / "big.bin")], batch="b")
    spy.transfer = t
    assert queue.wait([t], timeout=60)
    assert t.state is State.DONE
    assert spy.seen == [(Stage.FINISHING, size)]


def test_a_download_says_verifying_while_it_checks_then_finishing(
    server: S3Server,
    make_queue: QueueFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = server.bucket()
    size = 2 * PART + 5
    server.put(bucket, {"big.bin": make_file(tmp_path / "src.bin", size)})
    stages: list[tuple[Stage, int]] = []
    verify = downloads._verify

    def spying_verify(ctx: Any, *args: Any) -> None:
        stages.append((ctx.transfer.stage, ctx.transfer.bytes_done))
        verify(ctx, *args)

    monkeypatch.setattr(downloads, "_verify", spying_verify)
    queue = make_queue(options=TransferOptions(part_size=PART))
    [t] = queue.add([download(server, bucket, "big.bin", tmp_path / "dl" / "big.bin")])
    assert queue.wait([t], timeout=60)
    assert (t.state, t.verified) == (State.DONE, True)
    assert stages == [(Stage.VERIFYING, size)]
    assert t.stage is Stage.FINISHING  # the rename came after
