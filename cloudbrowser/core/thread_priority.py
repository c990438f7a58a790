"""Engine threads that yield the CPU to the window's thread.

Beside eight busy transfer threads on a two-core machine, the window's thread waits twice
for every turn: for a core, and then for the GIL. The first wait is the scheduler's to
shorten: with the transfer threads at a lower priority, it runs the window's thread first
whenever both want a core, and the window then also gets the GIL sooner, as the threads
that would take it are not running. So the window's transfer queue asks for it
(``TransferOptions.background``); the CLI's does not: its transfers are what its user waits
for.

Measured with ``tests/bench/gui_transfers.py`` (a 2,000-file drop, 14 alternating pairs of
runs, the machine loaded 4-7 by other work): the heartbeat's 99th percentile gap was shorter
in 13 of 14 pairs (15-42 ms against 27-49 ms); the longest gap, and the files a second
(median 660 against 665), did not change beyond the runs' spread.

Linux only, where a thread's nice value is its own (``setpriority`` on its thread id): a
thread made nicer cannot be made less nice again without privileges, so only threads that
serve the engine alone call :func:`yield_to_the_window`; threads they start inherit it (the
runners their requests go to, the journal's flusher), which serve the engine too.
Elsewhere the threads keep their priority.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

#: How much nicer than the process the engine's threads run (of nice's 40 steps; each step
#: is ~10 % less CPU when threads compete for a core).
NICER_BY = 10


def yield_to_the_window() -> None:
    """Run the calling thread :data:`NICER_BY` below the process's main thread (Linux);
    nothing elsewhere, and nothing where the system refuses (a preference, never an
    error). A thread inherits its creator's nice value, so a thread made by one of these
    is as nice already, and stays so."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        # On Linux the process id is its main thread's id: the window's nice value.
        wanted = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + NICER_BY)
        if os.getpriority(os.PRIO_PROCESS, thread) < wanted:
            os.setpriority(os.PRIO_PROCESS, thread, wanted)
