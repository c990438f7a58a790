"""A device-code sign-in (core/backends/azure/entra.py) with azure-identity's own
DeviceCodeCredential and MSAL's poll, against the Entra ID stand-in of
tests/azure_entra_stub.py (no request leaves the machine): Cancel ends the poll for the
token, which went on asking until the code expired, 15 minutes later. A browser sign-in
with azure-identity's own InteractiveBrowserCredential, its browser a stand-in that never
comes back: Cancel ends its wait for the redirect, which went on for 5 minutes.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import azure.identity
import pytest
from pytest import MonkeyPatch

from cloudbrowser.core.backends.azure import entra
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.errors import Cancelled
from tests.azure_entra_stub import ACCOUNT, TID, Account, Served, serving
from tests.contract.test_tls import self_signed

#: Seconds a test waits for what should come within a poll's interval (1 s here).
WAIT = 15.0


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("entra-sign-in-tls"))


@pytest.fixture
def account() -> Account:
    return Account()


@pytest.fixture
def stub(account: Account, certificate: tuple[Path, Path]) -> Iterator[Served]:
    with serving(account, *certificate) as served:
        yield served


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: MonkeyPatch) -> Iterator[None]:
    entra.reset_token_cache_probe()
    monkeypatch.setattr(entra, "_signed_in", {})
    yield
    entra.reset_token_cache_probe()


class Poll:
    """What became of a sign-in's DeviceCodeCredential, built as entra._build builds it
    (the sign-in's ``stop`` in a stoppable transport) but aimed at the stub's authority."""

    def __init__(self, stub: Served) -> None:
        self.stub = stub
        self.ended = threading.Event()
        self.stops: list[threading.Event] = []

    def build(
        self,
        _settings: ConnectionSettings,
        *,
        record: object,
        prompt: Any = None,
        stop: threading.Event | None = None,
    ) -> Any:
        assert record is None and stop is not None
        self.stops.append(stop)
        credential = azure.identity.DeviceCodeCredential(
            authority=f"127.0.0.1:{self.stub.port}",
            tenant_id=TID,
            disable_instance_discovery=True,
            disable_automatic_authentication=True,
            prompt_callback=prompt,
            transport=entra.stoppable_transport(stop, connection_verify=str(self.stub.cert)),
        )
        authenticate = credential.authenticate

        def watched(**kwargs: Any) -> Any:
            try:
                return authenticate(**kwargs)
            finally:
                self.ended.set()  # the poll is over: its thread asks no more

        credential.authenticate = watched  # type: ignore[method-assign]
        return credential


def test_cancel_ends_the_device_code_poll(stub: Served, account: Account) -> None:
    """MSAL polls Entra ID for the token every few seconds until the user approves or
    the code expires. Cancel stopped waiting but left that poll asking, on a thread of
    its own, for the code's 15 minutes; azure-identity offers no way to stop it, so the
    sign-in's transport refuses to send once it is cancelled: the poll ends at its next
    request, which never reaches Entra ID."""
    settings = ConnectionSettings(name="device", kind="azure", auth="entra_device", account=ACCOUNT)
    poll = Poll(stub)
    shown: list[entra.DeviceCode] = []
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def sign_in() -> None:
        try:
            entra.sign_in(settings, shown.append, cancel, build=poll.build)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    worker = threading.Thread(target=sign_in)
    worker.start()
    # The code is shown and the poll runs: Entra ID is asked for the token again and again.
    deadline = threading.Event()
    for _ in range(int(WAIT * 10)):
        if account.token_polls() >= 2:
            break
        deadline.wait(0.1)
    assert account.token_polls() >= 2, "the sign-in never polled for its token"
    assert [code.user_code for code in shown] == ["STUB-CODE"]
    assert isinstance(shown[0].expires_on, datetime)

    cancel.set()  # the user pressed Cancel
    worker.join(WAIT)
    assert not worker.is_alive() and len(outcome) == 1
    assert isinstance(outcome[0], Cancelled)
    asked = account.token_polls()
    assert poll.stops[0].is_set()
    assert poll.ended.wait(WAIT), "the poll went on after Cancel"
    # At most the request under way when Cancel came; none after it.
    assert account.token_polls() <= asked + 1
    assert entra.load_record(settings) is None


def test_the_sign_in_gives_its_credential_a_stoppable_transport(monkeypatch: MonkeyPatch) -> None:
    """entra._build hands the sign-in's stop to the credential it makes, so the poll the
    test above ends is the real one's."""
    made: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> object:
        made.append(kwargs)
        return object()

    monkeypatch.setattr(azure.identity, "DeviceCodeCredential", record)
    stop = threading.Event()
    settings = ConnectionSettings(name="d", kind="azure", auth="entra_device", account="a")
    entra._build(settings, record=None, stop=stop)
    transport = made[0]["transport"]
    stop.set()
    with pytest.raises(entra.SignInAbandoned):
        transport.send(object())


class Browser:
    """What became of a sign-in's InteractiveBrowserCredential, built as entra._build
    builds it (the sign-in's ``stop`` in its redirect server and its transport) but aimed
    at the stub's authority, its redirect on 127.0.0.1; the browser a stand-in that
    opens nothing and never comes back (``webbrowser.open`` recorded)."""

    def __init__(self, stub: Served, monkeypatch: MonkeyPatch) -> None:
        self.stub = stub
        self.ended = threading.Event()
        self.opened = threading.Event()
        self.pages: list[str] = []
        with socket.socket() as probe:  # a free port for the redirect
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])

        def open_page(url: str, *_args: Any, **_kwargs: Any) -> bool:
            self.pages.append(url)
            self.opened.set()
            return True

        monkeypatch.setattr(webbrowser, "open", open_page)

    def build(
        self,
        _settings: ConnectionSettings,
        *,
        record: object,
        prompt: Any = None,
        stop: threading.Event | None = None,
    ) -> Any:
        assert record is None and stop is not None
        credential = azure.identity.InteractiveBrowserCredential(
            authority=f"127.0.0.1:{self.stub.port}",
            tenant_id=TID,
            disable_instance_discovery=True,
            disable_automatic_authentication=True,
            redirect_uri=f"http://127.0.0.1:{self.port}",
            transport=entra.stoppable_transport(stop, connection_verify=str(self.stub.cert)),
            _server_class=entra.stoppable_redirect_server(stop),
        )
        authenticate = credential.authenticate

        def watched(**kwargs: Any) -> Any:
            try:
                return authenticate(**kwargs)
            finally:
                self.ended.set()  # the wait for the redirect is over: its thread ends

        credential.authenticate = watched  # type: ignore[method-assign]
        return credential


