"""core/give_way.py: engine threads wait at give_way() while the window holds them after
its user acted; acts that follow each other hold in bursts the engine always gets a turn
between; a transfer worker gives way between files."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudbrowser.core import give_way
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfers import TransferQueue, TransferRequest

#: How long a thread is watched to stay waiting (it could only stop waiting early).
WATCH = 0.3


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    give_way.reset()
    yield
    give_way.reset()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(give_way, "_clock", fake)
    return fake


def test_an_act_holds_for_a_moment(clock: Clock) -> None:
    assert not give_way.held()
    give_way.hold()
    assert give_way.held()
    clock.now += give_way.HOLD - 0.001
    assert give_way.held()
    clock.now += 0.002
    assert not give_way.held()


def test_acts_that_follow_each_other_hold_one_burst_then_the_engine_gets_its_turn(
    clock: Clock,
) -> None:
    """A user who never stops acting (a long scroll) does not stop the transfers."""
    step = give_way.HOLD / 2
    start = clock.now
    held_for = 0.0
    while clock.now - start < give_way.LONGEST_BURST + give_way.ENGINE_TURN:
        give_way.hold()
        if give_way.held():
            held_for = clock.now - start
        clock.now += step
    assert give_way.LONGEST_BURST - step <= held_for < give_way.LONGEST_BURST
    # After the burst, the engine's turn: acts during it hold nothing ...
    give_way.reset()
    give_way.hold()
    burst_end = clock.now + give_way.LONGEST_BURST
    while clock.now < burst_end + give_way.HOLD:
        give_way.hold()
        clock.now += step
    clock.now = burst_end + give_way.ENGINE_TURN / 2
    give_way.hold()
    assert not give_way.held(), "an act in the engine's turn"
    # ... and the first act after it holds again.
    clock.now = burst_end + give_way.ENGINE_TURN + 0.001
    give_way.hold()
    assert give_way.held()


def test_without_a_hold_give_way_returns_at_once() -> None:
    back = threading.Event()
    threading.Thread(target=lambda: (give_way.give_way(), back.set()), daemon=True).start()
    assert back.wait(5)


@pytest.fixture
def storage() -> Storage:
    return open_storage(ConnectionSettings(name="m", kind="memory", endpoint_url="memory://g"))


def test_a_transfer_worker_gives_way_between_files(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage.create_bucket("held")
    storage.put_object("held", "k.txt", b"kept", content_md5="")
    queue = TransferQueue(lambda _name: storage, Journal(tmp_path / "journal.sqlite3"))
    try:
        monkeypatch.setattr(give_way, "HOLD", 1.0)
        give_way.hold()
        request = TransferRequest(
            Direction.DOWNLOAD, "m", "held", "k.txt", tmp_path / "k.txt", 4, 0.0, ""
        )
        [t] = queue.add([request])
        assert not queue.wait([t], timeout=WATCH), "it ran while held"
        assert queue.wait([t], timeout=30), "it ran once the hold had run out"
        assert (t.state, (tmp_path / "k.txt").read_bytes()) == (State.DONE, b"kept")
    finally:
        queue.shutdown()


def test_the_windows_own_work_holds_until_it_is_released() -> None:
    """The poll holds; the engine goes on the moment the window's loop is about to sleep,
    not when a fixed time has run out."""
    give_way.hold_for_window()
    assert give_way.held()
    back = threading.Event()
    threading.Thread(target=lambda: (give_way.give_way(), back.set()), daemon=True).start()
    assert not back.wait(give_way.WINDOW_HOLD / 5), "it went on while held"
    give_way.release_window()
    assert back.wait(give_way.WINDOW_HOLD / 2), "released: at once, not at the hold's end"
    assert not give_way.held()


def test_the_windows_hold_ends_by_itself_if_never_released(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A window that never sleeps (busy) still lets the engine go on after WINDOW_HOLD."""
    monkeypatch.setattr(give_way, "WINDOW_HOLD", 0.2)
    give_way.hold_for_window()
    back = threading.Event()
    threading.Thread(target=lambda: (give_way.give_way(), back.set()), daemon=True).start()
    assert not back.wait(0.05)
    assert back.wait(5), "the hold ran out"
    assert not give_way.held()
