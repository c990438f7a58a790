"""What the GCS backend sends, seen by a recording front before fake-gcs-server
(``tests/gcs_stub.gcs_front``), where fake-gcs-server cannot tell: a new bucket's location
and class (it keeps neither: every bucket is US-CENTRAL1, STANDARD), the rewrite's token
loop (it finishes every rewrite in one call; the front answers the first rounds as GCS
answers a large or cross-location copy), that no write asks for an ACL (a bucket with
uniform bucket-level access refuses them), and deletes one by one where the server takes
no JSON batch."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import pytest

from cloudbrowser.core.backends.gcs.features import CHUNK_GRANULE
from cloudbrowser.core.backends.gcs.rewrite import MAX_STALLED_ROUNDS
from cloudbrowser.core.errors import (
    AccessDenied,
    BucketNotFound,
    Cancelled,
    CloudBrowserError,
    KeyNotFound,
    StorageError,
)
from cloudbrowser.core.interrupt import stoppable
from cloudbrowser.core.journal import State
from cloudbrowser.core.operations import Operation, OpItem, OpKind
from cloudbrowser.core.paging import iter_pages
from cloudbrowser.core.storage import (
    BatchDelete,
    Storage,
    chunked_uploads_of,
    properties_of,
    server_copy_of,
    storage_classes_of,
    versioning_switch_of,
)
from cloudbrowser.core.versions import object_versions, restore, undelete
from tests.conftest import GCS_PROJECT, GcsServer
from tests.gcs_stub import gcs_front, json_reply
from tests.hostile import Forward, HostileS3, Reply, Request, Rule

#: An object of three resumable chunks (the last one short); no "acl" in its bytes.
DATA = b"z" * (2 * CHUNK_GRANULE + 1000)


@pytest.fixture
def front(gcs_server: GcsServer) -> Iterator[HostileS3]:
    with gcs_front(gcs_server.endpoint_url) as running:
        yield running


def through(front: HostileS3, gcs_server: GcsServer) -> Storage:
    """A connection to fake-gcs-server through the front."""
    return gcs_server.backend(endpoint_url=front.url)


def new_bucket_name(gcs_server: GcsServer, stem: str) -> str:
    """A name for a bucket the test makes; removed after it."""
    name = f"{stem}-{uuid.uuid4().hex[:10]}"
    gcs_server._buckets.append(name)
    return name


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def keys_in(storage: Storage, bucket: str) -> list[str]:
    return [e.key for page in iter_pages(storage, bucket, "", recursive=True) for e in page.objects]


# ── a new bucket's location and storage class ──────────────────────────────────────────


def test_a_new_bucket_is_sent_the_location_and_storage_class_it_is_given(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """As the window's New bucket and ``mb -l/--storage-class`` give them: "LOCATION/CLASS"."""
    storage = through(front, gcs_server)
    asked = {
        new_bucket_name(gcs_server, "eu-nearline"): "EU/NEARLINE",
        new_bucket_name(gcs_server, "typed-lower"): "us-east1/coldline",
        new_bucket_name(gcs_server, "class-only"): "/ARCHIVE",
        new_bucket_name(gcs_server, "plain"): "",
    }
    for name, region in asked.items():
        storage.create_bucket(name, region)
    sent = {
        json.loads(r.body)["name"]: (r.query, json.loads(r.body))
        for r in front.requests_matching(lambda r: (r.method, r.path) == ("POST", "/storage/v1/b"))
    }
    eu, lower, class_only, plain = asked
    assert sent == {
        eu: ({"project": GCS_PROJECT}, {"name": eu, "location": "EU", "storageClass": "NEARLINE"}),
        lower: (
            {"project": GCS_PROJECT},
            {"name": lower, "location": "US-EAST1", "storageClass": "COLDLINE"},
        ),
        class_only: ({"project": GCS_PROJECT}, {"name": class_only, "storageClass": "ARCHIVE"}),
        # Neither: GCS's defaults (US, STANDARD).
        plain: ({"project": GCS_PROJECT}, {"name": plain}),
    }
    assert set(asked) <= {b.name for b in storage.list_buckets()}


