"""The headless command line: ``cloudbrowser ls|get|put|rm|…`` on the window's engine.

Same saved connections, keyring, transfer journal and error messages as the window; never
imports Qt. ``cloudbrowser.__main__`` hands over here when the first argument is one of
:data:`COMMANDS`. This module stays import-light so that the dispatch costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The subcommands, in the order ``--help`` names them.
COMMAND_ORDER = (
    *("ls", "du", "get", "put", "sync", "cp", "mv", "rm", "mb", "rb", "presign"),
    *("versioning", "versions", "storage-class", "restore", "connections", "resume", "help"),
)
#: The first argument decides between the command line and the window.
COMMANDS = frozenset(COMMAND_ORDER)


def main(argv: Sequence[str]) -> int:
    """Run one command; returns its exit code (see ``cli.output.Exit``)."""
    from cloudbrowser.cli.app import run

    return run(list(argv))
