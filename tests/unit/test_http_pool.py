"""backends/http_pool.py, the HTTP/1.1 client of the hot paths, against a scripted server
on 127.0.0.1: every framing of a body a server may choose, connections reused only when
that is safe, and each failure raised as the error the backends translate."""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from cloudbrowser.core.backends import http_pool
from cloudbrowser.core.backends.http_pool import Pools, Timeouts


@dataclass
class Script:
    """What the server answers, one reply per request, in order; ``close_after`` holds the
    numbers of the replies after which it closes the connection."""

    replies: list[bytes]
    close_after: set[int] = field(default_factory=set)
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    #: Set when the server has closed a connection.
    closed: threading.Event = field(default_factory=threading.Event)


def _read_request(conn: socket.socket, buffered: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buffered:
        data = conn.recv(65536)
        if not data:
            return None
        buffered += data
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None
        rest += data
    buffered[:] = rest[length:]
    return head + b"\r\n\r\n" + rest[:length]


@pytest.fixture
def server() -> Iterator[tuple[Script, int]]:
    script = Script([])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    lock = threading.Lock()
    stopped = threading.Event()
    opened: list[socket.socket] = []

    def serve(conn: socket.socket) -> None:
        try:
            answer(conn)
        finally:
            conn.close()
            script.closed.set()

    def answer(conn: socket.socket) -> None:
        buffered = bytearray()
        while True:
            try:
                request = _read_request(conn, buffered)
            except OSError:
                return  # closed by the fixture's end
            if request is None:
                return
            with lock:
                script.requests.append(request)
                number = len(script.requests) - 1
                reply = script.replies[number] if number < len(script.replies) else b""
            try:
                conn.sendall(reply)
            except OSError:
                return
            if number in script.close_after or not reply:
                return

    def accept() -> None:
        while not stopped.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with lock:
                script.connections += 1
                opened.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield script, port
    finally:
        stopped.set()
        listener.close()
        for conn in opened:
            conn.close()


def _pool(port: int, read: float = 5.0) -> http_pool.HostPool:
    return Pools(Timeouts(5.0, read), user_agent="cloudbrowser-test").to("http", "127.0.0.1", port)


def test_a_length_framed_reply_is_read_and_its_connection_used_again(
    server: tuple[Script, int],
) -> None:
    script, port = server
    script.replies = [b'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: "x"\r\n\r\nhello'] * 2
    pool = _pool(port)
    first = pool.request("GET", "/b/k", {"Range": "bytes=0-"})
    assert first.status == 200
    assert first.headers.get("etag") == '"x"'
    assert first.headers["ETAG"] == '"x"'
    assert "Content-Length" in first.headers
    assert first.read(2) == b"he"
    assert first.read() == b"llo"
    assert first.read() == b""
    second = pool.request("PUT", "/b/k", {}, b"body")
    assert second.read() == b"hello"
    assert script.connections == 1
    sent = script.requests[0].decode()
    assert sent.startswith("GET /b/k HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{port}\r\n" in sent
    assert "User-Agent: cloudbrowser-test\r\n" in sent
    assert "Range: bytes=0-\r\n" in sent
    assert script.requests[1].endswith(b"Content-Length: 4\r\n\r\nbody")


def test_a_chunked_reply_is_joined_and_its_trailers_skipped(server: tuple[Script, int]) -> None:
    script, port = server
    script.replies = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;name=value\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Trailer: yes\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ]
    pool = _pool(port)
    reply = pool.request("GET", "/", {})
    assert reply.read(3) == b"wik"
    assert reply.read() == b"ipedia"
    assert pool.request("GET", "/", {}).read() == b"ok"
    assert script.connections == 1


def test_a_reply_framed_by_the_connections_end_is_read_to_it_and_not_reused(
    server: tuple[Script, int],
) -> None:
    script, port = server
    script.replies = [b"HTTP/1.1 200 OK\r\n\r\nuntil the end", b"HTTP/1.1 204 No Content\r\n\r\n"]
    script.close_after = {0}
    pool = _pool(port)
    assert b"".join(pool.request("GET", "/", {}).stream(4)) == b"until the end"
    assert pool.request("DELETE", "/", {}).status == 204
    assert script.connections == 2


def test_folded_and_repeated_headers_and_an_interim_reply(server: tuple[Script, int]) -> None:
    script, port = server
    script.replies = [
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nX-Meta: one\r\nX-Meta: two\r\nX-Long: first\r\n"
        b"  second\r\nContent-Length: 0\r\n\r\n"
    ]
    reply = _pool(port).request("PUT", "/", {}, b"x")
    assert reply.status == 201
    assert reply.reason == "Created"
    assert reply.headers.get("x-meta") == "one, two"
    assert reply.headers.get("X-Long") == "first second"
    assert reply.read() == b""


def test_a_head_reply_has_no_body_whatever_its_length_says(server: tuple[Script, int]) -> None:
    script, port = server
    script.replies = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz",
    ]
    pool = _pool(port)
    head = pool.request("HEAD", "/", {})
    assert head.headers.get("content-length") == "1000"
    assert head.read() == b""
    assert pool.request("GET", "/", {}).read() == b"z"
    assert script.connections == 1


