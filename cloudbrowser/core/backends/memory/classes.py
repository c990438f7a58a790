"""Storage classes of the in-memory backend: S3's, with Glacier's restore modelled on the
store's clock (asked → in progress for ``MemoryStore.restore_seconds`` → readable for the
days asked → archived again), so the engine and the window meet every state of a restore
without a server."""

from __future__ import annotations

from email.utils import formatdate

from cloudbrowser.core.backends.memory.store import MemoryStore, StoredVersion
from cloudbrowser.core.storage import StorageClassOffer

ARCHIVE = frozenset({"GLACIER", "DEEP_ARCHIVE"})
OFFER = StorageClassOffer(
    names=("STANDARD", "STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"),
    archive=ARCHIVE,
    priorities=("Standard", "Expedited", "Bulk"),
    restore_days=7,
    restore_note="A restore takes minutes (Expedited) to 12 hours (Standard) or 48 hours (Bulk).",
)


def restore_header(store: MemoryStore, v: StoredVersion) -> str:
    """What S3's ``x-amz-restore`` says of ``v`` now ("" when no restore is on)."""
    if v.storage_class not in ARCHIVE or not v.restore_asked:
        return ""
    ready = v.restore_asked + store.restore_seconds
    now = store.clock()
    if now < ready:
        return 'ongoing-request="true"'
    until = ready + v.restore_days * 86400
    if now >= until:
        return ""  # the restored copy expired: archived again
    return f'ongoing-request="false", expiry-date="{formatdate(until, usegmt=True)}"'


def unreadable(store: MemoryStore, v: StoredVersion) -> bool:
    """Archived and not restored: GET is refused (InvalidObjectState)."""
    return v.storage_class in ARCHIVE and not restore_header(store, v).startswith(
        'ongoing-request="false"'
    )
