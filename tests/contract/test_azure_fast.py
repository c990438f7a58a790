"""Get Blob and a small file's Put Blob through http_pool
(core/backends/azure/fast.py), on Azurite: signed with the account key as the SDK signs, or
with a SAS; what the fast path does not handle (a changed ETag, a wrong key, a missing
blob, damaged bytes, a read-only SAS) is asked again through the SDK and translated by its
one table."""

from __future__ import annotations

import base64
import hashlib

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.azure import backend as azure_backend
from cloudbrowser.core.backends.azure import fast
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import (
    AccessDenied,
    Cancelled,
    IntegrityError,
    InvalidCredentials,
    KeyNotFound,
    ObjectChanged,
)
from tests.conftest import AzuriteServer
from tests.contract.test_azure import container_sas, sas_storage
from tests.local_servers import AZURITE_ACCOUNT

pytestmark = pytest.mark.server

#: Characters the URL and the string to sign must agree on.
KEY = "folder/a b+ü~%(1).txt"
BODY = hashlib.shake_256(b"fast").digest(3 * 1024 * 1024 + 5)


def test_a_key_signed_read_is_one_streamed_get(azurite_server: AzuriteServer) -> None:
    storage = azurite_server.backend()
    bucket = azurite_server.bucket()
    etag = storage.put_object(bucket, KEY, BODY, content_md5="")
    with storage.get_object(bucket, KEY, if_match=etag) as reader:
        assert isinstance(reader, fast.FastReader)
        assert (reader.size, reader.etag, reader.content_range) == (len(BODY), etag, None)
        assert reader.read(1000) + reader.read(-1) == BODY
        assert reader.read(10) == b""
    with storage.get_object(bucket, KEY, start=5, end=1_000_004) as reader:
        assert isinstance(reader, fast.FastReader)
        assert reader.content_range == (5, 1_000_004, len(BODY))
        assert reader.read(-1) == BODY[5:1_000_005]


def test_a_sas_signed_read_takes_the_fast_path(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    azurite_server.backend().put_object(bucket, KEY, BODY, content_md5="")
    token = container_sas(bucket, "rl")
    in_connection_string = Credentials(
        "", f"BlobEndpoint={azurite_server.endpoint_url};SharedAccessSignature={token}"
    )
    for storage in (
        sas_storage(azurite_server, token),
        open_storage(azurite_server.settings(auth="connection_string"), in_connection_string),
    ):
        with storage.get_object(bucket, KEY) as reader:
            assert isinstance(reader, fast.FastReader)
            assert reader.read(-1) == BODY


def test_what_the_fast_path_refuses_is_the_sdks_error(azurite_server: AzuriteServer) -> None:
    storage = azurite_server.backend()
    bucket = azurite_server.bucket()
    storage.put_object(bucket, KEY, BODY, content_md5="")
    with pytest.raises(ObjectChanged):
        storage.get_object(bucket, KEY, if_match="0x8D000000000000")
    with pytest.raises(KeyNotFound):
        storage.get_object(bucket, "missing.txt")
    wrong = Credentials(AZURITE_ACCOUNT, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=")
    with pytest.raises(InvalidCredentials):
        open_storage(azurite_server.settings(), wrong).get_object(bucket, KEY)


def test_an_aborted_read_is_cancelled(azurite_server: AzuriteServer) -> None:
    storage = azurite_server.backend()
    bucket = azurite_server.bucket()
    storage.put_object(bucket, KEY, BODY, content_md5="")
    reader = storage.get_object(bucket, KEY)
    assert reader.read(10) == BODY[:10]
    reader.abort()
    with pytest.raises(Cancelled):
        reader.read(1024)
    reader.close()


def test_a_listings_first_page_asks_for_fewer_rows(
    azurite_server: AzuriteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window's first screen waits for a folder's first page only: it asks for
    FIRST_PAGE_ROWS (1,000; 3 here), every later page for page_size, every key once."""
    monkeypatch.setattr(azure_backend, "FIRST_PAGE_ROWS", 3)
    storage = azurite_server.backend(page_size=5000)
    bucket = azurite_server.bucket()
    keys = [f"d/k{i}" for i in range(8)]
    for key in keys:
        storage.put_object(bucket, key, b"x", content_md5="")
    first = storage.list_page(bucket, "d/")
    assert [e.key for e in first.objects] == keys[:3] and first.next_token
    rest = storage.list_page(bucket, "d/", first.next_token)
    assert [e.key for e in rest.objects] == keys[3:] and not rest.next_token
    # A recursive listing is read whole: full pages from the start.
    whole = storage.list_page(bucket, "d/", recursive=True)
    assert [e.key for e in whole.objects] == keys and not whole.next_token


def test_a_small_upload_is_one_put_signed_as_the_sdk_signs(
    azurite_server: AzuriteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Put Blob through http_pool, with the account key or a SAS, the SDK never called; an
    empty file's signature (Content-Length signed empty) is accepted too."""
    from azure.storage.blob import BlobClient

    def no_sdk(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the SDK's upload_blob was called")

    monkeypatch.setattr(BlobClient, "upload_blob", no_sdk)
    bucket = azurite_server.bucket()
    md5 = base64.b64encode(hashlib.md5(BODY).digest()).decode()
    token = container_sas(bucket, "rlwc")
    for storage in (azurite_server.backend(), sas_storage(azurite_server, token)):
        etag = storage.put_object(bucket, KEY, BODY, content_md5=md5, content_type="text/x-test")
        info = storage.head_object(bucket, KEY)
        assert (info.etag, info.size, info.content_type) == (etag, len(BODY), "text/x-test")
        with storage.get_object(bucket, KEY) as reader:
            assert reader.read(-1) == BODY and reader.md5 == hashlib.md5(BODY).hexdigest()
        assert storage.put_object(bucket, "empty", b"", content_md5="")
        assert storage.head_object(bucket, "empty").size == 0


def test_a_refused_upload_is_the_sdks_error(azurite_server: AzuriteServer) -> None:
    """What Put Blob refuses (damaged bytes, a read-only SAS, a wrong key) is sent again
    through the SDK, whose table names it."""
    storage = azurite_server.backend()
    bucket = azurite_server.bucket()
    other = base64.b64encode(hashlib.md5(b"other bytes").digest()).decode()
    with pytest.raises(IntegrityError):
        storage.put_object(bucket, KEY, BODY, content_md5=other)
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, KEY)  # nothing was stored
    with pytest.raises(AccessDenied):
        sas_storage(azurite_server, container_sas(bucket, "rl")).put_object(
            bucket, KEY, BODY, content_md5=""
        )
    wrong = Credentials(AZURITE_ACCOUNT, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=")
    with pytest.raises(InvalidCredentials):
        open_storage(azurite_server.settings(), wrong).put_object(bucket, KEY, BODY, content_md5="")
