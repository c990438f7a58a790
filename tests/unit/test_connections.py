"""core.connections: the one lookup by connection id the queue, the window and the CLI share."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.connections import Connections
from cloudbrowser.core.errors import ConfigError

SETTINGS = ConnectionSettings(name="local", endpoint_url="http://127.0.0.1:9", region="us-east-1")
CREDENTIALS = Credentials("AKIDEXAMPLE0000000", "secret-of-the-test")


def test_a_connection_is_found_by_its_id_and_the_same_name_twice_gets_two_ids() -> None:
    connections = Connections()
    first = connections.open(SETTINGS, CREDENTIALS)
    second = connections.open(SETTINGS, CREDENTIALS)
    assert (first.id, second.id) == ("local", "local (2)")
    assert connections.storage("local") is first.storage
    assert connections.get("local (2)").storage is second.storage
    assert first.storage is not second.storage  # one storage (one HTTP client) each
    assert connections.ids() == ["local", "local (2)"]


def test_an_unknown_id_says_which_and_what_to_do() -> None:
    connections = Connections(unknown_hint="Give its options.")
    connections.open(SETTINGS, CREDENTIALS)
    assert connections.close("local")
    assert not connections.close("local")
    assert "local" not in connections
    with pytest.raises(ConfigError) as caught:
        connections.storage("local")
    assert caught.value.message == "The connection “local” is not open."
    assert caught.value.hint == "Give its options."


def test_an_id_given_is_kept_and_never_opened_twice() -> None:
    connections = Connections()
    opened = connections.open(SETTINGS, CREDENTIALS, connection_id="local (3)")
    assert opened.id == "local (3)" and opened.name == "local"
    with pytest.raises(ConfigError):
        connections.open(SETTINGS, CREDENTIALS, connection_id="local (3)")


def test_an_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Connections().open(ConnectionSettings(name="x", kind="nosuchkind"))


def test_opened_from_many_threads_each_gets_its_own_id() -> None:
    connections = Connections()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _n: connections.open(SETTINGS, CREDENTIALS).id, range(24)))
    assert len(set(ids)) == 24
    assert sorted(connections.ids()) == sorted(ids)
