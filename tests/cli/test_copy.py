"""``cp`` and ``mv`` on the server, through the real entry point on moto and rclone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

import pytest

from cloudbrowser.cli import cmd_copy
from cloudbrowser.core.operations import OpItem
from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import MemoryServer, S3Server


def keys(server: S3Server, bucket: str) -> dict[str, bytes]:
    client = server.client
    reply = client.list_objects_v2(Bucket=bucket)
    return {
        o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        for o in reply.get("Contents", [])
    }


def test_cp_an_object_and_a_prefix_between_buckets(cli: Cli, server: S3Server) -> None:
    a, b = server.bucket("src"), server.bucket("dst")
    server.put(a, {"docs/x.txt": b"x", "docs/sub/y.txt": b"y", "other.txt": b"o"})
    one = cli("cp", f"s3://{a}/other.txt", f"s3://{b}/inbox/")
    assert one.code == 0, one.err
    assert one.records() == [
        {
            "result": "copied",
            "source": f"s3://{a}/other.txt",
            "destination": f"s3://{b}/inbox/other.txt",
        }
    ]
    folder = cli("cp", f"s3://{a}/docs/", f"s3://{b}/")
    assert folder.code == 2 and "cp -r" in folder.err
    tree = cli("cp", "-r", f"s3://{a}/docs/", f"s3://{b}/backup/")
    assert tree.code == 0, tree.err
    assert keys(server, b) == {
        "inbox/other.txt": b"o",
        "backup/docs/x.txt": b"x",
        "backup/docs/sub/y.txt": b"y",
    }
    assert len(keys(server, a)) == 3, "cp leaves the source"


def test_mv_renames_a_prefix_and_dry_run_changes_nothing(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"old/a.txt": b"a", "old/b/c.txt": b"c"})
    dry = cli("mv", "-r", "--dry-run", f"s3://{bucket}/old/", f"s3://{bucket}/archive/")
    assert dry.code == 0 and len(dry.records()) == 2
    assert sorted(keys(server, bucket)) == ["old/a.txt", "old/b/c.txt"]

    moved = cli("mv", "-r", f"s3://{bucket}/old/", f"s3://{bucket}/archive/")
    assert moved.code == 0, moved.err
    assert keys(server, bucket) == {"archive/old/a.txt": b"a", "archive/old/b/c.txt": b"c"}

    renamed = cli("mv", f"s3://{bucket}/archive/old/a.txt", f"s3://{bucket}/a-renamed.txt")
    assert renamed.code == 0, renamed.err
    assert sorted(keys(server, bucket)) == ["a-renamed.txt", "archive/old/b/c.txt"]


def test_cp_failures(cli: Cli, server: S3Server, tmp_path: object) -> None:
    bucket = server.bucket()
    missing = cli("cp", f"s3://{bucket}/nothing.txt", f"s3://{bucket}/x.txt")
    assert missing.code == 1 and "does not exist" in missing.err
    local = cli("cp", str(tmp_path), f"s3://{bucket}/")
    assert local.code == 2 and "put" in local.err


def test_cp_of_a_pattern_says_it_takes_no_wildcards(cli: Cli, server: S3Server) -> None:
    """s5cmd users write ``cp 's3://b/logs/*.gz' s3://b/old/``; cp copies one object or
    (-r) a folder, and says so, where it said the pattern "does not exist … Refresh the
    listing"."""
    bucket = server.bucket()
    server.put(bucket, ["logs/a.gz"])
    result = cli("cp", f"s3://{bucket}/logs/*.gz", f"s3://{bucket}/old/")
    assert result.code == 2, result.err
    assert "takes no wildcards" in result.err


def test_mv_or_cp_onto_itself_says_so(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, {"k.txt": b"kept"})
    moved = cli("mv", f"s3://{bucket}/k.txt", f"s3://{bucket}/k.txt")
    assert moved.code == 0 and "already there: nothing moved" in moved.err, moved.err
    copied = cli("cp", f"s3://{bucket}/k.txt", f"s3://{bucket}/k.txt")
    assert copied.code == 2 and "onto itself" in copied.err, copied.err
    assert server.client.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"kept"


