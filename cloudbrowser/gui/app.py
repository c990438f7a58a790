"""The composition root: QApplication, logging, the excepthook, the window and its wiring."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QLibraryInfo,
    QLocale,
    QMessageLogContext,
    QObject,
    QTimer,
    QtMsgType,
    QTranslator,
    qInstallMessageHandler,
)
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget

from cloudbrowser import __version__
from cloudbrowser.core.errors import CloudBrowserError, ConfigError
from cloudbrowser.core.logs import enable_native_crash_log, setup_logging

# The window's modules are imported by run_gui once the QApplication exists, while the font
# database fills on another core (warm_fonts).
if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.demo import DemoServer
    from cloudbrowser.gui.service import StorageService
    from cloudbrowser.gui.single_instance import InstanceGuard, OpenRequest
    from cloudbrowser.gui.widgets.main_window import ConnectionRequest, MainWindow
    from cloudbrowser.gui.workers import Job

log = logging.getLogger("cloudbrowser")


#: The window's garbage collector thresholds (Python's are 700, 10, 10): a young
#: collection after 10,000 new objects, an older one after 20 of those, a full one after
#: 20 older ones (see freeze_startup_objects_after_first_listing).
COLLECTOR_THRESHOLDS = (10_000, 20, 20)


def freeze_startup_objects_after_first_listing(window: MainWindow) -> None:
    """Move start-up's long-lived objects out of the garbage collector's reach.

    After start-up (Qt, botocore and its client) the collector tracks ~90,000 objects that
    live as long as the app, and every full collection walks them all, ~30 ms with the GIL
    held: a stall of the GUI thread even when it runs on a worker. Once the first listing has
    ended they all exist, so ``gc.freeze()`` then.

    Then the collector runs less often (:data:`COLLECTOR_THRESHOLDS`): a drop of thousands
    of files makes tens of thousands of objects that live as long as their rows, and each
    full collection walked them all with the GIL held, 20-36 ms of a stalled window (a
    collection after every 700 new objects, a full one after each hundred of those).
    Measured, 2,000-file drops taking turns, 8 each: longest stall 31-50 ms against
    21-73 (two over 50 ms, each a full collection), the rate unchanged.
    """

    def on_loading(loading: bool) -> None:
        if not loading:
            window.list_model.loadingChanged.disconnect(on_loading)
            gc.freeze()
            gc.set_threshold(*COLLECTOR_THRESHOLDS)

    window.list_model.loadingChanged.connect(on_loading)


#: Qt's messages that say nothing about cloudbrowser (the offscreen platform's limits).
_QT_NOISE = ("This plugin does not support",)
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's own warnings go to the log file (a desktop user has no console to read)."""
    if not message.startswith(_QT_NOISE):
        category = context.category or "default"  # "qt.qpa.xcb", or "default"
        name = category if category.startswith("qt.") else f"qt.{category}"
        logging.getLogger(name).log(_QT_LEVELS.get(kind, logging.WARNING), message)


#: Set (by ``tests/bench/startup.py``) to print when the window first paints; ``quit``
#: also closes it then. The same hook in frozen and unfrozen builds.
REPORT_FIRST_PAINT_ENV = "CLOUDBROWSER_REPORT_FIRST_PAINT"


class FirstPaintReporter(QObject):
    """Prints ``FIRST_PAINT <wall-clock time> boto3=<imported yet>`` on stderr at the
    window's first paint event: the start-up benchmark's stop watch."""

    def __init__(self, window: MainWindow, quit_after: bool) -> None:
        super().__init__(window)
        self._quit_after = quit_after
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            now = time.time()
            print(f"FIRST_PAINT {now:.6f} boto3={'boto3' in sys.modules}", file=sys.stderr)
            sys.stderr.flush()
            watched.removeEventFilter(self)
            if self._quit_after and isinstance(watched, QWidget):
                QTimer.singleShot(0, watched.close)
        return False


class AfterFirstPaint(QObject):
    """Runs ``work`` once the window has painted its first frame: what the first frame does
    not need (the transfer journal, old drag-out copies) waits until the user sees it."""

    def __init__(self, window: QWidget, work: Callable[[], None]) -> None:
        super().__init__(window)
        self._work = work
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._work)
        return False


#: Overrides where cloudbrowser_<locale>.qm files are looked for (translators, tests).
TRANSLATIONS_ENV = "CLOUDBROWSER_TRANSLATIONS_DIR"


