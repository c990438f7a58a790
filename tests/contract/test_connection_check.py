"""Saved connections and “Test connection” against real servers (moto and rclone)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.check import check_connection
from cloudbrowser.core.errors import EndpointUnreachable, InvalidCredentials, TLSError
from cloudbrowser.core.profiles import Profile, ProfileStore
from tests.conftest import S3Server
from tests.faults import DenyingProxy
from tests.local_servers import free_port


def saved_profile(server: S3Server, preset: str, **overrides: object) -> Profile:
    values: dict[str, object] = {
        "name": f"{preset} on {server.kind}",
        "preset": preset,
        "endpoint_url": server.endpoint_url,
        "region": "us-east-1",
        "addressing_style": "path",
        "access_key_id": server.credentials.access_key_id,
    }
    values.update(overrides)
    store = ProfileStore()
    profile = store.add(Profile(**values))  # type: ignore[arg-type]
    store.set_secret(profile, server.credentials.secret_access_key)
    return profile


@pytest.mark.parametrize("preset", ["minio", "other", "ceph", "seaweedfs"])
def test_self_hosted_presets_browse_the_local_server(server: S3Server, preset: str) -> None:
    bucket = server.bucket("preset")
    server.put(bucket, ["a/b.txt"])
    store = ProfileStore()
    profile = store.get(saved_profile(server, preset).name)
    backend = S3Backend(profile.settings(), store.credentials(profile))
    assert bucket in [b.name for b in backend.list_buckets()]
    assert [p.key for p in backend.list_page(bucket).prefixes] == ["a/"]


def test_check_ok_counts_buckets(server: S3Server) -> None:
    for _ in range(2):
        server.bucket("count")
    result = check_connection(server.settings(), server.credentials)
    assert result.ok, result
    assert result.bucket_count is not None and result.bucket_count >= 2
    assert result.summary == f"Connected: {result.bucket_count} buckets."


def test_check_with_a_default_bucket(server: S3Server) -> None:
    bucket = server.bucket("dflt")
    result = check_connection(
        server.settings(default_bucket=bucket, default_prefix="x/"), server.credentials
    )
    assert result.ok and f"{bucket}/x/" in result.summary


# moto accepts any key id and does not verify signatures; rclone does both, so these two
# run against rclone only.
def test_check_wrong_key_id(rclone_server: S3Server) -> None:
    creds = rclone_server.credentials
    result = check_connection(
        rclone_server.settings(),
        type(creds)("unknown-access-key-id", creds.secret_access_key),
    )
    assert not result.ok
    assert isinstance(result.error, InvalidCredentials)
    assert result.error.code == "InvalidAccessKeyId"
    assert "access key ID" in result.summary


def test_check_wrong_secret(rclone_server: S3Server) -> None:
    creds = rclone_server.credentials
    result = check_connection(
        rclone_server.settings(), type(creds)(creds.access_key_id, "not-the-right-secret-01")
    )
    assert not result.ok
    assert isinstance(result.error, InvalidCredentials)
    assert result.error.code == "SignatureDoesNotMatch"
    assert "secret key" in result.summary
    assert "not-the-right-secret" not in f"{result} {result.error.detail}"


def test_check_dead_port(moto_server: S3Server) -> None:
    settings = moto_server.settings(endpoint_url=f"http://127.0.0.1:{free_port()}")
    result = check_connection(settings, moto_server.credentials)
    assert not result.ok and isinstance(result.error, EndpointUnreachable)
    assert "server is running" in result.hint
    # Said once: not "Cannot reach the server: Cannot connect to the server."
    assert result.summary == "Nothing answered at the server's address."
    assert EndpointUnreachable.title not in result.summary


def test_check_tls_to_a_plain_http_port(server: S3Server) -> None:
    https = server.endpoint_url.replace("http://", "https://")
    result = check_connection(server.settings(endpoint_url=https), server.credentials)
    assert not result.ok and isinstance(result.error, TLSError)
    assert "http vs https" in result.hint


def test_check_key_that_may_not_list_buckets(server: S3Server) -> None:
    bucket = server.bucket("denied")
    with DenyingProxy(server.endpoint_url, {""}) as proxy:
        result = check_connection(server.settings(endpoint_url=proxy.url), server.credentials)
        assert not result.ok
        assert "may not list the buckets" in result.summary
        assert "default bucket" in result.hint
        # With the bucket named, the same key browses it.
        ok = check_connection(
            server.settings(endpoint_url=proxy.url, default_bucket=bucket), server.credentials
        )
        assert ok.ok, ok


class CannedError:
    """An HTTP server that answers every request with one S3 error (what S3 itself sends
    when the client's clock is off: moto and rclone do not check the request time)."""

    def __init__(self, status: int, code: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            "<Message>canned</Message><RequestId>CANNED01</RequestId></Error>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CannedError:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_check_clock_skew(moto_server: S3Server) -> None:
    with CannedError(403, "RequestTimeTooSkewed") as skewed:
        result = check_connection(
            moto_server.settings(endpoint_url=skewed.url), moto_server.credentials
        )
    assert not result.ok and isinstance(result.error, InvalidCredentials)
    assert "clock" in result.summary and "network time" in result.hint
