"""The command line never imports Qt, and ``--help`` does not even import boto3.

Each command runs in a fresh interpreter with ``-X importtime``, which names every module
imported: Qt must not be among them (a server has no display and may have no Qt at all).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import REPO, child_env, flags
from tests.conftest import S3Server


def imported_modules(argv: list[str], server: S3Server | None, cwd: Path = REPO) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cloudbrowser", *argv],
        cwd=cwd,
        env=child_env(server),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_commands_never_import_qt(server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    server.put(bucket, {"a.txt": b"alpha"})
    source = tmp_path / "up.txt"
    source.write_bytes(b"up")
    for argv in (
        ["ls", *flags(server)],
        ["ls", "-r", f"s3://{bucket}", *flags(server)],
        ["connections"],
    ):
        modules = imported_modules(argv, server)
        assert "cloudbrowser.cli.app" in modules, argv  # the command line did run
        assert not any(m.split(".")[0] == "PySide6" for m in modules), argv
        assert "cloudbrowser.gui" not in modules


def test_help_loads_neither_qt_nor_boto3() -> None:
    modules = imported_modules(["ls", "--help"], None)
    assert "cloudbrowser.cli.app" in modules
    assert "boto3" not in modules and "botocore" not in modules
    assert not any(m.startswith("PySide6") for m in modules)


def test_ls_of_one_object_loads_no_sdk_demo_or_log_file_machinery(server: S3Server) -> None:
    """What the start-up bar (``ls`` of one object, issue 14) must not pay for: botocore's
    service model, the demo, and the log file's directories and rotating handler (opened
    only when something is logged), nor the standard library's heavier corners: TLS on a
    plain-HTTP endpoint, urllib.request and http.client (brought by xml.sax.saxutils), the
    terminal's password prompt, a thread pool."""
    bucket = server.bucket()
    server.put(bucket, {"a.txt": b"alpha"})
    modules = imported_modules(["ls", f"s3://{bucket}/a.txt", *flags(server)], server)
    assert "cloudbrowser.cli.app" in modules
    for unwanted in ("botocore", "boto3", "cloudbrowser.demo", "platformdirs", "logging.handlers"):
        assert unwanted not in modules, unwanted
    for unwanted in ("ssl", "urllib.request", "http.client", "xml.sax", "getpass", "concurrent"):
        assert unwanted not in modules, unwanted
    # Built or imported at every start until issue 14's cuts: dataclasses (with inspect,
    # ast and dis; every value type on the path is a NamedTuple), logging (with traceback,
    # linecache, tokenize; core/loggers.py imports it at the first wanted record), shutil
    # (argparse's terminal width), the idna codec (a str host), the tag search, the log
    # file's module and its regexes, random, base64, queue, OpenSSL's hashes (the
    # signature's are CPython's own), the Unicode database (for text that needs escapes).
    for unwanted in (
        *("dataclasses", "inspect", "logging", "traceback", "shutil", "encodings.idna"),
        *("cloudbrowser.core.prefix_scan", "cloudbrowser.core.logs", "faulthandler"),
        *("random", "base64", "queue", "hashlib", "_hashlib", "hmac", "unicodedata"),
    ):
        assert unwanted not in modules, unwanted


def test_a_command_builds_its_own_parser_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Building every command's parser cost each command ~10 ms of its start-up: ``run``
    builds the one it runs, and all of them where the help or an error lists them."""
    from cloudbrowser.cli import COMMANDS, app
    from cloudbrowser.cli.app import build_parser

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return set(sub.choices)

    assert commands(build_parser("ls")) == {"ls"}
    assert commands(build_parser("storage-class")) == {"storage-class"}
    assert commands(build_parser()) == COMMANDS - {"help"}

    built: list[str] = []

    def recorded(only: str = "") -> argparse.ArgumentParser:
        built.append(only)
        return build_parser(only)

    monkeypatch.setattr(app, "build_parser", recorded)
    assert app.run(["ls", "--help"]) == 0
    assert app.run(["lss"]) == 2  # a typo: the error lists every command
    assert built == ["ls", ""]
    assert "'storage-class', 'restore', 'connections')" in capsys.readouterr().err
