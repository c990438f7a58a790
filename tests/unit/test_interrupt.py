"""interruptible(): a request on a reused runner thread that a stop stops waiting for;
stop_point(): where a request made of several stops."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from cloudbrowser.core.errors import Cancelled, StorageError
from cloudbrowser.core.interrupt import (
    Abandoned,
    Interrupts,
    breaking_off,
    elsewhere,
    interruptible,
    interruptible_late,
    pause,
    stop_point,
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


def test_a_dropped_request_says_when_it_has_ended() -> None:
    """Abandoned carries the end of the call left running, which an upload waits for
    before it looks whether its PUT was stored all the same (core/uploads.py); a call
    never started (stopped first) is a plain Cancelled."""
    stop, release, started = threading.Event(), threading.Event(), threading.Event()

    def blocked() -> str:
        started.set()
        release.wait(10)
        return "late"

    stopper = threading.Thread(target=lambda: started.wait(10) and stop.set())
    stopper.start()
    with pytest.raises(Abandoned) as raised:
        interruptible(blocked, stop)
    stopper.join()
    assert not raised.value.ended.is_set(), "the call still runs"
    release.set()
    assert raised.value.ended.wait(10)
    with pytest.raises(Cancelled) as early:
        interruptible(blocked, stop)
    assert not isinstance(early.value, Abandoned)


def test_a_dropped_request_hands_on_what_it_ended_with() -> None:
    """What a request left running returns or raises still reaches whoever must report
    it (a copy the server made after all: core/operations.py): told on the thread that
    ends it before ``ended`` is set, or at once where it has ended."""

    def dropped(call: object) -> tuple[Abandoned, list[tuple[object, BaseException | None]]]:
        stop, started, release = threading.Event(), threading.Event(), threading.Event()
        told: list[tuple[object, BaseException | None]] = []

        def running() -> object:
            started.set()
            release.wait(10)
            if isinstance(call, BaseException):
                raise call
            return call

        stopper = threading.Thread(target=lambda: started.wait(10) and stop.set())
        stopper.start()
        with pytest.raises(Abandoned) as raised:
            interruptible(running, stop)
        stopper.join()
        raised.value.when_ended(lambda value, error: told.append((value, error)))
        assert told == [], "told before it ended"
        release.set()
        assert raised.value.ended.wait(10)
        return raised.value, told

    made, told = dropped("the copy's revision")
    assert told == [("the copy's revision", None)]
    failure = StorageError("The old content is gone.")
    assert dropped(failure)[1] == [(None, failure)]
    late: list[tuple[object, BaseException | None]] = []
    made.when_ended(lambda value, error: late.append((value, error)))
    assert late == [("the copy's revision", None)], "asked after its end: told at once"


def test_a_request_whose_caller_delivers_nothing_after_a_stop_tells_how_it_ended() -> None:
    """interruptible_late: once stopped, the caller gets Cancelled and what the request
    ends with is told, once: left running or ending just as the stop came (here the
    request sets the stop itself, so either happens); before the stop, as usual."""

    def stopped_then(outcome: object) -> tuple[object, BaseException | None]:
        stop = threading.Event()
        told: list[tuple[object, BaseException | None]] = []
        ended = threading.Event()

        def request() -> object:
            stop.set()
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        def tell(value: object, error: BaseException | None) -> None:
            told.append((value, error))
            ended.set()

        with pytest.raises(Cancelled):
            interruptible_late(request, stop, tell, "The undelete of “a.txt”")
        assert ended.wait(10)
        [(value, error)] = told
        return value, error

    assert stopped_then("v2") == ("v2", None)
    failure = StorageError("Refused.")
    assert stopped_then(failure) == (None, failure)
    value, error = stopped_then(ValueError("a bug"))
    assert value is None and isinstance(error, StorageError)
    assert error.message == "The undelete of “a.txt” failed unexpectedly after the cancel."

    told: list[object] = []
    stop = threading.Event()
    assert interruptible_late(lambda: 7, stop, lambda *a: told.append(a), "x") == 7
    with pytest.raises(StorageError):
        interruptible_late(_raise(StorageError("No.")), stop, lambda *a: told.append(a), "x")
    assert told == [], "not stopped: the caller has the outcome"


def _raise(error: BaseException) -> Callable[[], object]:
    def call() -> object:
        raise error

    return call


def test_a_wait_within_a_time_gives_up_as_a_stop_does() -> None:
    release = threading.Event()
    with pytest.raises(Abandoned):
        interruptible(lambda: release.wait(10), threading.Event(), within=0.05)
    release.set()
    assert interruptible(lambda: 7, threading.Event(), within=5) == 7


def test_a_poll_wait_at_a_stop_point_ends_with_the_stop() -> None:
    """Azure's pending copy waits between polls at stop_point(wait): inside either form of
    stoppable the stop ends the wait at once; outside, it is a plain wait."""
    stop = threading.Event()
    timer = threading.Timer(0.05, stop.set)
    timer.start()
    with pytest.raises(Cancelled), stoppable(None, stop):
        stop_point(30)  # the test's own timeout is what fails if the stop is not seen
    timer.join()
    stop_point(0.01)  # outside: nothing to stop it, nothing raised
    with stoppable(None, threading.Event()):
        stop_point(0.01)
