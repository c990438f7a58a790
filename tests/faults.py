"""Real network faults for tests: an S3 proxy that denies chosen buckets, a silent server.

``DenyingProxy`` (a :class:`~tests.hostile.HostileS3` with one rule) forwards every request
to an upstream S3 server (moto) over HTTP, except
requests for the buckets it is told to deny, which get a genuine S3 ``AccessDenied`` XML
reply with status 403: botocore parses it exactly as it would one from AWS. moto does not
enforce bucket policies, so this is how "access denied on one bucket" is produced.
"""

from __future__ import annotations

import socket
from types import TracebackType

from tests.hostile import Forward, HostileS3, Reply, Request

_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message><RequestId>FAULT0001</RequestId></Error>"
)


class DenyingProxy(HostileS3):
    """``status=200`` sends the error with a 200 status, as S3 itself sometimes does."""

    def __init__(self, upstream: str, denied_buckets: set[str], status: int = 403) -> None:
        super().__init__(upstream)

        @self.rule
        def deny(request: Request, _forward: Forward) -> Reply | None:
            if request.bucket not in denied_buckets:
                return None
            return Reply(status, {"Content-Type": "application/xml"}, _DENIED)


class SilentServer:
    """Accepts TCP connections and never answers: every request ends in a read timeout."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._sock.close()
