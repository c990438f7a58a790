"""A typo is a usage error, the window never starts without a display, and ``-v``/``-vv``
log as the window does."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from cloudbrowser.__main__ import mistyped_command, no_display_reason
from cloudbrowser.cli import COMMANDS
from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import S3Server


def _headless(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``python -X importtime -m cloudbrowser ARGV`` with no display at all."""
    env = child_env(None)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cloudbrowser", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _imported_qt(stderr: str) -> bool:
    return any(
        line.startswith("import time:") and "PySide6" in line for line in stderr.splitlines()
    )


def _messages(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if not line.startswith("import time:"))


def test_a_typo_is_a_usage_error_with_a_suggestion() -> None:
    proc = _headless(["lss"])
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "unknown command “lss”: did you mean “ls”?" in _messages(proc.stderr)
    assert not _imported_qt(proc.stderr)


def test_no_display_no_window(tmp_path: Path) -> None:
    proc = _headless(["some-bucket-name"])
    assert proc.returncode == 1, proc.stderr[-2000:]
    said = _messages(proc.stderr)
    assert "cannot open the window: there is no display" in said
    assert "“some-bucket-name” is not a command" in said
    assert "QT_QPA_PLATFORM=offscreen" in said
    assert not _imported_qt(proc.stderr)


def test_what_counts_as_a_typo() -> None:
    assert mistyped_command("lss", COMMANDS) == "ls"
    assert mistyped_command("synk", COMMANDS) == "sync"
    assert mistyped_command("logs", COMMANDS) == ""  # a bucket may be called that
    assert mistyped_command("lss/", COMMANDS) == ""  # a location, said so
    assert mistyped_command("s3://lss", COMMANDS) == ""


def test_display_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert no_display_reason({})
    assert not no_display_reason({"DISPLAY": ":0"})
    assert not no_display_reason({"WAYLAND_DISPLAY": "wayland-0"})
    assert not no_display_reason({"QT_QPA_PLATFORM": "offscreen"})
    assert not no_display_reason({"QT_QPA_PLATFORM": "vnc:size=800x600"})
    assert no_display_reason({"QT_QPA_PLATFORM": "xcb"})  # asks for X11, which is not there
    assert no_display_reason({"QT_QPA_PLATFORM": "wayland;xcb"})
    monkeypatch.setattr(sys, "platform", "win32")
    assert not no_display_reason({})


def test_verbose_logs_to_stderr_and_the_redacted_file(
    server: S3Server,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a-logged-object.txt"])
    cli = Cli(server, capsys, monkeypatch)
    result = cli("ls", "-vv", f"s3://{bucket}/")
    assert result.code == 0, result.err
    assert [r["key"] for r in result.records()] == ["a-logged-object.txt"]
    assert "DEBUG" in result.err and "Authorization" in result.err
    log = (tmp_path / "cb-log" / "cloudbrowser.log").read_text(encoding="utf-8")
    assert "DEBUG" in log and "Authorization" in log
    assert server.credentials.secret_access_key not in log + result.err
    assert "Signature=" not in log.replace("Signature=[redacted]", "")

    quiet = cli("ls", f"s3://{bucket}/")  # without -v: nothing logged on stderr
    assert quiet.code == 0 and "DEBUG" not in quiet.err and not quiet.err.strip()


def test_verbose_before_the_command(server: S3Server) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cloudbrowser", "-v", "ls", *flags(server)],
        cwd=REPO,
        env=child_env(server),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_without_verbose_warnings_still_reach_the_redacted_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudbrowser.__main__ import main
    from cloudbrowser.cli import cmd_buckets

    def warns(_args: object, _out: object) -> int:
        logging.getLogger("cloudbrowser.test").warning(
            "odd reply for key a\x1b]0;x\x07b; aws_secret_access_key = notwrittenanywhere"
        )
        return 0

    monkeypatch.setattr(cmd_buckets, "run", warns)
    assert main(["connections"]) == 0
    assert capsys.readouterr().err == ""  # the log is for later; stderr is for the user
    log = (tmp_path / "cb-log" / "cloudbrowser.log").read_text(encoding="utf-8")
    assert "odd reply for key a\\x1b]0;x\\x07b" in log
    assert "notwrittenanywhere" not in log
    assert not logging.getLogger().handlers or all(
        type(h).__name__ != "_OpenLogOnFirstRecord" for h in logging.getLogger().handlers
    )


def test_the_windows_help_names_every_command() -> None:
    """``cloudbrowser --help`` is where a newcomer looks for the commands: it names them
    all (it had left out storage-class and restore)."""
    from cloudbrowser.__main__ import build_parser

    text = " ".join(build_parser().format_help().split())
    listed = text.partition("--help): ")[2].partition(".")[0]  # "ls, du, get, …"
    assert sorted(listed.split(", ")) == sorted(COMMANDS)
    # and every cloud it opens (it said "for S3 and S3-compatible object storage")
    for cloud in ("S3", "Google Cloud Storage", "Azure Blob Storage"):
        assert cloud in text


def test_help_prints_the_commands_and_help_command_the_commands_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``cloudbrowser help`` (as aws, gsutil and rclone have) lists every command with
    what it does, where it tried to open the window at a bucket called "help";
    ``cloudbrowser help sync`` is ``cloudbrowser sync --help``."""
    from cloudbrowser.__main__ import main

    assert main(["help"]) == 0
    listing = capsys.readouterr().out
    for command in COMMANDS - {"help"}:
        assert f"\n    {command}" in listing, command
    assert "exit codes:" in listing
    # How each cloud connects without -c, the Azure CLI's variables for az:// too.
    flat = " ".join(listing.split())
    assert "gs:// without -c" in flat and "az:// without -c" in flat
    assert "AZURE_STORAGE_CONNECTION_STRING" in flat and "AZURE_STORAGE_SAS_TOKEN" in flat
    assert main(["help", "sync"]) == 0
    assert "--delete" in capsys.readouterr().out
    assert main(["help", "nonsense"]) == 2
    assert "nonsense" in capsys.readouterr().err


def test_every_commands_help_names_each_clouds_locations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every command takes gs:// and az:// as it takes s3://: its help says so, where
    ``cloudbrowser get --help`` showed a GCS or Azure user only ``s3://BUCKET/KEY``."""
    from cloudbrowser.__main__ import main

    for command in sorted(COMMANDS - {"help", "resume", "connections"}):
        assert main(["help", command]) == 0
        # The usage line and the positional arguments, before the options.
        shown = capsys.readouterr().out.partition("options:")[0]
        assert "{s3,gs,az}://" in shown, command
        assert "s3://B" not in shown.replace("{s3,gs,az}://B", ""), command