def test_cancel_ends_the_browser_sign_ins_wait_for_its_redirect(
    stub: Served, monkeypatch: MonkeyPatch
) -> None:
    """azure-identity waits for the browser's redirect on a local port for 5 minutes, in
    a wait nothing could break off: Cancel stopped waiting for the sign-in, but its
    thread waited on. Now the wait ends with the Cancel, and the port is closed."""
    settings = ConnectionSettings(
        name="browser", kind="azure", auth="entra_browser", account=ACCOUNT
    )
    browser = Browser(stub, monkeypatch)
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def sign_in() -> None:
        try:
            entra.sign_in(settings, lambda _code: None, cancel, build=browser.build)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    worker = threading.Thread(target=sign_in)
    worker.start()
    assert browser.opened.wait(WAIT), "the sign-in never opened its page"
    [page] = browser.pages
    assert page.startswith(f"https://127.0.0.1:{stub.port}/{TID}/")
    assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A{browser.port}" in page
    with socket.create_connection(("127.0.0.1", browser.port), timeout=WAIT):
        pass  # the redirect is awaited there

    cancel.set()  # the user pressed Cancel; the browser never comes back
    worker.join(WAIT)
    assert not worker.is_alive() and len(outcome) == 1
    assert isinstance(outcome[0], Cancelled)
    assert browser.ended.wait(WAIT), "the wait for the redirect went on after Cancel"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", browser.port), timeout=WAIT).close()
    assert entra.load_record(settings) is None


def test_the_sign_in_gives_its_browser_credential_a_stoppable_redirect_server(
    monkeypatch: MonkeyPatch,
) -> None:
    """entra._build hands the sign-in's stop to the server azure-identity waits for the
    redirect with, so the wait the test above ends is the real one's."""
    made: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> object:
        made.append(kwargs)
        return object()

    monkeypatch.setattr(azure.identity, "InteractiveBrowserCredential", record)
    stop = threading.Event()
    settings = ConnectionSettings(name="b", kind="azure", auth="entra_browser", account="a")
    entra._build(settings, record=None, stop=stop)
    server = made[0]["_server_class"]("127.0.0.1", 0, timeout=300)
    waited: list[object] = []
    waiting = threading.Thread(target=lambda: waited.append(server.wait_for_redirect()))
    waiting.start()
    stop.set()
    waiting.join(WAIT)
    assert not waiting.is_alive(), "the wait for the redirect went on after the stop"
    assert waited == [{}]
    assert "transport" in made[0]
