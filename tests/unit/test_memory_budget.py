"""The transfer queue's memory budget: chunks read whole before they are sent hold their
bytes from it, so many large uploads at once never hold more than the budget."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from cloudbrowser.core.transfers import MemoryBudget, Stopped

MiB = 1024 * 1024


def test_a_chunk_that_does_not_fit_waits_for_one_to_be_given_back() -> None:
    budget = MemoryBudget(256 * MiB)
    never = threading.Event()
    first_held, second_held, release_first = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with budget.hold(200 * MiB, never):
            first_held.set()
            release_first.wait(10)
            order.append("first gives back")

    def second() -> None:
        first_held.wait(10)
        with budget.hold(100 * MiB, never):
            order.append("second holds")
            second_held.set()

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(first), pool.submit(second)
        assert first_held.wait(10)
        # The second cannot hold 100 MiB while 200 of 256 are held.
        assert not second_held.wait(0.3)
        release_first.set()
        a.result(10), b.result(10)
    assert order == ["first gives back", "second holds"]


def test_chunks_that_fit_together_are_held_at_once() -> None:
    budget = MemoryBudget(256 * MiB)
    # Already stopped: a hold that had to wait would raise Stopped instead.
    stopped = threading.Event()
    stopped.set()
    # 64 + 64 + 128 = 256 of 256: they fit, so none waits.
    quarter, half = 64 * MiB, 128 * MiB
    with budget.hold(quarter, stopped), budget.hold(quarter, stopped), budget.hold(half, stopped):
        pass


def test_a_chunk_larger_than_the_budget_runs_alone_instead_of_never() -> None:
    budget = MemoryBudget(256 * MiB)
    with budget.hold(1024 * MiB, threading.Event()):
        pass


def test_a_pause_while_waiting_for_memory_stops_the_wait() -> None:
    budget = MemoryBudget(256 * MiB)
    stop = threading.Event()
    with budget.hold(200 * MiB, threading.Event()):
        stop.set()
        with pytest.raises(Stopped), budget.hold(100 * MiB, stop):
            pass
    # Nothing was kept by the stopped wait: the whole budget is there again.
    with budget.hold(256 * MiB, stop):
        pass
