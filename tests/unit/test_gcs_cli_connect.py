"""Which connection a command line about ``gs://`` resolves to: application default
credentials without ``-c`` (as gcloud), ``STORAGE_EMULATOR_HOST`` (as Google's client
libraries), ``--project``, and saved GCS connections by name. No request is sent: what is
checked is the ConnectionSettings and Credentials the GCS backend will be given."""

from __future__ import annotations

import argparse
import json

import pytest

from cloudbrowser.cli.app import build_parser
from cloudbrowser.cli.connect import Resolved, resolve
from cloudbrowser.cli.connect_gcs import NAME, resolve_implicit
from cloudbrowser.cli.locations import schemes_named, written_scheme
from cloudbrowser.cli.output import Output, UsageError
from cloudbrowser.core.profiles import Profile, ProfileStore
from cloudbrowser.core.secrets import KeyringUnavailable

KEY = json.dumps({"type": "service_account", "client_email": "robot@p.iam", "private_key": "k"})


def resolved(*argv: str) -> Resolved:
    args = build_parser().parse_args(list(argv))
    return resolve(args, Output.choose(force_text=True, quiet=True))


def test_gs_without_a_connection_uses_application_default_credentials() -> None:
    for argv in (
        ["ls", "gs://bucket/prefix/"],
        ["get", "gs://bucket/key", "."],
        ["put", "a.txt", "b.txt", "gs://bucket/up/"],
        ["rm", "gs://bucket/a", "gs://bucket/b"],
        ["mb", "gs://new-bucket"],
        ["sync", ".", "gs://bucket/mirror/"],
        ["ls", "GS://bucket"],
    ):
        r = resolved(*argv)
        assert r.settings.kind == "gcs", argv
        assert (r.settings.auth, r.settings.anonymous) == ("adc", False)
        assert r.settings.endpoint_url is None
        assert r.settings.name == NAME
        # google-auth finds the credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's file).
        assert r.credentials is None


def test_s3_locations_still_resolve_to_s3() -> None:
    r = resolved("ls", "s3://bucket/", "--endpoint", "http://127.0.0.1:9000")
    assert r.settings.kind == "s3" and r.settings.endpoint_url == "http://127.0.0.1:9000"
    assert resolved("ls").settings.kind == "s3"


def test_project_for_listing_buckets() -> None:
    r = resolved("ls", "--project", "my-project")
    assert (r.settings.kind, r.settings.project) == ("gcs", "my-project")
    r = resolved("ls", "gs://bucket", "--project", "my-project")
    assert (r.settings.kind, r.settings.project) == ("gcs", "my-project")


