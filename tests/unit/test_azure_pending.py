"""The watch over a pending Azure Copy Blob's polls (``backends/azure/pending.py``): a
copy whose ``x-ms-copy-progress`` moves is waited for however long it takes; one that
stays put (or says nothing sensible) is given up after ``STALLED_SECONDS``. A clock of
the test's own: the rules, not the time, are under test. The polls against a server are
in tests/contract/test_azure_pending_copy.py."""

from __future__ import annotations

from cloudbrowser.core.backends.azure.pending import (
    LONGEST_POLL,
    STALLED_SECONDS,
    CopyWatch,
    next_poll,
    progress_of,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_copy_that_moves_is_never_given_up() -> None:
    clock = Clock()
    watch = CopyWatch("“k” in “c”", clock)
    for n in range(1, 100):
        clock.now += STALLED_SECONDS / 2
        assert watch.moved(f"{n * 10}/10000")


def test_a_copy_that_stays_put_is_given_up_after_the_limit() -> None:
    clock = Clock()
    watch = CopyWatch("“k” in “c”", clock)
    assert watch.moved("500/10000")
    clock.now += STALLED_SECONDS - 1
    assert watch.moved("500/10000")
    clock.now += 1
    assert not watch.moved("500/10000")
    assert watch.polls == 3 and watch.last == "500/10000"
    assert watch.stalled_for == STALLED_SECONDS


def test_progress_that_says_nothing_sensible_is_no_progress() -> None:
    """Missing, unreadable, going back, or more copied than there is."""
    clock = Clock()
    watch = CopyWatch("“k” in “c”", clock)
    assert watch.moved("100/1000")
    for said in ["", "soon", "50/1000", "5000/1000", "-1/1000", "100"]:
        clock.now += STALLED_SECONDS / 10
        watch.moved(said)
    clock.now += STALLED_SECONDS / 2
    assert not watch.moved("100/1000")


def test_progress_is_read_as_azure_writes_it() -> None:
    assert progress_of("1024/4096") == (1024, 4096)
    assert progress_of(" 0/0 ") == (0, 0)
    assert progress_of("5/4") is None
    assert progress_of("") is None


def test_polls_grow_apart_up_to_a_limit() -> None:
    wait, seen = 0.2, []
    for _ in range(20):
        wait = next_poll(wait)
        seen.append(wait)
    assert seen == sorted(seen) and seen[0] > 0.2 and seen[-1] == LONGEST_POLL
