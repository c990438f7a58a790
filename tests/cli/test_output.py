"""What the command line prints when things go wrong in ways no error class describes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cloudbrowser.cli import cmd_ls
from tests.cli.helpers import REPO, Cli, child_env, flags
from tests.conftest import S3Server


def test_a_bug_is_one_message_not_a_traceback(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> int:
        raise RuntimeError("something impossible")

    monkeypatch.setattr(cmd_ls, "run", broken)
    result = cli("ls")
    assert result.code == 1
    assert "failed unexpectedly: RuntimeError: something impossible" in result.err
    assert "CLOUDBROWSER_DEBUG=1" in result.err
    assert "Traceback" not in result.err


def test_a_closed_pipe_ends_quietly(server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, ["a.txt", "b.txt"])
    # `cloudbrowser ls … | head -0`: the reader is gone before the first line is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cloudbrowser", "ls", "-r", f"s3://{bucket}", *flags(server)],
            cwd=REPO,
            env=child_env(server),
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