# ── the rewrite's token loop ───────────────────────────────────────────────────────────


def unfinished_rounds(tokens: list[str]) -> Rule:
    """A rewrite answered as GCS answers a large or cross-location one: not done, with a
    token, once per token in ``tokens`` (each round must send back the one before); the
    round that sends the last token goes on to fake-gcs-server, which finishes it."""
    rounds = ["", *tokens]

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.method != "POST" or "/rewriteTo/" not in request.path:
            return None
        sent = request.query.get("rewriteToken", "")
        if sent == tokens[-1]:
            return forward()
        if sent not in rounds:
            return json_reply(400, {"error": {"code": 400, "message": "Invalid rewrite token."}})
        return json_reply(
            200,
            {
                "kind": "storage#rewriteResponse",
                "totalBytesRewritten": str(len(DATA) * (rounds.index(sent) + 1) // 3),
                "objectSize": str(len(DATA)),
                "done": False,
                "rewriteToken": tokens[rounds.index(sent)],
            },
        )

    return rule


def test_a_copy_sends_each_rewrite_token_back_until_done(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    source, target = gcs_server.bucket(), gcs_server.bucket("dest")
    gcs_server.put(source, {"big.bin": DATA})
    front.rule(unfinished_rounds(["token-1", "token-2"]))
    storage = through(front, gcs_server)

    copied = server_copy_of(storage).copy_object(
        source, "big.bin", target, "copied.bin", create_only=True
    )

    rounds = front.requests_matching(lambda r: "/rewriteTo/" in r.path)
    assert [r.query.get("rewriteToken") for r in rounds] == [None, "token-1", "token-2"]
    first = rounds[0]
    assert first.query == {"ifGenerationMatch": "0"}, "the create-only precondition"
    for later in rounds[1:]:
        assert later.path == first.path
        assert {k: v for k, v in later.query.items() if k != "rewriteToken"} == first.query
        assert json.loads(later.body) == json.loads(first.body) == {}
    # The result is the last round's resource: the copy's MD5, the copy there.
    assert copied == hashlib.md5(DATA).hexdigest()
    with storage.get_object(target, "copied.bin") as reader:
        assert reader.read(-1) == DATA


def test_a_storage_class_change_keeps_its_body_and_precondition_every_round(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"cold.bin": DATA})
    front.rule(unfinished_rounds(["token-a", "token-b", "token-c"]))
    storage = through(front, gcs_server)

    storage_classes_of(storage).set_storage_class(bucket, "cold.bin", "nearline")

    rounds = front.requests_matching(lambda r: "/rewriteTo/" in r.path)
    assert [r.query.get("rewriteToken") for r in rounds] == [
        None,
        "token-a",
        "token-b",
        "token-c",
    ]
    # Pinned to the generation it looked at, in every round; the same new class.
    generation = rounds[0].query["ifSourceGenerationMatch"]
    assert generation.isdigit()
    for r in rounds:
        assert {k: v for k, v in r.query.items() if k != "rewriteToken"} == {
            "ifSourceGenerationMatch": generation
        }
        assert json.loads(r.body) == {"storageClass": "NEARLINE"}


def test_a_rewrite_reply_neither_done_nor_continued_is_an_error_not_a_loop(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"a.bin": b"a"})

    def tokenless(request: Request, forward: Forward) -> Reply | None:
        if "/rewriteTo/" not in request.path:
            return None
        return json_reply(200, {"kind": "storage#rewriteResponse", "done": False})

    front.rule(tokenless)
    with pytest.raises(StorageError) as raised:
        server_copy_of(through(front, gcs_server)).copy_object(bucket, "a.bin", bucket, "b.bin")
    assert raised.value.code == "UnreadableReply"
    assert len(front.requests_matching(lambda r: "/rewriteTo/" in r.path)) == 1


