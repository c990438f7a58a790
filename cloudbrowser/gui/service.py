"""StorageService: the Qt facade over the core that models and widgets call.

Every method takes the slots for its results as keyword arguments (``progress``,
``succeeded``, ``failed``, ``finished``; see :class:`~cloudbrowser.gui.workers.Handlers`),
connects them, starts a :class:`~cloudbrowser.gui.workers.Job` and returns it at once; the
work runs on the pool and the slots run on the GUI thread. Connections are opened and
looked up by id in :attr:`StorageService.connections` (``core.connections``), the lookup the
transfer queue shares: one Storage (and so one shared HTTP client) per connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Unpack

from PySide6.QtCore import QCoreApplication, QObject, Signal

from cloudbrowser.core.connections import Connection, Connections, MfaPrompter
from cloudbrowser.core.entries import Bucket, ObjectInfo
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.gui.workers import Handlers, Job, JobRunner

# A backend's package (and its SDK: boto3 costs ~0.1 s) is imported when a connection is
# first added (core.backends.open_storage): the window shows before it is needed (gui/app.py;
# docs/architecture.md §7 start-up bar).
if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.storage import Storage


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
        #: The open connections: the one lookup the transfer queue shares.
        self.connections = Connections(
            page_size=page_size,
            unknown_hint=QCoreApplication.translate(
                "StorageService", "Open it again from Connections…, then try again."
            ),
        )

    @property
    def mfa_prompter(self) -> MfaPrompter | None:
        """Asks for an MFA code when an AWS profile's role needs one (set by the window);
        called on a worker thread."""
        return self.connections.mfa_prompter

    @mfa_prompter.setter
    def mfa_prompter(self, prompter: MfaPrompter | None) -> None:
        self.connections.mfa_prompter = prompter

    # ── connections ─────────────────────────────────────────────────────────────────────

    def add_connection(
        self, settings: ConnectionSettings, credentials: Credentials | None = None
    ) -> Connection:
        """Open a connection (id: its name, made unique) and announce it."""
        connection = self.connections.open(settings, credentials)
        self.connectionAdded.emit(connection.id)
        return connection

    def remove_connection(self, connection_id: str) -> None:
        if self.connections.close(connection_id):
            self.connectionRemoved.emit(connection_id)

    def has_connection(self, connection_id: str) -> bool:
        return connection_id in self.connections

    def connection(self, connection_id: str) -> Connection:
        """Raises ConfigError if ``connection_id`` is not open."""
        return self.connections.get(connection_id)

    def storage(self, connection_id: str) -> Storage:
        """The storage of an open connection. Raises ConfigError if it is not open."""
        return self.connections.storage(connection_id)

    # ── operations ──────────────────────────────────────────────────────────────────────

    def list_buckets(self, connection_id: str, **handlers: Unpack[Handlers]) -> Job:
        """Job succeeding with ``list[Bucket]``.

        A connection with a default bucket lists just that bucket and sends no request:
        its key may not be allowed to call ListAllMyBuckets.
        """
        storage = self.storage(connection_id)
        default_bucket = storage.settings.default_bucket

        def work(_job: Job) -> list[Bucket]:
            if default_bucket:
                return [Bucket(name=default_bucket)]
            return storage.list_buckets()

        return self._start(work, f"Listing the buckets of {connection_id}", handlers)

    def list_prefix(
        self, connection_id: str, bucket: str, prefix: str, **handlers: Unpack[Handlers]
    ) -> Job:
        """Job reporting each ``ListPage`` as ``progress``, in order, then succeeding
        with the number of pages. Cancelling stops it between pages."""
        storage = self.storage(connection_id)

        def work(job: Job) -> int:
            pages = 0
            # Not ahead (Storage.list_page): a server on this machine would make the next
            # page while the window adds and draws this one, the two sharing the cores.
            # Measured on 2 cores, rclone serve s3, a 100k-key folder (~760 ms a page
            # either way): longest stall 35 and 47 ms so, 54 and 159 ms asking ahead.
            for page in iter_pages(storage, bucket, prefix, job.cancel_event, ahead=False):
                job.report(page)
                pages += 1
            return pages

        return self._start(work, f"Listing {bucket}/{prefix}", handlers)

    def head_object(
        self, connection_id: str, bucket: str, key: str, **handlers: Unpack[Handlers]
    ) -> Job:
        """Job succeeding with :class:`ObjectInfo`."""
        storage = self.storage(connection_id)

        def work(_job: Job) -> ObjectInfo:
            return storage.head_object(bucket, key)

        return self._start(work, f"Reading the properties of {bucket}/{key}", handlers)

    def run(self, fn: Callable[[Job], Any], description: str, **handlers: Unpack[Handlers]) -> Job:
        """Run any other callable in the background (e.g. starting the demo server)."""
        return self._start(fn, description, handlers)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        return self.runner.shutdown(timeout_ms)

    def _start(self, fn: Callable[[Job], Any], description: str, handlers: Handlers) -> Job:
        return self.runner.start(Job(fn, description=description), **handlers)
