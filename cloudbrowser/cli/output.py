"""What the command line prints, and the exit codes it ends with.

Two audiences: a person at a terminal gets aligned text and sizes like ``1.5 MiB``; a script
(``--json``, or stdout not a terminal) gets one JSON object per line with raw numbers and
ISO 8601 UTC times. stdout carries results only; errors, hints and progress go to stderr,
so a pipe never sees them. There is no colour at all: nothing to strip when piped.

Errors print as the window shows them: the error's ``message``, then its ``hint``; never a
traceback.

Keys, messages and names come from the server: text lines show every control, format or
bidi character as a visible escape (``core.printable``), so no key can drive the terminal
or forge a line. JSON keeps every string exact; only the characters a terminal would act
on are written as JSON's own ``\\uXXXX`` escapes, which decode to the same string.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any, TextIO

from cloudbrowser.core.errors import (
    AccessDenied,
    Cancelled,
    CloudBrowserError,
    ConfigError,
    InvalidCredentials,
)
from cloudbrowser.core.keys import URI_SCHEMES, remote_uri
from cloudbrowser.core.printable import is_unsafe, printable


class Exit(IntEnum):
    """Exit codes, as documented in ``cloudbrowser --help`` and the README."""

    OK = 0
    #: Something failed: the whole command, or some of its keys (each named on stderr).
    FAILED = 1
    #: The command line is wrong (unknown option, bad location, missing confirmation).
    USAGE = 2
    #: Credentials or configuration: unknown connection, wrong key, access denied, keyring.
    AUTH = 3
    #: Interrupted (Ctrl-C); unfinished transfers stay in the journal for ``resume``.
    INTERRUPTED = 130


class UsageError(ConfigError):
    """The command line itself is wrong: exit code 2."""

    title = "Usage"


def exit_code(error: CloudBrowserError) -> Exit:
    if isinstance(error, UsageError):
        return Exit.USAGE
    if isinstance(error, Cancelled):  # "no" to a confirmation: nothing was done
        return Exit.FAILED
    # The keyring's error is defined beside the keyring (core.secrets); compare by name so
    # that commands which never need a secret do not import keyring to classify errors.
    if isinstance(error, ConfigError | InvalidCredentials | AccessDenied) or (
        type(error).__name__ == "KeyringUnavailable"
    ):
        return Exit.AUTH
    return Exit.FAILED


def human_size(size: int) -> str:
    """``1536`` → ``1.5 KiB``; bytes below 1 KiB as ``512 B``."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if value < 1024 or unit == "PiB":
            break
    return f"{value:.1f} {unit}"


def iso_time(posix: float) -> str:
    """POSIX seconds → ``2024-05-01T12:00:00Z`` ("" for 0: unknown)."""
    if not posix:
        return ""
    return datetime.fromtimestamp(posix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_time(posix: float) -> str:
    """POSIX seconds → ``2024-05-01 14:00:00`` in the local time zone, like ``ls -l``."""
    if not posix:
        return " " * 19
    return datetime.fromtimestamp(posix).strftime("%Y-%m-%d %H:%M:%S")


class Output:
    """Where a command's results, notes and errors go."""

    def __init__(
        self,
        *,
        json_mode: bool,
        progress: bool,
        quiet: bool = False,
        raw_sizes: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.json = json_mode
        #: Draw progress on stderr (a terminal, and not JSON).
        self.progress = progress
        #: No summaries (``--quiet``); results and errors still print.
        self.quiet = quiet
        self.raw_sizes = raw_sizes
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        #: The scheme locations are printed in: the connection's (``gs://`` for GCS), set
        #: when it opens (:meth:`use_scheme`); per connection id where a command has several
        #: (``resume``).
        self.scheme = URI_SCHEMES[0]
        self._schemes: dict[str, str] = {}

    def use_scheme(self, scheme: str, connection_id: str = "") -> None:
        """Print locations of ``connection_id`` (and those naming none) as ``scheme://``."""
        self.scheme = scheme
        if connection_id:
            self._schemes[connection_id] = scheme

    def uri(self, bucket: str, key: str | None = "", connection_id: str = "") -> str:
        """A remote location as this command prints it (``key`` None: the bucket)."""
        return remote_uri(self._schemes.get(connection_id, self.scheme), bucket, key)

    @classmethod
    def choose(
        cls,
        *,
        force_json: bool = False,
        force_text: bool = False,
        quiet: bool = False,
        raw_sizes: bool = False,
    ) -> Output:
        """JSON with ``--json`` or when stdout is not a terminal (unless ``--text``)."""
        json_mode = force_json or (not force_text and not _isatty(sys.stdout))
        progress = not json_mode and not quiet and _isatty(sys.stderr)
        return cls(json_mode=json_mode, progress=progress, quiet=quiet, raw_sizes=raw_sizes)

    # ── results (stdout) ────────────────────────────────────────────────────────────────

    def record(self, **fields: Any) -> None:
        """One JSON object on a line of its own (JSON mode)."""
        self.stdout.write(json_line(fields) + "\n")

    def line(self, text: str) -> None:
        """One line of text for a person (text mode); tabs separate its columns."""
        self.stdout.write(printable(text, keep="\t") + "\n")

    def size(self, size: int) -> str:
        return str(size) if self.raw_sizes else human_size(size)

    # ── notes and errors (stderr) ───────────────────────────────────────────────────────

    def note(self, text: str) -> None:
        """Something a person should know that is not a result (summaries, hints)."""
        self.stderr.write(printable(text) + "\n")
        self.stderr.flush()

    def error(self, error: CloudBrowserError) -> None:
        """The error as the window shows it: message, then what to do."""
        self.stderr.write(f"cloudbrowser: {printable(error.message)}\n")
        if error.hint:
            self.stderr.write(f"  {printable(error.hint)}\n")
        self.stderr.flush()

    def failed(self, what: str, message: str, hint: str = "") -> None:
        """One item of a batch that failed: one line per item, so scripts can grep it."""
        tail = f" {hint}" if hint else ""
        line = printable(f"cloudbrowser: failed: {what}: {message}{tail}")
        self.stderr.write(line + "\n")
        self.stderr.flush()


def json_line(fields: dict[str, Any]) -> str:
    """``fields`` as one line of JSON, with the characters a terminal acts on escaped.

    ``json.dumps`` escapes C0 controls itself but writes C1 controls and bidi overrides
    raw (``ensure_ascii=False`` keeps every other non-ASCII character readable).
    """
    text = json.dumps(fields, ensure_ascii=False)
    if text.isprintable():
        return text
    return "".join(_json_escape(c) if is_unsafe(c) else c for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)  # JSON writes astral characters as a pair
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
