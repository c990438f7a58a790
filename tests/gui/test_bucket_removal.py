"""The window's Delete bucket… never relies on the server to refuse a non-empty bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from cloudbrowser.core.errors import StorageError
from cloudbrowser.gui.service import StorageService
from cloudbrowser.gui.widgets.main_window import MainWindow
from tests.conftest import S3Server
from tests.gui.conftest import ServiceFactory, open_window
from tests.gui.test_browsing import names, wait_loaded
from tests.gui.test_file_operations import WAIT, select, settle
from tests.hostile import Forward, Reply, Request


@pytest.fixture
def hostile_window(
    qtbot: QtBot, make_service: ServiceFactory, hostile_server: S3Server, tmp_path: Path
) -> Iterator[MainWindow]:
    service: StorageService = make_service()
    win = open_window(qtbot, service, hostile_server, tmp_path)
    yield win
    win.transfers.shutdown()


def test_an_object_that_arrives_after_the_question_is_not_deleted_with_the_bucket(
    qtbot: QtBot, hostile_window: MainWindow, hostile_server: S3Server
) -> None:
    window = hostile_window
    bucket = hostile_server.bucket("arriving")
    assert hostile_server.hostile is not None

    def obliging(request: Request, forward: Forward) -> Reply | None:
        if request.method == "DELETE" and request.bucket == bucket and not request.key:
            return Reply(204)  # a server that deletes a bucket and all it holds
        return None

    hostile_server.hostile.rule(obliging)
    window.refresh()
    wait_loaded(qtbot, window)
    select(window, bucket)
    asked: list[str] = []

    def agree_while_someone_uploads(title: str, text: str, ok: str) -> bool:
        asked.append(text)
        hostile_server.put(bucket, {"arrived/meanwhile.txt": b"keep me"})
        return True

    window.file_ops.confirm = agree_while_someone_uploads
    window.file_ops.delete_action.trigger()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: window.messages.last is not None, timeout=WAIT)
    assert "empty bucket" in asked[0]
    error = window.messages.last
    assert isinstance(error, StorageError) and error.code == "BucketNotEmpty"
    assert "holds objects" in error.message
    assert hostile_server.hostile.requests_matching(lambda r: r.method == "DELETE") == []


def test_unfinished_uploads_are_counted_and_aborted(
    qtbot: QtBot, make_service: ServiceFactory, moto_server: S3Server, tmp_path: Path
) -> None:
    window = open_window(qtbot, make_service(), moto_server, tmp_path)
    try:
        bucket = moto_server.bucket("uploads")
        moto_server.client.create_multipart_upload(Bucket=bucket, Key="half/done.iso")
        window.refresh()
        wait_loaded(qtbot, window)
        select(window, bucket)
        typed: list[str] = []
        window.file_ops.ask_bucket_name = lambda name, _title, text: typed.append(text) or name
        window.file_ops.delete_action.trigger()
        settle(qtbot, window)
        qtbot.waitUntil(lambda: bucket not in names(window), timeout=WAIT)
        assert "1 unfinished upload is aborted too." in typed[0]
        assert bucket not in [b["Name"] for b in moto_server.client.list_buckets()["Buckets"]]
    finally:
        window.transfers.shutdown()