@pytest.mark.parametrize(
    ("host", "endpoint"),
    [
        ("http://127.0.0.1:4443", "http://127.0.0.1:4443"),
        ("localhost:4443", "http://localhost:4443"),  # as Go and Java clients take it
        ("https://gcs.test:8443/", "https://gcs.test:8443"),
    ],
)
def test_storage_emulator_host_is_an_anonymous_endpoint(
    monkeypatch: pytest.MonkeyPatch, host: str, endpoint: str
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    r = resolved("ls", "gs://bucket")
    assert (r.settings.endpoint_url, r.settings.anonymous, r.settings.auth) == (
        endpoint,
        True,
        "anonymous",
    )
    assert r.settings.name == f"{NAME} (emulator {endpoint})"
    assert r.credentials is None
    # The variable means nothing to s3:// (Google's libraries only read it).
    assert resolved("ls", "s3://bucket").settings.endpoint_url is None


def test_an_explicit_endpoint_is_signed_unless_anonymous(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "localhost:1")
    r = resolved("ls", "gs://b", "--endpoint", "https://storage.example.test/")
    assert (r.settings.endpoint_url, r.settings.auth) == ("https://storage.example.test", "adc")
    r = resolved("ls", "gs://b", "--endpoint", "http://127.0.0.1:4443", "--anonymous")
    assert (r.settings.auth, r.settings.anonymous) == ("anonymous", True)
    r = resolved("ls", "gs://b", "--no-verify-tls")
    assert r.settings.verify_tls is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ls", "gs://b", "--profile", "work"], "--profile is for S3"),
        (["ls", "gs://b", "--access-key-id", "AKIA"], "--access-key-id is for S3"),
        (["ls", "gs://b", "--region", "eu"], "--region is for S3"),
        (["ls", "gs://b", "--endpoint", "127.0.0.1:4443"], "must start with http"),
        (["rm", "s3://a/x", "gs://b/x"], "s3:// and gs:// cannot be mixed"),
    ],
)
def test_what_gs_cannot_take_is_a_usage_error(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolved(*argv)


def test_a_saved_gcs_connection_by_name() -> None:
    store = ProfileStore()
    store.add(Profile("adc-conn", kind="gcs", project="saved-project"))
    key = store.add(
        Profile("key-conn", kind="gcs", auth="service_account", access_key_id="robot@p.iam")
    )
    store.set_secret(key, KEY)
    store.set_secret(store.add(Profile("s3-conn", preset="aws", access_key_id="AKIA")), "s")
    r = resolved("ls", "-c", "adc-conn", "gs://b")
    assert (r.settings.kind, r.settings.auth, r.settings.project) == ("gcs", "adc", "saved-project")
    assert r.credentials is None
    r = resolved("ls", "-c", "adc-conn", "--project", "other-project")
    assert r.settings.project == "other-project"
    r = resolved("ls", "-c", "key-conn", "gs://b")
    assert r.settings.auth == "service_account"
    assert r.credentials is not None
    assert (r.credentials.access_key_id, r.credentials.secret_access_key) == ("robot@p.iam", KEY)
    with pytest.raises(UsageError, match="--project is for Google Cloud Storage"):
        resolved("ls", "-c", "s3-conn", "--project", "p")


def test_presign_sign_as_names_the_account_a_gcs_link_is_signed_as() -> None:
    links = "links@p.iam.gserviceaccount.com"
    r = resolved("presign", "gs://b/k", "--sign-as", links)
    assert (r.settings.kind, r.settings.auth, r.settings.sign_links_as) == ("gcs", "adc", links)
    store = ProfileStore()
    store.add(Profile("adc-conn", kind="gcs", sign_links_as=links))
    store.set_secret(store.add(Profile("s3-conn", preset="aws", access_key_id="AKIA")), "s")
    assert resolved("presign", "-c", "adc-conn", "gs://b/k").settings.sign_links_as == links
    other = "other@p.iam.gserviceaccount.com"
    r = resolved("presign", "-c", "adc-conn", "b/k", "--sign-as", other)
    assert r.settings.sign_links_as == other
    with pytest.raises(UsageError, match="--sign-as is for Google Cloud Storage"):
        resolved("presign", "-c", "s3-conn", "b/k", "--sign-as", links)


def test_a_saved_key_missing_from_the_keyring_says_what_works_instead() -> None:
    ProfileStore().add(
        Profile("key-conn", kind="gcs", auth="service_account", access_key_id="robot@p.iam")
    )
    with pytest.raises(KeyringUnavailable, match="No key or sign-in") as caught:
        resolved("ls", "-c", "key-conn", "gs://b")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in caught.value.hint


def test_resume_finds_an_environment_connection_by_its_journal_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = build_parser().parse_args(["resume", "--project", "p"])
    adc = resolve_implicit(NAME, args)
    assert adc is not None
    assert (adc[0].kind, adc[0].auth, adc[0].project, adc[0].endpoint_url) == (
        "gcs",
        "adc",
        "p",
        None,
    )
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:4443")
    emulator = resolve_implicit(f"{NAME} (http://127.0.0.1:4443)", args)
    assert emulator is not None
    assert (emulator[0].endpoint_url, emulator[0].anonymous) == ("http://127.0.0.1:4443", True)
    # Started against Google itself, it is not redirected to the emulator set since.
    again = resolve_implicit(NAME, args)
    assert again is not None and again[0].endpoint_url is None
    custom = resolve_implicit(f"{NAME} (https://storage.example.test)", args)
    assert custom is not None and custom[0].auth == "adc"
    assert resolve_implicit("http://127.0.0.1:9000", args) is None


def test_an_upload_to_the_emulator_resumes_there_once_its_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The journal's name says the endpoint came from STORAGE_EMULATOR_HOST: ``resume`` in
    a shell without the variable reopens that emulator unsigned, where it signed with ADC
    (and failed: no credentials) because the name could not tell it from --endpoint."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:4443")
    started = resolved("put", "x.txt", "gs://b/")
    name = started.settings.name
    assert name == f"{NAME} (emulator http://127.0.0.1:4443)"
    assert started.settings.anonymous
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    args = build_parser().parse_args(["resume"])
    again = resolve_implicit(name, args)
    assert again is not None
    assert (again[0].name, again[0].endpoint_url, again[0].auth, again[0].anonymous) == (
        name,
        "http://127.0.0.1:4443",
        "anonymous",
        True,
    )
    # --endpoint names one the user typed: signed, and said without the mark.
    typed = resolved("ls", "gs://b", "--endpoint", "https://storage.example.test")
    assert typed.settings.name == f"{NAME} (https://storage.example.test)"
    assert typed.settings.auth == "adc"


def test_schemes_are_read_from_every_location_argument() -> None:
    args = argparse.Namespace(sources=["a", "b"], destination="gs://x/", location=None)
    assert schemes_named(args) == {"gs"}
    assert written_scheme("C://folder") == ""  # a Windows drive
    assert written_scheme("./gs://odd") == ""
    assert written_scheme("bucket/key") == ""


def test_connections_lists_gcs_connections_as_such(capsys: pytest.CaptureFixture[str]) -> None:
    from cloudbrowser.cli.app import run

    ProfileStore().add(
        Profile(
            "key-conn", kind="gcs", auth="service_account", access_key_id="robot@p.iam", project="p"
        )
    )
    ProfileStore().add(
        Profile("user-conn", kind="gcs", sign_links_as="links@p.iam.gserviceaccount.com")
    )
    assert run(["connections", "--text"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "key-conn\tGoogle Cloud Storage (service account)\tGoogle Cloud Storage",
        "user-conn\tGoogle Cloud Storage (adc)\tGoogle Cloud Storage",
    ]
    assert run(["connections", "--json"]) == 0
    record, user = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (user["auth"], user["sign_links_as"]) == ("adc", "links@p.iam.gserviceaccount.com")
    assert (record["kind"], record["auth"], record["project"], record["account"]) == (
        "gcs",
        "service_account",
        "p",
        "robot@p.iam",
    )
