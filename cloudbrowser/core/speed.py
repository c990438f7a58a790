"""Speed and time left over a sliding window: what the window's rows and the CLI's line show.

Bytes arrive in lumps (an 8 MiB part is counted when the server confirms it, after seconds
of nothing), so a rate from the last tick alone jumps between nothing and hundreds of MiB/s,
and an average over the whole run remembers a stall forever. The rate here is the bytes
moved over the last :data:`WINDOW` seconds: steady while the transfer is, and it follows a
real change within that window, as file managers show it.

The meter is fed a counter of bytes *this run moved* (``Transfer.bytes_moved``), never the
progress: a resumed transfer starts at the bytes already on the server (or on disk), which
were not moved now and must not count as speed.
"""

from __future__ import annotations

from collections import deque

#: Seconds of samples the rate is measured over.
WINDOW = 8.0
#: No rate is given from less than this much time (the first samples say nothing yet).
MIN_SPAN = 1.0


class SpeedMeter:
    """Bytes per second over the last ``window`` seconds of a growing counter."""

    __slots__ = ("_samples", "window")

    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        #: (time, counter), oldest first; the first one may lie just before the window.
        self._samples: deque[tuple[float, int]] = deque()

    def sample(self, moved: int, now: float) -> None:
        """Record the counter ``moved`` at time ``now`` (monotonic seconds)."""
        samples = self._samples
        if samples and (moved < samples[-1][1] or now < samples[-1][0]):
            samples.clear()  # the counter started again (a retry, a restart)
        samples.append((now, moved))
        # Keep one sample at or before the window's start, so the span is the whole window.
        while len(samples) > 2 and samples[1][0] <= now - self.window:
            samples.popleft()

    def rate(self) -> float:
        """Bytes per second; 0.0 until :data:`MIN_SPAN` seconds were seen."""
        if len(self._samples) < 2:
            return 0.0
        (first_time, first), (last_time, last) = self._samples[0], self._samples[-1]
        span = last_time - first_time
        return (last - first) / span if span >= MIN_SPAN else 0.0

    def seconds_left(self, remaining: int) -> float | None:
        """Time to move ``remaining`` bytes at the current rate; None when unknown."""
        rate = self.rate()
        return remaining / rate if rate > 0 and remaining > 0 else None

    def reset(self) -> None:
        self._samples.clear()
