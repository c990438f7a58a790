"""Benchmarks: cloudbrowser beside s5cmd, rclone and aws-cli on the same local server.

    python tests/bench/run.py listing [--keys N] [--runs N] [--gui-keys N] [--json FILE]
    python tests/bench/run.py startup [--runs N] [--json FILE]
    python tests/bench/run.py transfers [--files N] [--big-mib N] [--runs N] [--json FILE]
    python tests/bench/run.py cli [--files N] [--runs N] [--startup-runs N] [--json FILE]
    python tests/bench/run.py operations [--keys N] [--move-keys N] [--runs N] [--json FILE]
    python tests/bench/run.py stream [--files N] [--runs N] [--json FILE]
    python tests/bench/run.py gcs [--keys N] [--files N] [--big-mib N] [--runs N] [--json FILE]
    python tests/bench/run.py azure [--keys N] [--files N] [--big-mib N] [--runs N] [--json FILE]

Each suite is a function that returns a list of result rows (see ``results.Result``); a
readable table always goes to stdout, progress to stderr, and ``--json`` writes the rows.
These are measurements, not tests: nothing here asserts on wall-clock time (see README.md).
"""

from __future__ import annotations

import argparse
import compileall
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run as a script: make the sibling modules and the checkout's cloudbrowser importable.
_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE), str(_HERE.parents[1])):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import azure_suite  # noqa: E402
import cli_commands  # noqa: E402
import gcs  # noqa: E402
import latency  # noqa: E402
import listing  # noqa: E402
import operations  # noqa: E402
import pages  # noqa: E402
import startup  # noqa: E402
import streamed_get  # noqa: E402
import transfers  # noqa: E402
from results import Result, table  # noqa: E402


@dataclass(frozen=True)
class Suite:
    """A benchmark suite: ``run`` measures, ``describe`` says what the numbers are."""

    run: Callable[[argparse.Namespace], list[Result]]
    describe: Callable[[argparse.Namespace], str]


#: Every suite by name.
SUITES: dict[str, Suite] = {
    "azure": Suite(
        run=lambda a: azure_suite.run_azure(a.keys, a.files, a.big_mib, a.runs),
        describe=lambda a: azure_suite.describe(a.keys, a.files, a.big_mib, a.runs),
    ),
    "cli": Suite(
        run=lambda a: cli_commands.run_cli(a.files, a.runs, a.startup_runs),
        describe=lambda a: cli_commands.describe(a.files, a.runs, a.startup_runs),
    ),
    "gcs": Suite(
        run=lambda a: gcs.run_gcs(a.keys, a.files, a.big_mib, a.runs),
        describe=lambda a: gcs.describe(a.keys, a.files, a.big_mib, a.runs),
    ),
    "latency": Suite(
        run=lambda a: latency.run_latency(a.files, a.runs, a.rtt_ms),
        describe=lambda a: latency.describe(a.files, a.runs, a.rtt_ms),
    ),
    "listing": Suite(
        run=lambda a: listing.run_listing(a.keys, a.runs, a.gui_keys),
        describe=lambda a: listing.describe(a.keys, a.runs, a.gui_keys),
    ),
    "operations": Suite(
        run=lambda a: operations.run_operations(a.delete_keys, a.move_keys, a.runs),
        describe=lambda a: operations.describe(a.delete_keys, a.move_keys, a.runs),
    ),
    "pages": Suite(
        run=lambda a: pages.run_pages(a.runs),
        describe=lambda a: pages.describe(a.runs),
    ),
    "startup": Suite(
        run=lambda a: startup.run_startup(a.runs),
        describe=lambda a: startup.describe(a.runs),
    ),
    "stream": Suite(
        run=lambda a: streamed_get.run_stream(a.files, a.runs),
        describe=lambda a: streamed_get.describe(a.files, a.runs),
    ),
    "transfers": Suite(
        run=lambda a: transfers.run_transfers(a.files, a.big_mib, a.runs),
        describe=lambda a: transfers.describe(a.files, a.big_mib, a.runs),
    ),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="cloudbrowser benchmarks beside s5cmd, rclone and aws-cli."
    )
    parser.add_argument("suite", choices=sorted(SUITES), help="which suite to run")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows as JSON")
    parser.add_argument(
        "--keys",
        type=int,
        default=None,
        help="listing: keys to seed (default 100000); operations: keys to delete (10000)",
    )
    parser.add_argument(
        "--move-keys",
        type=int,
        default=1000,
        help="operations: keys in the prefix that is renamed (default 1000)",
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="timed runs per tool (median; 3, startup 5)"
    )
    parser.add_argument(
        "--gui-keys",
        type=int,
        default=listing.GUI_KEYS,
        help=f"keys in the flat folder the GUI lists (default {listing.GUI_KEYS}; 0 skips it)",
    )
    parser.add_argument(
        "--files",
        type=int,
        default=2000,
        help="transfers, cli, latency, stream: 4 KiB files (default 2000)",
    )
    parser.add_argument(
        "--big-mib", type=int, default=1024, help="transfers: the big file in MiB (default 1024)"
    )
    parser.add_argument(
        "--rtt-ms",
        type=float,
        default=50.0,
        help="latency: the round trip the proxy adds, in ms (default 50)",
    )
    parser.add_argument(
        "--startup-runs", type=int, default=10, help="cli: one-object ls runs per tool (10)"
    )
    args = parser.parse_args(argv)
    if args.keys is None:
        args.keys = {"operations": 10_000, "gcs": 10_000, "azure": 50_000}.get(args.suite, 100_000)
    args.delete_keys = args.keys
    if args.move_keys < 1:
        parser.error("--move-keys must be at least 1")
    if args.runs is None:
        args.runs = 5 if args.suite == "startup" else 3
    if args.files < 2:
        parser.error("--files must be at least 2")
    if args.big_mib < 1:
        parser.error("--big-mib must be at least 1")
    if args.suite == "listing" and args.keys < listing.SUB_PREFIXES:
        parser.error(f"--keys must be at least {listing.SUB_PREFIXES}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.gui_keys < 0:
        parser.error("--gui-keys must be 0 (no GUI cases) or more")
    return args


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl+C: the ``finally`` blocks stop the server (and the GUI's
    child process) and delete the seeded data instead of leaving them behind."""
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # cloudbrowser as installed: pip compiles a wheel's modules when it installs them, the
    # bundle holds them compiled. A checkout has no .pyc until a run writes them, and none
    # is ever written where PYTHONDONTWRITEBYTECODE is set: each start would compile the
    # modules it imports (~15-20 ms of the CLI's start-up) and measure that.
    compileall.compile_dir(_HERE.parents[1] / "cloudbrowser", quiet=1)
    suite = SUITES[args.suite]
    rows = suite.run(args)
    print(suite.describe(args))
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r["unit"] == "error" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
