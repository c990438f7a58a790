"""urllib3 connections whose wait for a reply can be broken off from another thread, for
the backends' own GET paths (``*/fast.py``): inside ``core/interrupt.stoppable`` a read
then runs on the transfer's own thread, with no runner thread and no hand-over per
request (``Features.stoppable_reads``); a pause or cancel shuts the socket down."""

from __future__ import annotations

import socket
from typing import Any

import urllib3
import urllib3.connection

from cloudbrowser.core.errors import Cancelled
from cloudbrowser.core.interrupt import breaking_off


class _BreakableReplies:
    """A connection whose sending of a request (a PUT's body to a server that reads none)
    and wait for the reply's head can be broken off from another thread
    (:func:`~cloudbrowser.core.interrupt.breaking_off`): its socket is shut down, the wait
    ends at once and raises Cancelled, and the connection is discarded, not reused. The
    body is broken off the same way by the reader's ``abort``."""

    sock: Any

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with breaking_off(self._shut_down) as watch:
            try:
                return super().request(*args, **kwargs)  # type: ignore[misc]
            except Exception:
                if watch.fired:
                    raise Cancelled("Stopped.") from None
                raise

    def getresponse(self) -> Any:
        with breaking_off(self._shut_down) as watch:
            try:
                return super().getresponse()  # type: ignore[misc]
            except Exception:
                if watch.fired:
                    raise Cancelled("Stopped.") from None
                raise

    def _shut_down(self) -> None:
        sock = self.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)


def read_reply(response: Any, amount: int) -> bytes:
    """Up to ``amount`` bytes of a reply's body (a PUT's short answer), read on this
    thread: inside ``core/interrupt.stoppable`` a stop shuts the socket down and the read
    raises Cancelled, also where the body would have ended without an error."""
    connection = getattr(response, "connection", None)
    shut_down = getattr(connection, "_shut_down", None)
    with breaking_off(shut_down or (lambda: None)) as watch:
        try:
            data: bytes = response.read(amount, decode_content=False) or b""
        except Exception:
            if watch.fired:
                raise Cancelled("Stopped.") from None
            raise
    if watch.fired:
        raise Cancelled("Stopped.")
    return data


def whole_reply(response: Any, amount: int) -> bytes | None:
    """A short reply's whole body (up to ``amount`` bytes: a PUT's or an upload's answer),
    read as :func:`read_reply` reads it, its connection then given back for reuse; None when
    the body broke off (the connection is closed: the request is the SDK's to ask again).
    Raises Cancelled, its connection closed (its socket is shut: never reused)."""
    try:
        data = read_reply(response, amount)
    except urllib3.exceptions.HTTPError:
        response.close()
        return None
    except Cancelled:
        response.close()
        raise
    response.release_conn()
    return data


class _BreakableHTTPConnection(_BreakableReplies, urllib3.connection.HTTPConnection):
    pass


class _BreakableHTTPSConnection(_BreakableReplies, urllib3.connection.HTTPSConnection):
    pass


class _BreakableHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _BreakableHTTPConnection


class _BreakableHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _BreakableHTTPSConnection


#: A PoolManager's ``pool_classes_by_scheme`` for connections a stop breaks off.
BREAKABLE_POOLS: dict[str, type[urllib3.HTTPConnectionPool]] = {
    "http": _BreakableHTTPPool,
    "https": _BreakableHTTPSPool,
}
