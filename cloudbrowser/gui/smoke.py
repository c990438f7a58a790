"""``cloudbrowser --smoke-test``: does this installation (or frozen bundle) really work?

Offscreen, in throw-away config/data/cache/log dirs (the user's settings, journal and
keyring are never touched), it goes through what a user does first: the main window opens
on the embedded demo server, lists a bucket, uploads one file and downloads it back through
the real TransferController and queue, and compares the bytes. It also reports which
keyring backend resolved. One line per step on stdout; exit 0 only if every step passed.

Each step waits on the event loop with its own deadline, so the test is bounded in time
(about 10 s when it works; ``TOTAL_TIMEOUT_S`` at worst) and never hangs a build.

The keyring: a frozen bundle that misses a backend silently resolves keyring's "fail"
backend, and every secret becomes session-only. The build script therefore passes what the
unfrozen app resolved in ``CLOUDBROWSER_SMOKE_EXPECT_KEYRING``; resolving no usable backend
where that one was usable fails the test.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Set by the build script: the backend the unfrozen app resolves on this machine.
EXPECT_KEYRING_ENV = "CLOUDBROWSER_SMOKE_EXPECT_KEYRING"
#: "1": also store, read back and delete a throw-away secret (service
#: ``cloudbrowser-smoke-test``) — proof that the bundled backend really talks to the
#: keyring. Opt-in: it writes to the keyring of whoever runs it, and may ask to unlock it.
KEYRING_WRITE_ENV = "CLOUDBROWSER_SMOKE_KEYRING_WRITE"
#: A demo with a small big folder: seeding 50,000 objects would only slow the test down.
DEMO_OBJECTS = 200
BUCKET = "demo-documents"
PREFIX = "smoke-test/"
#: Above the part size set below: the file goes up in 3 parts and comes back in ranges,
#: the paths a frozen build is likeliest to break (threads, hashlib, ranged GETs).
PART_SIZE_MIB = 5
PAYLOAD_BYTES = 11 * 1024 * 1024
STEP_TIMEOUT_S = 60.0
TOTAL_TIMEOUT_S = 150.0


class StepFailed(Exception):
    pass


def _isolate(root: Path) -> None:
    """Point every dir cloudbrowser writes at ``root`` and force the offscreen platform."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("CONFIG", "DATA", "CACHE", "LOG"):
        folder = root / name.lower()
        folder.mkdir()
        os.environ[f"CLOUDBROWSER_{name}_DIR"] = str(folder)


