"""The composition root: QApplication, logging, the excepthook, the window and its wiring."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from cloudbrowser import __version__
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.gui.drag_out import remove_stale_staging
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import ConnectionRequest, MainWindow
from cloudbrowser.gui.workers import Job, UnexpectedError

log = logging.getLogger("cloudbrowser")


def install_excepthook(window: MainWindow) -> None:
    """An uncaught exception (a bug) is logged and shown once with details, never lost."""

    def show(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("uncaught exception", exc_info=(exc_type, exc, tb))
        error = UnexpectedError(
            "Something went wrong inside cloudbrowser.",
            hint="Your data is safe; the details below help to fix the bug.",
            detail=f"{exc_type.__name__}: {exc}",
        )
        # The hook may run on any thread: hand the dialog to the GUI thread.
        QTimer.singleShot(0, window, lambda: window.messages.major(error))

    sys.excepthook = show
    threading.excepthook = lambda a: show(a.exc_type, a.exc_value or a.exc_type(), a.exc_traceback)


def freeze_startup_objects_after_first_listing(window: MainWindow) -> None:
    """Move start-up's long-lived objects out of the garbage collector's reach.

    After start-up (Qt, botocore and its client) the collector tracks ~90,000 objects that
    live as long as the app, and every full collection walks them all, ~30 ms with the GIL
    held: a stall of the GUI thread even when it runs on a worker. Once the first listing has
    ended they all exist, so ``gc.freeze()`` then.
    """

    def on_loading(loading: bool) -> None:
        if not loading:
            window.list_model.loadingChanged.disconnect(on_loading)
            gc.freeze()

    window.list_model.loadingChanged.connect(on_loading)


def run_gui(
    args: argparse.Namespace, connection: tuple[ConnectionSettings, Credentials | None] | None
) -> int:
    """Run the window. ``connection`` comes from the command line's connection options;
    without it: ``--demo``, ``--connection NAME``, or the last session / the manager."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = QApplication(sys.argv[:1])
    app.setApplicationName("cloudbrowser")
    app.setApplicationDisplayName("cloudbrowser")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("cloudbrowser")
    app.setDesktopFileName("cloudbrowser")

    service = StorageService(page_size=args.page_size)
    window = MainWindow(service)
    install_excepthook(window)
    freeze_startup_objects_after_first_listing(window)
    window.restore_window_state()
    window.show()
    # What a previous run left unfinished: listed now, continued once its connection opens.
    window.transfers.restore()
    service.run(lambda _job: remove_stale_staging(), "Removing old drag-out copies")

    demo = None
    if connection is not None:
        window.open_connection(ConnectionRequest(*connection, args.location))
    elif args.connection:
        window.connector.open_by_name(args.connection, args.location)
    elif not args.demo:
        # No connection on the command line: where the user was last time, else the
        # connection manager (a first start).
        if not window.restore_session(args.location):
            window.show_connections()
    else:
        from cloudbrowser.demo import DEMO_CREDENTIALS, DemoServer

        demo_server = demo = DemoServer()
        window.messages.info("Starting the demo server with sample data…")

        def start(_job: Job) -> ConnectionRequest:
            demo_server.start()
            return ConnectionRequest(demo_server.settings(), DEMO_CREDENTIALS, args.location)

        service.run(
            start,
            "Starting the demo server",
            succeeded=window.open_connection,
            failed=window.messages.major,
        )

    code = app.exec()
    # Transfers first: running ones stop between chunks and stay queued in the journal.
    finished = window.transfers.shutdown()
    finished = service.shutdown(timeout_ms=2000) and finished
    if demo is not None:
        demo.stop()
    if not finished:
        # A request is still waiting on a server that does not answer. Nothing is left to
        # save, and QThreadPool's destructor would block exit until the read timeout (a
        # minute or more): leave now.
        log.warning("exiting with requests still waiting on the network")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