def test_cp_and_mv_with_skip_leave_what_exists_alone(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(
        bucket,
        {"new/a.txt": b"new a", "new/b.txt": b"new b", "old/new/a.txt": b"old a", "x.txt": b"x"},
    )
    dry = cli("cp", "-r", "--skip", "--dry-run", f"s3://{bucket}/new/", f"s3://{bucket}/old/")
    assert dry.code == 0, dry.err
    assert sorted((r["result"], r["destination"]) for r in dry.records()) == [
        ("would copy", f"s3://{bucket}/old/new/b.txt"),
        ("would skip (exists)", f"s3://{bucket}/old/new/a.txt"),
    ]
    copied = cli("cp", "-r", "--skip", f"s3://{bucket}/new/", f"s3://{bucket}/old/")
    assert copied.code == 0, copied.err
    assert sorted((r["result"], r["source"]) for r in copied.records()) == [
        ("copied", f"s3://{bucket}/new/b.txt"),
        ("skipped (exists)", f"s3://{bucket}/new/a.txt"),
    ]
    found = keys(server, bucket)
    assert found["old/new/a.txt"] == b"old a" and found["old/new/b.txt"] == b"new b"

    # mv --skip keeps the sources it did not move; --overwrite (the default) replaces.
    moved = cli("mv", "--skip", f"s3://{bucket}/new/a.txt", f"s3://{bucket}/old/new/a.txt")
    assert moved.code == 0, moved.err
    assert [r["result"] for r in moved.records()] == ["skipped (exists)"]
    assert keys(server, bucket)["new/a.txt"] == b"new a"
    free = cli("mv", "--skip", f"s3://{bucket}/x.txt", f"s3://{bucket}/y.txt")
    assert [r["result"] for r in free.records()] == ["moved"]
    replaced = cli("mv", f"s3://{bucket}/new/a.txt", f"s3://{bucket}/old/new/a.txt")
    assert replaced.code == 0, replaced.err
    found = keys(server, bucket)
    assert found["old/new/a.txt"] == b"new a" and "new/a.txt" not in found
    assert "x.txt" not in found and found["y.txt"] == b"x"


def test_skip_leaves_alone_what_is_made_meanwhile(
    rclone_server: S3Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone makes a destination between the listing of the destination and the copy:
    it is left alone and said skipped, not failed (rclone serve s3 takes no create-only
    condition: the engine looks right before the copy; where the server checks, it
    refuses the copy itself: tests/contract/test_create_only_copies.py)."""
    cli = Cli(rclone_server, capsys, monkeypatch)
    bucket = rclone_server.bucket()
    rclone_server.put(bucket, {"src/a.txt": b"a", "src/b.txt": b"b"})
    listed = cmd_copy._against_destination

    def then_someone_writes(*args: Any) -> Any:
        found = listed(*args)
        rclone_server.put(bucket, {"dst/src/b.txt": b"someone else's"})
        return found

    monkeypatch.setattr(cmd_copy, "_against_destination", then_someone_writes)
    result = cli("cp", "-r", "--skip", f"s3://{bucket}/src/", f"s3://{bucket}/dst/")
    assert result.code == 0, result.err
    assert sorted((r["result"], r["source"]) for r in result.records()) == [
        ("copied", f"s3://{bucket}/src/a.txt"),
        ("skipped (exists)", f"s3://{bucket}/src/b.txt"),
    ]
    assert keys(rclone_server, bucket)["dst/src/b.txt"] == b"someone else's"


def test_cp_and_mv_with_rename_keep_both(cli: Cli, server: S3Server) -> None:
    bucket = server.bucket()
    server.put(
        bucket,
        {
            "new/a.txt": b"new a",
            "new/b.txt": b"new b",
            "old/new/a.txt": b"old a",
            "old/new/a (1).txt": b"old a1",
            "x.txt": b"x",
            "y.txt": b"y",
        },
    )
    dry = cli("cp", "-r", "--rename", "--dry-run", f"s3://{bucket}/new/", f"s3://{bucket}/old/")
    assert sorted((r["result"], r["destination"]) for r in dry.records()) == [
        ("would copy", f"s3://{bucket}/old/new/a (2).txt"),
        ("would copy", f"s3://{bucket}/old/new/b.txt"),
    ]
    copied = cli("cp", "-r", "--rename", f"s3://{bucket}/new/", f"s3://{bucket}/old/")
    assert copied.code == 0, copied.err
    moved = cli("mv", "--rename", f"s3://{bucket}/x.txt", f"s3://{bucket}/y.txt")
    assert moved.code == 0, moved.err
    assert [r["destination"] for r in moved.records()] == [f"s3://{bucket}/y (1).txt"]
    assert keys(server, bucket) == {
        "new/a.txt": b"new a",
        "new/b.txt": b"new b",
        "old/new/a.txt": b"old a",
        "old/new/a (1).txt": b"old a1",
        "old/new/a (2).txt": b"new a",
        "old/new/b.txt": b"new b",
        "y.txt": b"y",
        "y (1).txt": b"x",
    }


def test_newer_leaves_what_is_as_new_as_its_source(cli: Cli, server: S3Server) -> None:
    """The destinations were written after their sources: none is replaced, mv keeps its
    source, a free name is copied to."""
    bucket = server.bucket()
    server.put(bucket, {"src/a.txt": b"source a", "src/b.txt": b"source b"})
    server.put(bucket, {"dst/src/a.txt": b"later a", "one.txt": b"later one"})
    copied = cli("cp", "-r", "--newer", f"s3://{bucket}/src/", f"s3://{bucket}/dst/")
    assert copied.code == 0, copied.err
    assert sorted((r["result"], r["source"]) for r in copied.records()) == [
        ("copied", f"s3://{bucket}/src/b.txt"),
        ("skipped (not newer)", f"s3://{bucket}/src/a.txt"),
    ]
    moved = cli("mv", "--newer", f"s3://{bucket}/src/a.txt", f"s3://{bucket}/one.txt")
    assert [r["result"] for r in moved.records()] == ["skipped (not newer)"]
    found = keys(server, bucket)
    assert found["dst/src/a.txt"] == b"later a" and found["dst/src/b.txt"] == b"source b"
    assert found["one.txt"] == b"later one" and found["src/a.txt"] == b"source a"


def test_newer_replaces_what_is_older_and_only_creates_free_names(
    memory_server: MemoryServer,
) -> None:
    """By the server's clock: an older destination is replaced where it is (no condition),
    a newer one left, a free name only created."""
    storage = memory_server.backend()
    bucket = memory_server.bucket()
    store = memory_server.store
    store.clock = lambda: 1_000.0
    memory_server.put(bucket, {"dst/src/old.txt": b"", "dst/src/same.txt": b""})
    store.clock = lambda: 2_000.0
    memory_server.put(bucket, {"src/old.txt": b"", "src/same.txt": b"", "src/free.txt": b""})
    store.clock = lambda: 2_000.5
    memory_server.put(bucket, {"dst/src/same.txt": b"rewritten"})
    store.clock = lambda: 3_000.0
    memory_server.put(bucket, {"dst/src/later.txt": b"", "src/later.txt": b""})  # as new

    copies, left = cmd_copy._against_destination(
        storage, bucket, OpItem("src/", "dst/src/"), storage, bucket, "newer"
    )
    assert sorted((c.source, c.target, c.create_only) for c in copies) == [
        ("src/free.txt", "dst/src/free.txt", True),
        ("src/old.txt", "dst/src/old.txt", False),
    ]
    assert sorted((s.key, why) for s, why in left) == [
        ("src/later.txt", "not newer"),
        ("src/same.txt", "not newer"),
    ]


def test_ctrl_c_stops_a_move_with_nothing_half_done(hostile_server: S3Server) -> None:
    """Ctrl+C while copies are in flight: those finish and their sources are deleted,
    nothing more is started, the command says so and ends with 130. Every key is then in
    exactly one of the two places."""
    bucket = hostile_server.bucket()
    names = [f"src/k{i:03d}.txt" for i in range(200)]
    hostile_server.put(bucket, names)
    front = hostile_server.hostile
    assert front is not None
    held, release = threading.Event(), threading.Event()
    copies = iter(range(1_000_000))

    @front.rule
    def hold_copies_after_the_tenth(request: Any, forward: Any) -> Any:
        if "x-amz-copy-source" in request.headers and next(copies) >= 10:
            held.set()
            release.wait(30)
        return None

    child = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", "mv", "-r", "--text",
         f"s3://{bucket}/src/", f"s3://{bucket}/dst/", *flags(hostile_server)],
        cwd=REPO, env=child_env(hostile_server), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert held.wait(60), "no copy reached the server"
        os.kill(child.pid, signal.SIGINT)
        # Released once the interrupt is in: the copies held are those already sent.
        release.set()
        out, err = child.communicate(timeout=60)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err.decode(errors="replace")
    assert "stopping" in err.decode() and "Traceback" not in err.decode()
    front.clear_rules()
    found = keys(hostile_server, bucket)
    moved = {k.removeprefix("dst/src/") for k in found if k.startswith("dst/")}
    left = {k.removeprefix("src/") for k in found if k.startswith("src/")}
    assert moved and left, "stopped mid-way"
    assert not moved & left, "a copy made had its source deleted"
    assert moved | left == {n.removeprefix("src/") for n in names}, "nothing lost"
    assert out.decode().count("moved: ") == len(moved)


def test_ctrl_c_during_a_copy_reports_the_copy_the_server_still_makes(
    hostile_server: S3Server,
) -> None:
    """Ctrl+C stops waiting for a plain copy's request at once (its reply may trickle for
    minutes), but the server makes the copy all the same: the command waits for that
    request to end and says the object was copied, then ends with 130. (It left without
    a word, the copy made.)"""
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"src/report.txt": b"figures"})
    front = hostile_server.hostile
    assert front is not None
    held, release = threading.Event(), threading.Event()

    @front.rule
    def hold_the_copy(request: Any, forward: Any) -> Any:
        if "x-amz-copy-source" in request.headers:
            held.set()
            release.wait(30)
        return None

    source, target = f"s3://{bucket}/src/report.txt", f"s3://{bucket}/dst/report.txt"
    child = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", "cp", "--text", source, target,
         *flags(hostile_server)],
        cwd=REPO, env=child_env(hostile_server), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert held.wait(60), "the copy never reached the server"
        os.kill(child.pid, signal.SIGINT)
        assert child.stderr is not None
        said = b""
        while b"waiting to say how" not in said:  # the lines it writes, up to that note
            said = child.stderr.readline()
            assert said, "the command never said it waits for the copy under way"
        assert said.decode().startswith("cloudbrowser: the server may still make the copy")
        # Answered only now: the command stopped waiting for the request itself before.
        release.set()
        out, err = child.communicate(timeout=60)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err.decode(errors="replace")
    assert out.decode().splitlines() == [f"copied: {source} → {target}"]
    front.clear_rules()
    assert keys(hostile_server, bucket) == {
        "src/report.txt": b"figures",
        "dst/report.txt": b"figures",
    }


def test_the_progress_line_of_cp_counts_objects() -> None:
    from cloudbrowser.core.operations import OpProgress

    counting = OpProgress(found=1200, found_bytes=0, counted=False, done=3, done_bytes=2048,
                          failed=0)  # fmt: skip
    assert cmd_copy._describe(counting, 0.0) == "2.0 KiB  3 of 1,200+ objects"
    counted = OpProgress(found=10, found_bytes=40 << 20, counted=True, done=3,
                         done_bytes=12 << 20, failed=0)  # fmt: skip
    assert cmd_copy._describe(counted, 8 << 20) == (
        "12.0 MiB / 40.0 MiB   30%  8.0 MiB/s  ETA 0:04  3/10 objects"
    )
