"""The in-memory backend: every capability of the storage interface, with no server.

For tests (the conformance suite runs it beside moto and ``rclone serve s3``; the window's
models run on it without a server) and for trying the window out. Semantics are S3's
(``backend.py``). Importing this package loads nothing heavy.

**Stores are shared per address within a process**: every connection whose
``endpoint_url`` is the same (or, without one, whose connection ``name`` is the same) talks
to one :class:`~cloudbrowser.core.backends.memory.store.MemoryStore`, as two connections to
one real server see the same buckets; a store lives until the process ends (or
:func:`forget_store`). Give each test its own address (``memory://test-123``) to start
empty. Credentials are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cloudbrowser.core.backends.memory.features import LIMITS, features
from cloudbrowser.core.backends.memory.store import MemoryStore, forget_store, store_for

__all__ = ["MemoryStore", "features", "forget_store", "open_storage", "store_for"]

if TYPE_CHECKING:
    from cloudbrowser.core.connection import ConnectionSettings, Credentials
    from cloudbrowser.core.storage import Storage


def open_storage(
    settings: ConnectionSettings,
    credentials: Credentials | None,
    *,
    page_size: int | None,
    mfa_prompter: Callable[[str], str] | None,
) -> Storage:
    from cloudbrowser.core.backends.memory.backend import MemoryStorage

    return MemoryStorage(settings, store_for(settings), page_size=page_size or LIMITS.max_page)
