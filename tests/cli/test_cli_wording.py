"""What the command line says: a sync with nothing to do, the question ``rm -r`` asks,
and a resumed transfer's speed on the progress line."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cloudbrowser.cli.cmd_class import _one_of
from cloudbrowser.cli.cmd_transfer import _Tally, _verb
from cloudbrowser.cli.output import UsageError
from cloudbrowser.cli.progress import ProgressLine
from cloudbrowser.core.transfers import Activity
from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import S3Server

MiB = 1024 * 1024


def test_a_sync_up_with_nothing_to_do_says_so(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    src = tmp_path / "site"
    (src / "css").mkdir(parents=True)
    (src / "index.html").write_bytes(b"<h1>hi</h1>")
    (src / "css" / "a.css").write_bytes(b"body{}")
    first = cli("sync", "--text", str(src), f"s3://{bucket}/www/")
    assert first.code == 0, first.err
    assert "uploaded 2 files" in first.err

    second = cli("sync", "--text", str(src), f"s3://{bucket}/www/")
    assert second.code == 0, second.err
    assert "nothing to transfer, 2 files up to date" in second.err
    assert "downloaded" not in second.err and "uploaded 0" not in second.err

    (src / "index.html").write_bytes(b"<h1>hello</h1>")
    third = cli("sync", "--text", str(src), f"s3://{bucket}/www/")
    assert "uploaded 1 file " in third.err and "1 file already up to date" in third.err


def test_a_sync_down_with_nothing_to_do_says_so(cli: Cli, server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    server.put(bucket, {"p/a.txt": b"alpha", "p/sub/b.txt": b"beta", "p/c.txt": b"gamma"})
    dst = tmp_path / "mirror"
    first = cli("sync", "--text", f"s3://{bucket}/p/", str(dst))
    assert first.code == 0, first.err
    assert "downloaded 3 files" in first.err
    second = cli("sync", "--text", f"s3://{bucket}/p/", str(dst))
    assert second.code == 0, second.err
    assert "nothing to transfer, 3 files up to date" in second.err
    assert "downloaded 0" not in second.err
    dry = cli("sync", "--text", "--dry-run", f"s3://{bucket}/p/", str(dst))
    assert "3 files up to date" in dry.err


def ask_on_terminal(argv: list[str], server: S3Server, answer: bytes) -> tuple[int, str]:
    """Run ``cloudbrowser ARGV`` on a pseudo-terminal (stdin too), answer its question."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", *argv],
        cwd=REPO,
        env={**child_env(server), "COLUMNS": "160"},
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    screen = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        screen += data
        if not answered and b"[y/N]" in screen:
            os.write(main, answer)
            answered = True
    os.close(main)
    return proc.wait(timeout=30), screen.decode(errors="replace")


def test_rm_r_asks_with_the_objects_and_bytes_it_found(server: S3Server, cli: Cli) -> None:
    bucket = server.bucket()
    server.put(bucket, {"old/a.bin": b"x" * 1024, "old/b/c.bin": b"y" * 2048, "keep.txt": b"k"})
    argv = ["rm", "-r", f"s3://{bucket}/old/", *flags(server)]
    code, screen = ask_on_terminal(argv, server, b"n\n")
    assert "Delete 2 objects (3.0 KiB) below s3://" in screen, screen
    assert code != 0 and "Nothing was deleted" in screen
    assert len(server.client.list_objects_v2(Bucket=bucket)["Contents"]) == 3

    code, screen = ask_on_terminal(argv, server, b"y\n")
    assert code == 0, screen
    assert "deleted 2 objects" in screen
    left = [o["Key"] for o in server.client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert left == ["keep.txt"]


def test_rm_r_in_a_script_is_refused_before_listing(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"old/a.bin": b"x"})
    result = cli("rm", "-r", f"s3://{bucket}/old/")
    assert result.code == 2 and "--yes" in result.err


def test_a_resumed_transfers_speed_counts_only_the_bytes_it_moves() -> None:
    """Resuming a 1 GiB upload whose first 900 MiB are on the server: the line shows the
    ~10 MiB/s it moves, not 900 MiB in the first second (the 307.8 MiB/s users saw)."""
    now = [100.0]
    screen = io.StringIO()
    line = ProgressLine(screen, files=1, clock=lambda: now[0])
    kept, moved = 900 * MiB, 0
    for _tick in range(30):
        line.update(Activity(frozenset({"b"}), 1, 0, kept + moved, 1024 * MiB, moved), 0)
        now[0] += 0.1
        moved += MiB
    last = screen.getvalue().rsplit("\r", 1)[-1]
    assert "10.0 MiB/s" in last, last


def test_after_the_last_byte_the_line_says_finishing_not_a_fading_speed() -> None:
    now = [0.0]
    screen = io.StringIO()
    line = ProgressLine(screen, files=1, clock=lambda: now[0])
    for moved in range(0, 41, 4):
        line.update(Activity(frozenset({"b"}), 1, 0, moved * MiB, 40 * MiB, moved * MiB), 0)
        now[0] += 0.1
    last = screen.getvalue().rsplit("\r", 1)[-1]
    assert "100%  finishing…  0/1 files" in last, last
    assert "/s" not in last and "ETA" not in last


def test_an_unknown_access_tier_is_named_with_its_article() -> None:
    """Azure's word is "access tier": "is not an access tier", not "a access tier"."""
    with pytest.raises(UsageError) as tier:
        _one_of("Warm", ("Hot", "Cool"), "access tier")
    assert tier.value.message == "“Warm” is not an access tier here."
    with pytest.raises(UsageError) as storage_class:
        _one_of("NOPE", ("STANDARD",), "storage class")
    assert storage_class.value.message == "“NOPE” is not a storage class here."


def test_a_resume_of_uploads_and_downloads_says_transferred() -> None:
    """``resume --all`` of interrupted uploads and downloads summed them all up as
    "uploaded N files"."""

    assert _verb(_Tally(upload=True)) == "uploaded"
    assert _verb(_Tally(download=True)) == "downloaded"
    assert _verb(_Tally(upload=True, download=True)) == "transferred"


def test_du_of_one_object_says_object(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["one.txt"])
    result = cli("du", "--text", f"s3://{bucket}/one.txt")
    assert result.code == 0, result.err
    assert "\t1 object\t" in result.out
