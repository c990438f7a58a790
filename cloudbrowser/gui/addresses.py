"""The addresses the window shows and copies (``s3://bucket/key``), in each connection's
own URI scheme (its ``features.uri_scheme``), without loading a backend's SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudbrowser.core.backends import features_of
from cloudbrowser.core.errors import ConfigError
from cloudbrowser.gui.service import StorageService

if TYPE_CHECKING:  # not loaded before the first paint (tests/gui/test_startup.py)
    from cloudbrowser.core.storage import Features


def uri_scheme(service: StorageService, conn_id: str) -> str:
    """The URI scheme of connection ``conn_id``'s addresses; "" when it is not open (a row
    of a connection that was just closed)."""
    features = connection_features(service, conn_id)
    return "" if features is None else features.uri_scheme


def connection_features(service: StorageService, conn_id: str) -> Features | None:
    """The features of connection ``conn_id``'s provider; None when it is not open."""
    try:
        settings = service.connection(conn_id).settings
    except ConfigError:
        return None
    return features_of(settings)


def storage_class_word(service: StorageService, conn_id: str) -> str:
    """What connection ``conn_id``'s provider calls a storage class
    (``features.storage_class_word``): Azure's "access tier"; "storage class" when it is
    not open."""
    features = connection_features(service, conn_id)
    return "storage class" if features is None else features.storage_class_word


def bucket_word(service: StorageService, conn_id: str) -> str:
    """What connection ``conn_id``'s provider calls a bucket (``features.bucket_word``):
    "bucket", Azure's "container"; "bucket" when it is not open."""
    features = connection_features(service, conn_id)
    return "bucket" if features is None else features.bucket_word
