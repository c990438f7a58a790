"""The embedded local S3 server behind ``cloudbrowser --demo``, with sample data.

moto's ``ThreadedMotoServer`` runs on 127.0.0.1 (a free port) in a child process the app
starts and stops, so the demo needs no cloud account and no network. The sample data is
written straight into moto's in-memory backend rather than through HTTP: 50,000 objects
take about 1.5 s instead of minutes. Everything a user then does goes through real S3
requests, like any endpoint.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import StorageError
from cloudbrowser.flags import DEMO_SERVER_FLAG

#: Objects in the big folder of the demo (a listing of 50 pages).
BIG_FOLDER_COUNT = 50_000
BIG_FOLDER = "events/2024/"
REGION = "us-east-1"
#: The demo server's only key: it refuses any other (and any other secret), like a real server.
#: Long enough for servers that check (>= 14 chars).
DEMO_CREDENTIALS = Credentials("demo-access-key-id", "demo-secret-access-key")

_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEAYABgAAD/2wBDAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZG"
    "NywtQFdBRkxOUlNSMj5aYVpQYEpRUk//2wBDAQ4ODhMREyYVFSZPNS01T09PT09PT09PT09PT09PT09PT09PT09P"
    "T09PT09PT09PT09PT09PT09PT09PT09PT0//wAARCAAwAEADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAA"
    "AAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAk"
    "M2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKT"
    "lJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QA"
    "HwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdh"
    "cRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hp"
    "anN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk"
    "5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDVJphNBNMJr5mET3WITTCaUmmE11wiS2ITTCaUmmE12QiQ2ITT"
    "CaCaYTXXCJLZqE0wmlJphNeLCJq2ITVuW1jSzWURzybkDGVSNik9iMf1qiTViO7hgRjHAwlaMoWMmV5GCcY/rXbT"
    "ijOd+g5beCSwknG5GjXOTKp3HIGNvUfWs4mrYuoYoHWKBhJImxnaTI98DH9apE11wiSr63EJphNKTTCa64RE2aZN"
    "MJpSaYTXiwibNiE0wmlJqMmuuESGwJqMmlJphNdkIktiE0wmlJphNdcIkM//2Q=="
)
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAIAAADYYG7QAAAACXBIWXMAAA7EAAAOxAGVKw4bAAADEUlEQVRYR2PU"
    "bNjBwPifgeE/KsmAIYKpBijCANH1H2ICuiFwEagybBah62IaVK4BepBp0IQNKLiBocMySGIKHvvIITRg6QbuGmDo"
    "wNPQoHANMP1AQmigXANNN8jpGJiGBso1iFIDOR1j5jL6lDdYwgYSTljLITQ3Ub30wxcnLIRKZKq7BntMwWMNfwhR"
    "3TU4YwoeLnhCiOquIRA2+NPQwLgGXg7ROhUTFTa4QmjAwgacrtFr+wF2DVo5NPCuQU5DlLomQkdnorsXSmMG1p4k"
    "oqGIaFJCyiFKXQOzEqkIJss1kBAaRK5BtBhJbaXriYuV2VirCQl9//NnxtlTy69eBHqOlZm508nDSUHlxddPDYd3"
    "n33xmMh6Cb22J9U1Ytxcc/391ly7ajV/tu+KxZdePYd0OezkFI8+eWCxYPKs8yenugfysLHhTT3YuyJMpLoGaLGn"
    "qsr5F8833Lz259/fT79+XH39EpIQb797s+n2tb///22+c/XZ5482sgpkdIzA7SES+1OSvDyPP31E1QVKii++fIIL"
    "PvvyUYyLB0cI4e6mwZqw+BplmIY+//JZlo8fNYeD2lYSPLxwQUkevlffPmPzKj7XAKMLV/MDX19z2+2bhhKSfmoa"
    "LMyMfOwc2qLikChTFRL1UdFkYmLwUtaU4RU4+vQuhmcIuAboAWYRd38StIG7zN/+/Dr97HGGiXmZpX2ops6jT++v"
    "vH6hIyYOdBMwkNrsvbVExMsPbrz/6S16tGLps0P74NCkzPifUaNvHrHaMI0jt/RDi264a3BWrkQV9jRwDfbKlTjX"
    "oI2WkJxVIbkbOWwg9sKbsCSMmCD3fMkoi6EexuYaeAgR7xrCrXSkACacp5CrdohGROU6sDEFtx1tOAZPUiChXYwv"
    "TnHEFDzqie5K0yZPYSZB4rrSOCs7zLxGTrpBTi0Eu9J0iimiu9L0iili0hCR40aQWKM0pojIZXQPG3g5hC1hDpBr"
    "gMN5mLlsYGIKnIZAVmPksoELG8zBBprXU7hrJ0S0wEvqAY4pjFw20DGFXA4NipiChxAAi16aSt+e68gAAAAASUVO"
    "RK5CYII="
)


@dataclass(frozen=True)
class SampleObject:
    key: str
    body: bytes
    content_type: str
    age_days: float = 1.0
    storage_class: str | None = None


def sample_objects() -> dict[str, list[SampleObject]]:
    """Bucket name → its objects (the big folder and the versions are added separately)."""
    readme = b"Welcome to the cloudbrowser demo.\nEverything here lives on a local S3 server.\n"
    report = {"quarter": "Q1", "revenue": 1234567, "currency": "EUR", "regions": ["EU", "US"]}
    csv = "id,name,amount\n1,Alice,10.5\n2,Bob,7.25\n3,Zoë,99\n".encode()
    o = SampleObject
    return {
        "demo-documents": [
            o("README.txt", readme, "text/plain", 30),
            o(
                "reports/2024/Q1/summary.json",
                json.dumps(report, indent=2).encode(),
                "application/json",
                200,
            ),
            o("reports/2024/Q1/sales.csv", csv, "text/csv", 199),
            o(
                "reports/2024/Q2/summary.json",
                json.dumps({**report, "quarter": "Q2"}).encode(),
                "application/json",
                110,
            ),
            o("reports/2024/Q2/notes draft.txt", b"Numbers still moving.\n", "text/plain", 100),
            o(
                "reports/archive/2019/old/very/deep/folder/leaf.txt",
                b"Five levels down.\n",
                "text/plain",
                2000,
            ),
            o("Résumé – final.txt", "Curriculum vitæ\n".encode(), "text/plain; charset=utf-8", 12),
            o("日本語のファイル.txt", "こんにちは\n".encode(), "text/plain; charset=utf-8", 8),
            o("100% done #1 + more.txt", b"Names may contain % # + and spaces.\n", "text/plain", 5),
            o("a+b=c.csv", b"a,b,c\n1,2,3\n", "text/csv", 3),
            o(
                "archive/backup-2023.tar.gz",
                bytes(range(256)) * 64,
                "application/gzip",
                400,
                "GLACIER",
            ),
            o(
                "archive/cold-copy.bin",
                b"\0" * 4096,
                "application/octet-stream",
                500,
                "STANDARD_IA",
            ),
        ],
        "demo-photos": [
            o("2023/summer/beach.jpg", _JPEG, "image/jpeg", 500),
            o("2023/summer/sunset #2.jpg", _JPEG, "image/jpeg", 499),
            o("2024/winter/snow.png", _PNG, "image/png", 300),
            o("2024/winter/logo.png", _PNG, "image/png", 299),
            o("2024/index.json", b'{"albums": ["summer", "winter"]}', "application/json", 298),
        ],
        "demo-logs": [
            o(
                "README.txt",
                f"{BIG_FOLDER} holds {BIG_FOLDER_COUNT:,} small objects.\n".encode(),
                "text/plain",
                2,
            ),
        ],
    }


VERSIONED_BUCKET = "demo-versioned"


class DemoServer:
    """The demo S3 server, in a child process; ``start()`` then ``stop()``.

    moto is pure Python: serving a 1,000-key page is ~0.3 s of CPU. In the GUI's own process
    that CPU would compete with the GUI thread for the GIL and stall the window for hundreds
    of milliseconds, so the server (ThreadedMotoServer, seeded in-process with moto's
    backend) runs in a child process that exits when its stdin closes, i.e. with us.
    """

    def __init__(self, *, big_folder_count: int = BIG_FOLDER_COUNT) -> None:
        self.big_folder_count = big_folder_count
        self._process: subprocess.Popen[str] | None = None
        self.endpoint_url = ""
        self.seed_seconds = 0.0

    def start(self, timeout: float = 120.0) -> str:
        """Start the server and seed it; returns the endpoint URL. Raises StorageError."""
        self._process = subprocess.Popen(
            server_command(self.big_folder_count),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready = _read_line(self._process.stdout, timeout)
        if not ready.startswith("READY "):
            stderr = self._process.stderr
            # A child that crashed is exiting now: wait a moment for its traceback.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            exited = self._process.poll() is not None
            error = stderr.read() if exited and stderr is not None else ""
            self.stop()
            raise StorageError(
                "The demo server did not start.",
                hint="Reinstall with the demo extra: pip install 'cloudbrowser[demo]'.",
                detail=(ready + error)[-2000:],
            )
        _, self.endpoint_url, seconds = ready.split()
        self.seed_seconds = float(seconds)
        return self.endpoint_url

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if not self.endpoint_url:
            # Still seeding (the window was closed during start-up): it would read its
            # stdin only when done, so end it now rather than wait for that.
            process.kill()
        elif process.stdin is not None:
            process.stdin.close()  # the child exits on end of input
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(
            name="Demo (local S3)",
            endpoint_url=self.endpoint_url,
            region=REGION,
            addressing_style="path",
            max_attempts=2,
            # moto emulates Amazon S3: tags, versions and storage classes are all there.
            provider="aws",
        )


def server_command(big_folder_count: int) -> list[str]:
    """How to start the server's child process: ``python -m cloudbrowser.demo`` from an
    installation, the app's own executable with a hidden flag from a frozen build."""
    if getattr(sys, "frozen", False):
        return [sys.executable, DEMO_SERVER_FLAG, str(big_folder_count)]
    return [sys.executable, "-m", "cloudbrowser.demo", "--serve", str(big_folder_count)]


