"""Share links (fetched with urllib, no credentials), properties, metadata and tags."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from cloudbrowser.core.errors import ConfigError, KeyNotFound, NotSupported, ObjectChanged
from cloudbrowser.core.storage import properties_of, share_links_of
from tests.conformance.conftest import Target
from tests.conftest import MemoryServer

BODY = b"quarterly numbers\n" * 10


def test_a_share_link_downloads_without_credentials(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, {"docs/report.txt": BODY})
    storage = target.storage()
    assert storage.features.share_links
    lifetime = min(3600, storage.features.limits.max_link_seconds)
    asked = time.time()
    link = share_links_of(storage).share_link(bucket, "docs/report.txt", lifetime)
    # Its end, as the link names it: the lifetime from when it was signed (a signature's
    # time is a whole second, so up to one before it was asked for).
    assert asked + lifetime - 1 <= link.expires <= time.time() + lifetime
    with urllib.request.urlopen(link.url, timeout=10) as reply:
        assert reply.read() == BODY


def test_a_memory_share_link_expires_and_follows_the_object(memory_server: MemoryServer) -> None:
    """The memory backend serves its links itself: they end on time (by the store's clock)
    and serve the object as it is when fetched."""
    bucket = memory_server.bucket()
    memory_server.put(bucket, {"k.txt": b"first"})
    storage = memory_server.backend()
    links = share_links_of(storage)
    asked = memory_server.store.clock()
    link = links.share_link(bucket, "k.txt", 60)
    assert asked + 60 <= link.expires <= memory_server.store.clock() + 60
    url = link.url
    memory_server.put(bucket, {"k.txt": b"second"})
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"second"
    store = memory_server.store
    now = store.clock()
    store.clock = lambda: now + 61
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(url, timeout=10)
    assert expired.value.code == 403
    expired.value.close()
    with pytest.raises(ConfigError):
        links.share_link(bucket, "k.txt", storage.features.limits.max_link_seconds + 1)


def test_properties_are_read_and_replaced_in_place(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    etag = storage.put_object(bucket, "r.txt", BODY, content_md5="", content_type="text/plain")
    props = properties_of(storage)
    details = props.object_details(bucket, "r.txt")
    assert (details.size, details.etag, details.content_type) == (len(BODY), etag, "text/plain")
    wanted = replace(
        details,
        content_type="text/csv",
        cache_control="max-age=60",
        content_disposition='attachment; filename="r.csv"',
        metadata={"owner": "ann"},
    )
    props.replace_metadata(wanted)
    after = props.object_details(bucket, "r.txt")
    assert (after.content_type, after.cache_control, after.content_disposition) == (
        "text/csv",
        "max-age=60",
        'attachment; filename="r.csv"',
    )
    # rclone capitalises metadata names (Owner); S3 and moto lowercase them.
    assert {k.lower(): v for k, v in after.metadata.items()} == {"owner": "ann"}
    with storage.get_object(bucket, "r.txt") as reader:
        assert reader.read(-1) == BODY
    with pytest.raises(KeyNotFound):
        props.object_details(bucket, "absent.txt")


def test_a_replace_of_a_changed_object_is_refused(target: Target) -> None:
    bucket = target.bucket()
    storage = target.storage()
    storage.put_object(bucket, "r.txt", BODY, content_md5="")
    props = properties_of(storage)
    details = props.object_details(bucket, "r.txt")
    storage.put_object(bucket, "r.txt", b"changed meanwhile", content_md5="")
    with pytest.raises(ObjectChanged):
        props.replace_metadata(replace(details, content_type="text/csv"))
    with storage.get_object(bucket, "r.txt") as reader:
        assert reader.read(-1) == b"changed meanwhile"


def test_tags_round_trip_where_the_features_offer_them(target: Target) -> None:
    bucket = target.bucket()
    target.server.put(bucket, {"t.txt": BODY})
    storage = target.storage()
    props = properties_of(storage)
    if not storage.features.tags:
        # Refused before any request (rclone would store the tagging XML as the object).
        with pytest.raises((ConfigError, NotSupported)):
            props.put_tags(bucket, "t.txt", {"a": "b"})
        with pytest.raises((ConfigError, NotSupported)):
            props.get_tags(bucket, "t.txt")
        with storage.get_object(bucket, "t.txt") as reader:
            assert reader.read(-1) == BODY
        return
    assert props.get_tags(bucket, "t.txt") == {}
    props.put_tags(bucket, "t.txt", {"team": "finance", "retention": "7y"})
    assert props.get_tags(bucket, "t.txt") == {"team": "finance", "retention": "7y"}
    assert props.object_details(bucket, "t.txt").tag_count == 2
    details = props.object_details(bucket, "t.txt")
    props.replace_metadata(replace(details, content_type="text/csv"))
    assert props.get_tags(bucket, "t.txt") == {"team": "finance", "retention": "7y"}
    props.put_tags(bucket, "t.txt", {})
    assert props.get_tags(bucket, "t.txt") == {}
