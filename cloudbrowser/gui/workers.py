"""Background jobs: storage calls run on a thread pool, results come back as queued signals.

The napari/superqt pattern: a ``Job``'s ``signals`` QObject is created on the GUI thread
(where the job is built), so every signal emitted from the worker is delivered on the GUI
thread through the event loop. The pool is given the bound method ``job.run``, not a Python
QRunnable subclass: the GUI thread drops its last reference to a job when ``finished``
arrives, which can be before the worker has returned from ``run()``, and a Python
QRunnable could then be freed under the worker's feet. PySide keeps a callable alive until
it has run. Cancellation is cooperative: the job's
function receives the ``Job`` and checks ``job.cancel_event`` (Storage.iter_pages does so
between pages). A job never raises into Qt: whatever its function raises becomes exactly one
``failed`` emission, then ``finished``.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypedDict, Unpack

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QObject,
    QThreadPool,
    QTimer,
    Signal,
)

from cloudbrowser.core.errors import Cancelled, CloudBrowserError

log = logging.getLogger(__name__)

#: How long a finished job (and its signals object) is kept after it finished, before the
#: GUI thread lets it go.
SIGNALS_KEPT_MS = 10_000


class UnexpectedError(CloudBrowserError):
    """A bug or an error nobody translated: shown with details, never as a raw traceback."""

    title = str(QT_TRANSLATE_NOOP("CloudBrowserError", "Unexpected error"))


class JobSignals(QObject):
    """Signals of one job, living on the GUI thread.

    Signals:
        progress(object): an intermediate result (e.g. one ListPage), in order.
        succeeded(object): the function's return value; not emitted on failure or cancel.
        failed(object): a CloudBrowserError; not emitted on cancel.
        finished(): always, last.
    """

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()


class Handlers(TypedDict, total=False):
    """Slots for a job's signals, connected *before* the job starts (see JobRunner.start).

    Use bound methods of QObjects living on the GUI thread: the connection is then queued
    and the slot runs on the GUI thread, whatever thread emits.
    """

    progress: Callable[[Any], object]
    succeeded: Callable[[Any], object]
    failed: Callable[[Any], object]
    finished: Callable[[], object]


class Job:
    """One unit of background work: ``fn(job)`` runs on a pool thread."""

    def __init__(self, fn: Callable[[Job], Any], *, description: str = "") -> None:
        self.fn = fn
        self.description = description
        self.signals = JobSignals()
        self.cancel_event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        """Ask the job to stop at its next check; its results are then not delivered."""
        self.cancel_event.set()

    def report(self, value: object) -> None:
        """Called by the job function to deliver an intermediate result."""
        if not self.cancelled:
            self.signals.progress.emit(value)

    def run(self) -> None:
        try:
            value = self.fn(self)
        except Cancelled:
            pass
        except CloudBrowserError as exc:
            if not self.cancelled:
                self.signals.failed.emit(exc)
        except Exception as exc:
            log.exception("job %r crashed", self.description)
            if not self.cancelled:
                self.signals.failed.emit(
                    UnexpectedError(
                        QCoreApplication.translate("Job", "{task} failed unexpectedly.").format(
                            task=self.description
                            or QCoreApplication.translate("Job", "A background task")
                        ),
                        hint=QCoreApplication.translate(
                            "Job", "This is a bug in cloudbrowser; the details help to fix it."
                        ),
                        detail=f"{type(exc).__name__}: {exc}",
                    )
                )
        else:
            if not self.cancelled:
                self.signals.succeeded.emit(value)
        finally:
            self.signals.finished.emit()


class JobRunner(QObject):
    """Starts jobs on a bounded pool and keeps them alive until they finish.

    ``shutdown`` cancels everything and waits a bounded time: closing the window never
    hangs on a slow server (a request already on the wire is abandoned, not awaited).
    """

    def __init__(self, max_threads: int = 8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._active: set[Job] = set()
        #: Finished jobs, held until SIGNALS_KEPT_MS after they finished (see _forget).
        self._retired: set[Job] = set()

    def start(self, job: Job, **handlers: Unpack[Handlers]) -> Job:
        """Connect ``handlers``, then start ``job``.

        Connecting after the start would race the worker: a result emitted before the
        connection exists is lost for good (a listing missing its first page, or one that
        never ends because its ``finished`` went nowhere).
        """
        signals = job.signals
        for name, slot in handlers.items():
            getattr(signals, name).connect(slot)
        self._active.add(job)
        # Owned by the runner (Qt), not by the job's Python wrapper: the worker may hold the
        # last reference to the job (``job.run``) and free it on its own thread, which must
        # not destroy the signals object, nor the slots connected to it (closures that hold
        # widgets), off the GUI thread. It is deleted on the GUI thread a while after it
        # finished (callers may still look at a finished job's signals meanwhile).
        signals.setParent(self)
        signals.finished.connect(self._forget)
        self.pool.start(job.run)
        return job

    def _forget(self) -> None:
        sender = self.sender()
        finished = {j for j in self._active if j.signals is sender}
        self._active -= finished
        # ``finished`` arrives while the worker may still be inside ``job.run``: PySide drops
        # its reference to that bound method on the worker, in C++, after run() returns. If
        # that were the last reference, the job would be freed there, and with it its
        # function's closure, which may hold the last reference to a Qt object: destroyed
        # off the GUI thread (a bus error on a pool thread with no Python frame). So the
        # GUI thread keeps the job a while longer and lets it go itself.
        # (The runner is the timer's context: a runner destroyed meanwhile, with the
        # signals objects it owns, cancels it.)
        for job in finished:
            self._retired.add(job)
            QTimer.singleShot(SIGNALS_KEPT_MS, self, functools.partial(self._drop, job))
        if not finished and sender is not None:
            QTimer.singleShot(SIGNALS_KEPT_MS, sender.deleteLater)

    def _drop(self, job: Job) -> None:
        """Let a finished job go, on the GUI thread (the worker is long done with it)."""
        self._retired.discard(job)
        job.signals.deleteLater()

    @property
    def active(self) -> int:
        return len(self._active)

    def cancel_all(self) -> None:
        """Ask every job to stop; jobs not started yet never start. Does not wait."""
        for job in list(self._active):
            job.cancel()
        self.pool.clear()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel all jobs; True when every thread was free again within ``timeout_ms``.

        False means a request is still on the wire (a silent server): its thread is
        abandoned. QThreadPool's destructor would wait for it, up to the read timeout.
        """
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)
