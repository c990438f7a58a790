"""CpuTurns (core/cpu_turns.py): at most ``count`` threads hold a turn; a holder gives it up
for a wait and takes one again after it; threads without a turn (part threads) and
unlimited turns are left alone. Ordered with events, never timed: a wait that must not end
is given a short bound and checked not to have ended."""

from __future__ import annotations

import threading
from collections.abc import Callable

from cloudbrowser.core import cpu_turns
from cloudbrowser.core.cpu_turns import CpuTurns

#: How long a thread that must stay blocked is given to (wrongly) get through.
BLOCKED = 0.2
#: How long a thread that must get through is given.
THROUGH = 10.0


def in_thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def taking_a_turn(turns: CpuTurns) -> tuple[threading.Thread, threading.Event]:
    """A thread that takes a turn, sets the event once it has it, and gives it back."""
    got = threading.Event()

    def take() -> None:
        with turns.turn():
            got.set()

    return in_thread(take), got


def test_a_second_thread_waits_for_the_only_turn() -> None:
    turns = CpuTurns(1)
    with turns.turn():
        assert turns.holds()
        thread, got = taking_a_turn(turns)
        assert not got.wait(BLOCKED), "two threads held the only turn"
    assert got.wait(THROUGH), "the turn given up never reached the waiting thread"
    thread.join(THROUGH)
    assert not turns.holds()


def test_a_holder_off_turn_lets_another_run_then_waits_for_its_turn_again() -> None:
    turns = CpuTurns(1)
    other_has_it, other_may_go, back = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[str, bool]] = []

    def other() -> None:
        with turns.turn():
            other_has_it.set()
            other_may_go.wait(THROUGH)

    def holder() -> None:
        with turns.turn():
            with turns.off_turn():  # a wait for the server
                seen.append(("holds during the wait", turns.holds()))
                in_thread(other)
                seen.append(("free during the wait", other_has_it.wait(THROUGH)))
            back.set()  # only once the other one gave it up
            seen.append(("holds after the wait", turns.holds()))

    thread = in_thread(holder)
    assert other_has_it.wait(THROUGH)
    assert not back.wait(BLOCKED), "the holder came back while the other held the turn"
    other_may_go.set()
    assert back.wait(THROUGH)
    thread.join(THROUGH)
    assert seen == [
        ("holds during the wait", False),
        ("free during the wait", True),
        ("holds after the wait", True),
    ]


def test_waiting_gives_up_the_turn_this_thread_holds_and_nothing_otherwise() -> None:
    turns = CpuTurns(1)
    with cpu_turns.waiting():  # no turn held: nothing to give up
        assert not turns.holds()
    with turns.turn():
        with cpu_turns.waiting():
            assert not turns.holds()
            _, taken = taking_a_turn(turns)  # free for another thread meanwhile
            assert taken.wait(THROUGH)
        assert turns.holds()


def test_a_thread_without_a_turn_is_never_held_up() -> None:
    """A part thread takes no turn: off_turn and waiting change nothing for it, even while
    every turn is held."""
    turns = CpuTurns(1)
    done = threading.Event()
    seen: list[bool] = []

    def part() -> None:
        with turns.off_turn(), cpu_turns.waiting():
            seen.append(turns.holds())
        done.set()

    with turns.turn():
        in_thread(part)
        assert done.wait(THROUGH), "a thread without a turn waited for one"
        assert turns.holds()
    assert seen == [False]


def test_no_limit_lets_every_thread_hold_a_turn_at_once() -> None:
    turns = CpuTurns(0)
    inside = threading.Barrier(4, timeout=THROUGH)

    def hold_and_meet() -> None:
        with turns.turn():
            inside.wait()

    threads = [in_thread(hold_and_meet) for _ in range(3)]
    with turns.turn():
        inside.wait()  # all four hold a turn at once
        with turns.off_turn():  # unlimited: nothing is given up
            assert turns.holds()
    for thread in threads:
        thread.join(THROUGH)


def test_more_turns_wake_the_threads_waiting_for_one() -> None:
    turns = CpuTurns(1)
    with turns.turn():
        _, got = taking_a_turn(turns)
        assert not got.wait(BLOCKED)
        turns.set_count(2)
        assert got.wait(THROUGH), "a second turn did not reach the waiting thread"
        assert turns.count == 2
