"""``cloudbrowser``: parse the command line; import Qt only when a window is wanted."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterable, Mapping, Sequence

from cloudbrowser import __version__
from cloudbrowser.cli import COMMAND_ORDER
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.printable import printable
from cloudbrowser.flags import DEMO_SERVER_FLAG, SECRET_ENV, SESSION_TOKEN_ENV, settings_from_args

__all__ = ["SECRET_ENV", "SESSION_TOKEN_ENV", "build_parser", "main", "settings_from_args"]


def skip_pyside_source_reads() -> None:
    """Import PySide6 (Qt is imported only from here on), and spare its import hook the
    modules already loaded.

    Once imported, PySide's hook reads the source of each module named in an import
    statement, once per name, to find ``from __feature__ import …`` (which cloudbrowser
    never uses): ~0.1 ms a module, ~5 ms before the window's first paint for the standard
    library's and cloudbrowser's Qt-free modules, loaded already. They are marked as the
    hook marks a module without PySide (-1, "ignore this module"), which it then skips.
    Where a PySide version keeps no such marks, nothing is done.
    """
    import PySide6.QtCore  # noqa: F401  (installs the hook)

    feature = sys.modules.get("PySide6.support.feature")
    marks = getattr(feature, "pyside_feature_dict", None)
    if isinstance(marks, dict):
        for name in list(sys.modules):
            marks.setdefault(name, -1)


class _NoHyphenBreaks(argparse.HelpFormatter):
    """Paragraphs wrapped at spaces only, so that "storage-class" stays one word."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudbrowser",
        description=(
            "A desktop file manager for cloud object storage: Amazon S3 and S3-compatible "
            "services, Google Cloud Storage and Azure Blob Storage. The options below open "
            "an S3 endpoint; saved connections (-c) open any of them."
        ),
        formatter_class=_NoHyphenBreaks,
        epilog=(
            "Credentials: with --profile, the AWS shared config is used (SSO, "
            "credential_process and assume-role included). With --access-key-id, the secret is "
            f"read from ${SECRET_ENV} (and an optional ${SESSION_TOKEN_ENV}). Otherwise the "
            "standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE) apply. "
            "Headless commands (cloudbrowser COMMAND …, cloudbrowser COMMAND --help): "
            f"{', '.join(COMMAND_ORDER)}."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cloudbrowser {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="browse sample data on local S3, GCS and Azure servers started for it (no "
        "account needed)",
    )
    parser.add_argument(
        "--endpoint", metavar="URL", help="S3-compatible endpoint, e.g. http://127.0.0.1:9000"
    )
    parser.add_argument(
        "--region", help="region name (default: from the AWS config, else us-east-1)"
    )
    parser.add_argument(
        "-c",
        "--connection",
        metavar="NAME",
        help="open a saved connection (secret from the keyring) or an AWS profile by name",
    )
    parser.add_argument("--profile", metavar="NAME", help="AWS shared config profile to sign with")
    parser.add_argument(
        "--access-key-id", metavar="ID", help=f"access key id (secret from ${SECRET_ENV})"
    )
    parser.add_argument(
        "--addressing-style",
        choices=["auto", "path", "virtual"],
        default=None,
        help="bucket addressing (default: path with --endpoint, auto otherwise)",
    )
    parser.add_argument(
        "--anonymous", action="store_true", help="unsigned requests, for public buckets"
    )
    parser.add_argument(
        "--no-verify-tls", action="store_true", help="do not check TLS certificates (unsafe)"
    )
    parser.add_argument("--ca-bundle", metavar="PATH", help="CA certificates to trust for TLS")
    parser.add_argument("--name", help="name of the connection shown in the tree")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more to the log file and stderr: -v what happens, -vv debug",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check this installation offscreen on the demo server (list, upload, download, "
        "keyring), print one line per step, exit 0 only if all worked",
    )
    parser.add_argument("--page-size", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("location", nargs="?", default="", help="bucket/prefix/ to open at start")
    return parser


def names_a_connection(args: argparse.Namespace) -> bool:
    """True when the command line (or the environment) describes a connection itself.

    Otherwise the window reopens the last connection or shows the connection manager.
    ``AWS_ACCESS_KEY_ID`` in the environment is a deliberate choice of credentials, so it
    still opens Amazon S3 with them as before; ``AWS_PROFILE`` alone is not (it is often
    set for every shell).
    """
    if args.connection or args.demo:
        return False
    explicit = args.endpoint or args.profile or args.access_key_id or args.anonymous
    return bool(explicit or os.environ.get("AWS_ACCESS_KEY_ID"))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [DEMO_SERVER_FLAG]:
        # The demo server's child process. A frozen build has no ``python -m``: the app's
        # own executable is started again with this hidden flag (see demo.DemoServer).
        from cloudbrowser.demo import serve_main

        return serve_main(arguments[1:])
    # The headless command line (issue 7): `cloudbrowser ls|get|put|…` never imports Qt.
    from cloudbrowser.cli import COMMANDS

    verbosity = _leading_verbosity(arguments)  # `cloudbrowser -v ls …` is `ls -v …`
    rest = arguments[len(verbosity) :]
    if rest and rest[0] in COMMANDS:
        from cloudbrowser.cli import main as cli_main

        return cli_main([rest[0], *verbosity, *rest[1:]])
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.smoke_test:
        from cloudbrowser.gui.smoke import run_smoke_test  # Qt is imported only from here on

        return run_smoke_test(args)
    meant = mistyped_command(args.location, COMMANDS)
    if meant:
        parser.error(
            f"unknown command “{printable(args.location)}”: did you mean “{meant}”? "
            f"(To open the window at a bucket of that name, write {printable(args.location)}/)"
        )
    if args.demo and (args.endpoint or args.profile or args.access_key_id or args.connection):
        parser.error(
            "--demo brings its own server: leave out --endpoint, --profile, --access-key-id "
            "and --connection"
        )
    if args.connection and (args.endpoint or args.profile or args.access_key_id or args.anonymous):
        parser.error(
            "--connection opens a saved connection: leave out --endpoint, --profile, "
            "--access-key-id and --anonymous"
        )
    try:
        # Without connection options the window reopens the last connection or shows the
        # connection manager.
        connection = settings_from_args(args) if names_a_connection(args) else None
    except ConfigError as error:
        print(f"cloudbrowser: {printable(str(error))}", file=sys.stderr)
        return 2
    why = no_display_reason()
    if why:
        # Qt would abort the process (exit 134) with a message about missing libraries.
        print(f"cloudbrowser: cannot open the window: {why}", file=sys.stderr)
        if args.location and "/" not in args.location:
            print(f"  “{printable(args.location)}” is not a command.", file=sys.stderr)
        print(
            "  Use a command instead (cloudbrowser ls|get|put|sync|…; see cloudbrowser "
            "--help), or set QT_QPA_PLATFORM=offscreen to run the window without a display.",
            file=sys.stderr,
        )
        return 1
    # No garbage collection until the window's first paint (gui/app.py enables it then):
    # importing Qt and the window allocates ~100,000 objects that all live on, and the
    # collector's passes over them are ~10 % of the time to the first frame.
    gc.disable()
    skip_pyside_source_reads()
    from cloudbrowser.gui.app import run_gui

    return run_gui(args, connection)


def _leading_verbosity(arguments: Sequence[str]) -> list[str]:
    """The ``-v``/``-vv``/``--verbose`` flags at the start of ``arguments``."""
    flags = []
    for argument in arguments:
        if argument == "--verbose" or (argument.startswith("-v") and set(argument[1:]) == {"v"}):
            flags.append(argument)
        else:
            break
    return flags


#: How alike a word must be to a command to be taken for its typo ("lss" → "ls" is 0.8;
#: a bucket called "logs" is 0.67 and still opens the window).
_TYPO_CUTOFF = 0.7


def mistyped_command(location: str, commands: Iterable[str]) -> str:
    """The command ``location`` is a typo of ("" if none).

    Only a bare word counts: ``bucket/`` or ``s3://bucket`` is always a location.
    """
    if not location or "/" in location or ":" in location:
        return ""
    import difflib  # only when the window is asked for: no cost to the command line

    close = difflib.get_close_matches(location, sorted(commands), n=1, cutoff=_TYPO_CUTOFF)
    return close[0] if close else ""


def no_display_reason(environ: Mapping[str, str] | None = None) -> str:
    """Why the window cannot open here ("" when it can).

    On Linux and the other X11/Wayland systems Qt needs ``DISPLAY`` or
    ``WAYLAND_DISPLAY``, unless ``QT_QPA_PLATFORM`` names a platform of the user's choice
    (offscreen, vnc, eglfs…). Windows and macOS always have one.
    """
    env = os.environ if environ is None else environ
    if sys.platform in ("win32", "darwin"):
        return ""
    # "offscreen", "vnc:size=…", "wayland;xcb" (a list of fallbacks), …
    chosen = {name.split(":")[0].strip() for name in env.get("QT_QPA_PLATFORM", "").split(";")}
    if chosen - _DISPLAY_PLATFORMS:
        return ""
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return ""
    return "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)."


#: Qt platforms that need an X11 or Wayland display ("" is Qt's default: one of them).
_DISPLAY_PLATFORMS = frozenset({"", "xcb", "wayland", "wayland-egl"})


if __name__ == "__main__":
    sys.exit(main())