def test_a_body_cut_short_says_how_much_came_and_drops_the_connection(
    server: tuple[Script, int],
) -> None:
    script, port = server
    script.replies = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        b"HTTP/1.1 204 -\r\n\r\n",
    ]
    script.close_after = {0}
    pool = _pool(port)
    reply = pool.request("GET", "/", {})
    with pytest.raises(http_pool.BodyCutShort) as cut:
        reply.read(100)
    assert (cut.value.partial, cut.value.expected) == (3, 10)
    assert isinstance(cut.value, http_pool.ConnectionBroken)
    assert pool.request("GET", "/", {}).status == 204
    assert script.connections == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_connection_the_server_closed_while_idle_is_not_used_again(
    server: tuple[Script, int], method: str
) -> None:
    script, port = server
    script.replies = [b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"] * 2
    script.close_after = {0}  # after the reply, as a server's idle timeout does
    pool = _pool(port)
    assert pool.request("GET", "/", {}).read() == b"a"
    assert script.closed.wait(5)  # the first connection, back in the pool meanwhile
    # Looked at before it is used again: found closed, never sent on (a POST must not
    # be sent twice, so it could not be asked again on a new connection).
    assert pool.request(method, "/", {}, b"x" if method == "POST" else b"").read() == b"a"
    assert script.connections == 2
    assert len(script.requests) == 2, "the closed connection was never answered"


def test_a_kept_connection_closed_unanswered_is_asked_once_more_on_a_new_one(
    server: tuple[Script, int],
) -> None:
    script, port = server
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    # The second request's connection closes with no reply, as a server's idle timeout
    # closes one just as it is taken.
    script.replies = [ok, b"", ok, ok, b""]
    pool = _pool(port)
    assert pool.request("GET", "/", {}).read() == b"ok"
    assert pool.request("PUT", "/", {}, b"x").read() == b"ok"
    assert script.connections == 2
    # Not a request that must not be sent twice.
    assert pool.request("GET", "/", {}).read() == b"ok"
    with pytest.raises(http_pool.ConnectionBroken):
        pool.request("POST", "/", {}, b"x")
    assert script.connections == 2


def test_a_reply_left_unread_is_not_reused(server: tuple[Script, int]) -> None:
    script, port = server
    script.replies = [
        b"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nbad!",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ]
    pool = _pool(port)
    pool.request("GET", "/", {}).release()
    assert pool.request("GET", "/", {}).read() == b"ok"
    assert script.connections == 2


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
    ],
)
def test_what_is_not_http_is_a_broken_connection(server: tuple[Script, int], reply: bytes) -> None:
    script, port = server
    script.replies = [reply]
    with pytest.raises(http_pool.ConnectionBroken):
        _pool(port).request("GET", "/", {})


def test_a_server_that_closes_without_a_reply_is_a_broken_connection(
    server: tuple[Script, int],
) -> None:
    script, port = server
    script.replies = [b""]
    with pytest.raises(http_pool.ConnectionBroken):
        _pool(port).request("GET", "/", {})


def test_no_reply_in_time_is_a_read_timeout(server: tuple[Script, int]) -> None:
    script, port = server
    script.replies = [b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nfour"]
    reply = _pool(port, read=0.3).request("GET", "/", {})
    with pytest.raises(http_pool.ReadTimedOut):
        reply.read()


def test_a_reply_whose_head_never_ends_is_a_read_timeout(server: tuple[Script, int]) -> None:
    script, port = server
    script.replies = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"]  # and then nothing
    with pytest.raises(http_pool.ReadTimedOut):
        _pool(port, read=0.3).request("GET", "/", {})
    assert len(script.requests) == 1, "a timeout is not a closed connection: never resent"


def test_a_refused_address_is_no_connection_not_a_timeout() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with pytest.raises(http_pool.ConnectFailed):
        _pool(port).request("GET", "/", {})


def test_an_ipv6_host_is_bracketed_in_the_host_header() -> None:
    pool = Pools(Timeouts(1, 1)).to("https", "::1", 8443)
    assert pool.host_header == "[::1]:8443"
    assert Pools(Timeouts(1, 1)).to("https", "example.test", 443).host_header == "example.test"


def test_a_pool_no_one_holds_closes_its_idle_connections(server: tuple[Script, int]) -> None:
    script, port = server
    script.replies = [b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"]
    pools = Pools(Timeouts(5.0, 5.0))
    pool = pools.to("http", "127.0.0.1", port)
    assert pool.request("GET", "/", {}).read() == b"a"
    sock = pool._idle[-1].sock
    assert sock is not None and sock.fileno() >= 0
    del pools, pool
    gc.collect()
    assert sock.fileno() == -1
