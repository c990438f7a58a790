"""One window per user and config dir: a second start hands its request to the first.

The first window listens on a local socket (``QLocalServer``: a Unix socket, a named pipe on
Windows) named after the user and the config dir, so that two users, or two portable
installs with their own config dirs, never meet. A second ``cloudbrowser`` start connects,
sends what it was asked to open (a saved connection, a location) as one JSON line, waits
for ``ok`` and exits; the first window opens it and comes to the front. Both would
otherwise show the same journal's transfers and could resume the same one twice.

A crashed window leaves its socket file behind (Unix): nobody answers on it, so the next
start removes it and listens itself. Only a start that names a connection by its secret
(``--access-key-id`` with the secret in the environment) or brings its own server
(``--demo``) opens a window of its own: a secret never travels between processes.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from cloudbrowser.core.paths import config_dir

log = logging.getLogger(__name__)

#: How long a second start waits for the first window to answer.
HAND_OFF_TIMEOUT_MS = 3000
#: A request longer than this is not one of ours.
_MAX_REQUEST = 64 * 1024
_OK = b"ok\n"


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """What a second start asks the running window to open ("" for: just come forward)."""

    connection: str = ""
    location: str = ""

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes) -> OpenRequest:
        """Raises ValueError for anything that is not a request."""
        data = json.loads(line.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a request")
        values = {k: data.get(k, "") for k in ("connection", "location")}
        if not all(isinstance(v, str) for v in values.values()):
            raise ValueError("not a request")
        return cls(**values)


def server_name(folder: Path | None = None) -> str:
    """The socket's name for this user and config dir (short: Unix socket paths are)."""
    folder = folder or config_dir()
    digest = hashlib.sha256(f"{getpass.getuser()}\0{folder.resolve()}".encode()).hexdigest()
    return f"cloudbrowser-{digest[:24]}"


class InstanceGuard(QObject):
    """Signals:
    requested(object): an :class:`OpenRequest` from a second start (on the GUI thread).
    """

    requested = Signal(object)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server: QLocalServer | None = None

    # ── the second start ────────────────────────────────────────────────────────────────

    def hand_off(self, request: OpenRequest, timeout_ms: int = HAND_OFF_TIMEOUT_MS) -> bool:
        """Give ``request`` to the running window; True if it took it (then exit).

        Waits in a local event loop, not in QLocalSocket's blocking calls: those hold
        Python's GIL, and the window answering may be this very process (tests)."""
        socket = QLocalSocket()
        loop = QEventLoop()
        answer = bytearray()

        def read() -> None:
            answer.extend(bytes(socket.readAll().data()))
            if b"\n" in answer or len(answer) > len(_OK):
                loop.quit()

        socket.connected.connect(lambda: socket.write(request.encode()))
        socket.readyRead.connect(read)
        # Nobody listens, or a stale socket file of a crashed window: an error at once.
        socket.errorOccurred.connect(loop.quit)
        socket.disconnected.connect(loop.quit)
        timer = QTimer(singleShot=True, interval=timeout_ms)
        timer.timeout.connect(loop.quit)
        timer.start()
        socket.connectToServer(self.name)
        if socket.state() is not QLocalSocket.LocalSocketState.UnconnectedState:
            loop.exec()
        timer.stop()
        socket.abort()
        if bytes(answer) != _OK:
            if answer:
                log.warning("the running window did not take the request (%r)", bytes(answer))
            return False
        return True

    def hand_off_or_listen(self, request: OpenRequest) -> bool:
        """True: a running window took ``request`` (exit now). False: this is the first
        window (listening from now on, if it can)."""
        if self.hand_off(request):
            return True
        if self._listen():
            return False
        # Someone took the name between our hand-off and our listen (two starts at once):
        # hand it to that one. Nobody there: a crashed window's socket, remove it.
        if self.hand_off(request):
            return True
        QLocalServer.removeServer(self.name)
        self._listen()
        return False

    # ── the first window ────────────────────────────────────────────────────────────────

    def listen(self) -> bool:
        """Become the window that second starts hand their requests to. A socket left by
        a crashed window is removed first; False only if listening is impossible (the
        app then runs on alone)."""
        if self._listen():
            return True
        # The name is taken but nobody answered hand_off(): a crashed window's file.
        QLocalServer.removeServer(self.name)
        return self._listen()

    def _listen(self) -> bool:
        server = QLocalServer(self)
        # Only this user may connect (the socket file's mode on Unix, the pipe's ACL).
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            log.info("single instance: %s: %s", self.name, server.errorString())
            server.deleteLater()
            return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @Slot()
    def _on_connection(self) -> None:
        server = self._server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            socket.setParent(self)
            buffer = bytearray()

            def read(socket: QLocalSocket = socket, buffer: bytearray = buffer) -> None:
                buffer += bytes(socket.readAll().data())
                if b"\n" not in buffer and len(buffer) < _MAX_REQUEST:
                    return
                socket.readyRead.disconnect()
                self._answer(socket, bytes(buffer).split(b"\n", 1)[0])

            socket.readyRead.connect(read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                read()

    def _answer(self, socket: QLocalSocket, line: bytes) -> None:
        try:
            request = OpenRequest.decode(line)
        except ValueError:
            log.warning("single instance: ignored a message that is not a request")
            socket.disconnectFromServer()
            return
        socket.write(_OK)
        socket.flush()
        self.requested.emit(request)
