"""``get``/``put`` on a server that is busy for a while: each file is tried again by itself
(``--retries``), the user is told why the run stands still, and nothing is lost."""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cloudbrowser.cli import cmd_transfer
from cloudbrowser.core.transfers import Activity, TransferOptions
from tests.cli.helpers import Cli
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, error_reply


@pytest.fixture
def cli(
    hostile_server: S3Server, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch
) -> Cli:
    # The CLI's waits (2, 10, 30 s) are for people; the rules are what is under test. Still
    # longer than the CLI's look at the queue every 0.1 s, so that each wait is seen.
    chosen = cmd_transfer.transfer_options

    def quick(args: object) -> TransferOptions:
        return dataclasses.replace(chosen(args), retry_waits=(0.3,))  # type: ignore[arg-type]

    mp.setattr(cmd_transfer, "transfer_options", quick)
    return Cli(hostile_server, capsys, mp)


@pytest.fixture
def mp(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return monkeypatch


def busy_for(server: S3Server, key: str, times: int) -> list[int]:
    """The object ``key``'s PUTs and GETs get 503 SlowDown ``times`` times, then pass."""
    assert server.hostile is not None
    refused = [0]
    lock = threading.Lock()

    def slow_down(request: Request, _forward: Forward) -> Reply | None:
        if request.key != key or request.method not in ("GET", "PUT"):
            return None
        with lock:
            if refused[0] >= times:
                return None
            refused[0] += 1
        return error_reply(503, "SlowDown", "Please reduce your request rate.")

    server.hostile.rule(slow_down)
    return refused


def test_get_waits_out_a_busy_server(cli: Cli, hostile_server: S3Server, tmp_path: Path) -> None:
    bucket = hostile_server.bucket()
    data = os.urandom(3000)
    hostile_server.put(bucket, {"d/a.bin": data, "d/b.bin": b"b"})
    # More refusals than the SDK's own retries of one request: the queue's retries are
    # what brings the file through.
    refused = busy_for(hostile_server, "d/a.bin", 8)

    result = cli("get", "-r", "--retries", "20", f"s3://{bucket}/d/", str(tmp_path / "out"))

    assert result.code == 0, result.err
    assert refused[0] == 8
    assert (tmp_path / "out" / "d" / "a.bin").read_bytes() == data
    assert (tmp_path / "out" / "d" / "b.bin").read_bytes() == b"b"
    assert "a.bin: The server is busy and asked to slow down. Trying again in" in result.err
    assert "(retry 1 of 20)" in result.err
    records = {r["key"]: r for r in result.records()}
    assert records["d/a.bin"]["state"] == "done"


def test_while_one_file_waits_the_others_for_that_server_wait_for_it(
    cli: Cli, hostile_server: S3Server, tmp_path: Path
) -> None:
    """One file at a time: the first is refused and waits; the second is not sent until the
    first gets through, and the note says why nothing moves."""
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"d/a.bin": b"a" * 3000, "d/b.bin": b"b" * 3000})
    refused = busy_for(hostile_server, "d/a.bin", 8)

    result = cli("get", "-r", "-j", "1", "--retries", "20", f"s3://{bucket}/d/", str(tmp_path))

    assert result.code == 0, result.err
    assert refused[0] == 8
    assert "The other files for this server wait for it." in result.err
    assert (tmp_path / "d" / "b.bin").read_bytes() == b"b" * 3000


def test_put_waits_out_a_busy_server(cli: Cli, hostile_server: S3Server, tmp_path: Path) -> None:
    bucket = hostile_server.bucket()
    source = tmp_path / "up.bin"
    source.write_bytes(os.urandom(2000))
    busy_for(hostile_server, "up.bin", 8)

    result = cli("put", "--retries", "20", str(source), f"s3://{bucket}/up.bin")

    assert result.code == 0, result.err
    assert "Trying again in" in result.err
    assert hostile_server.client.get_object(Bucket=bucket, Key="up.bin")["Body"].read() == (
        source.read_bytes()
    )


def test_retries_0_fails_at_once(cli: Cli, hostile_server: S3Server, tmp_path: Path) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"a.bin": b"a"})
    busy_for(hostile_server, "a.bin", 1000)

    result = cli("get", "--retries", "0", f"s3://{bucket}/a.bin", str(tmp_path / "a.bin"))

    assert result.code == 1
    assert "Trying again" not in result.err
    assert "busy" in result.err
    assert not (tmp_path / "a.bin").exists()


def test_negative_retries_is_a_usage_error(
    cli: Cli, hostile_server: S3Server, tmp_path: Path
) -> None:
    result = cli("get", "--retries", "-1", "s3://b/a.bin", str(tmp_path / "a.bin"))
    assert result.code == 2
    assert "--retries must be 0 or more." in result.err


def test_the_help_states_the_engines_defaults() -> None:
    from cloudbrowser.cli.app import build_parser

    options = TransferOptions()
    waits = ", ".join(f"{w:g}" for w in options.retry_waits)
    text = " ".join(
        build_parser()._subparsers._group_actions[0].choices["get"].format_help().split()
    )  # type: ignore[union-attr]
    assert f"(default {options.retries}, after {waits} s;" in text


class _Waiting:
    """A queue stand-in whose transfers wait to be tried again."""

    def __init__(self) -> None:
        self.waiting: list[Any] = []
        self.options = TransferOptions()

    def retrying(self) -> list[Any]:
        return list(self.waiting)

    def activity(self) -> Activity:
        return Activity(queued=len(self.waiting))  # nothing but the waiting ones

    def add(self, n: int) -> None:
        from cloudbrowser.core.errors import EndpointUnreachable

        error = EndpointUnreachable("Nothing answered at the server's address.")
        for _ in range(n):
            i = len(self.waiting)
            self.waiting.append(
                SimpleNamespace(id=i, retries=1, name=f"f{i}", error=error, retry_at=0.0)
            )


def test_a_network_drop_names_ten_files_then_counts_the_rest(
    capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch
) -> None:
    from cloudbrowser.cli.output import Output

    clock = [100.0]
    mp.setattr(cmd_transfer.time, "monotonic", lambda: clock[0])
    queue = _Waiting()
    notes = cmd_transfer.RetryNotes(queue, Output.choose(force_text=True), None)  # type: ignore[arg-type]
    queue.add(15)
    notes.say()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 11
    assert lines[0].startswith("cloudbrowser: f0: Nothing answered")
    assert lines[-1] == (
        "cloudbrowser: 15 files wait to be tried again by themselves "
        "(Nothing answered at the server's address.)"
    )
    queue.add(5)
    notes.say()
    assert capsys.readouterr().err == "", "not again within ten seconds"
    clock[0] += 11
    queue.add(1)
    notes.say()
    assert capsys.readouterr().err.splitlines() == [
        "cloudbrowser: 21 files wait to be tried again by themselves "
        "(Nothing answered at the server's address.)"
    ]
