"""On a terminal: text, a progress line with speed and ETA, a summary; in a pipe: JSON only.

The command runs in a child whose stdout and stderr are a pseudo-terminal (``pty``), as
in an SSH session; a bandwidth limit makes the upload last long enough to draw progress
(JSON from a pipe is what every other CLI test reads).
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.helpers import REPO, child_env, flags
from tests.conftest import S3Server


def run_on_terminal(argv: list[str], server: S3Server) -> tuple[int, str]:
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", *argv],
        cwd=REPO,
        env={**child_env(server), "COLUMNS": "120"},
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=30), b"".join(chunks).decode(errors="replace")


def test_put_on_a_terminal_shows_progress_then_a_summary(server: S3Server, tmp_path: Path) -> None:
    bucket = server.bucket()
    source = tmp_path / "eleven.bin"
    source.write_bytes(os.urandom(11 * 1024 * 1024))
    # Three parts one after another at 8 MiB/s: the limiter holds parts 2 and 3 back.
    argv = ["put", str(source), f"s3://{bucket}/", "--part-size", "5M", "-j", "1",
            "--limit-rate", "8M", *flags(server)]  # fmt: skip
    code, screen = run_on_terminal(argv, server)
    assert code == 0, screen
    assert "\r" in screen and "/ 11.0 MiB" in screen and "ETA" in screen and "/s" in screen
    assert "uploaded 1 file (11.0 MiB)" in screen and "all verified" in screen
    assert "{" not in screen, "no JSON on a terminal"

    ls_code, listing = run_on_terminal(["ls", f"s3://{bucket}", *flags(server)], server)
    assert ls_code == 0
    assert "11.0 MiB  eleven.bin" in listing
