"""Asking before something is destroyed: on a terminal, or not at all with ``--yes``."""

from __future__ import annotations

import argparse
import sys

from cloudbrowser.cli.output import UsageError
from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.printable import printable


def confirm(args: argparse.Namespace, question: str) -> None:
    """Return when the user agreed (or passed ``--yes``); raise Cancelled when they did not,
    UsageError when nobody can be asked (a script must say ``--yes``)."""
    if args.yes:
        return
    if _ask(f"{printable(question)} [y/N] ").lower() not in ("y", "yes"):
        raise Cancelled("Nothing was deleted.")


def confirm_by_name(args: argparse.Namespace, question: str, name: str) -> None:
    """:func:`confirm` for what cannot be undone at all (a bucket and all it holds): as in
    the window, the user types ``name`` rather than "y"."""
    if args.yes:
        return
    prompt = f"{printable(question)}\nType the name “{printable(name)}” to confirm: "
    if _ask(prompt) != name:
        raise Cancelled("The name did not match: nothing was deleted.")


def ensure_askable(args: argparse.Namespace) -> None:
    """Raise UsageError now if :func:`confirm` could not ask (a script without ``--yes``):
    before listing what a question would count."""
    if not args.yes and not sys.stdin.isatty():
        _ask("")


def _ask(prompt: str) -> str:
    """The user's answer to ``prompt`` on the terminal; UsageError when there is none to
    ask (a script must say ``--yes``)."""
    if not sys.stdin.isatty():
        raise UsageError(
            "Not deleting without confirmation.",
            hint="Pass --yes to confirm in a script (and --dry-run first to see what goes).",
        )
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline().strip()
