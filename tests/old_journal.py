"""Journals written by the release before the storage interface, for the upgrade tests.

``tests/data/journal_0a99bfe.py`` is that release's ``cloudbrowser/core/journal.py``, kept
verbatim (``git show 0a99bfe:cloudbrowser/core/journal.py``): the journals here are written
by the code users have, not by a copy of its schema, so what the migration meets is what is
on their disks.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

from cloudbrowser.core.checksums import content_md5, md5_of
from cloudbrowser.core.storage import chunked_uploads_of
from tests.conftest import S3Server

OLD_JOURNAL = Path(__file__).parent / "data" / "journal_0a99bfe.py"


def old_journal() -> ModuleType:
    """The release-0a99bfe journal module (loaded once; its classes are its own)."""
    name = "tests_data_journal_0a99bfe"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, OLD_JOURNAL)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


def journal_an_unfinished_upload(
    server: S3Server,
    journal_path: Path,
    *,
    connection: str,
    bucket: str,
    key: str,
    source: Path,
    part_size: int,
    chunks_sent: int,
) -> str:
    """Begin a real chunked upload of ``source`` on ``server``, send its first
    ``chunks_sent`` chunks and journal all of it with the old release's journal, in the order
    that release's uploads.py did (the row queued, the UploadId once begun, each part once
    the server confirmed it); the process "dies" there. Returns the session (UploadId)."""
    old = old_journal()
    st = source.stat()
    journal = old.Journal(journal_path)
    [transfer_id] = journal.add(
        [
            old.JournalRecord(
                id=0,
                direction=old.Direction.UPLOAD,
                connection=connection,
                bucket=bucket,
                key=key,
                local_path=source,
                size=st.st_size,
                mtime=st.st_mtime,
                etag="",
                part_size=part_size,
                upload_id="",
                state=old.State.QUEUED,  # a running transfer is journalled as queued
                error="",
                batch="old-batch",
            )
        ]
    )
    chunked = chunked_uploads_of(server.backend())
    session = chunked.begin_upload(bucket, key)
    journal.update(transfer_id, upload_id=session)
    data = source.read_bytes()
    for number in range(1, chunks_sent + 1):
        chunk = data[(number - 1) * part_size : number * part_size]
        digest = md5_of(chunk)
        token = chunked.upload_chunk(
            bucket, key, session, number, chunk, content_md5=content_md5(digest.digest())
        )
        journal.add_part(
            transfer_id, old.JournalPart(number, token, digest.hexdigest(), len(chunk))
        )
    journal.close()
    return session


def format_of(path: Path) -> tuple[int, list[str], list[str]]:
    """The journal's user_version and the columns of its transfers and parts tables."""
    db = sqlite3.connect(path)
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        transfers = [row[1] for row in db.execute("PRAGMA table_info(transfers)")]
        parts = [row[1] for row in db.execute("PRAGMA table_info(parts)")]
    finally:
        db.close()
    return version, transfers, parts
