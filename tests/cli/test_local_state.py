"""A damaged connections file or journal: the command still runs, names the file and where
the original went, and the original bytes survive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cloudbrowser.core.local_state import DAMAGED_SUFFIX
from cloudbrowser.core.profiles import Profile
from tests.cli.helpers import REPO, child_env, run_process
from tests.conftest import S3Server


def moved_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}{DAMAGED_SUFFIX}*"))


def test_get_with_garbage_journal_and_bad_connection_entries(
    moto_server: S3Server, tmp_path: Path
) -> None:
    bucket = moto_server.bucket()
    moto_server.put(bucket, {"docs/hello.txt": b"hello from the server"})
    config = Path(os.environ["CLOUDBROWSER_CONFIG_DIR"])
    data = Path(os.environ["CLOUDBROWSER_DATA_DIR"])
    good = Profile(
        "good",
        endpoint_url=moto_server.endpoint_url,
        access_key_id=moto_server.credentials.access_key_id,
    ).to_json()
    connections = json.dumps(
        {"version": 1, "connections": [None, good, {"name": "typed", "anonymous": "yes"}]}
    ).encode()
    (config / "connections.json").write_bytes(connections)
    journal = data / "transfers.sqlite3"
    garbage = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    journal.write_bytes(garbage)

    target = tmp_path / "out"
    target.mkdir()
    proc = run_process(
        ["get", "-c", "good", f"s3://{bucket}/docs/hello.txt", str(target)], moto_server
    )
    assert proc.returncode == 0, proc.stderr
    assert (target / "hello.txt").read_bytes() == b"hello from the server"
    assert "failed unexpectedly" not in proc.stderr
    [connections_aside] = moved_aside(config / "connections.json")
    [journal_aside] = moved_aside(journal)
    assert connections_aside.read_bytes() == connections
    assert journal_aside.read_bytes() == garbage
    for path in (config / "connections.json", journal, connections_aside, journal_aside):
        assert str(path) in proc.stderr
    assert "2 saved connections" in proc.stderr
    # The good connection was saved again; the next command says nothing more.
    again = run_process(["connections", "--text"], moto_server)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.startswith("good\t")


def test_binary_garbage_connections_file_lists_none_and_says_where_it_went() -> None:
    config = Path(os.environ["CLOUDBROWSER_CONFIG_DIR"])
    raw = b"\xff\xfe\x00\x00garbage\x81"
    (config / "connections.json").write_bytes(raw)
    proc = run_process(["connections", "--json"])
    assert proc.returncode == 0, proc.stderr
    [aside] = moved_aside(config / "connections.json")
    assert aside.read_bytes() == raw
    assert str(config / "connections.json") in proc.stderr and str(aside) in proc.stderr
    assert "failed unexpectedly" not in proc.stderr
    assert all(json.loads(line)["source"].startswith("aws:") for line in proc.stdout.splitlines())


def test_resume_leaves_alone_what_another_running_cloudbrowser_runs() -> None:
    from tests.unit.test_journal_owners import _OTHER  # journals a queued and a paused one

    journal = Path(os.environ["CLOUDBROWSER_DATA_DIR"]) / "transfers.sqlite3"
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER, str(journal)], cwd=REPO, env=child_env(None),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert other.stdout is not None and other.stdout.readline() == "ready\n"
        listed = run_process(["resume", "--json"])
        assert listed.returncode == 0, listed.stderr
        assert [json.loads(line)["key"] for line in listed.stdout.splitlines()] == ["paused-there"]
        taken = run_process(["resume", "1"])
        assert taken.returncode == 2
        assert "Another cloudbrowser is running the transfer 1" in taken.stderr
    finally:
        assert other.stdin is not None and other.stdout is not None
        other.stdin.close()
        other.wait(10)
        other.stdout.close()
