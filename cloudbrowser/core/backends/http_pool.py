"""A lean HTTP/1.1 client on the standard library's sockets, for the backends' hot paths
(``*/fast.py``): a small file's whole transfer is one request, and what a request costs in
Python is what such a transfer costs.

Why not urllib3 (which the SDKs send through): measured on 2,000 GETs of 4 KiB from
``rclone serve s3``, the thread's CPU per request was 0.73–0.78 ms through urllib3's pool,
0.39–0.41 ms through ``http.client`` (its header parsing is the ``email`` package) and
0.19–0.20 ms over a socket with a parser of this size; signing is 0.02–0.04 ms. That CPU is
spent holding the interpreter lock the window and the other transfers wait for.

What it does, and no more, since every reply it cannot frame goes back to the SDK's own
path: persistent connections per host (a connection found closed by the server while idle is
not reused), TLS with the SDK's certificates, ``Content-Length``, chunked and
read-to-close bodies, interim 1xx replies skipped. No redirects, proxies, compression or
retries: the callers hand those to their SDK. A request's sending and its wait for the
reply's head can be broken off from another thread inside ``core/interrupt.stoppable``
(its socket is shut down: Cancelled), and a body's read by :meth:`Reply.shutdown`.
"""

from __future__ import annotations

import select
import socket
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.interrupt import breaking_off

if TYPE_CHECKING:
    import ssl

#: The longest status or header line read, and the most header lines (as http.client).
_MAX_LINE = 65536
_MAX_HEADERS = 100
#: What a reader's buffer holds: one read of a socket, most of a small file's reply.
_BUFFER = 64 * 1024
#: Methods a server may be sent twice with the same outcome (RFC 9110 §9.2.2).
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: A body this small goes out in the same send as the request's head.
_SMALL_BODY = 16 * 1024


# ── errors (what urllib3 would raise, so each backend maps them to its SDK's) ──────────


class HTTPError(Exception):
    """Any failure of the connection; a reply of any status is not one."""


class ConnectFailed(HTTPError):
    """No connection: the name does not resolve, or the address refuses."""


class ConnectTimedOut(HTTPError):
    """No connection within the connect timeout."""


class TLSFailed(HTTPError):
    """The TLS handshake failed (a certificate not trusted, a wrong host name…)."""


class ReadTimedOut(HTTPError):
    """The server said nothing for the read timeout."""


class ConnectionBroken(HTTPError):
    """The connection closed, reset or sent what is not HTTP before the reply ended."""


class ClosedUnanswered(ConnectionBroken):
    """The connection closed before a byte of the reply came."""


class BodyCutShort(ConnectionBroken):
    """The body ended before the length the reply declared."""

    def __init__(self, partial: int, expected: int) -> None:
        super().__init__(f"the body broke off after {partial} of {expected} bytes")
        self.partial, self.expected = partial, expected


# ── options ─────────────────────────────────────────────────────────────────────────


class Timeouts(NamedTuple):
    """Seconds to wait for a connection, and for each read of a reply (None: for ever)."""

    connect: float | None
    read: float | None


def tls_context(verify: bool, bundle: str | None = None) -> ssl.SSLContext:
    """The TLS context a pool wraps its sockets with: the SDK's certificates (``bundle``, a
    file or a folder of them; the system's where None), or none checked where the
    connection says not to verify (its choice, warned about by it)."""
    # Imported here: ssl costs a command's start-up ~15 ms, and plain-HTTP endpoints (a
    # local MinIO, the emulators) never need it.
    import ssl

    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if bundle and Path(bundle).is_dir():
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle or None)