def _read_line(stream: IO[str], timeout: float) -> str:
    """One line from a child's stdout, or "" if none came within ``timeout`` seconds."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


def serve(big_folder_count: int) -> None:
    """The child process: start moto on a free port, seed it, say READY, serve until EOF."""
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request on stderr: noise for a desktop app.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    started = time.perf_counter()
    seed(big_folder_count)
    require_credentials(DEMO_CREDENTIALS)
    print(f"READY http://{host}:{port} {time.perf_counter() - started:.2f}", flush=True)
    sys.stdin.read()  # returns when the parent closes our stdin or dies
    server.stop()


def _backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.s3.models import s3_backends

    return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]


def seed(big_folder_count: int = BIG_FOLDER_COUNT) -> None:
    """Write the sample data into moto's in-process backend (bulk, no HTTP)."""
    backend = _backend()
    now = datetime.now(UTC).replace(tzinfo=None)  # moto keeps naive UTC times

    def put(bucket: str, obj: SampleObject) -> None:
        key = backend.put_object(bucket, obj.key, obj.body, storage=obj.storage_class)
        key.set_metadata({"Content-Type": obj.content_type})
        key.last_modified = now - timedelta(days=obj.age_days)

    for bucket, objects in sample_objects().items():
        backend.create_bucket(bucket, REGION)
        for obj in objects:
            put(bucket, obj)

    for i in range(big_folder_count):
        key = backend.put_object("demo-logs", f"{BIG_FOLDER}event-{i:06d}.log", b"x" * (i % 512))
        key.last_modified = now - timedelta(minutes=i)
    backend.put_object("demo-logs", f"{BIG_FOLDER}by-hour/summary.txt", b"hourly rollup\n")

    backend.create_bucket(VERSIONED_BUCKET, REGION)
    backend.put_bucket_versioning(VERSIONED_BUCKET, "Enabled")
    for n in range(1, 5):
        body = json.dumps({"version": n, "feature_flags": {"dark_mode": n % 2 == 0}}).encode()
        put(VERSIONED_BUCKET, SampleObject("config.json", body, "application/json", 10 - n))
    put(VERSIONED_BUCKET, SampleObject("deleted-later.txt", b"first\n", "text/plain", 9))
    put(VERSIONED_BUCKET, SampleObject("deleted-later.txt", b"second\n", "text/plain", 8))
    backend.delete_object(VERSIONED_BUCKET, "deleted-later.txt")  # leaves a delete marker
    put(VERSIONED_BUCKET, SampleObject("kept.txt", b"still here\n", "text/plain", 7))


