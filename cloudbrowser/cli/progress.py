"""One progress line on stderr while transfers run: bytes, percent, speed, ETA, files.

Hand-written rather than ``rich``: the queue already reports one aggregate
(``TransferQueue.activity()``, pulled at 10 Hz like the window does), so a single
``\\r``-rewritten line is all there is to draw. That is ~50 lines with no dependency to
install on a server and nothing to import on start-up (``rich`` costs tens of
milliseconds to import, against a start-up budget of a couple hundred). It is drawn only
on a terminal: ``Output.progress`` is False with ``--json``, ``--quiet`` or a redirected
stderr.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TextIO

from cloudbrowser.cli.output import human_size
from cloudbrowser.core.printable import printable
from cloudbrowser.core.speed import SpeedMeter
from cloudbrowser.core.transfers import Activity


class ProgressLine:
    def __init__(
        self, stream: TextIO, *, files: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._clock = clock
        #: Files to transfer: a streamed download adds to it as its listing is read.
        self.files = files
        #: Over the bytes moved now: what a resumed transfer already had is not speed.
        self._meter = SpeedMeter()
        self._drawn = False

    def update(self, activity: Activity, files_done: int) -> None:
        self._meter.sample(activity.bytes_moved, self._clock())
        # Every byte is there but files still run: the server joins parts, or a file is
        # verified; a speed decaying towards zero would say something else.
        finishing = activity.running > 0 and activity.bytes_done >= activity.bytes_total > 0
        self.draw(format_line(activity.bytes_done, activity.bytes_total, self._meter.rate(),
                              files_done, self.files, finishing=finishing))  # fmt: skip

    def draw(self, text: str) -> None:
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self._stream.write("\r" + printable(text)[:width].ljust(width))
        self._stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            width = shutil.get_terminal_size((80, 24)).columns - 1
            self._stream.write("\r" + " " * width + "\r")
            self._stream.flush()
            self._drawn = False


def format_line(
    done: int,
    total: int,
    speed: float,
    files_done: int,
    files: int,
    *,
    finishing: bool = False,
    noun: str = "files",
) -> str:
    """``12.0 MiB / 40.0 MiB  30%  8.0 MiB/s  ETA 0:04  3/10 files``; once every byte is
    there and files still run: ``40.0 MiB / 40.0 MiB  100%  finishing…  9/10 files``
    (``noun``: what is counted, "objects" for cp and mv)."""
    percent = f"{100 * done // total:3d}%" if total else "  -%"
    if finishing:
        return (
            f"{human_size(done)} / {human_size(total)}  {percent}  finishing…"
            f"  {files_done}/{files} {noun}"
        )
    rate = f"{human_size(int(speed))}/s" if speed > 0 else "-/s"
    eta = format_eta((total - done) / speed) if speed > 0 and total > done else "-:--"
    return (
        f"{human_size(done)} / {human_size(total)}  {percent}  {rate}  ETA {eta}"
        f"  {files_done}/{files} {noun}"
    )


def format_eta(seconds: float) -> str:
    """``75`` → ``1:15``; ``3725`` → ``1:02:05``."""
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
