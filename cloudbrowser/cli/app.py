"""Parsing the command line and running one command, with the exit code it earned.

Each command lives in a module of its own (``cli/cmd_*.py``) with a ``run(args, out)``;
it is imported only when chosen, so ``cloudbrowser ls`` never loads the transfer engine
and ``--help`` never loads boto3.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from cloudbrowser import __version__
from cloudbrowser.cli import COMMANDS
from cloudbrowser.cli.connect import add_connection_options
from cloudbrowser.cli.connect_gcs import PROJECT_HINT
from cloudbrowser.cli.output import Exit, Output, UsageError, exit_code
from cloudbrowser.core import local_state
from cloudbrowser.core.at_once import FILES_AT_ONCE, SMALL_FILES_AT_ONCE
from cloudbrowser.core.errors import CloudBrowserError, NoProject
from cloudbrowser.core.loggers import after_import
from cloudbrowser.flags import SECRET_ENV

Command = Callable[[argparse.Namespace, Output], int]

#: Remote locations as the help shows them: every command takes each cloud's scheme
#: (``cli/locations.py``), so none names S3's alone.
OBJECT = "{s3,gs,az}://BUCKET/KEY"
FOLDER = "{s3,gs,az}://BUCKET/PREFIX/"
BUCKET = "{s3,gs,az}://BUCKET"

_EPILOG = f"""\
locations: s3://bucket/key (or gs://bucket/key, az://container/blob) for objects,
  anything else is a local path; - is stdout for get.
connection: -c NAME (a saved connection of the window, or an AWS profile), or
  --endpoint/--profile/--access-key-id (secret from ${SECRET_ENV}); without
  any, the standard AWS variables and config apply. gs:// without -c uses
  Google's application default credentials (STORAGE_EMULATOR_HOST: an emulator;
  --project: whose buckets to list); az:// without -c uses the Azure CLI's
  variables: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with
  AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN (else Entra ID signs in).
output: text on a terminal; JSON lines with --json or when stdout is not a terminal.
exit codes: 0 ok, 1 failed (each failed key on stderr), 2 usage, 3 credentials or
  configuration, 130 interrupted (unfinished transfers: cloudbrowser resume).
"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's, told the terminal's width: argparse makes a formatter at every
    ``add_argument`` and would ask ``shutil`` for it, and importing shutil (with bz2, lzma
    and zlib) costs every command ~5 ms of its start-up."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        width = _terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


