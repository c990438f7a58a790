"""The local Azure of ``cloudbrowser --demo``: Azurite's blob service with sample data.

Started beside the demo's S3 server where it can be: Azurite (npm) installed into the
environment (``<prefix>/azurite``, as scripts/setup does) and Node.js on the PATH;
elsewhere the demo is S3 alone. Azurite keeps everything in memory and ends with us. The
sample data is written through the storage interface, like anything a user does.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import StorageError
from cloudbrowser.demo import sample_objects

#: Azurite's well-known development account (published by Microsoft; not a secret).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CREDENTIALS = Credentials(ACCOUNT, KEY)
#: Blobs of the demo's big folder (a few pages of 1,000 rows; each is one HTTP request).
BIG_FOLDER_COUNT = 2_000

#: The S3 demo's containers, under names of their own in the Azure demo.
CONTAINER_PREFIX = "azure-"


def azurite_command() -> list[str] | None:
    """How to start Azurite's blob service, or None where it is not installed."""
    script = Path(sys.prefix) / "azurite/node_modules/.bin/azurite-blob"
    if not script.exists() or shutil.which("node") is None:
        return None
    return [str(script)]


class AzureDemo:
    """Azurite in a child process with the demo's containers; ``start()`` then ``stop()``."""

    def __init__(self, *, big_folder_count: int = BIG_FOLDER_COUNT) -> None:
        self.big_folder_count = big_folder_count
        self.endpoint_url = ""
        self._process: subprocess.Popen[bytes] | None = None
        # stop() may come from another thread while start() runs (the demo ending while
        # Azurite starts): the process is then ended as soon as it exists.
        self._lock = threading.Lock()
        self._stopped = False

    @staticmethod
    def available() -> bool:
        return azurite_command() is not None

    def start(self, timeout: float = 60.0) -> str:
        """Start Azurite and seed it; returns the account's endpoint URL. Raises
        StorageError when it cannot start."""
        command = azurite_command()
        if command is None:
            raise StorageError(
                "The local Azure server (Azurite) is not installed.",
                hint="Install Node.js and run scripts/setup, which installs Azurite.",
            )
        port = _free_port()
        process = subprocess.Popen(
            [
                *command,
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
                "--silent",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with self._lock:
            self._process = process
            stopped = self._stopped
        if stopped:
            self.stop()
            raise StorageError("The demo ended while its local Azure was starting.")
        url = f"http://127.0.0.1:{port}/{ACCOUNT}"
        try:
            _wait_until_answering(url, process, timeout)
            self.endpoint_url = url
            seed(self.settings(), self.big_folder_count)
        except BaseException:
            self.stop()
            raise
        return url

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def settings(self) -> ConnectionSettings:
        return settings_for(self.endpoint_url)


def settings_for(url: str) -> ConnectionSettings:
    """The demo's Azure connection to Azurite's account at ``url`` (its well-known key)."""
    return ConnectionSettings(
        name="Demo (local Azure)",
        kind="azure",
        endpoint_url=url,
        auth="key",
        account=ACCOUNT,
        max_attempts=2,
    )


def seed(settings: ConnectionSettings, big_folder_count: int) -> None:
    """The S3 demo's sample containers and a big folder, through the storage interface."""
    storage = open_storage(settings, CREDENTIALS)
    for bucket, objects in sample_objects().items():
        container = CONTAINER_PREFIX + bucket
        storage.create_bucket(container)
        for obj in objects:
            storage.put_object(
                container, obj.key, obj.body, content_md5="", content_type=obj.content_type
            )
    logs = CONTAINER_PREFIX + "demo-logs"
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: storage.put_object(
                    logs, f"events/2024/event-{i:06d}.log", f"event {i}\n".encode(), content_md5=""
                ),
                range(big_folder_count),
            )
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll until Azurite answers an HTTP request (any status: it refuses unsigned ones)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StorageError(
                "The local Azure server (Azurite) stopped while starting.",
                hint="Run it by hand to see why: azurite-blob --inMemoryPersistence.",
            )
        try:
            with urllib.request.urlopen(f"{url}?comp=list", timeout=2):
                return
        except urllib.error.HTTPError as reply:
            with contextlib.closing(reply):
                return
        except OSError:
            time.sleep(0.05)  # polling a starting server, not waiting for a result
    raise StorageError(
        "The local Azure server (Azurite) did not start in time.",
        hint="Retry; a slow machine may need longer.",
    )
