"""Pause and cancel take effect at once while the server trickles its reply (hostile front).

Before, a read blocked in a trickling reply waited for the read timeout (10 s in the tests,
60 s by default). Every transfer and copy must stop within about a second; the bounds
below are generous (3 s) and far under the timeout.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.transfers import (
    MiB,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)
from tests.conftest import S3Server
from tests.hostile import HostileS3, Request, trickling

PART = 5 * MiB
OPTIONS = TransferOptions(part_size=PART, concurrency=2, part_concurrency=2)
#: Generous: the read timeout is 10 s; "about a second" is the aim.
PROMPT = 3.0


@pytest.fixture
def hostile(hostile_server: S3Server) -> HostileS3:
    assert hostile_server.hostile is not None
    return hostile_server.hostile


@pytest.fixture
def queue(hostile_server: S3Server, tmp_path: Path) -> Iterator[TransferQueue]:
    backend = hostile_server.backend()

    def lookup(name: str) -> S3Backend:
        if name != backend.settings.name:
            raise ConfigError(f"unknown connection {name}")
        return backend

    q = TransferQueue(lookup, Journal(tmp_path / "journal.sqlite3"), OPTIONS)
    yield q
    q.shutdown()


def data_of(size: int, seed: int = 0) -> bytes:
    return hashlib.shake_256(f"{seed}-{size}".encode()).digest(size)


def wait_for_request(hostile: HostileS3, matches: Callable[[Request], bool]) -> None:
    deadline = time.monotonic() + 20
    while not hostile.requests_matching(matches):
        assert time.monotonic() < deadline, "the request never came"
        time.sleep(0.01)
    assert hostile.trickling.wait(20), "the reply never started to trickle"


def stop_promptly(queue: TransferQueue, t: Transfer, *, cancel: bool) -> float:
    started = time.monotonic()
    (queue.cancel if cancel else queue.pause)([t.id])
    assert queue.wait([t], timeout=PROMPT + 5)
    return time.monotonic() - started


def get_of(key: str) -> Callable[[Request], bool]:
    return lambda r: r.method == "GET" and r.key == key


def test_pausing_a_trickling_download_is_prompt_and_it_resumes(
    hostile_server: S3Server, hostile: HostileS3, queue: TransferQueue, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    data = data_of(200_000)
    hostile_server.put(bucket, {"slow.bin": data})
    hostile.rule(trickling(get_of("slow.bin")))
    target = tmp_path / "slow.bin"
    request = TransferRequest(
        Direction.DOWNLOAD, hostile_server.settings().name, bucket, "slow.bin", target,
        len(data), 0.0, hashlib.md5(data).hexdigest(),
    )  # fmt: skip
    [t] = queue.add([request])
    wait_for_request(hostile, get_of("slow.bin"))

    took = stop_promptly(queue, t, cancel=False)
    assert took < PROMPT, f"the pause took {took:.1f} s"
    assert (t.state, t.error) == (State.PAUSED, None), "a pause, not a network error"

    hostile.clear_rules()
    queue.resume([t.id])
    assert queue.wait([t], timeout=30)
    assert (t.state, t.verified) == (State.DONE, True)
    assert target.read_bytes() == data


def test_cancelling_a_trickling_download_in_ranges_is_prompt(
    hostile_server: S3Server, hostile: HostileS3, queue: TransferQueue, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    data = data_of(2 * PART + 1000)
    hostile_server.put(bucket, {"big.bin": data})
    hostile.rule(trickling(get_of("big.bin")))
    head = hostile_server.client.head_object(Bucket=bucket, Key="big.bin")
    request = TransferRequest(
        Direction.DOWNLOAD, hostile_server.settings().name, bucket, "big.bin",
        tmp_path / "big.bin", len(data), 0.0, head["ETag"].strip('"'),
    )  # fmt: skip
    [t] = queue.add([request])
    assert t.multipart
    wait_for_request(hostile, get_of("big.bin"))

    took = stop_promptly(queue, t, cancel=True)
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert (t.state, t.error) == (State.CANCELLED, None)
    assert not (tmp_path / "big.bin").exists()


def put_of(key: str) -> Callable[[Request], bool]:
    return lambda r: r.method == "PUT" and r.key == key


def test_pausing_an_upload_whose_reply_trickles_is_prompt_and_says_it_was_stored(
    hostile_server: S3Server, hostile: HostileS3, queue: TransferQueue, tmp_path: Path
) -> None:
    """The server stored the PUT before its reply began to trickle: the pause is prompt,
    and the upload ends as what it is, done and verified (core/uploads.py looks), not
    paused with its file already there."""
    bucket = hostile_server.bucket()
    path = tmp_path / "up.bin"
    data = data_of(100_000, seed=1)
    path.write_bytes(data)
    hostile.rule(trickling(put_of("up.bin"), body=b" " * 500))
    st = path.stat()
    request = TransferRequest(
        Direction.UPLOAD, hostile_server.settings().name, bucket, "up.bin", path,
        st.st_size, st.st_mtime,
    )  # fmt: skip
    [t] = queue.add([request])
    wait_for_request(hostile, put_of("up.bin"))

    took = stop_promptly(queue, t, cancel=False)
    assert took < PROMPT, f"the pause took {took:.1f} s"
    assert (t.state, t.error, t.verified) == (State.DONE, None, True)
    assert "before the stop" in t.note
    body = hostile_server.client.get_object(Bucket=bucket, Key="up.bin")["Body"].read()
    assert body == data


def test_cancelling_a_multipart_upload_whose_parts_trickle_is_prompt(
    hostile_server: S3Server, hostile: HostileS3, queue: TransferQueue, tmp_path: Path
) -> None:
    bucket = hostile_server.bucket()
    path = tmp_path / "parts.bin"
    path.write_bytes(data_of(2 * PART + 10, seed=2))

    def part_of(r: Request) -> bool:
        return r.method == "PUT" and "partNumber" in r.query

    hostile.rule(trickling(part_of, body=b" " * 500))
    st = path.stat()
    request = TransferRequest(
        Direction.UPLOAD, hostile_server.settings().name, bucket, "parts.bin", path,
        st.st_size, st.st_mtime,
    )  # fmt: skip
    [t] = queue.add([request])
    wait_for_request(hostile, part_of)

    took = stop_promptly(queue, t, cancel=True)
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert (t.state, t.error) == (State.CANCELLED, None)


def test_cancelling_a_copy_whose_reply_trickles_is_prompt(
    hostile_server: S3Server, hostile: HostileS3
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"src/a.txt": b"a", "src/b.txt": b"b"})

    def copy(r: Request) -> bool:
        return r.method == "PUT" and "x-amz-copy-source" in r.headers

    hostile.rule(trickling(copy, body=b" " * 500))
    op = Operation(
        hostile_server.backend(), OpKind.COPY, bucket, [OpItem("src/", "dst/")], workers=2
    )
    outcome: list[float] = []

    def run() -> None:
        op.run()
        outcome.append(time.monotonic())

    runner = threading.Thread(target=run)
    runner.start()
    wait_for_request(hostile, copy)
    started = time.monotonic()
    op.cancel()
    runner.join(timeout=PROMPT + 5)
    assert outcome, "the copy did not stop"
    took = outcome[0] - started
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert op.state is State.CANCELLED
    assert op.result.cancelled and not op.result.failed


def test_cancelling_a_delete_whose_reply_trickles_is_prompt(
    hostile_server: S3Server, hostile: HostileS3
) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {f"old/{n}.txt": b"x" for n in range(5)})

    def delete_objects(r: Request) -> bool:
        return r.method == "POST" and "delete" in r.query

    hostile.rule(trickling(delete_objects, every=0.5))
    op = Operation(hostile_server.backend(), OpKind.DELETE, bucket, [OpItem("old/")])
    ended: list[float] = []
    runner = threading.Thread(target=lambda: (op.run(), ended.append(time.monotonic())))
    runner.start()
    wait_for_request(hostile, delete_objects)
    started = time.monotonic()
    op.cancel()
    runner.join(timeout=PROMPT + 5)
    assert ended, "the delete did not stop"
    took = ended[0] - started
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert op.state is State.CANCELLED and not op.result.failed


def test_cancelling_a_copy_between_connections_while_the_source_trickles_is_prompt(
    hostile_server: S3Server, hostile: HostileS3, moto_server: S3Server
) -> None:
    bucket = hostile_server.bucket()
    target = moto_server.bucket("target")
    hostile_server.put(bucket, {"src/a.bin": data_of(100_000)})
    hostile.rule(trickling(get_of("src/a.bin")))
    op = Operation(
        hostile_server.backend(),
        OpKind.COPY,
        bucket,
        [OpItem("src/", "dst/")],
        dest_backend=moto_server.backend(),
        dest_bucket=target,
    )
    assert op.streams
    ended: list[float] = []
    runner = threading.Thread(target=lambda: (op.run(), ended.append(time.monotonic())))
    runner.start()
    wait_for_request(hostile, get_of("src/a.bin"))
    started = time.monotonic()
    op.cancel()
    runner.join(timeout=PROMPT + 5)
    assert ended, "the copy did not stop"
    took = ended[0] - started
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert op.state is State.CANCELLED and not op.result.failed
    assert "Contents" not in moto_server.client.list_objects_v2(Bucket=target)
