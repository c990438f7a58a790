"""What the Azure backend writes, read back on Azurite through azure-storage-blob itself
(not through the backend): every upload is a block blob, whether one Put Blob or staged
blocks and Put Block List; a folder renamed (copy then delete per blob) is all there under
its new name with its bytes and Content-MD5, and nothing is left under the old one."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from cloudbrowser.core.backends.azure import fast
from cloudbrowser.core.journal import Direction, Journal, State
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.storage import MiB, chunked_uploads_of
from cloudbrowser.core.transfers import TransferOptions, TransferQueue, TransferRequest
from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from tests.conftest import AzuriteServer
from tests.contract.test_transfer_faults import queue_on
from tests.contract.test_transfers import make_file

#: Blocks of 1 MiB (Azure's smallest here): a 3.5 MiB file is staged in four.
OPTIONS = TransferOptions(part_size=1 * MiB, concurrency=2, part_concurrency=2)


def sdk(server: AzuriteServer) -> BlobServiceClient:
    """Azurite as the SDK sees it, with the account key: the check does not trust the
    backend it checks."""
    return BlobServiceClient(
        server.endpoint_url,
        credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY},
    )


def b64_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def blobs_under(client: BlobServiceClient, bucket: str, prefix: str = "") -> list[str]:
    container = client.get_container_client(bucket)
    return sorted(b.name for b in container.list_blobs(name_starts_with=prefix or None))


def stored_md5(client: BlobServiceClient, bucket: str, key: str) -> str:
    """The blob's Content-MD5 as the service keeps it, hex ("" for none)."""
    props = client.get_blob_client(bucket, key).get_blob_properties()
    digest = props.content_settings.content_md5
    return bytes(digest).hex() if digest else ""


@pytest.fixture
def queue(azurite_server: AzuriteServer, tmp_path: Path) -> Iterator[TransferQueue]:
    made = queue_on(
        azurite_server.backend(),  # type: ignore[arg-type]
        Journal(tmp_path / "journal.sqlite3"),
        OPTIONS,
    )
    yield made
    made.shutdown()


