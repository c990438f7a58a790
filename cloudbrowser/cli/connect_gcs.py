"""``gs://`` without a saved connection: Google's own rules, as gcloud and the client
libraries apply them, so that scripts and CI need no saved connection.

* Credentials: **application default credentials** (``GOOGLE_APPLICATION_CREDENTIALS``, else
  the file ``gcloud auth application-default login`` writes, else the metadata server on
  Google Cloud), resolved by google-auth inside the GCS backend: the settings say "adc" and
  carry no secret.
* ``STORAGE_EMULATOR_HOST``: the emulator's address, with anonymous requests, as Google's
  client libraries do. ``--endpoint`` names one explicitly (signed with ADC unless
  ``--anonymous``).
* ``--project``: the project whose buckets ``ls`` lists and ``mb`` creates in (else
  ``GOOGLE_CLOUD_PROJECT``, else the credentials' own, as google-auth finds it).

The connection is named so that ``resume`` finds it again from the journal without options
(:func:`resolve_implicit`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from cloudbrowser.cli.locations import schemes_named
from cloudbrowser.cli.output import UsageError
from cloudbrowser.core.connection import ConnectionSettings, Credentials

SCHEME = "gs"
#: Google's variable for an emulator (fake-gcs-server, the Firebase emulator…).
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
#: Google's variable for the project (google-auth reads it for ADC; the emulator's unsigned
#: requests have no credentials to name one).
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
#: What to do when listing or creating buckets needs a project that nothing names.
PROJECT_HINT = (
    f"Name it with --project ID (or set {PROJECT_ENV}); a bucket you know can be listed "
    "without one: ls gs://BUCKET/."
)
#: The name of a ``gs://`` connection made from the environment (the journal keeps it).
NAME = "Google Cloud Storage"
_S3_ONLY = (
    ("profile", "--profile"),
    ("access_key_id", "--access-key-id"),
    ("addressing_style", "--addressing-style"),
    ("region", "--region"),
)


#: Settings and credentials (``connect.Resolved`` takes them as they are).
GcsResolved = tuple[ConnectionSettings, Credentials | None]


def wants_gcs(args: argparse.Namespace) -> bool:
    """Whether the command line is about GCS: a ``gs://`` location, or ``--project`` (only
    GCS has projects). Raises UsageError for ``s3://`` and ``gs://`` in one command."""
    schemes = schemes_named(args)
    if SCHEME in schemes and schemes - {SCHEME}:
        others = ", ".join(f"{s}://" for s in sorted(schemes - {SCHEME}))
        raise UsageError(
            f"One command works on one connection: {others} and gs:// cannot be mixed.",
            hint="Name the locations of one cloud at a time (cp and mv copy between clouds).",
        )
    project = bool(getattr(args, "project", None))
    if project and schemes and SCHEME not in schemes:
        # Else the locations were judged against a GCS connection made for --project.
        others = ", ".join(f"{s}://" for s in sorted(schemes))
        raise UsageError(
            f"--project is for Google Cloud Storage (gs://), not {others} locations.",
            hint="Leave --project out, or write the locations as gs://bucket/key.",
        )
    return SCHEME in schemes or project


def resolve_gcs(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> GcsResolved:
    """The GCS connection the flags and the environment describe. Raises UsageError."""
    env = os.environ if env is None else env
    for attr, flag in _S3_ONLY:
        if getattr(args, attr, None):
            if attr == "region":  # where S3 sends requests; a GCS endpoint is global
                raise UsageError(
                    "--region is for S3: a gs:// connection has none.",
                    hint="A new gs:// bucket's location is mb's -l/--location (US, EU, us-east1…).",
                )
            raise UsageError(
                f"{flag} is for S3; gs:// signs in with Google credentials.",
                hint="gs:// uses application default credentials (“gcloud auth "
                "application-default login”), or -c NAME of a saved connection.",
            )
    if args.endpoint and not args.endpoint.startswith(("http://", "https://")):
        raise UsageError(
            "The endpoint URL must start with http:// or https://.",
            hint="Write it like http://127.0.0.1:4443.",
        )
    emulator = emulator_endpoint(env)
    endpoint = (args.endpoint or emulator).rstrip("/")
    # Google's libraries send no credentials to STORAGE_EMULATOR_HOST; an endpoint typed
    # here may be a real one (Private Service Connect), so it is signed unless asked not to.
    from_emulator = bool(emulator and not args.endpoint)
    anonymous = bool(args.anonymous or from_emulator)
    return (
        ConnectionSettings(
            name=_name(endpoint, emulator=from_emulator),
            kind="gcs",
            endpoint_url=endpoint or None,
            anonymous=anonymous,
            verify_tls=args.ca_bundle or not args.no_verify_tls,
            auth="anonymous" if anonymous else "adc",
            project=getattr(args, "project", None) or env.get(PROJECT_ENV, ""),
        ),
        None,
    )


#: Marks the journal's name of a connection to STORAGE_EMULATOR_HOST's emulator.
_EMULATOR_MARK = "emulator "


def _name(endpoint: str, *, emulator: bool) -> str:
    """The connection's name, which the journal keeps: it says the endpoint, and whether
    it came from STORAGE_EMULATOR_HOST (anonymous), so that ``resume`` reopens it the same
    way whatever the environment says by then."""
    if not endpoint:
        return NAME
    return f"{NAME} ({_EMULATOR_MARK if emulator else ''}{endpoint})"


def emulator_endpoint(env: Mapping[str, str] | None = None) -> str:
    """``STORAGE_EMULATOR_HOST`` as a URL: Google's Python client wants the scheme, its Go
    and Java clients take ``host:port``; both are accepted (``http://`` is added)."""
    env = os.environ if env is None else env
    host = env.get(EMULATOR_ENV, "").strip()
    if host and "://" not in host:
        host = f"http://{host}"
    return host.rstrip("/")


def resolve_implicit(
    connection_id: str, args: argparse.Namespace, env: Mapping[str, str] | None = None
) -> GcsResolved | None:
    """The connection behind a journal's connection name given by :func:`resolve_gcs`
    (``resume`` without options), or None when the name is not one of those."""
    if connection_id == NAME:
        endpoint = ""
    elif connection_id.startswith(f"{NAME} (") and connection_id.endswith(")"):
        endpoint = connection_id.removeprefix(f"{NAME} (").removesuffix(")")
    else:
        return None
    env = os.environ if env is None else env
    if endpoint.startswith(_EMULATOR_MARK):
        # Started against STORAGE_EMULATOR_HOST: that emulator again, unsigned, whether or
        # not the variable is still set (it was signed with ADC, and failed, once unset).
        endpoint = endpoint.removeprefix(_EMULATOR_MARK)
        env = {**env, EMULATOR_ENV: endpoint}
    emulator = emulator_endpoint(env)
    if endpoint and endpoint != emulator:
        # Named by --endpoint: signed with ADC, unless the command says --anonymous again.
        args = argparse.Namespace(**{**vars(args), "endpoint": endpoint})
    elif not endpoint and emulator:
        # Started against Google itself: the emulator variable set since must not redirect it.
        env = {k: v for k, v in env.items() if k != EMULATOR_ENV}
    args = argparse.Namespace(**{**vars(args), **{attr: None for attr, _flag in _S3_ONLY}})
    return resolve_gcs(args, env)
