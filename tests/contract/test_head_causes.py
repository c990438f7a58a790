"""A HEAD's 403 or 404 has no body: one follow-up request names the real cause."""

from __future__ import annotations

import pytest

from cloudbrowser.core.backends.s3.backend import S3Backend
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import AccessDenied, BucketNotFound, InvalidCredentials, KeyNotFound
from tests.conftest import S3Server
from tests.hostile import Forward, Reply, Request, error_reply


def test_a_missing_bucket_is_not_a_missing_key(server: S3Server) -> None:
    backend = server.backend()
    with pytest.raises(BucketNotFound) as caught:
        backend.head_object("no-such-bucket-here", "some/key.txt")
    assert "no-such-bucket-here" in caught.value.message
    with pytest.raises(BucketNotFound):
        backend.object_details("no-such-bucket-here", "some/key.txt")  # Properties


def test_a_missing_key_is_named_and_checked_once_per_bucket(hostile_server: S3Server) -> None:
    bucket = hostile_server.bucket()
    backend = hostile_server.backend()
    for name in ("a-missing-key.txt", "b-missing-key.txt", "c-missing-key.txt"):
        with pytest.raises(KeyNotFound):
            backend.head_object(bucket, name)
    assert hostile_server.hostile is not None
    listings = hostile_server.hostile.requests_matching(Request.is_listing)
    assert len(listings) == 1  # the bucket exists: learnt once, not per free name


def test_a_wrong_secret_is_not_access_denied(rclone_server: S3Server) -> None:
    # rclone checks signatures, and answers a HEAD signed with the wrong secret with a
    # bare 403.
    bucket = rclone_server.bucket()
    rclone_server.put(bucket, {"present-object.txt": b"x"})
    wrong = Credentials(rclone_server.credentials.access_key_id, "not-the-secret-at-all")
    backend = S3Backend(rclone_server.settings(), wrong)
    with pytest.raises(InvalidCredentials):
        backend.head_object(bucket, "present-object.txt")


def test_a_forged_wrong_secret_and_a_real_refusal(hostile_server: S3Server) -> None:
    bucket = hostile_server.bucket()
    hostile_server.put(bucket, {"secret-object.txt": b"x", "other-object.txt": b"y"})
    wrong_secret = {"on": True}

    def rule(request: Request, forward: Forward) -> Reply | None:
        if request.method == "HEAD" and request.key:
            return Reply(403)  # no body, as any server answers a HEAD
        if request.is_listing() and wrong_secret["on"]:
            return error_reply(403, "SignatureDoesNotMatch", "The signature does not match.")
        return None

    assert hostile_server.hostile is not None
    hostile_server.hostile.rule(rule)
    backend = hostile_server.backend()
    with pytest.raises(InvalidCredentials) as caught:
        backend.head_object(bucket, "secret-object.txt")
    assert "secret" in caught.value.message.lower()

    wrong_secret["on"] = False  # the credentials are fine: the object itself is refused
    with pytest.raises(AccessDenied) as refused:
        backend.head_object(bucket, "secret-object.txt")
    assert not isinstance(refused.value, InvalidCredentials)
    assert "secret-object.txt" in refused.value.message
