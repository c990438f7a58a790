"""Archived objects, whatever the provider calls its archive tier: the backend's features
name the tiers whose objects are offline (S3's Glacier classes, Azure's Archive; none for
GCS, whose ARCHIVE class reads at once), and the preview and properties ask them."""

from __future__ import annotations

from typing import Any

import pytest

from cloudbrowser.core.backends import features_of
from cloudbrowser.core.connection import ConnectionSettings
from cloudbrowser.core.details import ObjectDetails
from cloudbrowser.core.storage import properties_of
from cloudbrowser.gui.dialogs.preview import PreviewKind, build_preview
from tests.conftest import AzuriteServer


def details(storage_class: str, restore: str = "") -> ObjectDetails:
    return ObjectDetails("b", "k", 10, 0.0, "etag", storage_class=storage_class, restore=restore)


@pytest.mark.parametrize(
    ("kind", "storage_class", "restore", "archived"),
    [
        ("s3", "GLACIER", "", True),
        ("s3", "DEEP_ARCHIVE", 'ongoing-request="true"', True),
        ("s3", "GLACIER", 'ongoing-request="false", expiry-date="…"', False),
        ("s3", "GLACIER_IR", "", False),
        ("azure", "Archive", "", True),
        ("azure", "Archive", "rehydrate-pending-to-hot", True),
        ("azure", "Cool", "", False),
        ("gcs", "ARCHIVE", "", False),
    ],
)
def test_the_provider_names_its_archive_tiers(
    kind: str, storage_class: str, restore: str, archived: bool
) -> None:
    extra: dict[str, Any] = {"account": "acct1"} if kind == "azure" else {}
    tiers = features_of(ConnectionSettings(name="x", kind=kind, **extra)).archive_tiers
    assert details(storage_class, restore).is_archived(tiers) is archived


def test_an_azure_blob_in_the_archive_tier_is_previewed_as_archived(
    azurite_server: AzuriteServer,
) -> None:
    storage = azurite_server.backend()
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"cold.txt": b"frozen"})
    storage.set_tier(bucket, "cold.txt", "Archive")  # type: ignore[attr-defined]
    found = properties_of(storage).object_details(bucket, "cold.txt")
    assert found.storage_class == "Archive"
    assert found.is_archived(storage.features.archive_tiers)
    preview = build_preview(
        lambda: found,
        lambda _start, _length: pytest.fail("an archived blob is not read"),
        "cold.txt",
        storage.features.archive_tiers,
    )
    assert preview.kind is PreviewKind.OTHER and "archived" in preview.reason