def _terminal_columns() -> int:
    """The width ``shutil.get_terminal_size()`` gives argparse: ``$COLUMNS``, else the
    terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``run`` returns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"See “{self.prog} --help”.")


def build_parser(only: str = "") -> argparse.ArgumentParser:
    """The command line's parser; with ``only``, that command's alone (what running one
    needs: building all of them costs every command ~10 ms of its start-up)."""

    def wanted(name: str) -> bool:
        return not only or name == only

    common = _Parser(add_help=False, formatter_class=_HelpFormatter)
    add_connection_options(common)
    out = common.add_argument_group("output")
    fmt = out.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON lines, even on a terminal")
    fmt.add_argument("--text", action="store_true", help="text, even when piped")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    out.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more to the log file and stderr: -v what happens, -vv debug (as the window)",
    )

    parser = _Parser(
        prog="cloudbrowser",
        description="cloudbrowser on the command line: the window's engine, connections "
        "and keyring, for scripts and terminals.",
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cloudbrowser {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, module: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name, parents=[common], help=help_text, description=help_text, epilog=_EPILOG,
            formatter_class=_HelpFormatter,
        )  # fmt: skip
        p.set_defaults(module=module)
        return p

    if wanted("ls"):
        ls = command("ls", "cmd_ls", "list buckets, a folder, or (-r) every key below a prefix")
        ls.add_argument(
            "location",
            nargs="?",
            default="",
            metavar=FOLDER,
            help="a bucket or a prefix in it; s3://, gs:// or az:// alone: the buckets",
        )
        ls.add_argument(
            "-r", "--recursive", action="store_true", help="every key below, no folders"
        )
        ls.add_argument("--bytes", action="store_true", help="sizes in bytes")
        ls.add_argument(
            "--tag", action="append", default=[], metavar="NAME=VALUE",
            help="only objects whose tag matches, found by the server's tag index (Azure); also "
            "NAME>=VALUE, >, <, <=; repeat for AND. Lists every key below the location",
        )  # fmt: skip

    if wanted("du"):
        du = command("du", "cmd_ls", "count the objects and bytes below a prefix")
        du.add_argument("location", metavar=FOLDER, help="a bucket or a prefix in it")
        du.add_argument("--bytes", action="store_true", help="sizes in bytes")

    for name, help_text in (
        ("put", "upload files (and with -r folders) to a bucket or a prefix in it"),
        ("get", "download objects (and with -r prefixes) to a local folder"),
    ):
        if not wanted(name):
            continue
        p = command(name, "cmd_transfer", help_text)
        if name == "put":
            p.add_argument("sources", nargs="+", metavar="PATH", help="local files or folders")
            p.add_argument("destination", metavar=FOLDER)
        else:
            p.add_argument("source", metavar=OBJECT)
            p.add_argument(
                "destination", nargs="?", default=".", metavar="PATH",
                help="a folder or file name (default: here); - writes the object to stdout",
            )  # fmt: skip
        p.add_argument("-r", "--recursive", action="store_true", help="folders / prefixes too")
        _what_exists(p, skip="leave what exists alone")
        _transfer_options(p)

    if wanted("sync"):
        sync = command("sync", "cmd_sync", "make a prefix hold what a folder holds, or back")
        sync.add_argument("source", metavar="SOURCE", help=f"a local folder or {FOLDER}")
        sync.add_argument("destination", metavar="DEST", help=f"{FOLDER} or a local folder")
        sync.add_argument(
            "--checksum", action="store_true", help="compare MD5 with the ETag, not size and time"
        )
        sync.add_argument(
            "--delete", action="store_true", help="delete from DEST what SOURCE does not have"
        )
        sync.add_argument("-y", "--yes", action="store_true", help="do not ask before --delete")
        _transfer_options(sync)

    if wanted("resume"):
        resume = command("resume", "cmd_transfer", "list unfinished transfers, or continue them")
        resume.add_argument("ids", nargs="*", type=int, metavar="ID", help="transfers to continue")
        resume.add_argument("--all", action="store_true", help="continue every unfinished transfer")
        resume.add_argument(
            "--cancel",
            action="store_true",
            help="cancel the chosen transfers (ID… or --all) instead: a download's partial file "
            "is deleted, an upload's unfinished parts are removed from the server, and they leave "
            "the list",
        )
        _transfer_options(resume)

    for name, help_text in (
        ("cp", "copy objects (-r: a prefix), also to another cloud or connection"),
        ("mv", "move objects (-r: a prefix): copy as cp does, then delete the source"),
    ):
        if not wanted(name):
            continue
        p = command(name, "cmd_copy", help_text)
        p.add_argument("source", metavar=OBJECT)
        p.add_argument("destination", metavar=OBJECT)
        p.add_argument("-r", "--recursive", action="store_true", help="everything below a prefix")
        p.add_argument(
            "--to", metavar="NAME",
            help="the destination's saved connection or AWS profile, when it is not the "
            "source's (the connection options are the source's; without --to, a "
            "destination in another cloud uses what its scheme finds by itself, as "
            "without -c)",
        )  # fmt: skip
        _what_exists(
            p,
            skip="leave what exists alone (also what is made there meanwhile); mv keeps "
            "those sources",
            newer="replace only what is older than its source (mv keeps the others)",
        )
        p.add_argument("--dry-run", action="store_true", help="show what would be copied")

    if wanted("rm"):
        rm = command("rm", "cmd_rm", "delete objects (and with -r everything below a prefix)")
        rm.add_argument("locations", nargs="+", metavar=OBJECT)
        rm.add_argument("-r", "--recursive", action="store_true", help="everything below a prefix")
        _destructive(rm)

    if wanted("mb"):
        mb = command("mb", "cmd_buckets", "create a bucket")
        mb.add_argument("bucket", metavar=BUCKET)
        # -l as gsutil's mb; its -c is taken by --connection, so the class has only a long form.
        # dest: "location" is a command's remote location (cli/locations.LOCATION_ARGS).
        mb.add_argument(
            "-l", "--location", dest="bucket_location", default="", metavar="LOCATION",
            help="where the bucket keeps its data: a GCS location (US, EU, us-east1…), an S3 "
            "region (default: GCS's US; the connection's region); not for Azure",
        )  # fmt: skip
        mb.add_argument(
            "--storage-class", dest="bucket_class", default="", metavar="CLASS",
            help="the bucket's default storage class (GCS: STANDARD, NEARLINE, COLDLINE, "
            "ARCHIVE; default STANDARD)",
        )  # fmt: skip

    if wanted("rb"):
        rb = command("rb", "cmd_buckets", "delete an empty bucket (--force: and all it holds)")
        rb.add_argument("bucket", metavar=BUCKET)
        rb.add_argument(
            "--force",
            action="store_true",
            help="delete the objects, old versions and unfinished uploads too (asks first)",
        )
        _destructive(rb)

    if wanted("versioning"):
        versioning = command(
            "versioning", "cmd_buckets", "show a bucket's versioning, or turn it on or off"
        )
        versioning.add_argument("bucket", metavar=BUCKET)
        switch = versioning.add_mutually_exclusive_group()
        switch.add_argument(
            "--on", dest="switch", action="store_const", const="on",
            help="keep the old version at every overwrite and delete",
        )  # fmt: skip
        switch.add_argument(
            "--off", dest="switch", action="store_const", const="off",
            help="stop keeping versions (S3 suspends); those kept stay",
        )  # fmt: skip

    if wanted("versions"):
        versions = command(
            "versions",
            "cmd_versions",
            "list the versions (and soft-deleted ones) of an object or prefix",
        )
        versions.add_argument("location", metavar=OBJECT)
        versions.add_argument("--bytes", action="store_true", help="sizes in bytes")
        versions.add_argument(
            "--restore",
            metavar="VERSION_ID",
            help="make this version (a GCS generation; a soft-deleted one too) the object's "
            "current one again, as the window's Versions… dialog does",
        )

    if wanted("presign"):
        presign = command("presign", "cmd_buckets", "print a link that downloads an object")
        presign.add_argument("location", metavar=OBJECT)
        presign.add_argument(
            "--expires", default="1h", metavar="TIME",
            help="how long the link works: 3600, 90m, 12h, 7d, 1w (default 1h, at most 7d)",
        )  # fmt: skip
        presign.add_argument(
            "--sign-as", metavar="EMAIL",
            help="gs:// with credentials that have no key (a user's sign-in): the service "
            "account Google's IAM signs the link as (you need its Service Account Token Creator "
            "role); default: the saved connection's “Sign links as”, else the impersonated "
            "account of the credentials",
        )  # fmt: skip
        presign.add_argument(
            "--with-connection-sas", action="store_true",
            help="az:// with only a SAS that grants more than reading (a SAS cannot sign "
            "another): print the blob's URL with that SAS all the same; whoever has it may do "
            "all the SAS grants until it ends, whatever --expires says (said on stderr)",
        )  # fmt: skip

    if wanted("storage-class"):
        storage_class = command(
            "storage-class",
            "cmd_class",
            "give objects (-r: a prefix) a storage class or access tier",
        )
        storage_class.add_argument("location", metavar=OBJECT)
        storage_class.add_argument(
            "storage_class", metavar="CLASS", help="e.g. STANDARD_IA, GLACIER, NEARLINE, Cool"
        )
        storage_class.add_argument("-r", "--recursive", action="store_true", help="a prefix")

    if wanted("restore"):
        restore = command("restore", "cmd_class", "ask for archived objects (-r: a prefix) back")
        restore.add_argument("location", metavar=OBJECT)
        restore.add_argument("-r", "--recursive", action="store_true", help="a prefix")
        restore.add_argument(
            "--days", type=int, default=0, metavar="N", help="S3: keep the restored copy N days"
        )
        restore.add_argument(
            "--priority", default="", metavar="P",
            help="S3: Standard, Expedited, Bulk; Azure: Standard, High",
        )  # fmt: skip
        restore.add_argument(
            "--tier",
            default="",
            metavar="TIER",
            help="Azure: rehydrate to Hot (default), Cool, Cold",
        )

    if wanted("connections"):
        command("connections", "cmd_buckets", "list saved connections and AWS profiles")
    return parser


def _what_exists(
    p: argparse.ArgumentParser,
    *,
    skip: str,
    newer: str = "replace only what is older than the source",
) -> None:
    """What to do with what exists at a destination (``args.policy``): ``--overwrite``
    (the default), ``--skip``, ``--newer`` or ``--rename``."""
    policy = p.add_mutually_exclusive_group()
    policy.add_argument(
        "--overwrite",
        action="store_const",
        dest="policy",
        const="overwrite",
        help="replace what exists (the default)",
    )
    policy.add_argument("--skip", action="store_const", dest="policy", const="skip", help=skip)
    policy.add_argument("--newer", action="store_const", dest="policy", const="newer", help=newer)
    policy.add_argument("--rename", action="store_const", dest="policy", const="rename",
                        help="keep both: the new one as “name (1).ext”")  # fmt: skip


def _transfer_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("transfers")
    g.add_argument("--dry-run", action="store_true", help="show what would be transferred")
    g.add_argument(
        "-j", "--concurrency", type=int, default=None, metavar="N",
        help=f"files at once, small or not (default {FILES_AT_ONCE}; {SMALL_FILES_AT_ONCE} files "
        "of at most 1 MiB from a server 10 ms or more away)",
    )  # fmt: skip
    g.add_argument(
        "--part-size",
        default="",
        metavar="SIZE",
        help="multipart part size, e.g. 16M (default automatic)",
    )
    g.add_argument("--limit-rate", default="", metavar="RATE",
                   help="bytes per second for all transfers together, e.g. 10M")  # fmt: skip
    g.add_argument(
        "--retries", type=int, default=None, metavar="N",
        help="try a file again by itself N times when the server cannot be reached, does not "
        "answer in time or is busy (default 3, after 2, 10, 30 s; 0: fail at once)",
    )  # fmt: skip


def _destructive(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="show what would go; change nothing")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def run(argv: list[str]) -> int:
    if argv[:1] == ["help"]:
        # `cloudbrowser help [COMMAND]`, as aws, gsutil and rclone have it: this parser's
        # help lists every command with what it does (the window's --help cannot).
        if len(argv) == 1:
            build_parser().print_help()
            return Exit.OK
        argv = [argv[1], "--help"]
    # A command needs its own parser only; anything else gets them all, for the error
    # that lists the commands.
    known = bool(argv) and argv[0] in COMMANDS and argv[0] != "help"
    parser = build_parser(argv[0] if known else "")
    out = Output.choose(force_json="--json" in argv, force_text="--text" in argv)
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        out.error(error)
        return Exit.USAGE
    except SystemExit as stop:  # --help, --version
        return int(stop.code or 0)
    out = Output.choose(
        force_json=args.json,
        force_text=args.text,
        quiet=args.quiet,
        raw_sizes=getattr(args, "bytes", False),
    )
    module = importlib.import_module(f"cloudbrowser.cli.{args.module}")
    command: Command = module.run
    # A damaged connections file or journal is moved aside and the command goes on: say so
    # on stderr, where the command is (never on stdout, which a script reads).
    local_state.set_reporter(out.error)
    try:
        with _logging(args.verbose):
            return _run_command(command, args, out)
    finally:
        local_state.set_reporter(None)


@contextlib.contextmanager
def _logging(verbosity: int) -> Iterator[None]:
    """The window's redacted, rotating log file (warnings, more with ``-v``/``-vv``); on
    stderr too with ``-v``. Undone afterwards, so that a caller running many commands in
    one process (the tests) does not stack handlers.

    Without ``-v`` the log is set up when ``logging`` is imported, by whatever first logs
    or imports it: a command that logs nothing does not import it (``core/loggers.py``)."""
    saved: list[int] = []  # the levels of the root logger and cloudbrowser's, to restore
    opener: list[Any] = []

    def configure() -> None:
        import logging

        root, ours = logging.getLogger(), logging.getLogger("cloudbrowser")
        saved[:] = [root.level, ours.level]
        if verbosity:
            from cloudbrowser.core.logs import setup_logging

            setup_logging(verbosity, stderr=True)
        else:
            opener.append(_open_log_on_first_record())
            root.addHandler(opener[0])

    undo: Callable[[], None] = _nothing
    if verbosity:
        configure()
    else:
        undo = after_import(configure)
    try:
        yield
    finally:
        undo()
        if saved:
            import logging

            root = logging.getLogger()
            for handler in opener:
                root.removeHandler(handler)
            logs = sys.modules.get("cloudbrowser.core.logs")
            if logs is not None:
                logs.remove_handlers()
            root.setLevel(saved[0])
            logging.getLogger("cloudbrowser").setLevel(saved[1])


def _nothing() -> None:
    return None


def _open_log_on_first_record() -> Any:
    """A handler that opens the log file when the first warning arrives, and hands it that
    warning.

    Most commands log nothing at the default level, and opening the log (platform dirs,
    a rotating handler) would cost every command ~10 ms of start-up for nothing. Its class
    is made here, once ``logging`` is imported.
    """
    import logging

    class _OpenLogOnFirstRecord(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)

        def emit(self, record: logging.LogRecord) -> None:
            from cloudbrowser.core.logs import RedactingFormatter, setup_logging

            root = logging.getLogger()
            root.removeHandler(self)
            setup_logging(0, stderr=False)
            for handler in root.handlers:
                if isinstance(handler.formatter, RedactingFormatter):
                    handler.handle(record)

    return _OpenLogOnFirstRecord()


def _run_command(command: Command, args: argparse.Namespace, out: Output) -> int:
    try:
        return command(args, out)
    except CloudBrowserError as error:
        if isinstance(error, NoProject):
            # The engine's hint is the window's (the connection's project field).
            error.hint = PROJECT_HINT
        out.error(error)
        return exit_code(error)
    except KeyboardInterrupt:
        out.note("cloudbrowser: interrupted.")
        return Exit.INTERRUPTED
    except BrokenPipeError:
        # `cloudbrowser ls -r … | head`: the reader is gone, which is not an error to report.
        # Point stdout at /dev/null so that the interpreter's final flush stays quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return Exit.OK
    except Exception as exc:
        if os.environ.get("CLOUDBROWSER_DEBUG"):
            raise
        # A bug: still one clear message rather than a traceback (which the variable shows).
        out.error(
            CloudBrowserError(
                f"cloudbrowser failed unexpectedly: {type(exc).__name__}: {exc}",
                hint="Please report it; run with CLOUDBROWSER_DEBUG=1 to see the details.",
            )
        )
        return Exit.FAILED
