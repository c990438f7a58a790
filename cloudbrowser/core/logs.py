"""The log file: rotating, in the platform log dir, and never holding a secret.

Secrets must not reach files, logs, exceptions or crash reports (docs/architecture.md §5):
:class:`RedactingFormatter` applies ``core/redaction.py`` (the secrets the process holds,
registered when they are made, and patterns of secret-looking values) to the *final* text
of every record (message, arguments and formatted traceback alike).

Qt-free, so the CLI can log the same way.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from cloudbrowser.core.printable import printable
from cloudbrowser.core.redaction import REDACTED, redact, register_secret

__all__ = ["REDACTED", "RedactingFormatter", "redact", "register_secret", "setup_logging"]

LOG_FILE = "cloudbrowser.log"
#: Where a crash of Python itself (a segfault in a Qt binding, say) leaves its traceback.
NATIVE_CRASH_FILE = "native-crash.log"
#: One file of 1 MiB plus 3 old ones: enough for a bug report, never a disk hog.
MAX_BYTES = 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts the whole text, traceback included.

    Records quote keys and server replies: their control and bidi characters are escaped
    (``core.printable``), so that reading the log in a terminal is as safe as the CLI.
    """

    def format(self, record: logging.LogRecord) -> str:
        return printable(redact(super().format(record)), keep="\n\t")


def log_path() -> Path:
    from cloudbrowser.core.paths import log_dir  # the folders: not at every start

    return log_dir() / LOG_FILE


def level_for(verbosity: int) -> int:
    """0: warnings and errors; 1 (``-v``): what cloudbrowser does; 2+ (``-vv``): debug."""
    return {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)


class RotatingLogFile(logging.Handler):
    """The rotating log file, made on the first record it is handed.

    ``logging.handlers`` brings socket, pickle and queue (~8 ms): a window that logs
    nothing before its first paint (the default level is WARNING) does not wait for
    them. If the file cannot be written, that is said once on stderr and records go on
    to the other handlers.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.Handler | None = None
        self._failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            if self._failed:
                return
            from logging.handlers import RotatingFileHandler

            try:
                self._file = RotatingFileHandler(
                    self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
                )
            except OSError as exc:
                self._failed = True
                print(
                    f"cloudbrowser: cannot write the log file {self.path}: {exc}", file=sys.stderr
                )
                return
            self._file.setFormatter(self.formatter)
        self._file.emit(record)  # under this handler's lock: one writer at a time

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def setup_logging(verbosity: int = 0, *, stderr: bool = True) -> Path:
    """Log to the rotating file (and stderr) at the level for ``verbosity``; returns its path.

    Only cloudbrowser's own loggers go below WARNING with ``-v``; ``-vv`` opens up every
    library too (botocore then logs request headers: the formatter redacts them). If the log
    dir cannot be written, logging goes on to stderr alone rather than stopping the app.
    """
    level = level_for(verbosity)
    root = logging.getLogger()
    formatter = RedactingFormatter(FORMAT)
    path = log_path()
    handlers: list[logging.Handler] = [RotatingLogFile(path)]
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
    logging.getLogger("cloudbrowser").setLevel(level)
    # Python's warnings (deprecations...) go to the log too, not only to a console
    # that a desktop user never sees.
    logging.captureWarnings(True)
    return path


def enable_native_crash_log() -> Path | None:
    """Dump every thread's traceback to ``native-crash.log`` if the interpreter itself
    crashes: no excepthook runs then, and without this the app would vanish without a trace.
    The file stays open for the life of the process (faulthandler writes to its fd)."""
    import faulthandler

    from cloudbrowser.core.paths import log_dir

    path = log_dir() / NATIVE_CRASH_FILE
    try:
        stream = path.open("a", encoding="utf-8")
    except OSError:
        return None
    faulthandler.enable(file=stream, all_threads=True)
    _native_crash_streams.append(stream)  # keep it open: faulthandler holds only the fd
    return path


_native_crash_streams: list[object] = []


def remove_handlers() -> None:
    """Close and detach what ``setup_logging`` added (tests; the app's own exit)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler.formatter, RedactingFormatter):
            root.removeHandler(handler)
            handler.close()
    logging.captureWarnings(False)
