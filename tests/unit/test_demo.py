"""The demo server really serves the sample data the README promises."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.demo import BIG_FOLDER, DEMO_CREDENTIALS, VERSIONED_BUCKET, DemoServer


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    # A smaller big folder keeps the test quick; the seeding path is the same. The demo
    # seeds moto's in-process backend, which moto_server resets before each of its tests.
    server = DemoServer(big_folder_count=2_500)
    server.start()
    yield server
    server.stop()


def test_demo_has_buckets_folders_and_odd_names(demo: DemoServer) -> None:
    backend = S3Backend(demo.settings(), DEMO_CREDENTIALS)
    buckets = [b.name for b in backend.list_buckets()]
    assert len(buckets) >= 3 and VERSIONED_BUCKET in buckets
    root = backend.list_page("demo-documents", "")
    names = {e.key for e in root.objects}
    assert {"Résumé – final.txt", "100% done #1 + more.txt", "a+b=c.csv"} <= names
    deep = "reports/archive/2019/old/very/deep/folder/"
    assert [e.key for e in backend.list_page("demo-documents", deep).objects] == [f"{deep}leaf.txt"]
    assert backend.head_object("demo-photos", "2023/summer/beach.jpg").content_type == "image/jpeg"
    assert backend.head_object("demo-photos", "2024/winter/snow.png").content_type == "image/png"


def test_demo_images_are_real_images(demo: DemoServer) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=demo.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=DEMO_CREDENTIALS.access_key_id,
        aws_secret_access_key=DEMO_CREDENTIALS.secret_access_key,
    )
    jpeg = client.get_object(Bucket="demo-photos", Key="2023/summer/beach.jpg")["Body"].read()
    png = client.get_object(Bucket="demo-photos", Key="2024/winter/snow.png")["Body"].read()
    assert jpeg[:3] == b"\xff\xd8\xff" and png[:8] == b"\x89PNG\r\n\x1a\n"
    versions = client.list_object_versions(Bucket=VERSIONED_BUCKET)
    config_versions = [v for v in versions["Versions"] if v["Key"] == "config.json"]
    assert len(config_versions) == 4
    assert [m["Key"] for m in versions.get("DeleteMarkers", [])] == ["deleted-later.txt"]


def test_big_folder_pages(demo: DemoServer) -> None:
    backend = S3Backend(demo.settings(), DEMO_CREDENTIALS)
    pages = list(iter_pages(backend, "demo-logs", BIG_FOLDER))
    assert sum(len(p.objects) for p in pages) == 2_500
    assert len(pages) == 3
    assert [e.key for p in pages for e in p.prefixes] == [f"{BIG_FOLDER}by-hour/"]


def test_a_frozen_app_starts_the_demo_server_through_its_own_executable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cloudbrowser.demo import DEMO_SERVER_FLAG, server_command

    assert server_command(7)[1:] == ["-m", "cloudbrowser.demo", "--serve", "7"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert server_command(7) == [sys.executable, DEMO_SERVER_FLAG, "7"]


def test_the_hidden_demo_server_flag_serves_until_stdin_closes() -> None:
    """What a frozen build runs (the app's executable with the flag), here via -m."""
    from cloudbrowser.demo import DEMO_SERVER_FLAG

    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", DEMO_SERVER_FLAG, "5"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert child.stdout is not None and child.stdin is not None
    ready = child.stdout.readline()
    child.stdin.close()
    assert child.wait(timeout=30) == 0
    child.stdout.close()
    assert ready.startswith("READY http://127.0.0.1:")


def test_the_demo_checks_credentials_like_a_real_server(demo: DemoServer) -> None:
    """“Test connection” with a mistyped secret or key id fails on the demo too; the right
    key works, and a share link (signed in its query) still opens."""
    from urllib.request import urlopen

    from cloudbrowser.core.check import check_connection
    from cloudbrowser.core.connection import Credentials

    key_id, secret = DEMO_CREDENTIALS.access_key_id, DEMO_CREDENTIALS.secret_access_key
    assert check_connection(demo.settings(), DEMO_CREDENTIALS).ok
    wrong_secret = check_connection(demo.settings(), Credentials(key_id, secret + "x"))
    assert not wrong_secret.ok and "secret" in (wrong_secret.summary + wrong_secret.hint).lower()
    wrong_id = check_connection(demo.settings(), Credentials(key_id + "x", secret))
    assert not wrong_id.ok and "key" in (wrong_id.summary + wrong_id.hint).lower()

    backend = S3Backend(demo.settings(), DEMO_CREDENTIALS)
    link = backend.share_link("demo-documents", "README.txt", 300)
    with urlopen(link.url) as reply:
        assert reply.read().startswith(b"Welcome to the cloudbrowser demo.")


def test_stopping_the_demo_while_it_starts_ends_the_start_with_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window closed during start-up: stop() on the GUI thread ends the child while
    start() waits for it on a worker; start() then says the server did not start (not an
    AttributeError on the process stop() took away)."""
    import threading

    import cloudbrowser.demo as demo_module
    from cloudbrowser.core.errors import StorageError

    # A child that never says READY (a server still seeding).
    slow = [sys.executable, "-c", "import time; time.sleep(60)"]
    monkeypatch.setattr(demo_module, "server_command", lambda _count, clouds=False: slow)
    server = demo_module.DemoServer()
    outcome: list[BaseException] = []

    def start() -> None:
        try:
            server.start(timeout=30)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=start)
    worker.start()
    for _ in range(200):  # the child exists once start() has spawned it
        if server._process is not None:
            break
        threading.Event().wait(0.05)
    server.stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, StorageError), repr(error)
    assert error.message == "The demo server did not start."
