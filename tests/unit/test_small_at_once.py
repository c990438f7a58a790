"""Small files go more at once than large ones (``TransferOptions.small_concurrency``)
once the server is far (``transfers.FAR``): a small file's time is then its request's
round trip, so more of them must be under way; large ones keep to ``concurrency``, in
the order they were queued.

The in-memory storage's GETs wait at a gate here, so that what runs at once can be
counted while nothing ends. GETs of keys that begin with "w" (the first files queued)
pass the gate after ``round_trip`` seconds: how far the server seems."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.cli.cmd_transfer import transfer_options
from cloudbrowser.core.at_once import FILES_AT_ONCE, SMALL_FILES_AT_ONCE
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import forget_store
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.storage import MiB, Storage
from cloudbrowser.core.transfers import (
    FAR,
    SMALL_TRANSFER,
    Transfer,
    TransferOptions,
    TransferQueue,
    TransferRequest,
)

LARGE = 2 * MiB  # one GET (below the part size), but not small


class Gate:
    """The storage, whose GETs wait until ``opened``; counts those waiting at once."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        #: Whether a key's GET waits at the gate (all but the "w" ones, unless a test
        #: says otherwise).
        self.holds: Callable[[str], bool] = lambda key: not key.startswith("w")
        #: Seconds each GET that passes the gate takes (a network's round trip).
        self.round_trip = FAR * 2
        self._changed = threading.Condition()
        self.opened = threading.Event()
        self.inside: list[str] = []
        self.entered: list[str] = []
        self.most = 0
        self.most_large = 0

    def get_object(self, bucket: str, key: str, **kwargs: Any) -> Any:
        if not self.holds(key):
            if self.round_trip:
                time.sleep(self.round_trip)  # the network's, not the test's wait
            return self._storage.get_object(bucket, key, **kwargs)
        with self._changed:
            self.inside.append(key)
            self.entered.append(key)
            self.most = max(self.most, len(self.inside))
            self.most_large = max(self.most_large, sum(k.startswith("L") for k in self.inside))
            self._changed.notify_all()
        try:
            assert self.opened.wait(30), "the test never opened the gate"
            return self._storage.get_object(bucket, key, **kwargs)
        finally:
            with self._changed:
                self.inside.remove(key)

    def wait_inside(self, count: int, timeout: float = 10.0) -> bool:
        """Whether ``count`` GETs wait at once within ``timeout``."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.inside) >= count, timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


@pytest.fixture
def gate() -> Iterator[Gate]:
    settings = ConnectionSettings(name="c", kind="memory", endpoint_url="memory://at-once")
    forget_store(settings)
    storage = open_storage(settings)
    storage.create_bucket("bkt")
    opened = Gate(storage)
    yield opened
    opened.opened.set()  # never leave a worker waiting, whatever failed


def queue_of(gate: Gate, tmp_path: Path, concurrency: int, small: int) -> TransferQueue:
    options = TransferOptions(concurrency=concurrency, small_concurrency=small, retries=0)
    return TransferQueue(lambda _name: gate, Journal(tmp_path / "j.sqlite3"), options)  # type: ignore[arg-type,return-value]


def downloads(gate: Gate, tmp_path: Path, names: list[str]) -> list[TransferRequest]:
    """Objects named L… are LARGE bytes, the others 4 KiB; four "w" ones first, whose GETs
    pass the gate (``Gate.round_trip``)."""
    requests = []
    for name in [*(f"w{i}" for i in range(4)), *names]:
        body = bytes(LARGE if name.startswith("L") else 4096)
        etag = gate.put_object("bkt", name, body, content_md5="")
        requests.append(
            TransferRequest(
                Direction.DOWNLOAD, "c", "bkt", name, tmp_path / "out" / name, len(body), 0, etag
            )
        )
    return requests


def open_and_finish(gate: Gate, queue: TransferQueue, added: list[Transfer]) -> None:
    """Let every GET through; every transfer ends done."""
    gate.opened.set()
    assert queue.wait(added, timeout=60)
    assert {t.state for t in added} == {State.DONE}
    queue.shutdown()


def test_small_files_go_small_concurrency_at_once_from_a_far_server(
    gate: Gate, tmp_path: Path
) -> None:
    queue = queue_of(gate, tmp_path, concurrency=2, small=6)
    added = queue.add(downloads(gate, tmp_path, [f"s{i:02d}" for i in range(20)]))
    assert gate.wait_inside(6), "fewer than small_concurrency small files went at once"
    assert not gate.wait_inside(7, timeout=0.5), "more than small_concurrency went at once"
    open_and_finish(gate, queue, added)
    assert gate.most == 6


def test_small_files_from_a_near_server_keep_to_concurrency(gate: Gate, tmp_path: Path) -> None:
    """Beside the server, more at once would only wait for the interpreter lock."""
    gate.round_trip = 0.0
    queue = queue_of(gate, tmp_path, concurrency=2, small=6)
    added = queue.add(downloads(gate, tmp_path, [f"s{i:02d}" for i in range(20)]))
    assert gate.wait_inside(2)
    assert not gate.wait_inside(3, timeout=0.5), "more than concurrency went at once"
    open_and_finish(gate, queue, added)
    assert gate.most == 2


def test_large_files_keep_to_concurrency(gate: Gate, tmp_path: Path) -> None:
    queue = queue_of(gate, tmp_path, concurrency=2, small=6)
    added = queue.add(downloads(gate, tmp_path, [f"L{i}" for i in range(5)]))
    assert gate.wait_inside(2)
    assert not gate.wait_inside(3, timeout=0.5), "more large files than concurrency at once"
    open_and_finish(gate, queue, added)
    assert gate.most == 2


def test_workers_started_for_small_files_keep_large_ones_to_concurrency(
    gate: Gate, tmp_path: Path
) -> None:
    """Once the small files are done, the workers they had meet the large ones queued
    behind them: only ``concurrency`` of those begin."""
    gate.holds = lambda key: key.startswith("L")  # the small ones all pass, far away
    queue = queue_of(gate, tmp_path, concurrency=2, small=6)
    added = queue.add(downloads(gate, tmp_path, [*(f"s{i}" for i in range(12)), "L1", "L2", "L3"]))
    assert gate.wait_inside(2)
    assert not gate.wait_inside(3, timeout=0.5), "more large files than concurrency at once"
    open_and_finish(gate, queue, added)
    assert gate.most_large == 2


def test_small_files_queued_behind_a_waiting_large_one_wait_for_it(
    gate: Gate, tmp_path: Path
) -> None:
    """The order stays the queue's: a large file that waits for its turn is not overtaken
    by the small ones behind it."""
    queue = queue_of(gate, tmp_path, concurrency=2, small=6)
    names = ["L1", "L2", "L3", *(f"s{i}" for i in range(8))]
    added = queue.add(downloads(gate, tmp_path, names))
    assert gate.wait_inside(2)
    assert not gate.wait_inside(3, timeout=0.5), "something overtook the third large file"
    open_and_finish(gate, queue, added)
    assert set(gate.entered[:2]) == {"L1", "L2"}  # the first held
    assert gate.most_large == 2


def test_small_files_behind_a_large_one_get_their_workers(gate: Gate, tmp_path: Path) -> None:
    """The large file began with the one worker ``concurrency`` gives; the small ones
    behind it get theirs as soon as they are next and the server is known to be far,
    not when the large one ends."""
    queue = queue_of(gate, tmp_path, concurrency=1, small=5)
    added = queue.add(downloads(gate, tmp_path, ["L1", *(f"s{i}" for i in range(10))]))
    assert gate.wait_inside(5), "the small files waited for the large one to end"
    assert "L1" in gate.inside
    open_and_finish(gate, queue, added)


def test_without_small_concurrency_everything_keeps_to_concurrency(
    gate: Gate, tmp_path: Path
) -> None:
    queue = queue_of(gate, tmp_path, concurrency=3, small=0)
    added = queue.add(downloads(gate, tmp_path, [f"s{i}" for i in range(10)]))
    assert gate.wait_inside(3)
    assert not gate.wait_inside(4, timeout=0.5)
    open_and_finish(gate, queue, added)
    assert gate.most == 3


def test_small_means_one_request_of_at_most_a_mebibyte() -> None:
    from cloudbrowser.core.transfers import is_small

    def transfer(size: int, part_size: int = 0) -> Transfer:
        return Transfer(
            1, Direction.DOWNLOAD, "c", "b", "k", Path("k"), size, 0.0, part_size=part_size
        )

    assert is_small(transfer(0))
    assert is_small(transfer(SMALL_TRANSFER))
    assert not is_small(transfer(SMALL_TRANSFER + 1))
    assert not is_small(transfer(4096, part_size=4096))  # in parts: never small


def _cli_args(concurrency: int | None) -> argparse.Namespace:
    return argparse.Namespace(concurrency=concurrency, retries=None, part_size="", limit_rate="")


def test_the_cli_sends_more_small_files_at_once_unless_told_how_many() -> None:
    default = transfer_options(_cli_args(None))
    assert (default.concurrency, default.small_concurrency) == (FILES_AT_ONCE, SMALL_FILES_AT_ONCE)
    assert default.most_at_once == SMALL_FILES_AT_ONCE
    # -j N bounds every request: -j 1 moves one file, small or not, at a time.
    one = transfer_options(_cli_args(1))
    assert (one.concurrency, one.small_concurrency, one.part_concurrency) == (1, 1, 1)
    assert one.most_at_once == 1
