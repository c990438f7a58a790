"""``cloudbrowser resume`` after an upgrade: an upload the release before the storage
interface left unfinished is continued; a journal of a newer version is refused, untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from cloudbrowser.core.journal import Direction, Journal, JournalRecord, State
from cloudbrowser.core.local_state import DAMAGED_SUFFIX
from cloudbrowser.core.paths import data_dir
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.old_journal import format_of, journal_an_unfinished_upload

MiB = 1024 * 1024


def test_resume_all_finishes_an_upload_the_old_release_left_unfinished(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    source = tmp_path / "big.bin"
    data = hashlib.shake_256(b"old release").digest(12 * MiB + 321)
    source.write_bytes(data)
    journal_path = data_dir() / "transfers.sqlite3"
    journal_an_unfinished_upload(
        server,
        journal_path,
        connection=server.endpoint_url,  # as the CLI names a connection given by flags
        bucket=bucket,
        key="big.bin",
        source=source,
        part_size=5 * MiB,
        chunks_sent=1,
    )
    assert format_of(journal_path)[0] == 0

    listed = cli("resume", connect=False)
    assert listed.code == 0, listed.err
    assert [r["state"] for r in listed.records()] == ["interrupted"]
    resumed = cli("resume", "--all")
    assert resumed.code == 0, resumed.err
    [done] = resumed.records()
    assert done["state"] == "done" and done["verified"] is True
    remote = server.client.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
    assert remote == data
    # Continued, not begun again: a new upload would have left the old session behind.
    assert server.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    journal = Journal()
    assert journal.unfinished() == []
    journal.close()


def test_a_journal_of_a_newer_version_is_refused_and_left_as_it_is(
    cli: Cli, tmp_path: Path
) -> None:
    path = data_dir() / "transfers.sqlite3"
    journal = Journal(path)
    journal.add(
        [
            JournalRecord(
                0, Direction.UPLOAD, "c", "b", "k", tmp_path / "k", 1, 0.0, "", 0, "",
                State.PAUSED, "", "",
            )
        ]
    )  # fmt: skip
    journal.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")  # as a later cloudbrowser might write it
    db.close()
    before = path.read_bytes()

    for command in (("resume",), ("resume", "--all")):
        result = cli(*command, connect=False)
        assert result.code == 1, result.err
        assert "written by a newer version of cloudbrowser" in result.err
        assert str(path) in result.err and "Traceback" not in result.err
    assert path.read_bytes() == before, "not migrated, not written"
    assert list(path.parent.glob(f"{path.name}{DAMAGED_SUFFIX}*")) == [], "nor moved aside"