def endless_rounds(
    reply: Callable[[int], dict[str, Any]],
    *,
    until: int,
    on_round: Callable[[int], None] | None = None,
) -> Rule:
    """A rewrite answered not done by ``reply(n)`` for its round n (1, 2…), whatever token
    comes back; from round ``until`` on it goes to fake-gcs-server, which finishes it (so
    that a client that does not stop meets a finished copy, not an endless test).
    ``on_round(n)`` is called before round n is answered."""
    lock = threading.Lock()
    rounds = [0]

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.method != "POST" or "/rewriteTo/" not in request.path:
            return None
        with lock:
            rounds[0] += 1
            n = rounds[0]
        if on_round is not None:
            on_round(n)
        if n >= until:
            request.query.pop("rewriteToken", None)
            return forward()
        return json_reply(200, {"kind": "storage#rewriteResponse", "done": False, **reply(n)})

    return rule


def progressing(n: int) -> dict[str, Any]:
    """Round n of a copy that moves on: a new token, more bytes, not yet all."""
    return {
        "rewriteToken": f"token-{n}",
        "totalBytesRewritten": str(n * 1000),
        "objectSize": str(10**9),
    }


def rewrite_rounds(front: HostileS3, key: str = "") -> list[Request]:
    return front.requests_matching(
        lambda r: "/rewriteTo/" in r.path and (not key or f"/o/{key}/" in r.path)
    )


