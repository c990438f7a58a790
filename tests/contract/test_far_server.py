"""A server a round trip away gets more small files at once (``small_concurrency``):
real requests to moto through the hostile front, which holds each object's GET and PUT
for a network's round trip and counts those under way. The queue's rules, and that a
server that answers at once gets ``concurrency`` files at once, are in
tests/unit/test_small_at_once.py: a server on this machine answers a request in ~1 ms,
but not on a loaded machine every time, and this front and moto take ~10 ms alone."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.keys import local_path_for
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.transfers import FAR, TransferOptions, TransferQueue, TransferRequest
from tests.conftest import S3Server
from tests.hostile import Forward, HostileS3, Reply, Request

pytestmark = pytest.mark.server

FILES = 48
OPTIONS = TransferOptions(concurrency=2, small_concurrency=8, retries=0)


class UnderWay:
    """A rule: each object's GET or PUT waits ``round_trip`` seconds at the front (as a
    network would), and the most under way at once is counted."""

    def __init__(self, front: HostileS3, round_trip: float) -> None:
        self.round_trip = round_trip
        self._lock = threading.Lock()
        self._now = 0
        self.most = 0
        front.rule(self)

    def __call__(self, request: Request, forward: Forward) -> Reply | None:
        if request.method not in ("GET", "PUT") or not request.key or request.is_listing():
            return None
        with self._lock:
            self._now += 1
            self.most = max(self.most, self._now)
        try:
            if self.round_trip:
                time.sleep(self.round_trip)  # the network's round trip, not a test's wait
            return forward()
        finally:
            with self._lock:
                self._now -= 1


def queue_of(server: S3Server, tmp_path: Path) -> TransferQueue:
    storage = open_storage(server.settings(), server.credentials)
    return TransferQueue(lambda _name: storage, Journal(tmp_path / "j.sqlite3"), OPTIONS)


def run(queue: TransferQueue, requests: list[TransferRequest]) -> None:
    transfers = queue.add(requests)
    assert queue.wait(transfers, timeout=120)
    assert {(t.state, t.verified) for t in transfers} == {(State.DONE, True)}


def uploads(server: S3Server, bucket: str, tmp_path: Path) -> list[TransferRequest]:
    folder = tmp_path / "up"
    folder.mkdir()
    requests = []
    for i in range(FILES):
        path = folder / f"f{i:02d}.txt"
        path.write_bytes(f"small file {i}\n".encode() * 100)
        stat = path.stat()
        requests.append(
            TransferRequest(
                Direction.UPLOAD, server.settings().name, bucket, f"small/{path.name}", path,
                stat.st_size, stat.st_mtime,
            )
        )  # fmt: skip
    return requests


def downloads(server: S3Server, bucket: str, tmp_path: Path) -> list[TransferRequest]:
    storage = open_storage(server.settings(), server.credentials)
    target = tmp_path / "down"
    return [
        TransferRequest(
            Direction.DOWNLOAD, server.settings().name, bucket, e.key,
            local_path_for(e.key, "small/", target), e.size, e.modified, e.etag,
        )
        for page in iter_pages(storage, bucket, "small/", recursive=True)
        for e in page.objects
    ]  # fmt: skip


def test_a_far_server_gets_more_small_files_at_once(
    hostile_server: S3Server, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    assert hostile_server.hostile is not None
    under_way = UnderWay(hostile_server.hostile, FAR * 3)
    queue = queue_of(hostile_server, tmp_path)
    run(queue, uploads(hostile_server, bucket, tmp_path))
    assert 2 < under_way.most <= 8, under_way.most
    under_way.most = 0
    run(queue, downloads(hostile_server, bucket, tmp_path))
    assert 2 < under_way.most <= 8, under_way.most
    assert len(list((tmp_path / "down").iterdir())) == FILES
    queue.shutdown()
