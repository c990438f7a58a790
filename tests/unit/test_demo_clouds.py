"""``--demo``'s three clouds: the local S3 child starts a local GCS and Azure beside it,
owns them, and no emulator outlives the app — not even an app that was killed."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.demo import DEMO_CREDENTIALS, DemoServer
from cloudbrowser.demo_azure import CONTAINER_PREFIX
from cloudbrowser.demo_gcs import BUCKET_PREFIX

pytestmark = pytest.mark.server  # real servers: moto, fake-gcs-server, Azurite


def _serving(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


def test_the_demo_opens_gcs_and_azure_beside_s3_and_ends_them_with_it() -> None:
    demo = DemoServer(big_folder_count=10, with_clouds=True)
    demo.start()
    try:
        clouds = {settings.kind: (settings, creds) for settings, creds in demo.other_clouds()}
        assert set(clouds) == {"gcs", "azure"}
        s3 = open_storage(demo.settings(), DEMO_CREDENTIALS)
        gcs = open_storage(*clouds["gcs"])
        azure = open_storage(*clouds["azure"])
        with s3.get_object("demo-documents", "README.txt") as reader:
            body = reader.read(-1)
        # The same file copied into each of the other clouds reads back the same.
        gcs.put_object(f"{BUCKET_PREFIX}demo-documents", "from-s3.txt", body, content_md5="")
        azure.put_object(f"{CONTAINER_PREFIX}demo-documents", "from-s3.txt", body, content_md5="")
        for storage, bucket in ((gcs, BUCKET_PREFIX), (azure, CONTAINER_PREFIX)):
            with storage.get_object(f"{bucket}demo-documents", "from-s3.txt") as reader:
                assert reader.read(-1) == body
        urls = [settings.endpoint_url or "" for settings, _ in clouds.values()]
        assert all(_serving(url) for url in urls)
    finally:
        demo.stop()
    assert not any(_serving(url) for url in urls), "an emulator outlived the demo"


def test_a_demo_without_other_clouds_starts_none() -> None:
    demo = DemoServer(big_folder_count=1)
    demo.start()
    try:
        assert demo.other_clouds() == []
    finally:
        demo.stop()


_APP = """
import sys
from cloudbrowser.demo import DemoServer
demo = DemoServer(big_folder_count=1, with_clouds=True)
demo.start()
for settings, _ in demo.other_clouds():
    print(settings.endpoint_url, flush=True)
print("UP", flush=True)
sys.stdin.read()
"""


def test_the_emulators_end_when_the_app_is_killed() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _APP], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as app:
        assert app.stdout is not None
        urls = []
        while (line := app.stdout.readline().strip()) != "UP":
            assert line, "the app ended before its demo was up"
            urls.append(line)
        assert len(urls) == 2 and all(_serving(url) for url in urls)
        app.send_signal(signal.SIGKILL)  # no clean-up of its own
        app.wait()
    deadline = time.monotonic() + 30
    while any(_serving(url) for url in urls):
        assert time.monotonic() < deadline, "an emulator outlived the killed app"
        time.sleep(0.1)  # polling for the servers to go, not waiting for a result
