"""An upload left unfinished by the release before the storage interface resumes after the
upgrade, on moto and rclone: its journal (written by that release's own journal module, see
tests/old_journal.py) is migrated on open, and the transfer queue continues the very same
chunked upload and stores the right bytes."""

from __future__ import annotations

from pathlib import Path

from cloudbrowser.core.journal import VERSION, Journal, State
from cloudbrowser.core.transfers import TransferQueue
from tests.conftest import S3Server
from tests.contract.test_transfer_faults import counting, queue_on, queues
from tests.contract.test_transfers import OPTIONS, PART, make_file, open_uploads, remote_bytes
from tests.old_journal import format_of, journal_an_unfinished_upload

__all__ = ["queues"]  # the fixture, used below by name

#: Three chunks of 5 MiB, the last one short.
SIZE = 2 * PART + 12345


def test_an_upload_the_old_release_left_unfinished_resumes_after_the_upgrade(
    server: S3Server, queues: list[TransferQueue], tmp_path: Path
) -> None:
    bucket = server.bucket()
    source = tmp_path / "big.bin"
    data = make_file(source, SIZE)
    journal_path = tmp_path / "transfers.sqlite3"
    session = journal_an_unfinished_upload(
        server,
        journal_path,
        connection=server.settings().name,
        bucket=bucket,
        key="big.bin",
        source=source,
        part_size=PART,
        chunks_sent=2,
    )
    version, transfers, parts = format_of(journal_path)
    assert (version, "upload_id" in transfers, "etag" in parts) == (0, True, True), "old format"

    backend = counting(server)
    queue = queue_on(backend, Journal(journal_path), OPTIONS)
    queues.append(queue)
    assert format_of(journal_path)[0] == VERSION
    [t] = queue.restore()
    assert (t.state, t.key, t.session, t.interrupted) == (State.PAUSED, "big.bin", session, True)
    assert backend.calls == {}, "restoring sends nothing"
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)

    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    assert remote_bytes(server, bucket, "big.bin") == data
    assert "create_multipart_upload" not in backend.calls, "the old session was continued"
    assert backend.calls["upload_chunk"] == 1, "only the chunk the old release had not sent"
    assert open_uploads(server, bucket) == []
