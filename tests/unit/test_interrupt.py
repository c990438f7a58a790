"""interruptible(): a request on a reused runner thread that a stop stops waiting for."""

from __future__ import annotations

import threading

import pytest

from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.interrupt import (
    Interrupts,
    breaking_off,
    elsewhere,
    interruptible,
    pause,
    stoppable,
)


def _runner_threads() -> set[int | None]:
    return {t.ident for t in threading.enumerate() if t.name == "request"}


def test_results_and_errors_come_back_and_runner_threads_are_reused() -> None:
    stop = threading.Event()
    assert interruptible(threading.get_ident, stop) != threading.get_ident(), "another thread"
    runners = _runner_threads()
    used = {interruptible(threading.get_ident, stop) for _ in range(20)}
    assert used <= runners, "one request after another: an idle runner each time"
    assert _runner_threads() == runners, "and no new thread was started"

    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        interruptible(fails, stop)
    assert interruptible(lambda: 42, stop) == 42, "a runner survives an error"


def test_a_stop_ends_the_wait_at_once_and_the_late_result_is_discarded() -> None:
    stop, release, started = threading.Event(), threading.Event(), threading.Event()
    discarded: list[str] = []
    finished = threading.Event()

    def blocked() -> str:
        started.set()
        release.wait(10)
        return "late reply"

    def discard(value: str) -> None:
        discarded.append(value)
        finished.set()

    outcome: list[BaseException] = []

    def caller() -> None:
        try:
            interruptible(blocked, stop, discard=discard)
        except BaseException as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=caller)
    waiting.start()
    assert started.wait(5)
    stop.set()
    waiting.join(3)  # generous: the poll is 50 ms
    assert not waiting.is_alive(), "the caller stopped waiting for the blocked request"
    assert isinstance(outcome[0], Cancelled)
    release.set()
    assert finished.wait(5)
    assert discarded == ["late reply"]
    with pytest.raises(Cancelled):
        interruptible(lambda: 1, stop)  # stopped before it starts: never sent


def test_requests_at_once_each_get_a_runner() -> None:
    """A request never waits for another's runner: 8 blocked at once all run."""
    stop, release = threading.Event(), threading.Event()
    running = threading.Semaphore(0)

    def blocked() -> int:
        running.release()
        release.wait(10)
        return 1

    results: list[int] = []
    callers = [
        threading.Thread(target=lambda: results.append(interruptible(blocked, stop)))
        for _ in range(8)
    ]
    for c in callers:
        c.start()
    for _ in range(8):
        assert running.acquire(timeout=5), "every request started while the others block"
    release.set()
    for c in callers:
        c.join(5)
    assert results == [1] * 8


def test_breaking_off_calls_only_inside_a_stoppable_request_and_only_while_it_waits() -> None:
    """What a backend registers with breaking_off() is called by a stop only inside
    stoppable() and only until its block ends (a socket then serves other requests)."""
    interrupts, stop = Interrupts(), threading.Event()
    calls: list[str] = []
    with breaking_off(lambda: calls.append("outside")):
        interrupts.fire()
    assert calls == []

    interrupts.reset()
    with stoppable(interrupts, stop):
        with breaking_off(lambda: calls.append("waiting")) as watch:
            interrupts.fire()
        assert watch.fired
        with breaking_off(lambda: calls.append("after the fire")) as late:
            pass  # registered after the stop: called at once
        assert late.fired
    assert calls == ["waiting", "after the fire"]

    interrupts.reset()
    with stoppable(interrupts, stop), breaking_off(lambda: calls.append("ended")) as ended:
        pass
    interrupts.fire()
    assert not ended.fired and calls == ["waiting", "after the fire"]

    stop.set()
    with pytest.raises(Cancelled), stoppable(interrupts, stop):
        pass  # a stopped transfer sends nothing


def test_elsewhere_runs_on_a_runner_only_inside_a_stoppable_request() -> None:
    interrupts, stop = Interrupts(), threading.Event()
    here = threading.get_ident()
    assert elsewhere(threading.get_ident) == here
    with stoppable(interrupts, stop):
        assert elsewhere(threading.get_ident) != here


def test_a_retrys_pause_inside_a_stoppable_request_ends_with_the_stop() -> None:
    """A backoff of up to 20 s between a request's attempts must not hold a pause up."""
    stop = threading.Event()
    timer = threading.Timer(0.05, stop.set)
    timer.start()
    with pytest.raises(Cancelled), stoppable(Interrupts(), stop):
        pause(30)  # the test's own timeout is what fails if the stop is not seen
    timer.join()