def test_a_stop_between_rewrite_rounds_ends_the_copy_with_nothing_written(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """Inside core/interrupt.stoppable (where an operation runs its copies) a stop is
    seen after the round in flight, which is not abandoned: no further round is sent, and
    the destination, which GCS writes only in the last round, never exists."""
    source, target = gcs_server.bucket(), gcs_server.bucket("dest")
    gcs_server.put(source, {"big.bin": DATA})
    stop = threading.Event()
    front.rule(endless_rounds(progressing, until=4, on_round=lambda n: n == 2 and stop.set()))
    storage = through(front, gcs_server)

    with pytest.raises(Cancelled), stoppable(None, stop):
        server_copy_of(storage).copy_object(source, "big.bin", target, "copied.bin")

    assert [r.query.get("rewriteToken") for r in rewrite_rounds(front)] == [None, "token-1"]
    assert keys_in(storage, target) == []


def test_cancelling_a_move_stops_its_rewrite_between_rounds_and_keeps_the_source(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """A move's copy is never abandoned (its source must go once it is made), but a
    rewrite in rounds stops between them: what was moved is reported done, the object
    stopped between rounds stays where it was, only there, and nothing is reported
    failed."""
    source, target = gcs_server.bucket(), gcs_server.bucket("dest")
    gcs_server.put(source, {"a-small.txt": b"small", "big.bin": DATA})
    storage = through(front, gcs_server)
    operation = Operation(
        storage,
        OpKind.MOVE,
        source,
        [OpItem("a-small.txt", "a-small.txt"), OpItem("big.bin", "big.bin")],
        dest_bucket=target,
        workers=1,  # one copy at a time: the small one is moved before the big one starts
    )

    def big_rounds(request: Request, forward: Forward) -> Reply | None:
        if "/o/big.bin/" not in request.path:
            return None
        return endless(request, forward)

    endless = endless_rounds(progressing, until=4, on_round=lambda n: n == 2 and operation.cancel())
    front.rule(big_rounds)

    result = operation.run()

    assert result.cancelled and operation.state is State.CANCELLED
    assert (result.done, result.failed) == (1, [])
    assert operation.progress().done == 1
    assert keys_in(storage, source) == ["big.bin"]
    assert keys_in(storage, target) == ["a-small.txt"]
    assert len(rewrite_rounds(front, "big.bin")) == 2


def test_a_cancelled_copy_whose_last_rewrite_round_was_under_way_is_reported_copied(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """A plain copy's cancel stops waiting at once (a copy's reply may take minutes), but
    the rewrite round under way goes on; where it was the last, GCS made the copy, which
    is then told as copied (``on_late``, ``on_copied``), not lost as "not copied"."""
    source, target = gcs_server.bucket(), gcs_server.bucket("dest")
    gcs_server.put(source, {"big.bin": DATA})
    storage = through(front, gcs_server)
    told: list[tuple[str, CloudBrowserError | None]] = []
    copied: list[str] = []
    operation = Operation(
        storage,
        OpKind.COPY,
        source,
        [OpItem("big.bin", "big.bin")],
        dest_bucket=target,
        on_late=lambda late, error: told.append((late.key, error)),
        on_copied=lambda made: copied.append(made.key),
    )
    returned = threading.Event()

    def last_round(n: int) -> None:
        if n == 2:  # cancelled while the last round is under way, answered once run() ended
            operation.cancel()
            returned.wait(20)

    front.rule(endless_rounds(progressing, until=2, on_round=last_round))
    result = operation.run()
    returned.set()

    assert result.cancelled and (result.done, result.failed) == (0, [])
    assert operation.wait_settled(20), "the round under way never ended"
    assert told == [("big.bin", None)]
    assert copied == ["big.bin"]
    assert operation.progress().done == 1
    assert keys_in(storage, target) == ["big.bin"]
    assert len(rewrite_rounds(front)) == 2


def test_cancelling_a_class_change_stops_its_rewrite_between_rounds(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"cold.bin": DATA})
    storage = through(front, gcs_server)
    operation = Operation(
        storage, OpKind.STORAGE_CLASS, bucket, [OpItem("cold.bin")], storage_class="NEARLINE"
    )
    front.rule(
        endless_rounds(progressing, until=4, on_round=lambda n: n == 2 and operation.cancel())
    )

    result = operation.run()

    assert result.cancelled and (result.done, result.failed) == (0, [])
    assert len(rewrite_rounds(front)) == 2
    assert storage.head_object(bucket, "cold.bin").storage_class == "STANDARD"


def versioned_with_history(gcs_server: GcsServer, storage: Storage) -> str:
    """A versioned bucket where "doc.txt" had two generations and is deleted now."""
    bucket = gcs_server.bucket()
    versioning_switch_of(storage).set_bucket_versioning(bucket, True)
    storage.put_object(bucket, "doc.txt", b"one", content_md5="")
    storage.put_object(bucket, "doc.txt", b"second", content_md5="")
    storage.delete_object(bucket, "doc.txt")
    return bucket


def test_a_cancelled_undelete_stops_its_rewrite_between_rounds(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """GCS brings a deleted object back by a rewrite of its newest generation: the
    undelete's cancel (the window's job) stops it between rounds, and the object stays
    deleted."""
    storage = through(front, gcs_server)
    bucket = versioned_with_history(gcs_server, storage)
    stop = threading.Event()
    front.rule(endless_rounds(progressing, until=4, on_round=lambda n: n == 2 and stop.set()))

    with pytest.raises(Cancelled):
        undelete(storage, bucket, "doc.txt", stop)

    assert len(rewrite_rounds(front)) == 2
    assert keys_in(storage, bucket) == []


def test_a_cancelled_restore_of_a_version_stops_its_rewrite_between_rounds(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    storage = through(front, gcs_server)
    bucket = versioned_with_history(gcs_server, storage)
    storage.put_object(bucket, "doc.txt", b"the third", content_md5="")
    [oldest] = [v for v in object_versions(storage, bucket, "doc.txt") if v.size == 3]
    stop = threading.Event()
    front.rule(endless_rounds(progressing, until=4, on_round=lambda n: n == 2 and stop.set()))

    with pytest.raises(Cancelled):
        restore(storage, bucket, oldest, stop)

    assert len(rewrite_rounds(front)) == 2
    with storage.get_object(bucket, "doc.txt") as reader:
        assert reader.read(-1) == b"the third"


def test_an_uncancelled_undelete_finishes_its_rounds(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    storage = through(front, gcs_server)
    bucket = versioned_with_history(gcs_server, storage)
    front.rule(endless_rounds(progressing, until=3))

    assert undelete(storage, bucket, "doc.txt", threading.Event()) == 1

    assert len(rewrite_rounds(front)) == 3
    with storage.get_object(bucket, "doc.txt") as reader:
        assert reader.read(-1) == b"second"


@pytest.mark.parametrize(
    ("reply", "rounds"),
    [
        # The first round moves on (its token is new, its bytes the first): the stalls
        # are the rounds after it.
        pytest.param(
            lambda n: {"rewriteToken": "same", "totalBytesRewritten": "1000", "objectSize": "9000"},
            MAX_STALLED_ROUNDS + 1,
            id="one-token-forever",
        ),
        pytest.param(
            lambda n: {"rewriteToken": f"t{n}", "totalBytesRewritten": "0", "objectSize": "9000"},
            MAX_STALLED_ROUNDS + 1,
            id="fresh-tokens-no-bytes",
        ),
        pytest.param(
            lambda n: {
                "rewriteToken": f"t{n}",
                "totalBytesRewritten": str(9000 + n),
                "objectSize": "9000",
            },
            MAX_STALLED_ROUNDS,
            id="more-bytes-than-the-object",
        ),
        pytest.param(lambda n: {"rewriteToken": f"t{n}"}, MAX_STALLED_ROUNDS, id="never-says"),
    ],
)
def test_a_rewrite_that_gets_no_further_is_given_up_with_a_clear_error(
    gcs_server: GcsServer,
    front: HostileS3,
    reply: Callable[[int], dict[str, Any]],
    rounds: int,
) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"a.bin": b"a"})
    front.rule(endless_rounds(reply, until=MAX_STALLED_ROUNDS * 5))
    storage = through(front, gcs_server)

    with pytest.raises(StorageError) as raised:
        server_copy_of(storage).copy_object(bucket, "a.bin", bucket, "b.bin")

    error = raised.value
    assert error.code == "RewriteStopped"
    assert f"“{bucket}/a.bin” to “{bucket}/b.bin”" in error.message
    assert "Nothing was written at the destination" in error.message
    assert "misbehaving" in error.hint
    assert len(rewrite_rounds(front)) == rounds
    assert keys_in(storage, bucket) == ["a.bin"]


def test_a_slow_rewrite_that_keeps_moving_on_is_not_given_up(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """Many rounds are fine as long as each gets further (a large cross-location copy)."""
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"a.bin": b"a"})
    front.rule(endless_rounds(progressing, until=MAX_STALLED_ROUNDS * 3))
    storage = through(front, gcs_server)

    server_copy_of(storage).copy_object(bucket, "a.bin", bucket, "b.bin")

    assert len(rewrite_rounds(front)) == MAX_STALLED_ROUNDS * 3
    assert keys_in(storage, bucket) == ["a.bin", "b.bin"]


# ── a rewrite's refusal names the side it is about ─────────────────────────────────────


def test_a_copy_to_a_missing_bucket_names_that_bucket_not_the_source(
    gcs_server: GcsServer,
) -> None:
    """fake-gcs-server answers a bare "Not Found" whichever side is missing (GCS's words
    differ by side): the source is looked at to tell."""
    source = gcs_server.bucket()
    gcs_server.put(source, {"a.txt": b"a"})
    copy = server_copy_of(gcs_server.backend()).copy_object
    missing = f"gone-{uuid.uuid4().hex[:10]}"

    with pytest.raises(BucketNotFound) as to_missing:
        copy(source, "a.txt", missing, "a.txt")
    assert f"“{missing}”" in to_missing.value.message and source not in to_missing.value.message

    with pytest.raises(BucketNotFound) as from_missing:
        copy(missing, "a.txt", source, "b.txt")
    assert f"“{missing}”" in from_missing.value.message

    with pytest.raises(KeyNotFound) as no_object:
        copy(source, "never-was.txt", missing, "b.txt")
    assert f"“{source}/never-was.txt”" in no_object.value.message


def test_a_copy_refused_where_it_writes_names_the_destination(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """GCS's 403 names a permission (storage.objects.create on the destination, or .get
    on the source), not which object: readable source, so the destination is named."""
    source, target = gcs_server.bucket(), gcs_server.bucket("locked")
    gcs_server.put(source, {"a.txt": b"a"})

    def no_writes(request: Request, forward: Forward) -> Reply | None:
        if "/rewriteTo/" not in request.path:
            return None
        return json_reply(
            403,
            {
                "error": {
                    "code": 403,
                    "message": "tester does not have storage.objects.create access to the "
                    "Google Cloud Storage object.",
                    "errors": [{"reason": "forbidden"}],
                }
            },
        )

    front.rule(no_writes)
    with pytest.raises(AccessDenied) as raised:
        server_copy_of(through(front, gcs_server)).copy_object(source, "a.txt", target, "b.txt")
    assert f"“{target}/b.txt”" in raised.value.message
    assert source not in raised.value.message
    assert "storage.objects.create" in raised.value.detail


# ── uniform bucket-level access: no ACL is ever asked for ──────────────────────────────


def _kind(r: Request) -> str:
    """What a request is, by its method and path."""
    path = unquote(r.path)
    if r.path.startswith("/upload/storage/v1/b/") and r.method == "POST":
        return f"upload {r.query.get('uploadType')}"
    if r.path.startswith("/upload/") and r.method == "PUT":
        return "chunk"
    if "/rewriteTo/" in path:
        return "rewrite"
    if r.method == "PATCH":
        return "patch object" if "/o/" in path else "patch bucket"
    if (r.method, r.path) == ("POST", "/storage/v1/b"):
        return "create bucket"
    return f"{r.method} other"


def _acl_in(r: Request) -> list[str]:
    """Where ``r`` asks for an ACL: predefinedAcl, predefinedDefaultObjectAcl (query),
    ``acl``/``defaultObjectAcl`` (JSON bodies, an upload's metadata part), x-goog-acl."""
    found = [f"query {k}" for k in r.query if "acl" in k.lower()]
    found += [f"header {k}" for k in r.headers if "acl" in k.lower()]
    if b"acl" in r.body.lower():
        found.append("body")
    return found


def test_no_write_asks_for_an_acl(gcs_server: GcsServer, front: HostileS3) -> None:
    """A bucket with uniform bucket-level access (GCS's default for new buckets, and what
    organisations enforce) answers 400 to any request that names an ACL: no upload (small
    by either path, resumable), copy, metadata patch, class change or bucket creation
    may name one."""
    bucket = gcs_server.bucket()
    storage = through(front, gcs_server)
    storage.create_bucket(new_bucket_name(gcs_server, "ubla"), "EU/NEARLINE")
    small = DATA[:1000]
    storage.put_object(
        bucket, "small.bin", small, content_md5=md5_b64(small), content_type="text/plain"
    )
    by_requests = through(front, gcs_server)
    by_requests.__dict__["fast"] = None  # the upload goes by requests, as behind a proxy
    by_requests.put_object(bucket, "slow.bin", small, content_md5=md5_b64(small), create_only=True)

    chunked = chunked_uploads_of(storage)
    session = chunked.begin_upload(bucket, "big.bin", content_type="application/octet-stream")
    chunks = [
        DATA[:CHUNK_GRANULE],
        DATA[CHUNK_GRANULE : 2 * CHUNK_GRANULE],
        DATA[2 * CHUNK_GRANULE :],
    ]
    tokens = []
    for number, chunk in enumerate(chunks, 1):
        offset = (number - 1) * CHUNK_GRANULE
        token = chunked.upload_chunk(
            bucket, "big.bin", session, number, chunk, content_md5=md5_b64(chunk), offset=offset
        )
        tokens.append((number, token))
    chunked.commit_upload(bucket, "big.bin", session, tokens, content_md5=md5_b64(DATA))

    server_copy_of(storage).copy_object(bucket, "big.bin", bucket, "copy.bin", create_only=True)
    props = properties_of(storage)
    details = props.object_details(bucket, "small.bin")
    props.replace_metadata(replace(details, metadata={"team": "z"}, storage_class="NEARLINE"))
    storage_classes_of(storage).set_storage_class(bucket, "copy.bin", "COLDLINE")
    versioning_switch_of(storage).set_bucket_versioning(bucket, True)
    assert keys_in(storage, bucket) == ["big.bin", "copy.bin", "slow.bin", "small.bin"]

    sent = {_kind(r) for r in front.requests}
    assert {
        "create bucket",
        "upload multipart",
        "upload resumable",
        "chunk",
        "rewrite",
        "patch object",
        "patch bucket",
    } <= sent, "every kind of write passed the front"
    assert [(r.method, r.path, _acl_in(r)) for r in front.requests if _acl_in(r)] == []


# ── a server that takes no JSON batch ──────────────────────────────────────────────────


def test_where_the_server_takes_no_batch_keys_are_deleted_one_by_one(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """A server (an emulator, a proxy) that refuses the JSON batch: each key gets a DELETE
    of its own, a key already gone is deleted, one the server refuses is reported with
    why — and the batch is not tried again on this connection."""
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, ["a.txt", "dir/b c.txt", "locked.txt", "kept.txt"])

    def no_batch(request: Request, forward: Forward) -> Reply | None:
        if request.path != "/batch/storage/v1":
            return None
        # fake-gcs-server's own refusal of a batch it cannot read (400, plain text).
        request.headers["content-type"] = "application/json"
        return forward()

    def locked(request: Request, forward: Forward) -> Reply | None:
        if request.method == "DELETE" and request.path.endswith("/o/locked.txt"):
            return json_reply(
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "tester does not have storage.objects.delete access to "
                        "the Google Cloud Storage object.",
                        "errors": [{"reason": "forbidden"}],
                    }
                },
            )
        return None

    front.rule(no_batch)
    front.rule(locked)
    storage = through(front, gcs_server)
    assert isinstance(storage, BatchDelete)

    refused = storage.delete_objects(
        bucket, ["a.txt", "dir/b c.txt", "never-was.txt", "locked.txt"]
    )

    assert [(key, type(error)) for key, error in refused] == [("locked.txt", AccessDenied)]
    assert keys_in(storage, bucket) == ["kept.txt", "locked.txt"]
    batches = front.requests_matching(lambda r: r.path == "/batch/storage/v1")
    deletes = [unquote(r.path.rpartition("/o/")[2]) for r in front.requests if r.method == "DELETE"]
    assert len(batches) == 1
    assert deletes == ["a.txt", "dir/b c.txt", "never-was.txt", "locked.txt"]

    assert storage.delete_objects(bucket, ["kept.txt"]) == []
    assert keys_in(storage, bucket) == ["locked.txt"]
    assert len(front.requests_matching(lambda r: r.path == "/batch/storage/v1")) == 1


def batch_answer(parts: list[tuple[int, dict[str, Any] | None]]) -> Reply:
    """A JSON batch's multipart answer, as GCS sends one: one part per sub-request, in
    order, each an HTTP reply (a status and, where given, a JSON body)."""
    boundary = "batch_answer_boundary"
    body = b""
    for n, (status, content) in enumerate(parts):
        text = json.dumps(content) if content is not None else ""
        body += (
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <response-{n}>\r\n\r\n"
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\r\n{text}\r\n"
        ).encode()
    body += f"--{boundary}--\r\n".encode()
    return Reply(200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, body)


def api_error(status: int, message: str, reason: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message}
    if reason:
        error["errors"] = [{"reason": reason, "message": message}]
    return {"error": error}


def is_batch(request: Request) -> bool:
    return request.method == "POST" and request.path == "/batch/storage/v1"


#: A server or proxy without the batch endpoint, as each answers a POST to it.
NO_BATCH_ENDPOINT = {
    "proxy-404-page": Reply(404, {"Content-Type": "text/html"}, b"<h1>404 Not Found</h1>"),
    "plain-404": Reply(404, {"Content-Type": "text/plain"}, b"Not Found\n"),
    "405": Reply(405, {"Content-Type": "text/plain"}, b"Method Not Allowed"),
    "501": json_reply(501, api_error(501, "Not implemented", "notImplemented")),
    "not-multi-part": Reply(400, {"Content-Type": "text/plain"}, b"request is not multi-part\n"),
    "proxy-200-page": Reply(200, {"Content-Type": "text/html"}, b"<html>Sign in to the Wi-Fi"),
}


@pytest.mark.parametrize("answer", NO_BATCH_ENDPOINT.values(), ids=NO_BATCH_ENDPOINT.keys())
def test_a_server_without_the_batch_endpoint_is_not_asked_for_batches_again(
    gcs_server: GcsServer, front: HostileS3, answer: Reply
) -> None:
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, ["a.txt", "b.txt", "kept.txt"])
    front.rule(lambda request, _forward: answer if is_batch(request) else None)
    storage = through(front, gcs_server)
    assert isinstance(storage, BatchDelete)

    assert storage.delete_objects(bucket, ["a.txt", "gone.txt"]) == []
    assert storage.delete_objects(bucket, ["b.txt"]) == []

    assert keys_in(storage, bucket) == ["kept.txt"]
    assert len(front.requests_matching(is_batch)) == 1
    deletes = [unquote(r.path.rpartition("/o/")[2]) for r in front.requests if r.method == "DELETE"]
    assert deletes == ["a.txt", "gone.txt", "b.txt"]


