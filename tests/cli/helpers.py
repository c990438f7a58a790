"""Running the real command line against the test servers, in process or as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.__main__ import main
from tests.conftest import S3Server

REPO = Path(__file__).resolve().parents[2]
SECRET_ENV = "CLOUDBROWSER_SECRET_ACCESS_KEY"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def records(self) -> list[dict[str, Any]]:
        """stdout's JSON lines (stdout is not a terminal under test: JSON by default)."""
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def flags(server: S3Server) -> list[str]:
    """The connection options for ``server``; the secret goes in the environment."""
    return ["--endpoint", server.endpoint_url, "--access-key-id", server.credentials.access_key_id]


class Cli:
    """``cloudbrowser ...`` through ``__main__.main`` in this process, against one server."""

    def __init__(
        self, server: S3Server, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch
    ) -> None:
        self.server = server
        self._capsys = capsys
        mp.setenv(SECRET_ENV, server.credentials.secret_access_key)

    def __call__(self, command: str, *argv: str, connect: bool = True) -> Result:
        self._capsys.readouterr()
        extra = flags(self.server) if connect else []
        code = main([command, *argv, *extra])
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


class Run:
    """``cloudbrowser ...`` in this process, connection from the environment or ``-c``
    (the ``run`` fixture)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: str) -> Result:
        self._capsys.readouterr()
        code = main(list(argv))
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


def run_process(
    argv: list[str], server: S3Server | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """``python -m cloudbrowser ARGV`` as a child (the keyring backend refuses all calls, so
    that no test reaches the real keyring)."""
    env = child_env(server)
    return subprocess.run(
        [sys.executable, "-m", "cloudbrowser", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


def child_env(server: S3Server | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if server is not None:
        env[SECRET_ENV] = server.credentials.secret_access_key
    return env
