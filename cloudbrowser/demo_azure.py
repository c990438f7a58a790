"""The local Azure of ``cloudbrowser --demo``: Azurite's blob service with sample data.

Started beside the demo's S3 server where it can be: Azurite (npm) installed into the
environment (``<prefix>/azurite``, as scripts/setup does) and Node.js on the PATH;
elsewhere the demo is S3 alone. Azurite keeps everything in memory and ends with us. The
sample data is written through the storage interface, like anything a user does.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import StorageError
from cloudbrowser.demo import sample_objects
from cloudbrowser.emulators import (
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    EmulatorProcess,
    azurite_command,
    azurite_url,
    free_port,
    wait_until_serving,
)

CREDENTIALS = Credentials(AZURITE_ACCOUNT, AZURITE_KEY)
#: Blobs of the demo's big folder (a few pages of 1,000 rows; each is one HTTP request).
BIG_FOLDER_COUNT = 2_000

#: The S3 demo's containers, under names of their own in the Azure demo.
CONTAINER_PREFIX = "azure-"


class AzureDemo(EmulatorProcess):
    """Azurite in a child process with the demo's containers; ``start()``, ``stop()``."""

    def __init__(self, *, big_folder_count: int = BIG_FOLDER_COUNT) -> None:
        super().__init__()
        self.big_folder_count = big_folder_count
        self.endpoint_url = ""

    @staticmethod
    def available() -> bool:
        return azurite_command(0) is not None

    def start(self, timeout: float = 60.0) -> str:
        """Start Azurite and seed it; returns the account's endpoint URL. Raises
        StorageError when it cannot start."""
        port = free_port()
        command = azurite_command(port)
        if command is None:
            raise StorageError(
                "The local Azure server (Azurite) is not installed.",
                hint="Install Node.js and run scripts/setup, which installs Azurite.",
            )
        # A debug log or crash file of Azurite's lands in its working directory.
        process = self.launch(command, "local Azure", cwd=Path(tempfile.gettempdir()))
        url = azurite_url(port)
        try:
            wait_until_serving(f"{url}?comp=list", process, timeout, any_status=True)
            self.endpoint_url = url
            seed(self.settings(), self.big_folder_count)
        except BaseException:
            self.stop()
            raise
        return url

    def settings(self) -> ConnectionSettings:
        return settings_for(self.endpoint_url)


def settings_for(url: str) -> ConnectionSettings:
    """The demo's Azure connection to Azurite's account at ``url`` (its well-known key)."""
    return ConnectionSettings(
        name="Demo (local Azure)",
        kind="azure",
        endpoint_url=url,
        auth="key",
        account=AZURITE_ACCOUNT,
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
