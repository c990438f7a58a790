"""What S3Backend promises beyond the backend contract (tests/conformance, which covers
listing, objects, buckets and every capability on every backend): the engine's paging loop
on real servers, credentials, unreachable endpoints and error bodies."""

from __future__ import annotations

import threading

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import (
    BucketNotFound,
    Cancelled,
    EndpointUnreachable,
    InvalidCredentials,
    StorageError,
)
from cloudbrowser.core.paging import iter_pages
from tests.conftest import S3Server
from tests.local_servers import free_port


def test_paging_returns_every_key_exactly_once_in_order(server: S3Server) -> None:
    bucket = server.bucket()
    keys = [f"many/k{i:03d}.txt" for i in range(23)] + ["many/sub1/x", "many/sub2/y"]
    server.put(bucket, keys)
    backend = server.backend(page_size=5)
    pages = list(iter_pages(backend, bucket, "many/"))
    assert len(pages) >= 5, "a small page size must produce several pages"
    assert all(len(p.objects) + len(p.prefixes) <= 5 for p in pages)
    objects = [e.key for p in pages for e in p.objects]
    prefixes = [e.key for p in pages for e in p.prefixes]
    assert objects == sorted(k for k in keys if k.count("/") == 1)
    assert prefixes == ["many/sub1/", "many/sub2/"]
    assert pages[-1].is_last and not any(p.is_last for p in pages[:-1])


def test_recursive_listing_has_no_prefixes(server: S3Server) -> None:
    bucket = server.bucket()
    keys = ["r/a", "r/b/c", "r/b/d/e", "other"]
    server.put(bucket, keys)
    pages = list(iter_pages(server.backend(page_size=2), bucket, "r/", recursive=True))
    assert [e.key for p in pages for e in p.objects] == ["r/a", "r/b/c", "r/b/d/e"]
    assert not any(p.prefixes for p in pages)


def test_bucket_deleted_meanwhile_raises_bucket_not_found(server: S3Server) -> None:
    bucket = server.bucket()
    backend = server.backend()
    backend.list_page(bucket, "")
    server.client.delete_bucket(Bucket=bucket)
    with pytest.raises(BucketNotFound):
        backend.list_page(bucket, "")


def test_cancel_stops_between_pages(server: S3Server) -> None:
    bucket = server.bucket()
    server.put(bucket, [f"k{i:02d}" for i in range(12)])
    cancel = threading.Event()
    seen = 0
    with pytest.raises(Cancelled):
        for page in iter_pages(server.backend(page_size=3), bucket, "", cancel):
            seen += len(page.objects)
            cancel.set()
    assert seen == 3


# moto accepts any key and secret (it does not verify signatures): these two run on rclone.


def test_wrong_access_key_is_invalid_credentials(rclone_server: S3Server) -> None:
    server = rclone_server
    backend = S3Backend(server.settings(), Credentials("not-the-right-key-id", "x" * 30))
    with pytest.raises(InvalidCredentials) as caught:
        backend.list_buckets()
    assert "access key" in caught.value.message.lower()


def test_wrong_secret_is_invalid_credentials(rclone_server: S3Server) -> None:
    server = rclone_server
    wrong = Credentials(server.credentials.access_key_id, "wrong-secret-0123456789")
    with pytest.raises(InvalidCredentials) as caught:
        S3Backend(server.settings(), wrong).list_buckets()
    assert "secret" in caught.value.message.lower()


def test_dead_endpoint_is_unreachable() -> None:
    from cloudbrowser.core.connection import ConnectionSettings

    settings = ConnectionSettings(
        endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1", max_attempts=1
    )
    backend = S3Backend(settings, Credentials("some-access-key-id", "some-secret-key-value"))
    with pytest.raises(EndpointUnreachable) as caught:
        backend.list_buckets()
    assert caught.value.retryable
    assert "some-secret-key-value" not in str(caught.value) + caught.value.detail
    # A listing and a read go the fast path (http_pool): a refused connection is said as
    # botocore says it, not as a timeout (as urllib3's made the one a subclass of the other).
    for call in (
        lambda: backend.list_page("bucket", ""),
        lambda: backend.get_object("bucket", "key"),
    ):
        with pytest.raises(EndpointUnreachable) as caught:
            call()
        assert caught.value.message == "Nothing answered at the server's address."


def test_error_sent_with_status_200_is_an_error_not_an_empty_folder(
    moto_server: S3Server,
) -> None:
    from tests.faults import DenyingProxy

    bucket = moto_server.bucket("twohundred")
    moto_server.put(bucket, ["a.txt"])
    with DenyingProxy(moto_server.endpoint_url, {bucket}, status=200) as proxy:
        backend = moto_server.backend(endpoint_url=proxy.url)
        with pytest.raises(StorageError):
            backend.list_page(bucket, "")