#: What the demo key may do: everything, as the owner of an account may.
_ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def require_credentials(credentials: Credentials) -> None:
    """From now on moto checks each request's signature and key like a real server: a
    wrong key id answers InvalidAccessKeyId, a wrong secret SignatureDoesNotMatch (so
    "Test connection" with a mistyped secret fails in the demo too).

    moto's own IAM check (``INITIAL_NO_AUTH_ACTION_COUNT``) does this once the key exists
    in its IAM backend; the demo key gets a policy that allows everything.
    """
    from moto import settings
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.iam.models import iam_backends

    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    iam.create_user(REGION, "demo")
    key = iam.create_access_key("demo")
    key.access_key_id = credentials.access_key_id
    key.secret_access_key = credentials.secret_access_key
    iam.put_user_policy("demo", "everything", json.dumps(_ALLOW_ALL))
    _let_presigned_urls_through()
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0


def _let_presigned_urls_through() -> None:
    """moto's check reads the Authorization header and fails with a 500 on a request that
    has none: a share link (its signature is in the query) or an unsigned request. Those
    are left to moto's S3 rules (object ACLs) as before, so share links still open."""
    from moto.core.authorization import ActionAuthenticatorMixin

    check = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def header_signed_only(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if "Authorization" in self.headers:
            check(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = header_signed_only  # type: ignore[method-assign]


def serve_main(args: list[str]) -> int:
    """``[BIG_FOLDER_COUNT]``: run the server child (see ``server_command``)."""
    serve(int(args[0]) if args else BIG_FOLDER_COUNT)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        sys.exit(serve_main(sys.argv[2:]))
    else:
        sys.exit("usage: python -m cloudbrowser.demo --serve [BIG_FOLDER_COUNT]")
