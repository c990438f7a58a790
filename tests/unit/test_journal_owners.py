"""Two processes sharing one journal (the window and the CLI) never run the same transfer:
queued or running ones belong to their live process; paused, failed and orphaned ones to
whoever resumes them first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudbrowser.core import owners
from cloudbrowser.core.journal import Direction, Journal, JournalRecord, State
from cloudbrowser.core.transfers import TransferOptions, TransferQueue

REPO = Path(__file__).resolve().parents[2]

#: Another process: journals one queued and one paused transfer, then waits.
_OTHER = """
import sys
from pathlib import Path
from cloudbrowser.core.journal import Direction, Journal, JournalRecord, State
def record(key, state):
    return JournalRecord(
        id=0, direction=Direction.DOWNLOAD, connection="c", bucket="b", key=key,
        local_path=Path("/tmp") / key, size=1, mtime=0.0, etag="", part_size=0,
        session="", state=state, error="", batch="",
    )
journal = Journal(Path(sys.argv[1]))
journal.add([record("running-there", State.QUEUED), record("paused-there", State.PAUSED)])
print("ready", flush=True)
sys.stdin.read()
"""


def record(key: str, state: State) -> JournalRecord:
    return JournalRecord(
        id=0, direction=Direction.DOWNLOAD, connection="c", bucket="b", key=key,
        local_path=Path("/tmp") / key, size=1, mtime=0.0, etag="", part_size=0, session="",
        state=state, error="", batch="",
    )  # fmt: skip


@pytest.fixture
def other(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", _OTHER, str(tmp_path / "transfers.sqlite3")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait(10)
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()


def keys(journal: Journal) -> list[str]:
    return [r.key for r in journal.available()]


def test_another_live_process_keeps_what_it_runs(
    tmp_path: Path, other: subprocess.Popen[str]
) -> None:
    journal = Journal(tmp_path / "transfers.sqlite3")
    journal.add([record("mine", State.QUEUED)])
    # Its queued transfer is not offered here; its paused one is (nobody runs it).
    assert keys(journal) == ["paused-there", "mine"]
    assert len(journal.unfinished()) == 3, "the journal's truth is still there to see"
    running_there = 1
    assert journal.claim(running_there) is False
    paused_there = 2
    assert journal.claim(paused_there) is True
    journal.close()


def test_a_killed_process_leaves_its_transfers_to_the_next(
    tmp_path: Path, other: subprocess.Popen[str]
) -> None:
    path = tmp_path / "transfers.sqlite3"
    journal = Journal(path)
    assert keys(journal) == ["paused-there"]
    other.send_signal(signal.SIGKILL if sys.platform != "win32" else signal.SIGTERM)
    other.wait(10)
    # The OS dropped its lock: its queued transfer is interrupted, anyone's to resume.
    assert keys(journal) == ["running-there", "paused-there"]
    assert journal.claim(1) is True
    tokens = sorted(p.name for p in owners.owners_dir(path).iterdir())
    assert tokens == [owners.TOKEN], "the dead process's token file was tidied away"
    journal.close()


def test_resume_leaves_a_transfer_another_process_took_meanwhile(
    tmp_path: Path, other: subprocess.Popen[str]
) -> None:
    """The window listed a paused transfer; a command resumed it; the window's resume
    then leaves it alone and says why."""
    path = tmp_path / "transfers.sqlite3"
    [window_side] = Journal(path).available()
    queue = TransferQueue(lambda name: pytest.fail("nothing may run"), Journal(path),
                          TransferOptions())  # fmt: skip
    [restored] = queue.restore()
    assert restored.id == window_side.id
    # The other process claims it (its queue's resume, a moment before it queues it: the
    # claim alone, still paused in the journal, already keeps it).
    take = (
        "import sys; from pathlib import Path; from cloudbrowser.core.journal import Journal;"
        " j = Journal(Path(sys.argv[1])); assert j.claim(2);"
        " print('taken', flush=True); sys.stdin.read()"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    taker = subprocess.Popen(
        [sys.executable, "-c", take, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert taker.stdout is not None and taker.stdout.readline() == "taken\n"
        queue.resume([restored.id])
        assert restored.state is State.PAUSED
        assert "another cloudbrowser" in restored.note
    finally:
        assert taker.stdin is not None and taker.stdout is not None
        taker.stdin.close()
        taker.wait(10)
        taker.stdout.close()
    queue.shutdown()


def test_one_process_with_several_journals_is_one_owner(tmp_path: Path) -> None:
    """A queue that stopped (a 'killed' app in tests) leaves its work to the next queue of
    the same process: within a process, the queue decides."""
    path = tmp_path / "transfers.sqlite3"
    first = Journal(path)
    first.add([record("queued", State.QUEUED)])
    second = Journal(path)
    assert keys(second) == ["queued"] and second.claim(1)
    first.close()
    second.close()
    assert not owners.owners_dir(path).exists() or not any(owners.owners_dir(path).iterdir())
