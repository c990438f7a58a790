"""At most a few transfer workers run the engine's own code at once; the others wait for
the server meanwhile, or for their turn.

Python runs one thread at a time (the GIL). A thread that wants it waits for the one that
has it to let go, up to the switch interval (5 ms), and then takes its place behind every
other thread that wants it too. With eight transfer workers each running ~1 ms of Python a
file between short waits for a fast server, the window's thread waited behind all of them
for every call Qt made into Python: a drop of 2,000 small files stalled its event loop
53-94 ms at the longest (p99 25-41 ms). With two workers, 21-48 ms (p99 12-18), measured
on the idle 2-core machine (``tests/bench/gui_transfers.py``, 2026-12-07). But two workers
are two requests under way: over a network with a round trip of 50 ms, a quarter of what
eight would move.

So the number of workers stays (requests under way), and a worker takes a *turn* to run
the engine's code and gives it up while it waits: for a server's reply (:func:`waiting`,
which ``core/interrupt.py`` calls wherever a request's wait is broken off at a stop or
handed to a runner thread: every backend's requests), for a reply's body that arrives
slowly, for its parts, for the disk's fsync, for the bandwidth limit
(``RunContext.off_turn``). Threads that wait for a turn wait on a lock, not for the GIL,
so they are not in the window's way. The window uses turns (``TransferOptions.cpu_turns``);
the CLI, with no window to keep responsive, does not (one turn cost it ~7 % of its small
downloads' rate on the same machine).

Part threads never take a turn: they move large buffers, most of it in C with the GIL let
go, and a worker with its turn waits for them (off turn).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

#: The turns this thread holds, if any (a part thread never does).
_local = threading.local()


def waiting() -> AbstractContextManager[None]:
    """For code that waits for a server: this thread's turn given up meanwhile, if it
    holds one (else nothing)."""
    turns: CpuTurns | None = getattr(_local, "turns", None)
    return nullcontext() if turns is None else turns.off_turn()


class CpuTurns:
    """Turns for ``count`` threads at once; 0 (or less): as many as want one. The count
    may change while threads hold turns (:meth:`set_count`)."""

    def __init__(self, count: int = 0) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._count = max(0, count)
        self._taken = 0

    @property
    def count(self) -> int:
        return self._count

    def set_count(self, count: int) -> None:
        """From now on; threads holding a turn keep it."""
        with self._changed:
            self._count = max(0, count)
            self._changed.notify_all()

    def take(self) -> None:
        """Wait for a turn and hold it (this thread; not re-entrant)."""
        with self._changed:
            while self._count and self._taken >= self._count:
                self._changed.wait()
            self._taken += 1
        _local.turns = self

    def give(self) -> None:
        """Give up this thread's turn; another thread waiting for one gets it."""
        _local.turns = None
        with self._changed:
            self._taken -= 1
            self._changed.notify()

    def holds(self) -> bool:
        """Whether this thread holds a turn (a part thread never does)."""
        return getattr(_local, "turns", None) is self

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block."""
        self.take()
        try:
            yield
        finally:
            self.give()

    @contextmanager
    def off_turn(self) -> Iterator[None]:
        """Give this thread's turn up for the block (a wait), and take one again after it.
        Nothing where this thread holds none, or turns are unlimited."""
        if not self._count or not self.holds():
            yield
            return
        self.give()
        try:
            yield
        finally:
            self.take()
