"""StorageService: the Qt facade over the core that models and widgets call.

Every method takes the slots for its results as keyword arguments (``progress``,
``succeeded``, ``failed``, ``finished``; see :class:`~cloudbrowser.gui.workers.Handlers`),
connects them, starts a :class:`~cloudbrowser.gui.workers.Job` and returns it at once; the
work runs on the pool and the slots run on the GUI thread. Connections are
registered by id; the service owns one Storage (and so one shared botocore client) per
connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Unpack

from PySide6.QtCore import QObject, Signal

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.entries import Bucket, ObjectInfo
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.gui.workers import Handlers, Job, JobRunner

# A backend's package (and its SDK: boto3 costs ~0.1 s) is imported when a connection is
# first added (core.backends.open_storage): the window shows before it is needed (gui/app.py;
# DESIGN.md §7 start-up bar).
if TYPE_CHECKING:
    from cloudbrowser.core.storage import Storage


@dataclass(frozen=True)
class Connection:
    """A registered connection: an id the GUI keys everything by, and its backend."""

    id: str
    settings: ConnectionSettings
    backend: Storage

    @property
    def name(self) -> str:
        return self.settings.name


class StorageService(QObject):
    """Runs storage calls in the background for the GUI.

    Signals:
        connectionAdded(str): a connection id became available.
        connectionRemoved(str): a connection id is gone.
    """

    connectionAdded = Signal(str)
    connectionRemoved = Signal(str)

    def __init__(
        self,
        *,
        page_size: int | None = None,
        max_threads: int = 8,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self.runner = JobRunner(max_threads, self)
        self._connections: dict[str, Connection] = {}
        #: Asks for an MFA code when an AWS profile's role needs one (set by the window);
        #: called on a worker thread.
        self.mfa_prompter: Callable[[str], str] | None = None

    # ── connections ─────────────────────────────────────────────────────────────────────

    def add_connection(
        self, settings: ConnectionSettings, credentials: Credentials | None = None
    ) -> Connection:
        conn_id = settings.name
        n = 2
        while conn_id in self._connections:
            conn_id = f"{settings.name} ({n})"
            n += 1

        backend = open_storage(
            settings, credentials, page_size=self.page_size, mfa_prompter=self.mfa_prompter
        )
        conn = Connection(conn_id, settings, backend)
        self._connections[conn_id] = conn
        self.connectionAdded.emit(conn_id)
        return conn

    def remove_connection(self, conn_id: str) -> None:
        if self._connections.pop(conn_id, None) is not None:
            self.connectionRemoved.emit(conn_id)

    def has_connection(self, conn_id: str) -> bool:
        return conn_id in self._connections

    def connection(self, conn_id: str) -> Connection:
        try:
            return self._connections[conn_id]
        except KeyError:
            raise ConfigError(
                self.tr("There is no connection named “{name}”.").format(name=conn_id)
            ) from None

    # ── operations ──────────────────────────────────────────────────────────────────────

    def list_buckets(self, conn_id: str, **handlers: Unpack[Handlers]) -> Job:
        """Job succeeding with ``list[Bucket]``.

        A connection with a default bucket lists just that bucket and sends no request:
        its key may not be allowed to call ListAllMyBuckets.
        """
        backend = self.connection(conn_id).backend
        default_bucket = backend.settings.default_bucket

        def work(_job: Job) -> list[Bucket]:
            if default_bucket:
                return [Bucket(name=default_bucket)]
            return backend.list_buckets()

        return self._start(work, f"Listing the buckets of {conn_id}", handlers)

    def list_prefix(
        self, conn_id: str, bucket: str, prefix: str, **handlers: Unpack[Handlers]
    ) -> Job:
        """Job reporting each ``ListPage`` as ``progress``, in order, then succeeding
        with the number of pages. Cancelling stops it between pages."""
        backend = self.connection(conn_id).backend

        def work(job: Job) -> int:
            pages = 0
            for page in iter_pages(backend, bucket, prefix, job.cancel_event):
                job.report(page)
                pages += 1
            return pages

        return self._start(work, f"Listing {bucket}/{prefix}", handlers)

    def head_object(self, conn_id: str, bucket: str, key: str, **handlers: Unpack[Handlers]) -> Job:
        """Job succeeding with :class:`ObjectInfo`."""
        backend = self.connection(conn_id).backend

        def work(_job: Job) -> ObjectInfo:
            return backend.head_object(bucket, key)

        return self._start(work, f"Reading the properties of {bucket}/{key}", handlers)

    def run(self, fn: Callable[[Job], Any], description: str, **handlers: Unpack[Handlers]) -> Job:
        """Run any other callable in the background (e.g. starting the demo server)."""
        return self._start(fn, description, handlers)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        return self.runner.shutdown(timeout_ms)

    def _start(self, fn: Callable[[Job], Any], description: str, handlers: Handlers) -> Job:
        return self.runner.start(Job(fn, description=description), **handlers)