#: A batch that failed as a whole for a reason of its own: the server does take batches.
ONE_BATCH_FAILED = {
    # A server that answered a batch of one with its item's own reply.
    "an-items-404": json_reply(404, api_error(404, "No such object: bkt/gone.txt", "notFound")),
    "invalid": json_reply(400, api_error(400, "Invalid argument.", "invalid")),
    "too-large": Reply(413, {"Content-Type": "text/plain"}, b"Request Entity Too Large"),
    "answers-missing": batch_answer([]),
}


@pytest.mark.parametrize("answer", ONE_BATCH_FAILED.values(), ids=ONE_BATCH_FAILED.keys())
def test_one_failed_batch_is_deleted_one_by_one_and_batching_stays_on(
    gcs_server: GcsServer, front: HostileS3, answer: Reply
) -> None:
    """Its keys each get an answer of their own (a key already gone is deleted: no
    failure), and the next batch is a batch again."""
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, ["a.txt", "b.txt", "kept.txt"])
    answered: list[Request] = []

    def first_batch(request: Request, _forward: Forward) -> Reply | None:
        if not is_batch(request) or answered:
            return None
        answered.append(request)
        return answer

    front.rule(first_batch)
    storage = through(front, gcs_server)
    assert isinstance(storage, BatchDelete)

    assert storage.delete_objects(bucket, ["gone.txt"]) == []
    assert storage.delete_objects(bucket, ["a.txt", "b.txt"]) == []

    assert keys_in(storage, bucket) == ["kept.txt"]
    assert len(front.requests_matching(is_batch)) == 2
    deletes = [unquote(r.path.rpartition("/o/")[2]) for r in front.requests if r.method == "DELETE"]
    assert deletes == ["gone.txt"], "the second batch deleted its keys itself"


