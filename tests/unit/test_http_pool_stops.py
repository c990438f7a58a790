"""backends/http_pool.py: a request sent on the transfer's own thread (a small file's PUT,
``Features.stoppable_puts``) is broken off by a stop while its *body* is still being sent,
not only while its reply is awaited: a server that accepts the connection and reads
nothing holds the send until the socket's timeout otherwise."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from cloudbrowser.core.backends.http_pool import Pools, Timeouts
from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.interrupt import Interrupts, stoppable

#: Far more than loopback's socket buffers hold, so the send blocks.
BODY = b"z" * (64 << 20)
#: The socket timeout a stop must not wait for.
TIMEOUT = 20.0


@pytest.fixture
def deaf_server() -> Iterator[tuple[tuple[str, int], threading.Event]]:
    """A server on 127.0.0.1 that accepts connections and never reads a byte; the event
    is set once a connection came."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    accepted: list[socket.socket] = []
    came = threading.Event()

    def accept() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # closed by the fixture's end
        accepted.append(conn)
        came.set()

    threading.Thread(target=accept, daemon=True).start()
    host, port = listener.getsockname()[:2]
    try:
        yield (host, port), came
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def test_a_stop_breaks_off_a_request_whose_body_the_server_does_not_read(
    deaf_server: tuple[tuple[str, int], threading.Event],
) -> None:
    (host, port), came = deaf_server
    pool = Pools(Timeouts(connect=TIMEOUT, read=TIMEOUT)).to("http", host, port)
    interrupts, stop = Interrupts(), threading.Event()
    outcome: list[BaseException] = []
    ended = threading.Event()

    def put() -> None:
        try:
            with stoppable(interrupts, stop):
                pool.request("PUT", "/bucket/key", {}, BODY)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            ended.set()

    threading.Thread(target=put, daemon=True).start()
    assert came.wait(10), "the request never connected"
    assert not ended.wait(0.5), "the send ended although nothing was read"
    started = time.monotonic()
    stop.set()
    interrupts.fire()
    assert ended.wait(TIMEOUT + 5)
    took = time.monotonic() - started
    assert took < 3.0, f"the stop took {took:.1f} s: the send waited for its timeout"
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled), outcome
