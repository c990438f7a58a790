"""The conformance suite: one backend contract, run on every backend × server (rclone's
``fstests`` idea). A test takes ``target`` and runs once per entry of :data:`TARGETS`.

Data is seeded through the storage interface (``Storage.put_object``…), never a raw SDK
client; only a server-side switch the interface does not offer (turning versioning on) is
the target's own business. What a server documents it does differently is a **quirk** of
its target (the constants below), and the tests assert that documented outcome: nothing is
skipped. Limits and flags come from ``storage.features``, never literals.

Azure runs on Azurite (``azurite_server``). Adding a backend is one entry in :data:`TARGETS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.checksums import is_plain_md5
from cloudbrowser.core.storage import Storage
from tests.conftest import AzuriteServer, GcsServer, MemoryServer, S3Server, TestServer

#: rclone serve s3 keeps objects as files: a key with an empty path segment (a leading
#: "/", "a//b") is refused with InvalidArgument.
EMPTY_SEGMENTS_REFUSED = "empty path segments refused"
#: rclone serve s3 keeps objects as files: an empty folder's placeholder "name/" is stored as a
#: file "name", so no folder appears (``core.folders`` takes it back: FolderNotKept).
EMPTY_FOLDERS_NOT_KEPT = "empty folders not kept"
#: rclone serve s3 has no UploadPartCopy (it answers 200 and stores nothing): copy_chunk
#: raises StorageError code NotImplemented.
NO_CHUNK_COPY = "no chunk copy"
#: Creating a bucket one owns already succeeds (Amazon S3 in us-east-1, moto).
RECREATE_SUCCEEDS = "recreating an own bucket succeeds"
#: rclone serve s3 ignores a GET's If-Match: the reply's ``etag`` is the only sign that
#: the object changed (the caller compares it).
IF_MATCH_IGNORED = "If-Match ignored"
#: rclone serve s3 ignores If-Match on PutObject and CompleteMultipartUpload: the write
#: is stored over any revision. Its features say so (``conditional_puts`` False: an
#: "Other S3-compatible" server), so the engine compares by a HEAD before it writes.
WRITE_IF_MATCH_IGNORED = "If-Match of a write ignored"
#: moto ignores CompleteMultipartUpload's If-Match (it checks PutObject's), and
#: fake-gcs-server a resumable session's ifGenerationMatch (it checks a single upload's):
#: a chunked upload's commit is stored over any revision.
COMMIT_IF_MATCH_IGNORED = "If-Match of a commit ignored"
#: rclone serve s3 ignores If-None-Match: * on PutObject and CompleteMultipartUpload: a
#: create-only write is stored over an object of its name. Its features say so
#: (``conditional_puts`` False), so the engine looks by a HEAD before it writes.
WRITE_CREATE_ONLY_IGNORED = "If-None-Match of a write ignored"
#: fake-gcs-server ignores a resumable session's ifGenerationMatch=0 (it checks a single
#: upload's): a create-only chunked upload's commit is stored over an object of its name.
#: (moto checks CompleteMultipartUpload's If-None-Match, though not its If-Match.)
COMMIT_CREATE_ONLY_IGNORED = "If-None-Match of a commit ignored"
#: moto does not check Content-MD5: a body that does not match it is stored.
MD5_UNCHECKED = "Content-MD5 unchecked"
#: moto answers a chunk sent to an aborted session with a 500 (not NoSuchUpload).
ABORTED_SESSION_500 = "aborted session answers 500"
#: moto ignores a chunk copy's If-Match (CopySourceIfMatch): the current source is copied.
COPY_IF_MATCH_IGNORED = "copy If-Match ignored"
#: moto checks If-None-Match: * on PutObject but not on CopyObject, and fake-gcs-server
#: ifGenerationMatch=0 on an upload but not on a rewrite: a create-only copy is stored
#: over an object of its name (Amazon S3 and GCS check both).
COPY_CREATE_ONLY_IGNORED = "If-None-Match of a copy ignored"
#: moto lists a folder that holds only deleted keys (delete markers) as a common prefix.
DELETED_FOLDERS_LISTED = "folders of deleted keys listed"
#: rclone serve s3 keeps the MD5 of the whole object as a chunked object's ETag (its commit
#: answers S3's composite one), and commits chunks below the smallest chunk size.
WHOLE_MD5_ETAGS = "whole-object MD5 ETags"
MIN_CHUNK_UNCHECKED = "smallest chunk unchecked"
#: Azure's ETag is an opaque revision ("0x8DC…"), never the body's MD5 (which is a
#: property of its own): a put's and a commit's revision is compared with what head and
#: list say, not with an MD5. A chunk's token is its MD5 all the same (the backend writes
#: it into the block id).
OPAQUE_ETAGS = "opaque ETags"
#: Azurite lists blobs in UTF-16 code-unit order (an emoji, a surrogate pair, before
#: U+FF5E); Azure itself in UTF-8 byte order.
UTF16_ORDER = "UTF-16 order"
#: Azure has no call that starts an upload or drops its staged blocks: a session is seen
#: by the server from its first block on, and an aborted one is still listed (and takes
#: more blocks) until the service drops uncommitted blocks after 7 days.
BLOCKS_OUTLIVE_ABORT = "staged blocks outlive an abort"
#: Google Cloud Storage's revision of every object stored in one go, a resumable upload's
#: too, is the MD5 of all its bytes (it has no composite ETag).
WHOLE_MD5_REVISIONS = "whole-object MD5 revisions"
#: Google Cloud Storage has no delete markers: a key whose generations are all noncurrent
#: is deleted, shown with one stand-in marker; deleting it again changes nothing, and
#: undelete restores its newest generation.
ONE_DELETE_MARKER = "one stand-in delete marker"
#: fake-gcs-server ignores ``generation`` on a delete: it deletes the live object instead
#: (GCS deletes the generation named).
GENERATION_DELETE_IGNORED = "generation of a delete ignored"
#: Google Cloud Storage keeps no list of resumable upload sessions:
#: list_unfinished_uploads raises NotSupported (the sessions expire on their own).
NO_UPLOAD_LISTING = "unfinished uploads not listed"
#: fake-gcs-server lists every folder (common prefix) of a delimited listing on every
#: page, beyond ``maxResults``: only objects are paged.
FOLDERS_NOT_PAGINATED = "folders not paginated"
#: fake-gcs-server ignores a rewrite's ``storageClass``: the rewrite succeeds and the
#: object keeps its class (GCS gives the rewritten object the class asked for).
CLASS_REWRITE_IGNORED = "storage class of a rewrite ignored"
#: moto and Azurite finish a restore at once (Glacier takes minutes to hours, an Archive
#: rehydration up to 15 hours): right after the request moto's object has a readable copy
#: (``ongoing-request="false"``), Azurite's blob is in the target tier.
RESTORED_AT_ONCE = "restored at once"


@dataclass
class Target:
    """One backend on one server, as the tests see it."""

    name: str
    server: TestServer
    #: Connection settings for this target (moto is Amazon S3: its provider preset).
    overrides: dict[str, Any] = field(default_factory=dict)
    quirks: frozenset[str] = frozenset()
    #: Turns a bucket's versioning on; None where the server keeps no versions.
    enable_versioning: Callable[[str], None] | None = None

    def storage(self, page_size: int = 1000) -> Storage:
        """A connection through the registry, as the window and the CLI open one."""
        settings = self.server.settings(**self.overrides)
        return open_storage(settings, self.server.credentials, page_size=page_size)

    def bucket(self, stem: str = "conf") -> str:
        return self.server.bucket(stem)

    def has(self, quirk: str) -> bool:
        return quirk in self.quirks


def _memory(request: pytest.FixtureRequest) -> Target:
    server: MemoryServer = request.getfixturevalue("memory_server")
    return Target(
        "memory", server, enable_versioning=lambda b: server.store.set_versioning(b, "Enabled")
    )


def _moto(request: pytest.FixtureRequest) -> Target:
    server: S3Server = request.getfixturevalue("moto_server")

    def enable(bucket: str) -> None:
        server.client.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        )

    return Target(
        "moto",
        server,
        overrides={"provider": "aws"},  # moto emulates Amazon S3: versions, tags
        quirks=frozenset(
            {
                RECREATE_SUCCEEDS,
                MD5_UNCHECKED,
                ABORTED_SESSION_500,
                COPY_IF_MATCH_IGNORED,
                COPY_CREATE_ONLY_IGNORED,
                DELETED_FOLDERS_LISTED,
                RESTORED_AT_ONCE,
                COMMIT_IF_MATCH_IGNORED,
            }
        ),
        enable_versioning=enable,
    )


def _rclone(request: pytest.FixtureRequest) -> Target:
    return Target(
        "rclone",
        request.getfixturevalue("rclone_server"),
        # No provider: "Other S3-compatible", whose features say no versions, no tags.
        quirks=frozenset(
            {
                EMPTY_SEGMENTS_REFUSED,
                NO_CHUNK_COPY,
                IF_MATCH_IGNORED,
                WHOLE_MD5_ETAGS,
                MIN_CHUNK_UNCHECKED,
                WRITE_IF_MATCH_IGNORED,
                WRITE_CREATE_ONLY_IGNORED,
                EMPTY_FOLDERS_NOT_KEPT,
            }
        ),
    )


def _azurite(request: pytest.FixtureRequest) -> Target:
    server: AzuriteServer = request.getfixturevalue("azurite_server")
    return Target(
        "azurite",
        server,
        # Azurite has no Put Block From URL (APINotImplemented): NO_CHUNK_COPY. A stub in
        # front of Azurite tests it (tests/contract/test_azure_block_copy.py).
        quirks=frozenset(
            {
                OPAQUE_ETAGS,
                UTF16_ORDER,
                MIN_CHUNK_UNCHECKED,
                BLOCKS_OUTLIVE_ABORT,
                NO_CHUNK_COPY,
                RESTORED_AT_ONCE,
            }
        ),
    )


def etag_of(target: Target, body: bytes) -> str | None:
    """The ETag the target gives ``body`` stored in one request: its MD5, or None where
    ETags are opaque revisions (then only equality with other answers can be checked)."""
    return None if target.has(OPAQUE_ETAGS) else hashlib.md5(body).hexdigest()


def check_etag(target: Target, etag: str, body: bytes) -> None:
    """``etag`` is what the target gives ``body``: its MD5, or an opaque revision."""
    expected = etag_of(target, body)
    if expected is None:
        assert etag and not is_plain_md5(etag)
    else:
        assert etag == expected


def _gcs(request: pytest.FixtureRequest) -> Target:
    server: GcsServer = request.getfixturevalue("gcs_server")

    def enable(bucket: str) -> None:
        storage = server.backend()
        assert isinstance(storage, Storage)
        # A server switch the interface does not offer: the JSON API's bucket patch.
        http = storage.http  # type: ignore[attr-defined]
        reply = http.patch(
            f"{server.endpoint_url}/storage/v1/b/{bucket}", json={"versioning": {"enabled": True}}
        )
        assert reply.status_code == 200, reply.text

    return Target(
        "gcs",
        server,
        quirks=frozenset(
            {
                NO_CHUNK_COPY,
                WHOLE_MD5_ETAGS,
                WHOLE_MD5_REVISIONS,
                NO_UPLOAD_LISTING,
                FOLDERS_NOT_PAGINATED,
                ONE_DELETE_MARKER,
                GENERATION_DELETE_IGNORED,
                CLASS_REWRITE_IGNORED,
                COMMIT_IF_MATCH_IGNORED,
                COMMIT_CREATE_ONLY_IGNORED,
                COPY_CREATE_ONLY_IGNORED,
            }
        ),
        enable_versioning=enable,
    )


#: Target name → (how to set it up, its pytest marks). Servers are marked ``server``.
TARGETS: dict[str, tuple[Callable[[pytest.FixtureRequest], Target], tuple[Any, ...]]] = {
    "memory": (_memory, ()),
    "moto": (_moto, (pytest.mark.server,)),
    "rclone": (_rclone, (pytest.mark.server,)),
    "azurite": (_azurite, (pytest.mark.server,)),
    "gcs": (_gcs, (pytest.mark.server,)),
}


@pytest.fixture(params=[pytest.param(name, marks=marks) for name, (_, marks) in TARGETS.items()])
def target(request: pytest.FixtureRequest) -> Target:
    make, _marks = TARGETS[request.param]
    return make(request)
