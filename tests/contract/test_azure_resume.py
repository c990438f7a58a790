"""Azure uploads in blocks that resume (issue 16): the engine, killed with SIGKILL mid-way
through a block upload to Azurite, is restarted; Get Block List tells which blocks are
staged, only the rest is sent, then one Put Block List makes the blob.

The session the journal keeps is the backend's block-id prefix; a chunk's token is its
MD5, also written into the block id, so blocks staged after the last journal write are
recognised too.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cloudbrowser.core.backends.azure.backend import AzureBackend, AzureReader
from cloudbrowser.core.journal import Journal, State
from cloudbrowser.core.transfers import TransferQueue
from tests.conftest import AzuriteServer
from tests.contract.test_transfer_faults import (
    BIG,
    SLOW,
    Children,
    children,
    kill_when_parts_journalled,
    queue_on,
    queues,
)
from tests.contract.test_transfers import OPTIONS, make_file, upload

__all__ = ["children", "queues"]  # the fixtures, used by name


class CountingAzure(AzureBackend):
    """The real Azure backend, counting what the engine asks of it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def begin_upload(self, *args: Any, **kwargs: Any) -> str:
        self._count("begin_upload")
        return super().begin_upload(*args, **kwargs)

    def upload_chunk(self, *args: Any, **kwargs: Any) -> str:
        self._count("upload_chunk")
        return super().upload_chunk(*args, **kwargs)

    def get_object(self, *args: Any, **kwargs: Any) -> AzureReader:
        self._count("get_object")
        return super().get_object(*args, **kwargs)


def test_a_killed_block_upload_resumes_from_the_staged_blocks(
    azurite_server: AzuriteServer,
    children: Children,
    queues: list[TransferQueue],
    tmp_path: Path,
) -> None:
    server = azurite_server
    bucket = server.bucket()
    source = tmp_path / "big.bin"
    data = make_file(source, BIG)  # six blocks of 5 MiB, the last one short
    journal_path = tmp_path / "journal.sqlite3"
    reader = Journal(journal_path)
    request = upload(server, bucket, "big.bin", source)  # type: ignore[arg-type]
    child = children.start(server, journal_path, SLOW, [request])  # type: ignore[arg-type]
    kill_when_parts_journalled(child, reader, transfer_id=1)

    record = reader.get(1)
    assert record is not None and record.session, "the block-id prefix is journalled first"
    assert record.state is State.QUEUED
    staged = server.backend().list_chunks(bucket, "big.bin", record.session)  # type: ignore[attr-defined]
    assert 1 <= len(staged) < 6
    assert server.backend().list_page(bucket).objects == [], "nothing committed yet"

    backend = CountingAzure(server.settings(), server.credentials, page_size=1000)
    queue = queue_on(backend, Journal(journal_path), OPTIONS)  # type: ignore[arg-type]
    queues.append(queue)
    [t] = queue.restore()
    assert (t.state, t.session) == (State.PAUSED, record.session)
    queue.resume([t.id])
    assert queue.wait([t], timeout=60)

    assert (t.state, t.error) == (State.DONE, None)
    assert t.verified, t.note
    with backend.get_object(bucket, "big.bin") as body:
        assert body.read(-1) == data
    # The commit gave the blob the whole file's MD5 (kept blocks hashed from the disk too).
    assert backend.head_object(bucket, "big.bin").md5 == hashlib.md5(data).hexdigest()
    assert "begin_upload" not in backend.calls, "the killed upload was continued"
    # Only the missing blocks; the one in flight at the kill may have landed after the
    # listing above, then the resume finds it staged, checks its MD5 and keeps it.
    sent = backend.calls["upload_chunk"]
    assert 6 - len(staged) - 1 <= sent <= 6 - len(staged), "only the missing blocks"
    assert backend.list_unfinished_uploads(bucket) == []