def translations_dir() -> Path:
    """gui/data/translations, wherever cloudbrowser is installed."""
    override = os.environ.get(TRANSLATIONS_ENV)
    if override:
        return Path(override)
    from cloudbrowser.gui.resources import data_dir

    return data_dir() / "translations"


def install_translations(app: QApplication, locale: QLocale | None = None) -> list[QTranslator]:
    """cloudbrowser's strings in the user's language where a translation exists (strings
    reach it through ``tr()``), then Qt's own (standard buttons) in the same language. Qt's
    alone would give a half-translated window, so they come only with cloudbrowser's."""
    locale = locale or QLocale.system()
    installed: list[QTranslator] = []
    for name, folder in (
        ("cloudbrowser", str(translations_dir())),
        ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
    ):
        translator = QTranslator(app)
        if not translator.load(locale, name, "_", folder):
            break
        app.installTranslator(translator)
        installed.append(translator)
    return installed


def install_plural_forms(app: QCoreApplication) -> QTranslator | None:
    """English singular and plural of the window's counted messages ("%Ln file(s)" → "1
    file", "2 files"; resources/make_plurals.py writes them). Installed first, under any
    language: a translation installed after it gives its own forms."""
    translator = QTranslator(app)
    if not translator.load("cloudbrowser_en", str(translations_dir())):
        log.warning("no English plural forms in %s", translations_dir())
        return None
    app.installTranslator(translator)
    return translator


def set_window_icon(app: QApplication) -> None:
    """The icon drawn at seven sizes: after the first paint (``run_gui``), as painting it
    first would delay the window; the title bar gets it a moment later."""
    from cloudbrowser.gui.app_icon import app_icon

    app.setWindowIcon(app_icon())


def warm_fonts() -> threading.Thread:
    """Fill Qt's font database (fontconfig on Linux: every installed font is listed, ~3 ms
    offscreen, tens of ms on a desktop with many fonts) on a thread, while the GUI thread
    imports the window's modules; the window's first text would otherwise wait for it.
    QFontDatabase is thread-safe, and PySide releases the GIL in the call."""
    thread = threading.Thread(target=QFontDatabase.families, name="fonts", daemon=True)
    thread.start()
    return thread


def make_application() -> QApplication:
    """The QApplication with cloudbrowser's names and icon (the window and the taskbar)."""
    qInstallMessageHandler(_qt_message)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("cloudbrowser")
    app.setApplicationDisplayName("cloudbrowser")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("cloudbrowser")
    # Wayland and the launchers match the window to cloudbrowser.desktop by this name
    # (and take its icon from there); X11 and Windows use the window icon.
    app.setDesktopFileName("cloudbrowser")
    install_plural_forms(app)
    install_translations(app)
    return app


def open_request(window: MainWindow, request: OpenRequest) -> None:
    """A second start's request: come to the front and open what it names."""
    window.finish_building()  # (it was, unless the request came before the first frame)
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
    if request.connection:
        window.connector.open_by_name(request.connection, request.location)
    elif request.location:
        if window.history.current is not None:
            window.navigate_to_text(request.location)
        elif not window.restore_session(request.location):
            window.show_connections()


def start_demo(
    window: MainWindow, service: StorageService, location: str, server: DemoServer | None = None
) -> DemoServer:
    """Start the demo servers on a worker, then open them in the window (or say why not):
    the local S3 shown, then a local GCS and Azure beside it in the tree where they run.
    ``server``: a demo made by the caller (tests: a smaller one)."""
    from cloudbrowser.core.backends import features_of
    from cloudbrowser.core.keys import split_scheme
    from cloudbrowser.demo import DEMO_CREDENTIALS, DemoServer
    from cloudbrowser.gui.widgets.main_window import ConnectionRequest

    server = server or DemoServer(with_clouds=True)
    # A location of another cloud (``gs://…``, ``az://…``) opens on the demo's connection
    # of that kind, not as a bucket name on the local S3.
    scheme = split_scheme(location.strip())[0]
    s3_location = location if scheme in ("", "s3") else ""

    def failed(error: CloudBrowserError) -> None:
        window.empty_tree.show_none()
        window.messages.major(error)

    def start(_job: Job) -> ConnectionRequest:
        server.start()
        return ConnectionRequest(server.settings(), DEMO_CREDENTIALS, s3_location)

    def others(_job: Job) -> list[tuple[ConnectionSettings, Credentials | None]]:
        return server.other_clouds()

    def add_others(clouds: list[tuple[ConnectionSettings, Credentials | None]]) -> None:
        opened = bool(s3_location) or not location.strip()
        for settings, credentials in clouds:  # other clouds to drag between
            if not opened and features_of(settings).uri_scheme == scheme:
                window.open_connection(ConnectionRequest(settings, credentials, location))
                opened = True
            else:
                add_beside(window, ConnectionRequest(settings, credentials))
        if not opened:
            window.messages.minor(
                ConfigError(
                    QCoreApplication.translate(
                        "app",
                        "The demo has no {scheme}:// storage running: “{location}” was not opened.",
                    ).format(scheme=scheme, location=location),
                    hint=QCoreApplication.translate("app", "The demo's local S3 is shown instead."),
                )
            )

    def started(request: ConnectionRequest) -> None:
        window.open_connection(request)
        service.run(others, "Starting the demo's local GCS and Azure", succeeded=add_others)

    service.run(start, "Starting the demo server", succeeded=started, failed=failed)
    return server