def test_a_small_upload_and_a_staged_one_are_both_block_blobs(
    azurite_server: AzuriteServer, queue: TransferQueue, tmp_path: Path
) -> None:
    """A small file is one Put Blob, a file above the block size Put Block + Put Block
    List: the service types both BlockBlob (an append or page blob could not be read back
    in ranges as the engine does, nor tiered), each with the whole file's Content-MD5."""
    bucket = azurite_server.bucket("blocks")
    small = make_file(tmp_path / "small.txt", 300)
    big = make_file(tmp_path / "big.bin", 3 * MiB + MiB // 2)
    requests = [
        TransferRequest(
            Direction.UPLOAD,
            azurite_server.settings().name,
            bucket,
            path.name,
            path,
            path.stat().st_size,
            path.stat().st_mtime,
        )
        for path in (tmp_path / "small.txt", tmp_path / "big.bin")
    ]
    transfers = queue.add(requests, batch="b")
    assert queue.wait(transfers, timeout=60)
    assert [(t.state, t.verified) for t in transfers] == [(State.DONE, True)] * 2, [
        t.error for t in transfers
    ]

    client = sdk(azurite_server)
    small_blob = client.get_blob_client(bucket, "small.txt")
    big_blob = client.get_blob_client(bucket, "big.bin")
    assert small_blob.get_blob_properties().blob_type == "BlockBlob"
    assert big_blob.get_blob_properties().blob_type == "BlockBlob"
    # The small one has no blocks of its own (one Put Blob); the big one is its four.
    small_blocks, _ = small_blob.get_block_list("committed")
    big_blocks, uncommitted = big_blob.get_block_list("all")
    assert small_blocks == []
    assert [b.size for b in big_blocks] == [MiB, MiB, MiB, MiB // 2] and uncommitted == []
    assert stored_md5(client, bucket, "small.txt") == hashlib.md5(small).hexdigest()
    assert stored_md5(client, bucket, "big.bin") == hashlib.md5(big).hexdigest()
    assert small_blob.download_blob().readall() == small
    assert big_blob.download_blob().readall() == big


def test_a_direct_put_and_commit_are_block_blobs(
    azurite_server: AzuriteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through the interface's own calls, and the SDK's Put Blob too (the one a
    connection without the fast path sends: ``CLOUDBROWSER_FAST_PATH=0``, Entra ID)."""
    bucket = azurite_server.bucket("blocks")
    storage = azurite_server.backend()
    storage.put_object(bucket, "put.txt", b"put", content_md5="")
    monkeypatch.setattr(fast, "FAST_PATH_ON", False)
    azurite_server.backend().put_object(bucket, "sdk.txt", b"sdk", content_md5="")
    uploads = chunked_uploads_of(storage)
    session = uploads.begin_upload(bucket, "staged.bin")
    parts = [b"a" * MiB, b"b" * 1000]
    tokens = [
        uploads.upload_chunk(
            bucket,
            "staged.bin",
            session,
            number,
            part,
            content_md5=b64_md5(part),
        )
        for number, part in enumerate(parts, 1)
    ]
    uploads.commit_upload(
        bucket,
        "staged.bin",
        session,
        list(enumerate(tokens, 1)),
        content_md5=b64_md5(b"".join(parts)),
    )
    client = sdk(azurite_server)
    for key in ("put.txt", "sdk.txt", "staged.bin"):
        props = client.get_blob_client(bucket, key).get_blob_properties()
        assert props.blob_type == "BlockBlob", key
    assert stored_md5(client, bucket, "staged.bin") == hashlib.md5(b"".join(parts)).hexdigest()


def test_renaming_a_folder_moves_every_blob_with_its_bytes_and_md5(
    azurite_server: AzuriteServer,
) -> None:
    """A virtual directory of nested blobs, over several listing pages, renamed as the
    window renames one (a move whose new names must be free): every blob is under the
    new name with the same bytes and Content-MD5 (one of them made of blocks, whose MD5
    was given to Put Block List), the empty sub-folder's placeholder too, nothing is left
    under the old name, and a neighbour whose name only starts the same stays."""
    bucket = azurite_server.bucket("rename")
    files = {
        f"reports/2024/{month:02d}/day-{day}.txt": f"report {month}-{day}".encode()
        for month in range(1, 5)
        for day in range(1, 4)
    }
    files["reports/2024/summary.txt"] = b"the year"
    files["reports/2024/empty/"] = b""  # a folder placeholder
    azurite_server.put(bucket, files)
    neighbours = {"reports/2024-draft.txt": b"not in the folder", "reports/other/x.txt": b"x"}
    azurite_server.put(bucket, neighbours)
    storage = azurite_server.backend(page_size=5)
    uploads = chunked_uploads_of(storage)
    blocks = [b"1" * MiB, b"2" * 777]
    session = uploads.begin_upload(bucket, "reports/2024/big/blocks.bin")
    tokens = [
        uploads.upload_chunk(
            bucket, "reports/2024/big/blocks.bin", session, n, part, content_md5=""
        )
        for n, part in enumerate(blocks, 1)
    ]
    whole = b"".join(blocks)
    uploads.commit_upload(
        bucket,
        "reports/2024/big/blocks.bin",
        session,
        list(enumerate(tokens, 1)),
        content_md5=b64_md5(whole),
    )
    files["reports/2024/big/blocks.bin"] = whole
    client = sdk(azurite_server)
    before = {key: stored_md5(client, bucket, key) for key in files}
    assert all(before[k] == hashlib.md5(v).hexdigest() for k, v in files.items()), before

    op = Operation(
        storage,
        OpKind.MOVE,
        bucket,
        [OpItem("reports/2024/", "reports/2023/", create_only=True)],
    )
    result = op.run()
    assert result.ok, result.failed
    assert result.done == len(files) and op.state is State.DONE

    assert blobs_under(client, bucket, "reports/2024/") == []
    moved = {key.replace("reports/2024/", "reports/2023/", 1): body for key, body in files.items()}
    assert blobs_under(client, bucket, "reports/2023/") == sorted(moved)
    for key, body in moved.items():
        blob = client.get_blob_client(bucket, key)
        assert blob.download_blob().readall() == body, key
        assert stored_md5(client, bucket, key) == hashlib.md5(body).hexdigest(), key
        assert blob.get_blob_properties().blob_type == "BlockBlob", key
    for key, body in neighbours.items():
        assert client.get_blob_client(bucket, key).download_blob().readall() == body
    assert blobs_under(client, bucket) == sorted([*moved, *neighbours])
    # The engine's own view agrees: a download through the backend verifies the MD5.
    with storage.get_object(bucket, "reports/2023/big/blocks.bin") as reader:
        assert reader.read(-1) == whole
        assert reader.md5 == hashlib.md5(whole).hexdigest()
