"""The ``cli`` suite: ``cloudbrowser`` as a command, beside s5cmd, rclone and aws-cli.

Every tool runs as a whole process (start-up included) against one ``rclone serve s3`` on
127.0.0.1, with its default settings:

* **start-up**: ``ls`` of one object, ``--startup-runs`` times per tool (what a script that
  calls the tool in a loop pays per call), the tools taking turns; cloudbrowser twice: as
  this checkout's ``cloudbrowser`` command (an editable install, whose import finder runs
  at every interpreter start: ~30 ms here) and as it is laid out once installed from a
  wheel (``INSTALLED``: :func:`installed_layout`);
* ``ls -r`` of the seeded prefix (``--files`` keys);
* ``put -r`` of ``--files`` × 4 KiB into a prefix of the tool's own, then ``rm -r`` of it
  (so every tool deletes the same number of keys it uploaded), and ``get -r`` of the seed.

Each round runs every tool once per case, rotating the order; what arrived (or what is
left after ``rm``) is counted, and a wrong count is an error row, never a figure.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from results import ERROR, Result, result
from servers import Server, isolated_env, rclone_s3
from transfers import BUCKET, ToolError, _local, _remote, boto3_client, cli, make_data

from tests.local_servers import tool

SUITE = "cli"
#: cloudbrowser's start-up as a wheel's install lays it out (start-up case only).
INSTALLED = "cloudbrowser (installed)"
STARTUP, LIST, PUT, RM, GET = "startup", "ls -r", "put -r", "rm -r", "get -r"
ONE_KEY = "seed/small/one-object.txt"

#: A command for one case: (argv, env) built from the paths of this run.
Command = Callable[[str, Path], list[str]]


@dataclass
class Tool:
    name: str
    env: dict[str, str]
    commands: dict[str, Command]
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _tools(server: Server, home: Path) -> list[Tool]:
    env = isolated_env(server, home / "peers")
    ours = {
        **env,
        "CLOUDBROWSER_SECRET_ACCESS_KEY": server.secret,
        "CLOUDBROWSER_CONFIG_DIR": str(home / "cb-config"),
        "CLOUDBROWSER_DATA_DIR": str(home / "cb-data"),
        "CLOUDBROWSER_CACHE_DIR": str(home / "cb-cache"),
        # A script's connection flags never touch the keyring; make sure of it.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    cb = [tool("cloudbrowser")]
    conn = ["--endpoint", server.url, "--access-key-id", server.key, "-q"]
    s5 = [tool("s5cmd"), "--endpoint-url", server.url]
    aws = [tool("aws"), "--endpoint-url", server.url, "s3"]
    rclone = [tool("rclone")]
    rclone_env = {
        **env,
        "RCLONE_S3_PROVIDER": "Other",
        "RCLONE_S3_ACCESS_KEY_ID": server.key,
        "RCLONE_S3_SECRET_ACCESS_KEY": server.secret,
        "RCLONE_S3_ENDPOINT": server.url,
        "RCLONE_S3_REGION": "us-east-1",
        "RCLONE_S3_FORCE_PATH_STYLE": "true",
    }
    s3, remote = f"s3://{BUCKET}/", f":s3:{BUCKET}/"
    return [
        Tool("cloudbrowser", ours, {
            STARTUP: lambda p, d: [*cb, "ls", f"{s3}{ONE_KEY}", *conn],
            LIST: lambda p, d: [*cb, "ls", "-r", f"{s3}seed/small/", *conn],
            PUT: lambda p, d: [*cb, "put", "-r", str(d / "small"), f"{s3}{p}", *conn],
            RM: lambda p, d: [*cb, "rm", "-r", "--yes", f"{s3}{p}", *conn],
            GET: lambda p, d: [*cb, "get", "-r", f"{s3}seed/small/", str(d), *conn],
        }),
        Tool("s5cmd", env, {
            STARTUP: lambda p, d: [*s5, "ls", f"{s3}{ONE_KEY}"],
            LIST: lambda p, d: [*s5, "ls", f"{s3}seed/small/*"],
            PUT: lambda p, d: [*s5, "cp", f"{d / 'small'}/*", f"{s3}{p}"],
            RM: lambda p, d: [*s5, "rm", f"{s3}{p}*"],
            GET: lambda p, d: [*s5, "cp", f"{s3}seed/small/*", f"{d}/small/"],
        }),
        Tool("rclone", rclone_env, {
            STARTUP: lambda p, d: [*rclone, "lsf", f"{remote}{ONE_KEY}"],
            LIST: lambda p, d: [*rclone, "lsf", "-R", "--files-only", f"{remote}seed/small/"],
            PUT: lambda p, d: [*rclone, "copy", str(d / "small"), f"{remote}{p}small/"],
            RM: lambda p, d: [*rclone, "delete", f"{remote}{p}"],
            GET: lambda p, d: [*rclone, "copy", f"{remote}seed/small/", str(d / "small")],
        }),
        Tool("aws s3", env, {
            STARTUP: lambda p, d: [*aws, "ls", f"{s3}{ONE_KEY}"],
            LIST: lambda p, d: [*aws, "ls", "--recursive", f"{s3}seed/small/"],
            PUT: lambda p, d: [*aws, "cp", "--recursive", "--only-show-errors",
                               str(d / "small"), f"{s3}{p}small/"],
            RM: lambda p, d: [*aws, "rm", "--recursive", "--only-show-errors", f"{s3}{p}"],
            GET: lambda p, d: [*aws, "cp", "--recursive", "--only-show-errors",
                               f"{s3}seed/small/", str(d / "small")],
        }),
    ]  # fmt: skip


def installed_layout(where: Path) -> Path:
    """A virtual environment in ``where`` that finds this checkout's package and the test
    environment's libraries as plain ``sys.path`` entries, as an installed wheel is found,
    not through the editable install's import finder; returns its ``cloudbrowser`` script,
    written as pip writes a console script."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    checkout = Path(__file__).resolve().parents[2]
    # Lines of a .pth that name folders put them on sys.path; the .pth files inside them
    # (the editable finder's) are not run, as they are not for an installed wheel.
    (Path(site) / "cloudbrowser-bench.pth").write_text(
        f"{checkout}\n{sysconfig.get_path('purelib')}\n", encoding="utf-8"
    )
    script = where / "bin" / "cloudbrowser"
    script.write_text(
        f"#!{python}\n"
        "import re\nimport sys\nfrom cloudbrowser.__main__ import main\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        "    sys.exit(main())\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    cli(argv, env)
    return time.perf_counter() - start


def run_cli(files: int, runs: int, startup_runs: int) -> list[Result]:
    workdir = Path(tempfile.mkdtemp(prefix="cb-bench-cli-"))
    rows: list[Result] = []
    try:
        src, root = workdir / "src", workdir / "server"
        make_data(src, root, files, 0)
        (root / BUCKET / ONE_KEY).write_bytes(b"one object")
        with rclone_s3(root) as server:
            client = boto3_client(server)
            if len(_remote(client, "seed/small/")) != files + 1:
                raise RuntimeError("the server does not list the seeded files")
            tools = _tools(server, workdir / "home")
            installed = str(installed_layout(workdir / "installed"))
            cb = tools[0]
            starting = [
                *tools,
                Tool(INSTALLED, cb.env, {
                    STARTUP: lambda p, d: [installed, *cb.commands[STARTUP](p, d)[1:]],
                }),
            ]  # fmt: skip
            for run_no in range(startup_runs):
                shift = run_no % len(starting)
                for t in starting[shift:] + starting[:shift]:
                    _run(t, STARTUP, "", workdir, lambda: None)
            for round_no in range(runs):
                shift = round_no % len(tools)
                for t in tools[shift:] + tools[:shift]:
                    _round(t, round_no, src, workdir, client, files)
            for t in tools:
                rows.extend(_rows(t, files))
            rows.extend(_rows(starting[-1], files))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _round(t: Tool, round_no: int, src: Path, workdir: Path, client: object, files: int) -> None:
    prefix = f"up/{t.name.split()[0]}/r{round_no}/"
    dst = workdir / "dst" / t.name.split()[0] / f"r{round_no}"
    dst.mkdir(parents=True)

    def listed() -> None:  # ls output is not checked: it goes to a pipe and is dropped
        return None

    def uploaded() -> None:
        _count(len(_remote(client, prefix)), files, "uploaded")

    def deleted() -> None:
        _count(len(_remote(client, prefix)), 0, "left after rm")

    def downloaded() -> None:
        _count(len(_local(dst)), files + 1, "downloaded")

    _run(t, LIST, prefix, src, listed)
    _run(t, PUT, prefix, src, uploaded)
    _run(t, RM, prefix, src, deleted)
    _run(t, GET, prefix, dst, downloaded)
    shutil.rmtree(dst, ignore_errors=True)


def _count(seen: int, expected: int, what: str) -> None:
    if seen != expected:
        raise ToolError(f"{what}: {seen} keys, expected {expected}")


def _run(t: Tool, case: str, prefix: str, folder: Path, check: Callable[[], None]) -> None:
    if case in t.errors:
        return
    try:
        seconds = _timed(t.commands[case](prefix, folder), t.env)
        check()
    except Exception as exc:
        t.errors[case] = f"{type(exc).__name__}: {exc}"
        return
    t.timings.setdefault(case, []).append(seconds)
    print(f"  [{SUITE}] {case:<8} {t.name:<14} {seconds:.3f} s", file=sys.stderr, flush=True)


def _rows(t: Tool, files: int) -> list[Result]:
    rows: list[Result] = []
    names = {
        STARTUP: "start-up: ls of one object",
        LIST: f"ls -r of {files:,} keys",
        PUT: f"put -r {files:,} × 4 KiB",
        RM: f"rm -r {files:,} keys",
        GET: f"get -r {files:,} × 4 KiB",
    }
    for case, name in names.items():
        if case not in t.commands:
            continue  # INSTALLED: start-up only
        if case in t.errors:
            rows.append(result(SUITE, name, t.name, t.errors[case], ERROR))
            continue
        seconds = statistics.median(t.timings[case])
        if case == STARTUP:
            rows.append(result(SUITE, name, t.name, seconds * 1000, "ms"))
        else:
            count = files + 1 if case in (LIST, GET) else files
            rows.append(result(SUITE, name, t.name, count / seconds, "keys/s"))
            rows.append(result(SUITE, name, t.name, seconds, "s"))
    return rows


def describe(files: int, runs: int, startup_runs: int) -> str:
    return "\n".join(
        [
            f"cli: every tool as a process on `rclone serve s3` at 127.0.0.1; start-up = `ls` "
            f"of one object, median of {startup_runs}; ls -r / put -r / rm -r / get -r of "
            f"{files:,} × 4 KiB keys, median of {runs}.",
            f"  {INSTALLED} = the same command as a wheel's install lays it out (no "
            "editable install's import finder at start-up).",
            "  cloudbrowser = the `cloudbrowser` command (journalled, verified transfers; "
            "DeleteObjects in 1,000-key batches); peers with their defaults.",
        ]
    )
