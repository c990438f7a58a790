"""Engine threads give way to the window for a moment each time its user acts on it.

Python runs one thread at a time (the GIL). While files transfer, the engine's threads want
it most of the time, and the window's thread, which needs it for every call Qt makes into
Python (a paint of the file list is ~1,000 of them), gets it only in turns with them: a
paint that takes 5 ms alone took 30-55 ms at the median, up to 600 ms, beside eight busy
threads (measured; answering all of a cell's roles in one call into Python did not help:
what counts is the share of the GIL, not the number of calls).

So when the user acts (a key, a click, the wheel, a drag: ``gui/user_first.py``), the
window holds the engine for :data:`HOLD` (:func:`hold`), and engine threads call
:func:`give_way` at points where they hold no lock the window may need (between files,
between a reply's chunks, after a request's reply came, between listing pages and
server-side copies) and wait there until the hold has run out. Measured during a 2,000-file
upload with an act every 20 ms (``tests/bench/gui_transfers.py --acts``, 4 runs): the list
painted 4.6-7.3 ms after an act at the median and 9-14 ms at the 90th percentile, against
10-21 and 49-74 ms without.

A user who never stops acting must not stop the transfers: holds that follow each other
make one burst of at most :data:`LONGEST_BURST`, after which the engine runs for at least
:data:`ENGINE_TURN` before the next one. Without a window (the CLI) nothing holds, and
:func:`give_way` costs a clock read.

Why not hold from each wake of the window's event loop to its next sleep: its progress
polls and timers wake it all the time, each hook is one more wait for the GIL, and Qt's
glib event loop says it is about to sleep at every turn, with work still queued
(measured: no shorter stalls).

The window's own periodic work is the other stall: its transfer poll (ten times a second)
and the repaint of the Transfers panel that follows, a few milliseconds of Python that
became 50-170 ms beside eight busy transfer threads, each call from Qt into Python
waiting for its turn at the GIL. So the poll holds the engine too
(:func:`hold_for_window`), until the window's event loop is about to sleep, its paint
done (:func:`release_window`), at most :data:`WINDOW_HOLD`; the threads waiting go on
the moment it is released. Measured with ``tests/bench/gui_transfers.py``, 8 drops of
2,000 files each way, taking turns: longest stall 32-88 ms (median 41.5) against 40-146
(median 77.5); the window's upload rate unchanged (855 against 838 files/s). A fixed
hold instead (15 ms a poll) stalled about as little but cost a fifth of the rate.
"""

from __future__ import annotations

import threading
import time

#: How long one act holds the engine, in seconds: the paint it causes fits in it.
HOLD = 0.05
#: The longest the engine is held by acts that follow each other.
LONGEST_BURST = 0.5
#: How long the engine then runs before acts hold it again.
ENGINE_TURN = 0.25
#: The longest the window's own work (a poll and its paint) holds the engine.
WINDOW_HOLD = 0.05

#: Read where a test needs another clock.
_clock = time.monotonic
#: The engine is held until this time (``_clock``); the current or last burst began at
#: ``_burst_start``, and ``_capped`` says it ran into LONGEST_BURST.
_held_until = 0.0
_burst_start = 0.0
_capped = False
#: Clear while the window's own work holds the engine (until ``_window_until`` at most):
#: engine threads wait on it, and go on the moment the window releases it.
_window_free = threading.Event()
_window_free.set()
_window_until = 0.0


def hold() -> None:
    """The user acted: engine threads wait at :func:`give_way` for :data:`HOLD` (within
    the burst's limits, see the module's doc). Called from the window's thread only."""
    global _held_until, _burst_start, _capped
    now = _clock()
    if now < _held_until:  # a burst goes on
        end = _burst_start + LONGEST_BURST
        _held_until = min(now + HOLD, end)
        _capped = _held_until >= end
        return
    if _capped and now < _held_until + ENGINE_TURN:
        return  # the engine's turn after a long burst
    _burst_start, _held_until, _capped = now, now + HOLD, False


def hold_for_window() -> None:
    """The window's periodic work begins (its transfer poll): engine threads wait at
    :func:`give_way` until :func:`release_window`, at most :data:`WINDOW_HOLD`. Called
    from the window's thread only."""
    global _window_until
    _window_until = _clock() + WINDOW_HOLD
    _window_free.clear()


def release_window() -> None:
    """The window's work is done (its event loop is about to sleep): engine threads go
    on at once."""
    _window_free.set()


def held() -> bool:
    """Whether engine threads would wait at :func:`give_way` now."""
    now = _clock()
    return _held_until > now or (not _window_free.is_set() and _window_until > now)


def give_way() -> None:
    """Wait while the window holds the engine. Call only where this thread holds no lock
    another thread may need."""
    left = _held_until - _clock()
    if left > 0:
        time.sleep(left)
    if not _window_free.is_set():
        _window_free.wait(max(0.0, _window_until - _clock()))


def reset() -> None:
    """No hold, no burst (for tests)."""
    global _held_until, _burst_start, _capped
    _held_until, _burst_start, _capped = 0.0, 0.0, False
    _window_free.set()
