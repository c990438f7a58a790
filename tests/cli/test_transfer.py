"""``put``, ``get`` and ``resume`` through the real entry point on moto and rclone."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.cli import cmd_transfer
from cloudbrowser.core.journal import Journal, State
from cloudbrowser.core.keys import WINDOWS_NAMES
from cloudbrowser.core.paths import data_dir
from cloudbrowser.core.transfer_plan import Plan
from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import S3Server

MiB = 1024 * 1024


def body(server: S3Server, bucket: str, key: str) -> bytes:
    data: bytes = server.client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def make_tree(root: Path) -> Path:
    folder = root / "photos"
    (folder / "2024").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(b"a" * 1000)
    (folder / "2024" / "b.jpg").write_bytes(b"b" * 2000)
    return folder


def test_put_a_file_to_a_key_and_into_a_folder(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    source = tmp_path / "notes.txt"
    source.write_bytes(b"some notes")
    named = cli("put", str(source), f"s3://{bucket}/docs/renamed.txt")
    assert named.code == 0, named.err
    [record] = named.records()
    assert record["state"] == "done" and record["verified"] is True
    assert body(server, bucket, "docs/renamed.txt") == b"some notes"

    into = cli("put", str(source), f"s3://{bucket}/docs/")
    assert into.code == 0, into.err
    assert body(server, bucket, "docs/notes.txt") == b"some notes"
    assert Journal().unfinished() == [], "finished transfers leave no journal rows"


def test_put_r_and_get_r_round_trip_a_folder(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    folder = make_tree(tmp_path / "src")
    folder_refused = cli("put", str(folder), f"s3://{bucket}/backup/")
    assert folder_refused.code == 2 and "put -r" in folder_refused.err

    up = cli("put", "-r", str(folder), f"s3://{bucket}/backup/")
    assert up.code == 0, up.err
    assert sorted(r["key"] for r in up.records()) == [
        "backup/photos/2024/b.jpg",
        "backup/photos/a.jpg",
    ]
    down = cli("get", "-r", f"s3://{bucket}/backup/photos/", str(tmp_path / "dst"))
    assert down.code == 0, down.err
    assert (tmp_path / "dst/photos/a.jpg").read_bytes() == b"a" * 1000
    assert (tmp_path / "dst/photos/2024/b.jpg").read_bytes() == b"b" * 2000


def test_get_one_object_to_a_file_or_a_folder(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    server.put(bucket, {"d/report.pdf": b"%PDF"})
    to_file = cli("get", f"s3://{bucket}/d/report.pdf", str(tmp_path / "mine.pdf"))
    assert to_file.code == 0, to_file.err
    assert (tmp_path / "mine.pdf").read_bytes() == b"%PDF"
    to_folder = cli("get", f"s3://{bucket}/d/report.pdf", str(tmp_path) + "/")
    assert to_folder.code == 0, to_folder.err
    assert (tmp_path / "report.pdf").read_bytes() == b"%PDF"
    missing = cli("get", f"s3://{bucket}/d/nothing.pdf", str(tmp_path))
    assert missing.code == 1 and "does not exist" in missing.err


def test_conflicts_skip_newer_rename_overwrite(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    server.put(bucket, {"f.txt": b"remote"})
    local = tmp_path / "f.txt"
    local.write_bytes(b"local, older")
    old = time.time() - 3600
    os.utime(local, (old, old))

    skip = cli("put", "--skip", str(local), f"s3://{bucket}/")
    assert skip.code == 0 and skip.records()[0]["state"] == "skipped"
    newer = cli("put", "--newer", str(local), f"s3://{bucket}/")
    assert newer.code == 0 and newer.records()[0]["state"] == "skipped"
    assert body(server, bucket, "f.txt") == b"remote"

    rename = cli("put", "--rename", str(local), f"s3://{bucket}/f.txt")
    assert rename.code == 0, rename.err
    assert body(server, bucket, "f (1).txt") == b"local, older"

    dry = cli("put", "--dry-run", str(local), f"s3://{bucket}/")
    assert dry.code == 0 and dry.records()[0]["result"] == "would transfer"
    assert body(server, bucket, "f.txt") == b"remote", "a dry run changes nothing"

    overwrite = cli("put", str(local), f"s3://{bucket}/")
    assert overwrite.code == 0, overwrite.err
    assert body(server, bucket, "f.txt") == b"local, older"


def test_keep_both_never_overwrites_a_name_someone_takes_after_the_plan(
    cli: Cli, server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``put --rename`` found "f (1).txt" free; another writer creates it before the
    upload runs: the file is not uploaded, their object stays, and the error says what
    happened and what to do (on rclone, which ignores the condition, by the HEAD)."""
    bucket = server.bucket()
    server.put(bucket, {"f.txt": b"remote"})
    local = tmp_path / "f.txt"
    local.write_bytes(b"mine")
    planned = cmd_transfer._plan_put

    def plan_then_someone_writes(*args: Any, **kwargs: Any) -> Plan:
        plan = planned(*args, **kwargs)
        server.put(bucket, {"f (1).txt": b"someone else's"})
        return plan

    monkeypatch.setattr(cmd_transfer, "_plan_put", plan_then_someone_writes)
    result = cli("put", "--rename", str(local), f"s3://{bucket}/f.txt")
    assert result.code == 1, result.err
    assert "someone created" in result.err and "nothing was overwritten" in result.err
    assert "Upload it again to choose anew" in result.err
    assert body(server, bucket, "f (1).txt") == b"someone else's"
    assert body(server, bucket, "f.txt") == b"remote"