def add_beside(window: MainWindow, request: ConnectionRequest) -> None:
    """A connection added to the tree without leaving the one shown."""
    conn = window.service.add_connection(request.settings, request.credentials)
    window.add_connection(conn.id, show=False)


def run_gui(
    args: argparse.Namespace, connection: tuple[ConnectionSettings, Credentials | None] | None
) -> int:
    """Run the window. ``connection`` comes from the command line's connection options;
    without it: ``--demo``, ``--connection NAME``, or the last session / the manager."""
    log_file = setup_logging(args.verbose)
    enable_native_crash_log()
    app = make_application()
    warm_fonts()
    guard: InstanceGuard | None = None
    if connection is None and not args.demo:
        from cloudbrowser.gui.single_instance import InstanceGuard, OpenRequest  # QtNetwork

        # One window per user and config dir: a second start hands over what it was asked
        # to open and ends (see single_instance: why secrets and --demo stay apart).
        guard = InstanceGuard(parent=app)
        if guard.hand_off_or_listen(OpenRequest(args.connection or "", args.location)):
            log.info("the running window took the request")
            return 0
    window: MainWindow | None = None
    from cloudbrowser.gui.crash import CrashReporter

    # Before the window exists, so that a bug while building it is reported too.
    crashes = CrashReporter(log_file, lambda: window)
    crashes.install()

    from cloudbrowser.gui.service import StorageService
    from cloudbrowser.gui.widgets.main_window import ConnectionRequest, MainWindow

    service = StorageService(page_size=args.page_size)
    # The first frame's parts only: the rest is built just after it is painted.
    window = MainWindow(service, later=True)
    window.messages.report_damaged_files()
    if guard is not None:
        guard.requested.connect(lambda request: open_request(window, request))
    freeze_startup_objects_after_first_listing(window)
    window.restore_window_state()
    report = os.environ.get(REPORT_FIRST_PAINT_ENV)
    if report:
        FirstPaintReporter(window, quit_after=report == "quit")
    window.show()

    demos: list[DemoServer] = []
    if args.demo:
        starting = QCoreApplication.translate("app", "Starting the demo server with sample data…")
        window.messages.info(starting)
        window.empty_tree.show_opening(starting)

    def after_first_paint() -> None:
        gc.enable()  # disabled by __main__ until the first frame
        window.finish_building()
        # Connections open once the window is up (the demo's module and server too).
        if connection is not None:
            window.open_connection(ConnectionRequest(*connection, args.location))
        elif args.connection:
            window.connector.open_by_name(args.connection, args.location)
        elif args.demo:
            demos.append(start_demo(window, service, args.location))
        elif not window.restore_session(args.location):
            # No connection on the command line and no last session: a first start.
            window.show_connections()
        set_window_icon(app)
        from cloudbrowser.gui.fonts import add_bundled_fonts  # frozen: a CJK font

        add_bundled_fonts()
        # What a previous run left unfinished: listed now, continued once its connection
        # opens (a connection opened before this is continued here).
        window.transfers.restore()
        from cloudbrowser.gui.drag_out import remove_stale_staging

        service.run(lambda _job: remove_stale_staging(), "Removing old drag-out copies")

    AfterFirstPaint(window, after_first_paint)

    code = app.exec()
    if guard is not None:
        guard.close()  # a start from now on is a first start again
    # Transfers first: running ones stop between chunks and stay queued in the journal.
    finished = window.transfers.shutdown() if window.built else True
    finished = service.shutdown(timeout_ms=2000) and finished
    for demo in demos:
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
