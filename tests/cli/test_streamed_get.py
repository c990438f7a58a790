"""``get -r`` of many keys, planned and queued a listing page at a time (issue 13): every
file arrives byte-identical, colliding and refused keys are named whichever pages they
fall on, the queue never holds more than its bound, and a killed run resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.cli import cmd_sync, cmd_transfer
from cloudbrowser.core import transfer_plan
from cloudbrowser.core.connections import Connections
from cloudbrowser.core.downloads import is_temporary_name
from cloudbrowser.core.journal import Journal
from cloudbrowser.core.paths import data_dir
from cloudbrowser.core.transfers import TransferQueue
from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import S3Server
from tests.hostile import (
    Forward,
    HostileS3,
    Reply,
    Request,
    ignore_prefix,
    listing_body,
    trickling,
    xml_reply,
)

#: Keys per listing page in these tests (S3 sends 1,000): many pages from few keys.
PAGE = 7
#: Transfers queued ahead in these tests (the CLI's default is 2,000).
AHEAD = 5


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[TransferQueue]]:
    """Small pages and a small bound for ``get -r``; yields the queues it made."""
    made: list[TransferQueue] = []

    class Recorded(TransferQueue):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    made_connections = cmd_transfer.new_connections

    def small_pages() -> Connections:
        connections = made_connections()
        connections.page_size = PAGE
        return connections

    monkeypatch.setattr(cmd_transfer, "new_connections", small_pages)
    monkeypatch.setattr(cmd_sync, "new_connections", small_pages)
    monkeypatch.setattr(cmd_transfer, "TransferQueue", Recorded)
    monkeypatch.setattr(cmd_transfer, "AHEAD", AHEAD)
    yield made


def files_below(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def done_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not is_temporary_name(p.name)]


def test_get_r_of_many_pages_delivers_everything_with_a_bounded_queue(
    cli: Cli, server: S3Server, tmp_path: Path, queues: list[TransferQueue]
) -> None:
    bucket = server.bucket()
    objects = {f"m/{i // 10:02d}/f{i:03d}.bin": os.urandom(50 + i) for i in range(120)}
    server.put(bucket, objects)
    result = cli("get", "-r", f"s3://{bucket}/m/", str(tmp_path / "dl"))
    assert result.code == 0, result.err
    assert files_below(tmp_path / "dl") == objects
    records = result.records()
    assert sorted(r["key"] for r in records) == sorted(objects)
    assert all(r["state"] == "done" and r["verified"] for r in records)
    [queue] = queues
    # The listing waited for the transfers: never more than the bound plus one page held.
    assert 0 < queue.most_held <= AHEAD + PAGE
    assert queue.transfers() == [], "finished transfers are dropped"
    assert Journal().unfinished() == []


def test_get_r_starts_downloading_before_the_listing_ends(
    hostile_server: S3Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    queues: list[TransferQueue],
) -> None:
    front = hostile_server.hostile
    assert front is not None
    bucket = hostile_server.bucket()
    objects = {f"s/k{i:03d}": os.urandom(100) for i in range(60)}
    hostile_server.put(bucket, objects)
    cli = Cli(hostile_server, capsys, monkeypatch)
    result = cli("get", "-r", f"s3://{bucket}/s/", str(tmp_path / "dl"))
    assert result.code == 0, result.err
    assert files_below(tmp_path / "dl") == objects
    order = [r for r in front.requests if r.is_listing() or r.key.startswith("s/")]
    listings = [i for i, r in enumerate(order) if r.is_listing()]
    first_get = next(i for i, r in enumerate(order) if r.method == "GET" and r.key)
    assert len(listings) == -(-60 // PAGE)
    # The second page is asked for as the first arrives (Storage.list_page(ahead=True)); the
    # third only once the first page's files are under way (at most AHEAD unfinished).
    assert first_get < listings[2], "the first file is fetched after the first page"


def test_get_r_names_collisions_and_reserved_names_across_pages(
    moto_server: S3Server,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    queues: list[TransferQueue],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # moto only: rclone serve s3 keeps objects as files, so "dir" and "dir/…" cannot both be.
    server = moto_server
    cli = Cli(server, capsys, monkeypatch)
    # Planned as a case-insensitive disk compares names (Windows, macOS).
    monkeypatch.setattr(transfer_plan, "disk_ignores_case", lambda: True)
    bucket = server.bucket()
    fillers = {f"c/N/f{i:02d}": b"f%d" % i for i in range(20)}
    objects = {
        "c/A.txt": b"upper",
        **fillers,  # "c/N/…" sorts between "c/A.txt" and "c/a.txt": another page
        "c/a.txt": b"lower",
        "c/.x.cbpart-3": b"reserved",
        "c/dir": b"an object named like the folder below",
        **{f"c/dir-x/g{i}": b"g%d" % i for i in range(10)},  # between "c/dir" and "c/dir/"
        "c/dir/in.txt": b"inside",
    }
    server.put(bucket, objects)
    out = tmp_path / "dl"
    result = cli("get", "-r", f"s3://{bucket}/c/", str(out))
    assert result.code == 1, "refused keys are failures, named"
    assert "failed: c/a.txt: another object of this download is saved to the same file" in (
        result.err
    )
    assert "failed: c/.x.cbpart-3: its name has the form cloudbrowser reserves" in result.err
    assert "failed: c/dir: the object has the same name as a folder (“dir/”)" in result.err
    delivered = {k for k in objects if k not in ("c/a.txt", "c/.x.cbpart-3", "c/dir")}
    assert files_below(out) == {k: objects[k] for k in delivered}
    assert not [p for p in out.rglob("*") if is_temporary_name(p.name)]


def test_get_r_folder_in_the_way_on_disk_fails_alone(
    cli: Cli, server: S3Server, tmp_path: Path, queues: list[TransferQueue]
) -> None:
    bucket = server.bucket()
    objects = {f"w/f{i:02d}": b"x%d" % i for i in range(12)}
    server.put(bucket, {**objects, "w/mine/deep.txt": b"deep"})
    out = tmp_path / "dl"
    (out / "w").mkdir(parents=True)
    (out / "w" / "mine").write_bytes(b"the user's own file")  # where a folder must go
    result = cli("get", "-r", f"s3://{bucket}/w/", str(out))
    assert result.code == 1
    records = {r["key"]: r for r in result.records()}
    assert records["w/mine/deep.txt"]["state"] == "failed"
    assert "A file is in the way" in records["w/mine/deep.txt"]["error"]
    assert (out / "w" / "mine").read_bytes() == b"the user's own file"
    assert all(records[k]["state"] == "done" for k in objects)


def test_get_r_policies_apply_to_each_page(
    cli: Cli, server: S3Server, tmp_path: Path, queues: list[TransferQueue]
) -> None:
    bucket = server.bucket()
    objects = {f"p/f{i:02d}.txt": b"new %d" % i for i in range(20)}
    objects["p/r (1).txt"] = b"an object of the name keep-both would pick"
    server.put(bucket, objects)
    dl = tmp_path / "dl"
    out = dl / "p"
    out.mkdir(parents=True)
    for name in ("f03.txt", "f15.txt", "r.txt"):
        (out / name).write_bytes(b"old")
    server.put(bucket, {"p/r.txt": b"new r"})

    skipped = cli("get", "-r", "--skip", f"s3://{bucket}/p/", str(dl))
    assert skipped.code == 0, skipped.err
    states = {r["key"]: r["state"] for r in skipped.records()}
    assert [k for k, s in states.items() if s == "skipped"] == sorted(
        ["p/f03.txt", "p/f15.txt", "p/r.txt"], key=list(states).index
    )
    assert (out / "f03.txt").read_bytes() == b"old"
    assert (out / "f04.txt").read_bytes() == b"new 4"

    (out / "f04.txt").write_bytes(b"old")
    (out / "r (1).txt").unlink()
    kept = cli("get", "-r", "--rename", f"s3://{bucket}/p/", str(dl))
    assert kept.code == 0, kept.err
    # "r (1).txt" is an object of the plan: keep both picks the next free name.
    assert (out / "r.txt").read_bytes() == b"old"
    assert (out / "r (1).txt").read_bytes() == objects["p/r (1).txt"]
    assert (out / "r (2).txt").read_bytes() == b"new r"
    assert (out / "f04.txt").read_bytes() == b"old"
    assert (out / "f04 (1).txt").read_bytes() == b"new 4"


def test_get_r_dry_run_lists_every_page_and_writes_nothing(
    cli: Cli, server: S3Server, tmp_path: Path, queues: list[TransferQueue]
) -> None:
    bucket = server.bucket()
    objects = {f"d/f{i:02d}": b"x" for i in range(30)}
    server.put(bucket, objects)
    result = cli("get", "-r", "--dry-run", f"s3://{bucket}/d/", str(tmp_path / "dl"))
    assert result.code == 0, result.err
    assert sorted(r["key"] for r in result.records()) == sorted(objects)
    assert {r["result"] for r in result.records()} == {"would transfer"}
    assert not (tmp_path / "dl").exists()
    assert queues == []


def test_get_r_names_keys_outside_the_prefix_on_any_page(
    hostile_server: S3Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    queues: list[TransferQueue],
) -> None:
    front = hostile_server.hostile
    assert front is not None
    bucket = hostile_server.bucket()
    wanted = {f"want/f{i:02d}": b"w%d" % i for i in range(15)}
    hostile_server.put(bucket, {**wanted, "other/x": b"o", "zzz/y": b"z"})
    front.rule(ignore_prefix)
    cli = Cli(hostile_server, capsys, monkeypatch)
    out = tmp_path / "dl"
    result = cli("get", "-r", f"s3://{bucket}/want/", str(out))
    assert result.code == 1
    assert files_below(out) == wanted
    for key in ("other/x", "zzz/y"):
        assert f"failed: {key}: the server listed it under “want/”" in result.err


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_a_killed_get_r_resumes_what_it_queued(
    stop: signal.Signals,
    hostile_server: S3Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    front: HostileS3 | None = hostile_server.hostile
    assert front is not None
    bucket = hostile_server.bucket()
    objects = {f"k/f{i}": os.urandom(300) for i in range(6)}
    objects["k/slow.bin"] = os.urandom(2000)
    hostile_server.put(bucket, objects)

    def is_slow(request: Request) -> bool:
        return request.method == "GET" and request.key == "k/slow.bin"

    front.rule(trickling(is_slow, every=0.5))
    out = tmp_path / "dl"
    argv = ["get", "-r", f"s3://{bucket}/k/", str(out), *flags(hostile_server)]
    child = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", *argv],
        cwd=REPO,
        env=child_env(hostile_server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    journal = Journal(data_dir() / "transfers.sqlite3")
    try:
        deadline = time.monotonic() + 60
        while not any(front.requests_matching(is_slow)) or len(done_files(out)) < 6:
            assert child.poll() is None, child.communicate()[1].decode(errors="replace")
            assert time.monotonic() < deadline, "the other files did not arrive in time"
            time.sleep(0.05)  # polling for a condition, with a deadline
    finally:
        os.kill(child.pid, stop)
        _, err = child.communicate(timeout=30)
    if stop is signal.SIGINT:
        assert child.returncode == 130, err.decode(errors="replace")
        assert "cloudbrowser resume --all" in err.decode()
        assert "Traceback" not in err.decode()
    # Those that finished may not have been written yet (the journal writes ends together):
    # they run again, with the same result.
    assert "k/slow.bin" in {r.key for r in journal.unfinished()}
    journal.close()
    front.clear_rules()
    resumed = Cli(hostile_server, capsys, monkeypatch)("resume", "--all")
    assert resumed.code == 0, resumed.err
    assert files_below(out) == objects


def test_sync_down_of_many_pages_is_streamed_and_deletes_only_orphans(
    cli: Cli, server: S3Server, tmp_path: Path, queues: list[TransferQueue]
) -> None:
    bucket = server.bucket()
    objects = {f"y/{i // 8}/f{i:02d}": os.urandom(40 + i) for i in range(40)}
    server.put(bucket, objects)
    dst = tmp_path / "mirror"
    (dst / "2").mkdir(parents=True)
    (dst / "2" / "f16").write_bytes(b"stale content of the same name")
    (dst / "2" / "orphan").write_bytes(b"not in the prefix")
    (dst / ".f99.cbpart-7").write_bytes(b"a half file resume continues from")

    first = cli("sync", "--delete", "--yes", f"s3://{bucket}/y/", str(dst))
    assert first.code == 0, first.err
    assert files_below(dst) == {
        **{k[2:]: v for k, v in objects.items()},
        ".f99.cbpart-7": b"a half file resume continues from",
    }
    assert {"result": "deleted", "local": str(dst / "2" / "orphan")} in first.records()
    [queue] = queues
    assert 0 < queue.most_held <= AHEAD + PAGE

    second = cli("sync", "--delete", "--yes", f"s3://{bucket}/y/", str(dst))
    assert second.code == 0, second.err
    assert second.records() == [], "a second run transfers and deletes nothing"


def test_a_listing_that_breaks_off_still_delivers_what_it_planned(
    hostile_server: S3Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    front = hostile_server.hostile
    assert front is not None
    bucket = hostile_server.bucket()
    objects = {"d/a": b"alpha", "d/b": b"beta"}
    hostile_server.put(bucket, objects)

    @front.rule
    def then_the_same_page(request: Request, forward: Forward) -> Reply | None:
        if not request.is_listing():
            return None
        if "continuation-token" in request.query:
            return xml_reply(listing_body(bucket, [], prefix="d/", next_token="again"))
        reply = forward()
        more = (
            b"<IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken>"
        )
        reply.body = reply.body.replace(b"<IsTruncated>false</IsTruncated>", more)
        return reply

    out = tmp_path / "dl"
    result = Cli(hostile_server, capsys, monkeypatch)(
        "get", "-r", "--text", f"s3://{bucket}/d/", str(out)
    )
    assert result.code == 1
    assert files_below(out) == objects
    assert "downloaded 2 files" in result.err
    assert "The server keeps returning the same page of" in result.err
    assert "Traceback" not in result.err