def test_each_items_error_in_a_batch_is_reported_for_that_item(
    gcs_server: GcsServer, front: HostileS3
) -> None:
    """As S3's DeleteObjects and Azure's blob batch are read (core/deletes.py): a key
    already gone (404) is deleted, a refused one fails with its own error, the others
    are deleted; batching stays on."""
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, ["kept.txt"])
    answered: list[Request] = []

    def mixed(request: Request, _forward: Forward) -> Reply | None:
        if not is_batch(request) or answered:
            return None
        answered.append(request)
        return batch_answer(
            [
                (204, None),
                (404, api_error(404, f"No such object: {bucket}/gone.txt", "notFound")),
                (
                    403,
                    api_error(
                        403, "tester does not have storage.objects.delete access.", "forbidden"
                    ),
                ),
            ]
        )

    front.rule(mixed)
    storage = through(front, gcs_server)
    assert isinstance(storage, BatchDelete)

    refused = storage.delete_objects(bucket, ["a.txt", "gone.txt", "locked.txt"])

    assert [(key, type(error)) for key, error in refused] == [("locked.txt", AccessDenied)]
    assert f"“{bucket}/locked.txt”" in refused[0][1].message
    # The 404 is confirmed by a delete of its own (fake-gcs-server answers 404 for a
    # batched key with a "/" it did not delete: batch.py), which finds it gone.
    deletes = [unquote(r.path.rpartition("/o/")[2]) for r in front.requests if r.method == "DELETE"]
    assert deletes == ["gone.txt"]
    assert storage.delete_objects(bucket, ["kept.txt"]) == []
    assert len(front.requests_matching(is_batch)) == 2