def run_smoke_test(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cloudbrowser-smoke-") as tmp:
        root = Path(tmp)
        _isolate(root)
        checks = SmokeTest(root, verbosity=args.verbose)
        ok = checks.run()
    seconds = time.perf_counter() - started
    verdict = "PASS" if ok else "FAIL"
    print(f"smoke test: {verdict} ({len(checks.passed)} steps passed, {seconds:.1f} s)", flush=True)
    return 0 if ok else 1


class SmokeTest:
    def __init__(self, root: Path, verbosity: int = 0) -> None:
        self.root = root
        self.verbosity = verbosity
        self.passed: list[str] = []
        self.deadline = time.monotonic() + TOTAL_TIMEOUT_S

    def step(self, name: str, detail: str) -> None:
        self.passed.append(name)
        print(f"ok    {name:<10} {detail}", flush=True)

    def run(self) -> bool:
        """Every step in order; the first failure ends the run (later steps need it)."""
        # Imported here, after _isolate(): Qt reads QT_QPA_PLATFORM when it starts.
        from cloudbrowser.core.logs import remove_handlers, setup_logging

        setup_logging(self.verbosity, stderr=self.verbosity > 0)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("qt", self.check_qt),
            ("keyring", self.check_keyring),
            ("window", self.check_window),
            ("demo", self.check_demo),
            ("list", self.check_list),
            ("upload", self.check_upload),
            ("download", self.check_download),
            ("gcs", self.check_gcs),
            ("azure", self.check_azure),
        ]
        name = "start"
        try:
            for name, check in steps:  # noqa: B007 (name is read by the handler below)
                check()
            return True
        except Exception as exc:
            print(f"FAIL  {name:<10} {type(exc).__name__}: {exc}", flush=True)
            return False
        finally:
            self.close()
            remove_handlers()

    # ── the steps ───────────────────────────────────────────────────────────────────────

    def check_qt(self) -> None:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtGui import QGuiApplication

        from cloudbrowser.gui.app import make_application, set_window_icon

        self.app = make_application()
        set_window_icon(self.app)  # the app sets it after the first paint
        platform = QGuiApplication.platformName()
        if platform != "offscreen":
            raise StepFailed(f"platform {platform!r}, not offscreen")
        frozen = "frozen" if getattr(sys, "frozen", False) else "not frozen"
        self.step("qt", f"PySide6 {pyside_version}, platform {platform}, {frozen}")

    def check_keyring(self) -> None:
        from cloudbrowser.core.secrets import SecretStore

        store = SecretStore()
        name, usable = store.backend_name(), store.backend_usable()
        expected = os.environ.get(EXPECT_KEYRING_ENV, "")
        note = "usable" if usable else "none usable: secrets would be for the session only"
        if expected and not usable and expected != name:
            raise StepFailed(
                f"resolved {name} ({note}), but the unfrozen app resolves {expected}: "
                "a keyring backend is missing from the bundle"
            )
        if usable and os.environ.get(KEYRING_WRITE_ENV) == "1":
            # On this thread, unlike the app (docs/architecture.md §2): no window is open yet
            # to stall.
            probe = SecretStore(service="cloudbrowser-smoke-test")
            secret = secrets.token_urlsafe(24)
            probe.set("smoke-test", secret)
            try:
                if probe.get("smoke-test") != secret:
                    raise StepFailed(f"{name} did not give back the secret just stored")
            finally:
                probe.delete("smoke-test")
            note += "; a secret stored, read back and deleted"
        self.step("keyring", f"{name} ({note})")

    def check_window(self) -> None:
        from PySide6.QtWidgets import QApplication

        from cloudbrowser.gui.service import StorageService
        from cloudbrowser.gui.transfer_settings import TransferSettings
        from cloudbrowser.gui.widgets.main_window import MainWindow

        TransferSettings(part_size_mib=PART_SIZE_MIB).save()  # in the throw-away config dir
        self.service = StorageService()
        self.window = MainWindow(self.service)
        self.window.show()
        self.wait(self.window.isVisible, "the window to show")
        QApplication.processEvents()
        icon = self.window.windowIcon()
        if icon.isNull() or QApplication.windowIcon().isNull():
            raise StepFailed("the window has no icon")
        # gui/data travels beside the code only if the install (wheel, bundle) copied it.
        from cloudbrowser.gui.app import translations_dir
        from cloudbrowser.gui.icons import shipped_icons_dir

        for data in (
            translations_dir() / "cloudbrowser_en.qm",
            shipped_icons_dir() / "back-16.png",
        ):
            if not data.is_file():
                raise StepFailed(f"{data} is missing: the window's data files were not installed")
        self.step("window", f"{self.window.windowTitle()!r} shown, icon set, data files found")

    def check_demo(self) -> None:
        from cloudbrowser.demo import DemoServer

        self.demo = DemoServer(big_folder_count=DEMO_OBJECTS)
        result: dict[str, Any] = {}
        self.service.run(
            lambda _job: self.demo.start(timeout=STEP_TIMEOUT_S),
            "Starting the demo server",
            succeeded=lambda url: result.setdefault("url", url),
            failed=lambda error: result.setdefault("error", error),
        )
        self.wait(lambda: bool(result), "the demo server to start")
        if "error" in result:
            error = result["error"]
            raise StepFailed(f"{error.message} {error.detail}")
        self.step("demo", f"S3 server at {result['url']} (seeded in {self.demo.seed_seconds} s)")

    def check_gcs(self) -> None:
        """The GCS backend frozen: the demo's local GCS (its bundled binary) started, an
        object written and read back through the storage interface."""
        from cloudbrowser.core.backends import open_storage
        from cloudbrowser.demo_gcs import DemoGcs

        self.gcs = DemoGcs(big_folder_count=1)
        url = self.gcs.start(timeout=STEP_TIMEOUT_S)
        storage = open_storage(self.gcs.settings())
        body = b"frozen GCS round trip\n"
        storage.put_object("gcs-demo-documents", "smoke.txt", body, content_md5="")
        with storage.get_object("gcs-demo-documents", "smoke.txt") as reader:
            if reader.read(-1) != body:
                raise StepFailed("GCS gave back other bytes")
        self.step("gcs", f"local GCS at {url}: written and read back")

    def check_azure(self) -> None:
        """The Azure backend frozen (Azurite is not bundled): its SDK loads, and a server
        that is not there is reported as unreachable, in our words."""
        from cloudbrowser.core.backends import open_storage
        from cloudbrowser.core.connection import ConnectionSettings, Credentials
        from cloudbrowser.core.errors import EndpointUnreachable

        settings = ConnectionSettings(
            name="smoke-azure",
            kind="azure",
            endpoint_url="http://127.0.0.1:9/devstoreaccount1",
            auth="key",
            account="devstoreaccount1",
            max_attempts=1,
            connect_timeout=2.0,
        )
        key = Credentials("devstoreaccount1", "c21va2UtdGVzdC1rZXk=")
        try:
            open_storage(settings, key).list_buckets()
        except EndpointUnreachable as error:
            self.step("azure", f"SDK loaded; a closed port says: {error.message}")
            return
        raise StepFailed("an Azure server on a closed port answered")

    def check_list(self) -> None:
        from cloudbrowser.demo import DEMO_CREDENTIALS
        from cloudbrowser.gui.widgets.main_window import ConnectionRequest

        window = self.window
        window.open_connection(ConnectionRequest(self.demo.settings(), DEMO_CREDENTIALS, BUCKET))
        current = window.history.current
        if current is None:
            raise StepFailed("the window did not go to the bucket")
        self.connection = current.connection
        names = self.wait_for_listing()
        if "README.txt" not in names:
            raise StepFailed(f"README.txt not listed in {BUCKET} (got {sorted(names)[:5]}…)")
        self.step("list", f"{BUCKET}: {len(names)} rows")

    def check_upload(self) -> None:
        from cloudbrowser.core.journal import State

        self.payload = os.urandom(PAYLOAD_BYTES)
        source = self.root / "upload" / "smoke-payload.bin"
        source.parent.mkdir()
        source.write_bytes(self.payload)
        started = time.perf_counter()
        transfers = self.run_batch(
            lambda: self.window.transfers.upload(self.connection, BUCKET, PREFIX, [source]),
            "the upload",
        )
        if [(t.state, t.verified) for t in transfers] != [(State.DONE, True)]:
            raise StepFailed(f"upload ended as {[(t.state.name, t.error) for t in transfers]}")
        seconds = time.perf_counter() - started
        parts = "in parts" if transfers[0].multipart else "in one request"
        self.step(
            "upload",
            f"{PAYLOAD_BYTES:,} bytes to {BUCKET}/{PREFIX} {parts}, verified ({seconds:.2f} s)",
        )

    def check_download(self) -> None:
        from cloudbrowser.core.journal import State
        from cloudbrowser.gui.models.object_list import EntryRole
        from cloudbrowser.gui.navigation import Location

        window = self.window
        window.navigate(Location(self.connection, BUCKET, PREFIX))
        self.wait_for_listing()
        model = window.list_model
        entries = [model.data(model.index(row, 0), EntryRole) for row in range(model.rowCount())]
        found = [e for e in entries if e is not None and e.key == PREFIX + "smoke-payload.bin"]
        if not found:
            raise StepFailed("the uploaded file is not listed")
        target = self.root / "download"
        target.mkdir()
        started = time.perf_counter()
        transfers = self.run_batch(
            lambda: window.transfers.download(self.connection, BUCKET, PREFIX, found, target),
            "the download",
        )
        if [(t.state, t.verified) for t in transfers] != [(State.DONE, True)]:
            raise StepFailed(f"download ended as {[(t.state.name, t.error) for t in transfers]}")
        landed = target / "smoke-payload.bin"
        if not landed.is_file() or landed.read_bytes() != self.payload:
            raise StepFailed(f"{landed} does not hold the bytes uploaded")
        seconds = time.perf_counter() - started
        self.step(
            "download", f"{PAYLOAD_BYTES:,} bytes back, verified, identical ({seconds:.2f} s)"
        )

    # ── helpers ─────────────────────────────────────────────────────────────────────────

    def wait_for_listing(self) -> set[str]:
        """Wait until the list shows the current location, loaded; the names listed."""
        from cloudbrowser.gui.models.object_list import EntryRole

        model = self.window.list_model
        self.wait(lambda: not model.loading and model.rowCount() > 0, "the listing")
        if model.error is not None:
            raise StepFailed(f"listing failed: {model.error.message}")
        names = set()
        for row in range(model.rowCount()):
            entry = model.data(model.index(row, 0), EntryRole)
            if entry is not None:
                names.add(entry.key.removeprefix(model_prefix(self.window)))
        return names

    def run_batch(self, start: Callable[[], object], what: str) -> list[Any]:
        """Start a transfer batch and wait for its ``batchFinished``; its transfers."""
        finished: list[list[Any]] = []
        controller = self.window.transfers

        def ended(_batch: str, members: list[Any]) -> None:
            finished.append(members)

        controller.batchFinished.connect(ended)
        last_error = self.window.messages.last
        try:
            start()
            self.wait(
                lambda: bool(finished) or self.window.messages.last is not last_error,
                what,
            )
        finally:
            controller.batchFinished.disconnect(ended)
        if not finished:
            error = self.window.messages.last
            raise StepFailed(f"{what} failed: {error and error.message} {error and error.detail}")
        return finished[0]

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        """Run the event loop until ``condition()`` holds; StepFailed after the deadline."""
        from PySide6.QtCore import QEventLoop, QTimer

        deadline = min(time.monotonic() + STEP_TIMEOUT_S, self.deadline)
        if condition():
            return
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(
            lambda: loop.quit() if condition() or time.monotonic() > deadline else None
        )
        timer.start(10)
        loop.exec()
        timer.stop()
        if not condition():
            raise StepFailed(f"timed out waiting for {what}")

    def close(self) -> None:
        """Close the window and stop everything started, as the app does at exit."""
        window = getattr(self, "window", None)
        if window is not None:
            window.transfers.shutdown()
            window.close()
            self.service.shutdown(timeout_ms=2000)
        demo = getattr(self, "demo", None)
        if demo is not None:
            demo.stop()
        gcs = getattr(self, "gcs", None)
        if gcs is not None:
            gcs.stop()


def model_prefix(window: Any) -> str:
    current = window.history.current
    return current.prefix if current is not None else ""