class Headers(dict[str, str]):
    """A reply's headers: names looked up in any case (stored lowercase); a repeated
    header's values joined by ", " (as urllib3's ``HTTPHeaderDict.get`` gives them)."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return dict.__getitem__(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())


# ── pools ───────────────────────────────────────────────────────────────────────────


class Pools:
    """One :class:`HostPool` per scheme, host and port; shared by every thread.

    ``tls`` makes the TLS context of every HTTPS host (the system's certificates where
    None); it is called once, when the first HTTPS host is asked for. Not before: loading
    a certificate bundle costs ~10 ms, which a plain-HTTP endpoint never needs to pay."""

    def __init__(
        self,
        timeouts: Timeouts,
        *,
        tls: Callable[[], ssl.SSLContext] | None = None,
        maxsize: int = 10,
        user_agent: str = "",
    ) -> None:
        self._timeouts = timeouts
        self._make_tls = tls
        self._tls: ssl.SSLContext | None = None
        self._maxsize = maxsize
        self._user_agent = user_agent
        self._pools: dict[tuple[str, str, int], HostPool] = {}
        self._lock = threading.Lock()

    def to(self, scheme: str, host: str, port: int | None) -> HostPool:
        if scheme not in ("http", "https"):
            raise ValueError(f"not an HTTP URL scheme: {scheme!r}")
        port = port or (443 if scheme == "https" else 80)
        where = (scheme, host, port)
        pool = self._pools.get(where)
        if pool is None:
            with self._lock:
                pool = self._pools.get(where)
                if pool is None:
                    tls = None
                    if scheme == "https":
                        if self._tls is None:
                            self._tls = self._make_tls() if self._make_tls else tls_context(True)
                        tls = self._tls
                    pool = HostPool(
                        host, port, tls, self._timeouts, self._maxsize, self._user_agent
                    )
                    self._pools[where] = pool
        return pool

    def clear(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.clear()


class HostPool:
    """Idle connections to one host, the last one given back used first (the likeliest
    to be still open); any number open at once, at most ``maxsize`` kept idle."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: Any,
        timeouts: Timeouts,
        maxsize: int,
        user_agent: str,
    ) -> None:
        self.host, self.port = host, port
        self._tls = tls
        self._timeouts = timeouts
        self._maxsize = maxsize
        self._idle: deque[Connection] = deque()
        self._lock = threading.Lock()
        # A pool dropped with connections still idle closes them (as urllib3's does).
        weakref.finalize(self, _close_all, self._idle)
        shown = f"[{host}]" if ":" in host else host
        default = 443 if tls is not None else 80
        #: Host as http.client sends it: the port only when not the scheme's own.
        self.host_header = shown if port == default else f"{shown}:{port}"
        self._fixed = f"Host: {self.host_header}\r\n"
        if user_agent:
            self._fixed += f"User-Agent: {user_agent}\r\n"

    def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes = b"",
    ) -> Reply:
        """Send one request and read the head of its reply (any status); the body is read
        from the Reply. Raises HTTPError, Cancelled (a stop inside ``stoppable``)."""
        return Sent(self, method, self._head(method, target, headers, body), body).reply()

    def send(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes = b"",
    ) -> Sent:
        """Send one request and leave its reply unread: the server works on it while the
        caller does something else, and :meth:`Sent.reply` reads it (or :meth:`Sent.drop`
        drops it). Raises HTTPError, Cancelled."""
        sent = Sent(self, method, self._head(method, target, headers, body), body)
        sent.deliver()
        return sent

    def _head(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        lines = [f"{method} {target} HTTP/1.1\r\n", self._fixed]
        lines.extend(f"{name}: {value}\r\n" for name, value in headers.items())
        named = [name.lower() for name in headers]
        # The caller's own (GCS asks for "gzip", to read a compressed object as stored):
        # a second Accept-Encoding would leave it to the server which one counts.
        if "accept-encoding" not in named:
            lines.append("Accept-Encoding: identity\r\n")
        if body and "content-length" not in named:
            lines.append(f"Content-Length: {len(body)}\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def _take(self) -> Connection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return Connection(self)
            if connection.still_open():
                return connection
            connection.close()

    def give_back(self, connection: Connection) -> None:
        with self._lock:
            if len(self._idle) < self._maxsize:
                self._idle.append(connection)
                return
        connection.close()

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = list(self._idle), deque()
        for connection in idle:
            connection.close()

    def connect(self) -> socket.socket:
        timeouts = self._timeouts
        try:
            # typeshed says str; create_connection hands the host to getaddrinfo, which
            # takes bytes as well.
            address: Any = (_resolvable(self.host), self.port)
            sock = socket.create_connection(address, timeout=timeouts.connect)
        except TimeoutError as exc:
            raise ConnectTimedOut(f"{self.host_header}: no connection in time") from exc
        except OSError as exc:
            raise ConnectFailed(f"{self.host_header}: {exc}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._wrap(sock, self._tls)
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimedOut(f"{self.host_header}: no TLS handshake in time") from exc
        except OSError as exc:
            sock.close()
            raise ConnectFailed(f"{self.host_header}: {exc}") from exc
        sock.settimeout(timeouts.read)
        return sock

    def _wrap(self, sock: socket.socket, tls: ssl.SSLContext) -> socket.socket:
        """The TLS handshake; an ssl module error is a TLSFailed (ssl is loaded by then:
        the context came from it)."""
        import ssl

        try:
            return tls.wrap_socket(sock, server_hostname=self.host)
        except ssl.SSLError as exc:
            sock.close()
            raise TLSFailed(f"{self.host_header}: {exc}") from exc


def _resolvable(host: str) -> str | bytes:
    """``host`` as the resolver is given it: an ASCII name as its bytes. A str goes through
    the "idna" codec first, which gives an ASCII name back unchanged (a label over 63
    characters it refuses with a UnicodeError, the resolver with a failure to connect) and
    whose import costs every command ~2 ms of its start-up."""
    return host.encode("ascii") if host.isascii() else host


def _closed_unanswered(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection was closed or reset before any reply (not a
    timeout: a server that is slow to answer has the request)."""
    if isinstance(exc, ClosedUnanswered):
        return True
    return isinstance(exc, ConnectionResetError | BrokenPipeError)


def _close_all(idle: deque[Connection]) -> None:
    while idle:
        idle.pop().close()


# ── one connection and its replies ─────────────────────────────────────────────────


class Sent:
    """One request on a connection of its own: sent (or about to be), its reply's head
    not read yet."""

    def __init__(self, pool: HostPool, method: str, head: bytes, body: bytes) -> None:
        self._pool = pool
        self._method = method
        self._head = head
        self._body = body
        self._connection = pool._take()
        self._delivered = False

    def deliver(self) -> None:
        """Send the request now. Raises HTTPError, Cancelled."""
        self._go(read=False)

    def reply(self) -> Reply:
        """The reply's head (any status), the request sent first where it was not yet.
        Raises HTTPError, Cancelled."""
        reply = self._go(read=True)
        assert reply is not None
        return reply

    def drop(self) -> None:
        """Never read: its connection is closed (the server may still be writing to it)."""
        self._connection.close()

    def _go(self, *, read: bool) -> Reply | None:
        # Sending and the wait for the head in one block where both happen now: entering
        # breaking_off gives the transfer's turn up (core/cpu_turns), once per request.
        while True:
            connection = self._connection
            with breaking_off(connection.shut_down) as watch:
                try:
                    if not self._delivered:
                        body = self._body
                        if not body:
                            connection.send(self._head)
                        elif len(body) <= _SMALL_BODY:
                            connection.send(self._head + body)
                        else:
                            connection.send(self._head)
                            connection.send(body)
                        self._delivered = True
                    if not read:
                        return None
                    reply = connection.read_head(head_only=self._method == "HEAD")
                    connection.used = True
                    return reply
                except BaseException as exc:
                    connection.close()
                    if watch.fired:
                        raise Cancelled("Stopped.") from None
                    # A kept connection the server closed just as it was taken (its idle
                    # timeout): nothing was answered, so a request that may be sent twice
                    # goes once more, on a new connection, as browsers do.
                    if connection.used and self._method in _IDEMPOTENT and _closed_unanswered(exc):
                        self._connection = Connection(self._pool)
                        self._delivered = False
                        continue
                    host = self._pool.host_header
                    if isinstance(exc, HTTPError):
                        raise
                    if isinstance(exc, TimeoutError):
                        raise ReadTimedOut(f"no reply from {host} in time") from exc
                    if isinstance(exc, OSError):
                        raise ConnectionBroken(f"{host}: {exc}") from exc
                    raise


class Connection:
    """One socket to the pool's host; its buffered reader is the replies'."""

    def __init__(self, pool: HostPool) -> None:
        # Weakly: the pool holds its idle connections, and a pool no one uses any more
        # must be collected (its finalizer closes them).
        self._pool = weakref.ref(pool)
        self.host_header = pool.host_header
        #: Whether a reply came on it already: a kept connection, which the server may
        #: have closed meanwhile.
        self.used = False
        self.sock: socket.socket | None = pool.connect()
        self._file = self.sock.makefile("rb", buffering=_BUFFER)

    def give_back(self) -> None:
        """Kept for the next request to its host, or closed where its pool is gone."""
        pool = self._pool()
        if pool is None:
            self.close()
        else:
            pool.give_back(self)

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)

    def still_open(self) -> bool:
        """False when the server closed this idle connection (or sent something unasked):
        its socket reads as ready. Checked before a connection is used again."""
        sock = self.sock
        if sock is None:
            return False
        try:
            if hasattr(select, "poll"):  # select() cannot watch a descriptor past 1023
                poller = select.poll()
                poller.register(sock, select.POLLIN)
                return not poller.poll(0)
            return not select.select([sock], [], [], 0)[0]
        except (OSError, ValueError):
            return False

    def read_head(self, *, head_only: bool) -> Reply:
        fp = self._file
        while True:
            line = fp.readline(_MAX_LINE + 1)
            if not line:
                raise ClosedUnanswered(f"{self.host_header} closed the connection")
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or len(line) > _MAX_LINE:
                raise ConnectionBroken(f"not an HTTP reply: {line[:80]!r}")
            try:
                status = int(parts[1])
            except ValueError:
                raise ConnectionBroken(f"not an HTTP status: {line[:80]!r}") from None
            reason = parts[2].strip().decode("latin-1") if len(parts) > 2 else ""
            headers = self._read_headers()
            if 100 <= status < 200 and status != 101:
                continue  # an interim reply (100 Continue…): the real one follows
            break
        keep = parts[0] == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
        if head_only or status in (204, 304) or 100 <= status < 200:
            length: int | None = 0
            chunked = False
        else:
            chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            declared = headers.get("content-length", "")
            if chunked:
                length = None
            elif declared.isdigit():
                length = int(declared)
            elif declared:
                raise ConnectionBroken(f"a Content-Length that is no number: {declared!r}")
            else:
                length, keep = None, False  # read to the connection's end
        return Reply(self, status, reason, headers, length, chunked=chunked, reusable=keep)

    def _read_headers(self) -> Headers:
        headers = Headers()
        last = ""
        for _ in range(_MAX_HEADERS + 1):
            line = self._file.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                raise ConnectionBroken("a header line is too long")
            if line in (b"\r\n", b"\n"):
                return headers
            if not line:
                raise ConnectionBroken("the connection closed inside a reply's head")
            text = line.decode("latin-1")
            if text[0] in " \t" and last:  # an obsolete folded line: part of the last
                headers[last] = f"{dict.__getitem__(headers, last)} {text.strip()}"
                continue
            name, colon, value = text.partition(":")
            if not colon:
                raise ConnectionBroken(f"not a header line: {text[:80]!r}")
            last = name.strip().lower()
            value = value.strip()
            seen = dict.get(headers, last)
            headers[last] = value if seen is None else f"{seen}, {value}"
        raise ConnectionBroken(f"more than {_MAX_HEADERS} header lines")

    def read(self, amount: int) -> bytes:
        data: bytes = self._file.read(amount)
        return data

    def readline(self) -> bytes:
        return self._file.readline(_MAX_LINE + 1)

    def shut_down(self) -> None:
        """Break off a send or a read blocked in another thread (the socket stays open
        until its owner closes it)."""
        sock = self.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            self._file.close()
            sock.close()

    def __del__(self) -> None:
        # A reply dropped unread (its reader never closed) still closes its socket.
        if getattr(self, "sock", None) is not None:
            self.close()


class Reply:
    """A reply's status, headers and body, read on demand. Read to its end, its
    connection goes back to the pool by itself; :meth:`close` drops it instead."""

    def __init__(
        self,
        connection: Connection,
        status: int,
        reason: str,
        headers: Headers,
        length: int | None,
        *,
        chunked: bool,
        reusable: bool,
    ) -> None:
        self.connection: Connection | None = connection
        self.status, self.reason, self.headers = status, reason, headers
        #: The body's declared length, or None (chunked, or to the connection's end).
        self._length = length
        self._received = 0
        self._chunked = chunked
        self._chunk_left = 0
        self._reusable = reusable
        self._done = length == 0
        if self._done:
            self._finish()

    def read(self, amount: int | None = None) -> bytes:
        """Up to ``amount`` bytes of the body (all that is left when None); b"" at its end.
        Raises BodyCutShort, ConnectionBroken, ReadTimedOut."""
        if self._done:
            return b""
        connection = self.connection
        if connection is None:
            raise ConnectionBroken("the reply was closed")
        if amount is not None and amount < 0:
            amount = None  # as a file's read(-1)
        try:
            if self._chunked:
                data = self._read_chunked(connection, amount)
            elif self._length is None:
                data = connection.read(-1 if amount is None else amount)
                self._done = not data or amount is None
            else:
                left = self._length - self._received
                want = left if amount is None or amount > left else amount
                data = connection.read(want)
                if len(data) < want:
                    self.close()
                    raise BodyCutShort(self._received + len(data), self._length)
                self._done = len(data) == left
        except TimeoutError as exc:
            self.close()
            raise ReadTimedOut("the server stopped sending in the middle of a reply") from exc
        except (OSError, ValueError) as exc:
            self.close()
            raise ConnectionBroken(f"the connection broke in the middle of a reply: {exc}") from exc
        self._received += len(data)
        if self._done:
            self._finish()
        return data

    def _read_chunked(self, connection: Connection, amount: int | None) -> bytes:
        pieces: list[bytes] = []
        wanted = -1 if amount is None else amount
        while wanted != 0:
            if self._chunk_left == 0:
                line = connection.readline()
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise ConnectionBroken(f"not a chunk size: {line[:40]!r}") from None
                if size == 0:
                    while connection.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    self._done = True
                    break
                self._chunk_left = size
            take = self._chunk_left if wanted < 0 else min(wanted, self._chunk_left)
            data = connection.read(take)
            if len(data) < take:
                self.close()
                raise ConnectionBroken("the body broke off inside a chunk")
            pieces.append(data)
            self._chunk_left -= take
            if wanted > 0:
                wanted -= take
            if self._chunk_left == 0 and connection.readline() not in (b"\r\n", b"\n"):
                raise ConnectionBroken("a chunk does not end where its size says")
        return b"".join(pieces)

    def stream(self, amount: int) -> Iterator[bytes]:
        while True:
            data = self.read(amount)
            if not data:
                return
            yield data

    def _finish(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        if self._reusable:
            connection.give_back()
        else:
            connection.close()

    def release(self) -> None:
        """Done with this reply: its connection goes back to the pool where the body was
        read to its end, else it is closed (unread bytes must not reach the next reply)."""
        if self._done:
            self._finish()
        else:
            self.close()

    def close(self) -> None:
        connection, self.connection = self.connection, None
        self._done = True
        if connection is not None:
            connection.close()

    def shutdown(self) -> None:
        """Break off a read blocked in another thread, at once (see S3Reader.abort)."""
        connection = self.connection
        if connection is not None:
            connection.shut_down()


def read_reply(reply: Reply, amount: int) -> bytes:
    """Up to ``amount`` bytes of a reply's body (a PUT's short answer), read on this
    thread: inside ``core/interrupt.stoppable`` a stop shuts the socket down and the read
    raises Cancelled, also where the body would have ended without an error."""
    connection = reply.connection
    with breaking_off(connection.shut_down if connection else lambda: None) as watch:
        try:
            data = reply.read(amount)
        except HTTPError:
            if watch.fired:
                raise Cancelled("Stopped.") from None
            raise
    if watch.fired:
        reply.close()
        raise Cancelled("Stopped.")
    return data


def whole_reply(reply: Reply, amount: int) -> bytes | None:
    """A short reply's whole body (up to ``amount`` bytes: a PUT's or an upload's answer),
    read as :func:`read_reply` reads it, its connection then given back for reuse; None when
    the body broke off (the request is the SDK's to ask again). Raises Cancelled."""
    try:
        data = read_reply(reply, amount)
    except HTTPError:
        reply.close()
        return None
    except Cancelled:
        reply.close()
        raise
    reply.release()
    return data
