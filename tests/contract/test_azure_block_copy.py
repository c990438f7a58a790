"""Server-side copy of a large blob block by block (Put Block From URL: the Azure backend's
``copy_chunk``), through the engine's copy operation.

Azurite 3.35 answers Put Block From URL with 501 APINotImplemented, so these tests run
against a small stub on 127.0.0.1 in front of Azurite that answers it as Azure documents
it (``tests/azure_copy_stub.py``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from cloudbrowser.core import operations
from cloudbrowser.core.errors import ObjectChanged
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.storage import MiB, chunked_uploads_of, server_copy_of
from tests.azure_copy_stub import CopyStub
from tests.conftest import AzuriteServer


@pytest.fixture
def stub(azurite_server: AzuriteServer) -> Iterator[CopyStub]:
    front = CopyStub(azurite_server.endpoint_url)
    yield front
    front.close()


def test_a_large_blob_is_copied_block_by_block_on_the_server(
    azurite_server: AzuriteServer, stub: CopyStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the one-request copy limit (lowered here from 256 MiB) a blob is copied in
    blocks by Put Block From URL and committed by Put Block List: same bytes, and the
    source's Content-MD5 kept, so a download of the copy is verified."""
    monkeypatch.setattr(operations, "COPY_PART_SIZE", 1 * MiB)  # Azure's smallest block here
    bucket = azurite_server.bucket("blockcopy")
    data = os.urandom(3 * MiB + 12_345)  # three full blocks and a short one
    storage = azurite_server.backend(endpoint_url=stub.url)
    storage.put_object(bucket, "big.bin", data, content_md5="")
    source = storage.head_object(bucket, "big.bin")
    assert source.md5 == hashlib.md5(data).hexdigest()  # Put Blob stores it

    op = Operation(storage, OpKind.COPY, bucket, [OpItem("big.bin", "copy.bin")], max_copy=MiB)
    result = op.run()
    assert result.ok, result.failed

    # Four blocks, copied by the server from the byte ranges of the source.
    ranges = [(first, last) for path, _id, first, last in stub.block_copies]
    assert {path for path, *_ in stub.block_copies} == {f"{bucket}/copy.bin"}
    assert sorted(set(ranges)) == [
        (0, MiB - 1),
        (MiB, 2 * MiB - 1),
        (2 * MiB, 3 * MiB - 1),
        (3 * MiB, len(data) - 1),
    ]
    with storage.get_object(bucket, "copy.bin") as reader:
        copied = reader.read(-1)
        assert reader.md5 == source.md5  # the copy's Content-MD5: the source's
    assert hashlib.md5(copied).hexdigest() == hashlib.md5(data).hexdigest()
    assert copied == data
    copy = storage.head_object(bucket, "copy.bin")
    assert (copy.size, copy.md5) == (len(data), source.md5)
    # No provisional block is left in the committed blob.
    blob = stub.azurite.get_blob_client(bucket, "copy.bin")
    committed, _uncommitted = blob.get_block_list("committed")
    assert len(committed) == 4


def test_a_block_copy_of_a_changed_source_is_refused(
    azurite_server: AzuriteServer, stub: CopyStub
) -> None:
    """Each block is pinned to the source's revision (``x-ms-source-if-match``)."""
    bucket = azurite_server.bucket("blockcopy")
    storage = azurite_server.backend(endpoint_url=stub.url)
    storage.put_object(bucket, "src.bin", b"a" * 4096, content_md5="")
    old = storage.head_object(bucket, "src.bin").etag
    storage.put_object(bucket, "src.bin", b"b" * 4096, content_md5="")
    session = chunked_uploads_of(storage).begin_upload(bucket, "copy.bin")
    with pytest.raises(ObjectChanged):
        server_copy_of(storage).copy_chunk(
            bucket, "src.bin", bucket, "copy.bin", session, 1, 0, 4095, if_match=old
        )
    token = server_copy_of(storage).copy_chunk(
        bucket, "src.bin", bucket, "copy.bin", session, 1, 0, 4095
    )
    assert token == hashlib.md5(b"b" * 4096).hexdigest()
