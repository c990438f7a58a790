"""The log file: rotating, in the platform log dir, and never holding a secret.

Secrets must not reach files, logs, exceptions or crash reports (docs/architecture.md §5).
Two lines of defence, both applied by :class:`RedactingFormatter` to the *final* text of every
record (message, arguments and formatted traceback alike):

* every secret the process holds is registered at run time (``Credentials`` registers its
  secret key and session token when it is made, see ``core/connection.py``) and replaced
  wherever it appears, however it got into the text;
* patterns catch what was never registered: the values of ``Authorization:`` headers,
  ``X-Amz-Security-Token``, ``X-Amz-Signature`` / ``Signature=`` (presigned URLs), and
  ``aws_secret_access_key`` / ``SecretAccessKey`` / ``SessionToken`` fields in any of the
  spellings botocore, the AWS config files and JSON use.

Qt-free, so the CLI can log the same way.
"""

from __future__ import annotations

import faulthandler
import logging
import re
import sys
import threading
from pathlib import Path

from cloudbrowser.core.printable import printable

LOG_FILE = "cloudbrowser.log"
#: Where a crash of Python itself (a segfault in a Qt binding, say) leaves its traceback.
NATIVE_CRASH_FILE = "native-crash.log"
#: One file of 1 MiB plus 3 old ones: enough for a bug report, never a disk hog.
MAX_BYTES = 1024 * 1024
BACKUPS = 3
REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"

#: Shorter strings are not registered: replacing every "ab" in a log would make it
#: unreadable, and no real secret is that short.
_MIN_SECRET = 6
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secret_pattern: re.Pattern[str] | None = None

# Group 1 is what stays (the name); the value after it is replaced.
_PATTERNS: list[re.Pattern[str]] = [
    # Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=… (headers
    # printed as text, or as a dict repr by botocore's debug logging: 'Authorization': b'…').
    re.compile(r"""(Authorization['"]?\s*[:=]\s*(?:b?['"])?)[^'"\r\n]+""", re.IGNORECASE),
    re.compile(
        r"""((?:X-Amz-Security-Token|X-Amz-Signature|X-Amz-Credential|Signature|"""
        r"""aws_secret_access_key|aws_session_token|aws_security_token|"""
        r"""secret_access_key|session_token|SecretAccessKey|SessionToken|"""
        r"""secret_key|SecretKey|password)['"]?\s*[:=]\s*(?:b?['"])?)[^'"&\s,;)}]+""",
        re.IGNORECASE,
    ),
]


def register_secret(secret: str) -> None:
    """Never write ``secret`` to a log from now on (call it for every secret you hold)."""
    global _secret_pattern
    if len(secret) < _MIN_SECRET:
        return
    with _secrets_lock:
        if secret in _secrets:
            return
        _secrets.add(secret)
        # Longest first, so a secret that contains another is replaced whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """``text`` with every registered secret and every secret-looking value replaced."""
    pattern = _secret_pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for regex in _PATTERNS:
        text = regex.sub(_keep_name, text)
    return text


def _keep_name(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED


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