def test_unsafe_keys_are_refused_and_the_rest_arrive(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    files = {"d/ok.txt": b"ok", "d/bad\\name.txt": b"bad", "d/10:00:00.log": b"log"}
    server.put(bucket, files)
    result = cli("get", "-r", f"s3://{bucket}/d/", str(tmp_path))
    assert result.code == 1, "a refused key is a partial failure"
    assert "cloudbrowser: failed: d/bad\\name.txt" in result.err
    assert (tmp_path / "d/ok.txt").read_bytes() == b"ok"
    if not WINDOWS_NAMES:  # a plain name here, as aws s3 cp and rclone save it
        assert (tmp_path / "d/10:00:00.log").read_bytes() == b"log"


def test_a_missing_local_source_fails_before_any_request(cli: Cli, tmp_path: Path) -> None:
    result = cli("put", str(tmp_path / "nope.txt"), "s3://whatever/")
    assert result.code == 1 and "does not exist" in result.err


def start_slow_put(server: S3Server, tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``cloudbrowser put`` of ~15 MiB in a child, parts one at a time at 4 MiB/s (so the
    test acts between parts, never races one); returns once the journal holds a part."""
    bucket = server.bucket()
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 5 * MiB + 4321))
    argv = ["put", str(source), f"s3://{bucket}/big.bin", "--part-size", "5M", "-j", "1",
            "--limit-rate", "4M", *flags(server)]  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", *argv],
        cwd=REPO,
        env=child_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    journal = Journal(data_dir() / "transfers.sqlite3")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert child.poll() is None, child.communicate()[1].decode(errors="replace")
            records = journal.unfinished()
            if records and journal.parts(records[0].id):
                return child, bucket
            assert time.monotonic() < deadline, "no part was journalled in time"
            time.sleep(0.05)  # polling the journal for a condition, with a deadline
    except BaseException:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
        raise
    finally:
        journal.close()


def resume_and_check(cli: Cli, server: S3Server, bucket: str, source: Path) -> None:
    journal = Journal()
    resumed = cli("resume", "--all")
    assert resumed.code == 0, resumed.err
    [done] = resumed.records()
    assert done["state"] == "done" and done["verified"] is True
    remote = body(server, bucket, "big.bin")
    assert hashlib.md5(remote).digest() == hashlib.md5(source.read_bytes()).digest()
    assert journal.unfinished() == []
    # Continued, not restarted: a fresh upload would have left the first one behind.
    uploads = server.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert uploads == []
    journal.close()


def test_resume_continues_a_put_killed_mid_way(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    child, bucket = start_slow_put(server, tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)
    [record] = Journal().unfinished()
    # Running transfers are journalled as queued: both mean "interrupted" after a kill.
    assert record.state is State.QUEUED and record.session, "killed: nobody recorded an end"

    listed = cli("resume", connect=False)
    assert [(r["id"], r["state"]) for r in listed.records()] == [(record.id, "interrupted")]
    resume_and_check(cli, server, bucket, tmp_path / "big.bin")


def test_ctrl_c_keeps_the_transfer_for_resume(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    child, bucket = start_slow_put(server, tmp_path)
    os.kill(child.pid, signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130, err.decode(errors="replace")
    assert "cloudbrowser resume --all" in err.decode()
    assert "Traceback" not in err.decode()
    [record] = Journal().unfinished()
    assert record.state is State.QUEUED and record.session
    resume_and_check(cli, server, bucket, tmp_path / "big.bin")


def test_resume_cancel_removes_an_unfinished_upload_and_forgets_it(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    """A failed or interrupted transfer stays in "resume" until it is continued or, with
    --cancel, removed as the window's Cancel removes it: the upload's parts leave the
    server too."""
    child, bucket = start_slow_put(server, tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)
    [record] = Journal().unfinished()
    assert server.client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    cancelled = cli("resume", "--cancel", str(record.id))
    assert cancelled.code == 0, cancelled.err
    assert [(r["id"], r["state"]) for r in cancelled.records()] == [(record.id, "cancelled")]
    assert Journal().unfinished() == []
    assert server.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    listed = cli("resume", connect=False)
    assert listed.records() == []
    unnamed = cli("resume", "--cancel", connect=False)
    assert unnamed.code == 2 and "Name the transfers to cancel" in unnamed.err


def test_resume_without_the_connection_says_what_to_give(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    from cloudbrowser.core.journal import Direction, JournalRecord

    journal = Journal()
    [tid] = journal.add(
        [
            JournalRecord(
                0,
                Direction.UPLOAD,
                "somewhere-else",
                "b",
                "k",
                tmp_path / "x",
                1,
                0.0,
                "",
                0,
                "",
                State.PAUSED,
                "",
                "",
            )
        ]
    )
    result = cli("resume", str(tid), connect=False)
    assert result.code == 1
    assert "“somewhere-else” is not a saved connection" in result.err
    bad = cli("resume", "999", connect=False)
    assert bad.code == 2


def test_several_files_to_a_prefix_without_a_trailing_slash(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    result = cli("put", str(a), str(b), f"s3://{bucket}/inbox")
    assert result.code == 0, result.err
    assert sorted(r["key"] for r in result.records()) == ["inbox/a.txt", "inbox/b.txt"]


def stored_keys(server: S3Server, bucket: str) -> set[str]:
    return {o["Key"] for o in server.client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_put_r_makes_the_empty_folders_and_get_r_brings_them_back(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    """project/build/ and project/logs/2026/ hold no file: each becomes a folder placeholder
    (where the server keeps one), and a folder again on the way down."""
    bucket = server.bucket()
    top = tmp_path / "src" / "project"
    (top / "build").mkdir(parents=True)
    (top / "logs" / "2026").mkdir(parents=True)
    (top / "a.txt").write_bytes(b"a")
    dry = cli("put", "-r", "--dry-run", "--text", str(top), f"s3://{bucket}/up/")
    assert dry.code == 0, dry.err
    assert f"would make folder: {top / 'build'} → s3://{bucket}/up/project/build/" in dry.out
    assert stored_keys(server, bucket) == set()

    up = cli("put", "-r", "--text", str(top), f"s3://{bucket}/up/")
    assert up.code == 0, up.err
    stored = stored_keys(server, bucket)
    if server.kind == "rclone":
        # It keeps no empty folder: said once, the files uploaded, nothing stray left.
        assert up.err.count("does not keep empty folders") == 1, up.err
        assert "2 empty folders not made" in up.err
        assert stored == {"up/project/a.txt"}
        return
    assert "uploaded 1 file" in up.err and "2 empty folders made" in up.err, up.err
    assert stored == {"up/project/a.txt", "up/project/build/", "up/project/logs/2026/"}
    rows = cli("put", "-r", str(top), f"s3://{bucket}/again/").records()
    assert [(r["key"], r["state"]) for r in rows if r.get("folder")] == [
        ("again/project/build/", "done"),
        ("again/project/logs/2026/", "done"),
    ]

    down = cli("get", "-r", f"s3://{bucket}/up/project/", str(tmp_path / "dst"))
    assert down.code == 0, down.err
    got = tmp_path / "dst" / "project"
    assert (got / "a.txt").read_bytes() == b"a"
    for empty in (got / "build", got / "logs" / "2026"):
        assert empty.is_dir() and not any(empty.iterdir())


@pytest.mark.parametrize("server", ["moto"], indirect=True)  # rclone keeps no placeholders
def test_get_r_leaves_a_file_where_a_folder_placeholder_goes_and_says_why(
    cli: Cli, server: S3Server, tmp_path: Path
) -> None:
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"a", "p/logs/": b"", "p/e/": b""})
    dst = tmp_path / "dst"
    (dst / "p").mkdir(parents=True)
    (dst / "p" / "logs").write_bytes(b"mine")
    down = cli("get", "-r", f"s3://{bucket}/p/", str(dst))
    assert down.code == 1
    assert f"failed: {dst / 'p' / 'logs'}: A file is in the way" in down.err, down.err
    assert (dst / "p" / "logs").read_bytes() == b"mine"
    assert (dst / "p" / "a.txt").read_bytes() == b"a" and (dst / "p" / "e").is_dir()
