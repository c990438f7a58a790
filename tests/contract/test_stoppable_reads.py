"""An S3, GCS or Azure download is read on the transfer's own thread
(``Features.stoppable_reads``), and so is a small file's upload sent
(``Features.stoppable_puts``): a pause or cancel breaks off its wait for a reply by
shutting the socket down, so a queue of small files hands no request to a runner thread,
and a server that takes the request and does not answer is left at once. moto,
fake-gcs-server and Azurite behind the hostile front (``tests/hostile.py``), which
forwards every request until a rule holds one back (trickling replies:
tests/contract/test_trickle_cancel.py)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest

from cloudbrowser.core import interrupt
from cloudbrowser.core import transfers as transfer_module
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import Storage
from cloudbrowser.core.transfers import Transfer, TransferOptions, TransferQueue, TransferRequest
from tests.conftest import TestServer
from tests.hostile import Forward, HostileS3, Reply, Request

pytestmark = pytest.mark.server

#: Generous: the read timeout is 10 s; "about a second" is the aim.
PROMPT = 3.0


@pytest.fixture(params=["s3", "gcs", "azure"])
def server(request: pytest.FixtureRequest) -> TestServer:
    name = {"s3": "moto_server", "gcs": "gcs_server", "azure": "azurite_server"}[request.param]
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def front(server: TestServer) -> Iterator[HostileS3]:
    with HostileS3(server.endpoint_url) as hostile:
        yield hostile


@pytest.fixture
def backend(server: TestServer, front: HostileS3) -> Storage:
    """The server's backend, through the front (Azurite's account stays in the path)."""
    path = urlsplit(server.endpoint_url).path
    return server.backend(name=f"{server.kind}-front", endpoint_url=front.url + path)


@pytest.fixture
def queue(backend: Storage, tmp_path: Path) -> Iterator[TransferQueue]:
    def lookup(name: str) -> Storage:
        if name != backend.settings.name:
            raise ConfigError(f"unknown connection {name}")
        return backend

    options = TransferOptions(concurrency=2, part_concurrency=2)
    q = TransferQueue(lookup, Journal(tmp_path / "journal.sqlite3"), options)
    yield q
    q.shutdown()


def object_get_of(key: str) -> Callable[[Request], bool]:
    """A read of the object's bytes: S3's GetObject, GCS's ``alt=media``, Azure's Get
    Blob."""
    return lambda r: (
        r.method == "GET"
        and r.path.endswith(key)
        and not r.path.startswith("/storage/")  # GCS's metadata, not its bytes
        and "comp" not in r.query
    )


@contextmanager
def hand_overs() -> Iterator[tuple[list[str], list[object]]]:
    """The names of the threads started, and the calls handed to a runner, meanwhile."""
    started: list[str] = []
    real_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        real_start(thread)

    handed: list[object] = []
    real_interruptible = interrupt.interruptible

    def counting(*args: object, **kwargs: object) -> object:
        handed.append(args[0])
        return real_interruptible(*args, **kwargs)  # type: ignore[arg-type]

    with (
        mock.patch.object(threading.Thread, "start", counting_start),
        # Both names of it: the queue's and the one the backends' elsewhere() calls.
        mock.patch.object(transfer_module, "interruptible", counting),
        mock.patch.object(interrupt, "interruptible", counting),
    ):
        yield started, handed


def download(backend: Storage, bucket: str, key: str, target: Path) -> TransferRequest:
    info = backend.head_object(bucket, key)
    return TransferRequest(
        Direction.DOWNLOAD, backend.settings.name, bucket, key, target, info.size,
        info.modified, info.etag,
    )  # fmt: skip


def cancel_while_held(
    front: HostileS3, queue: TransferQueue, request: TransferRequest,
    held: Callable[[Request], bool],
) -> tuple[Transfer, float]:  # fmt: skip
    """Queue ``request``, hold back the reply to the request ``held`` picks, cancel the
    transfer once that request came: the transfer, and how long the cancel took."""
    answer, arrived = threading.Event(), threading.Event()

    def late(r: Request, _forward: object) -> None:
        if held(r):
            arrived.set()
            answer.wait(30)  # holds the reply back until the test ends
        return None

    front.rule(late)
    try:
        [t] = queue.add([request])
        assert arrived.wait(20), "the request never came"
        started = time.monotonic()
        queue.cancel([t.id])
        assert queue.wait([t], timeout=PROMPT + 5)
        return t, time.monotonic() - started
    finally:
        answer.set()


def test_cancelling_a_download_whose_reply_does_not_start_is_prompt(
    server: TestServer, front: HostileS3, backend: Storage, queue: TransferQueue,
    tmp_path: Path,
) -> None:  # fmt: skip
    bucket = server.bucket()
    server.put(bucket, {"late.bin": b"x" * 3000})
    target = tmp_path / "late.bin"
    request = download(backend, bucket, "late.bin", target)
    t, took = cancel_while_held(front, queue, request, object_get_of("late.bin"))
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert (t.state, t.error) == (State.CANCELLED, None)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if ".cbpart-" in p.name], "no temporary file"


def test_small_downloads_start_no_request_threads(
    server: TestServer, backend: Storage, queue: TransferQueue, tmp_path: Path
) -> None:
    """Counted, not timed: a GET handed to a runner would start (or wake) a thread. The
    first read of a connection makes its client (S3: on a runner, once, not per file)."""
    bucket = server.bucket()
    files = {f"s/{n}.bin": hashlib.shake_256(str(n).encode()).digest(100 + n) for n in range(30)}
    server.put(bucket, files)
    requests = [download(backend, bucket, key, tmp_path / "d" / key) for key in files]
    [first] = queue.add(requests[:1])
    assert queue.wait([first], timeout=60)
    with hand_overs() as (started, handed):
        transfers = queue.add(requests[1:])
        assert queue.wait(transfers, timeout=60)
    assert all((t.state, t.verified) == (State.DONE, True) for t in [first, *transfers])
    for key, data in files.items():
        assert (tmp_path / "d" / key).read_bytes() == data
    assert "request" not in started, started
    assert handed == [], "no GET was handed to a runner"


# ── a whole small file's PUT (Features.stoppable_puts) ───────────────────────────────


def upload(backend: Storage, bucket: str, key: str, source: Path) -> TransferRequest:
    st = source.stat()
    return TransferRequest(
        Direction.UPLOAD, backend.settings.name, bucket, key, source, st.st_size, st.st_mtime
    )


#: The backends whose small PUT is sent on the transfer's thread: all (S3's PUT, GCS's
#: multipart upload POST, Azure's Put Blob).
STOPPABLE_PUTS = pytest.mark.parametrize("server", ["s3", "gcs", "azure"], indirect=True)


@STOPPABLE_PUTS
def test_cancelling_an_upload_whose_reply_does_not_come_is_prompt(
    server: TestServer, front: HostileS3, backend: Storage, queue: TransferQueue,
    tmp_path: Path,
) -> None:  # fmt: skip
    assert backend.features.stoppable_puts
    bucket = server.bucket()
    source = tmp_path / "late.bin"
    source.write_bytes(b"y" * 3000)

    request = upload(backend, bucket, "up/late.bin", source)
    t, took = cancel_while_held(front, queue, request, whole_put_of("late.bin"))
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert (t.state, t.error) == (State.CANCELLED, None)


def whole_put_of(name: str) -> Callable[[Request], bool]:
    """A small file's one write: S3's PUT and Azure's Put Blob of the key; GCS's upload
    POST names the object in its body only."""
    return lambda r: (
        (r.method, r.path.endswith(name)) == ("PUT", True)
        or (r.method == "POST" and "/upload/" in r.path)
    )


@STOPPABLE_PUTS
def test_an_upload_cancelled_once_the_server_stored_it_is_done_and_verified(
    server: TestServer, front: HostileS3, backend: Storage, queue: TransferQueue,
    tmp_path: Path,
) -> None:  # fmt: skip
    """The server stores the PUT, its reply is held back, the cancel cuts the connection:
    the object is there with the file's bytes, so the transfer says done and verified
    (in the journal too), not cancelled."""
    bucket = server.bucket()
    source = tmp_path / "stored.bin"
    body = hashlib.shake_256(b"stored").digest(3000)
    source.write_bytes(body)
    is_put = whole_put_of("stored.bin")
    stored, answer = threading.Event(), threading.Event()

    def stored_then_late(r: Request, forward: Forward) -> Reply | None:
        if not is_put(r):
            return None
        reply = forward()  # the server has the object now
        stored.set()
        answer.wait(30)  # its reply waits until the test ends
        return reply

    front.rule(stored_then_late)
    try:
        [t] = queue.add([upload(backend, bucket, "up/stored.bin", source)])
        assert stored.wait(20), "the PUT never came"
        started = time.monotonic()
        queue.cancel([t.id])
        assert queue.wait([t], timeout=PROMPT + 5)
        took = time.monotonic() - started
    finally:
        answer.set()
    assert took < PROMPT, f"the cancel took {took:.1f} s"
    assert (t.state, t.verified, t.error) == (State.DONE, True, None)
    queue.journal.flush()
    record = queue.journal.get(t.id)
    assert record is not None and record.state is State.DONE
    reader = backend.get_object(bucket, "up/stored.bin")
    try:
        assert reader.read(1 << 20) == body
    finally:
        reader.close()


@STOPPABLE_PUTS
def test_small_uploads_start_no_request_threads(
    server: TestServer, backend: Storage, queue: TransferQueue, tmp_path: Path
) -> None:
    """Counted, not timed, as the downloads above."""
    assert backend.features.stoppable_puts
    bucket = server.bucket()
    sources = []
    for n in range(30):
        path = tmp_path / "u" / f"{n}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(hashlib.shake_256(str(n).encode()).digest(100 + n))
        sources.append(path)
    requests = [upload(backend, bucket, f"u/{p.name}", p) for p in sources]
    [first] = queue.add(requests[:1])
    assert queue.wait([first], timeout=60)
    with hand_overs() as (started, handed):
        transfers = queue.add(requests[1:])
        assert queue.wait(transfers, timeout=60)
    assert all((t.state, t.verified) == (State.DONE, True) for t in [first, *transfers])
    for path in sources:
        reader = backend.get_object(bucket, f"u/{path.name}")
        try:
            assert reader.read(1 << 20) == path.read_bytes()
        finally:
            reader.close()
    assert "request" not in started, started
    assert handed == [], "no PUT was handed to a runner"


# ── one turn, every request under way (core/cpu_turns.py) ─────────────────────────────


def all_at_once(front: HostileS3, picks: Callable[[Request], bool], count: int) -> list[str]:
    """A rule that holds back each request ``picks`` until ``count`` of them are under way
    together (then forwards them); what it returns is the list of the requests it let go
    only because that did not happen in time."""
    arrived: list[str] = []
    lock, together = threading.Lock(), threading.Event()
    let_go: list[str] = []

    def rule(r: Request, _forward: Forward) -> Reply | None:
        if picks(r):
            with lock:
                arrived.append(r.path)
                if len(arrived) >= count:
                    together.set()
            if not together.wait(10):
                let_go.append(r.path)
        return None

    front.rule(rule)
    return let_go


@pytest.mark.parametrize("direction", [Direction.DOWNLOAD, Direction.UPLOAD])
def test_with_one_turn_every_worker_has_a_request_under_way(
    server: TestServer, front: HostileS3, backend: Storage, tmp_path: Path,
    direction: Direction,
) -> None:  # fmt: skip
    """The window's queue lets one worker at a time run the engine's code; each gives its
    turn up while it waits for the server, so four workers have four requests under way:
    the front answers none of them until all four came. A worker that kept its turn while
    waiting would leave the other three waiting for it, and the front for them."""
    bucket = server.bucket()
    # No "/" in the keys: GCS has it quoted in the path the front sees.
    files = {f"turn-{n}.bin": hashlib.shake_256(str(n).encode()).digest(3000 + n) for n in range(4)}
    if direction is Direction.DOWNLOAD:
        server.put(bucket, files)
        requests = [download(backend, bucket, key, tmp_path / "d" / key) for key in files]
        picks = lambda r: any(object_get_of(key)(r) for key in files)  # noqa: E731
    else:
        requests = []
        for key, data in files.items():
            source = tmp_path / "u" / key
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data)
            requests.append(upload(backend, bucket, key, source))
        picks = lambda r: any(whole_put_of(key)(r) for key in files)  # noqa: E731
    options = TransferOptions(concurrency=4, part_concurrency=2, cpu_turns=1)
    queue = TransferQueue(lambda _name: backend, Journal(tmp_path / "journal.sqlite3"), options)
    try:
        let_go = all_at_once(front, picks, len(files))
        transfers = queue.add(requests)
        assert queue.wait(transfers, timeout=60)
    finally:
        queue.shutdown()
    assert let_go == [], "the requests were not under way at once"
    assert all((t.state, t.verified) == (State.DONE, True) for t in transfers), [
        (t.state, t.error) for t in transfers
    ]
    for key, data in files.items():
        if direction is Direction.DOWNLOAD:
            assert (tmp_path / "d" / key).read_bytes() == data
        else:
            reader = backend.get_object(bucket, key)
            try:
                assert reader.read(1 << 20) == data
            finally:
                reader.close()
