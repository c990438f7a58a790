"""A key typed without its trailing "/" that names a folder, not an object.

``get s3://b/photos`` (no "/", no ``-r``) finds no object ``photos``; where ``photos/``
holds keys the user meant the folder, and is told to add ``-r`` (as gsutil's "did you
mean cp -r?"), not that it does not exist.
"""

from __future__ import annotations

from cloudbrowser.cli.locations import Remote
from cloudbrowser.cli.output import UsageError
from cloudbrowser.core.errors import CloudBrowserError, KeyNotFound
from cloudbrowser.core.storage import Storage


def is_folder_name(storage: Storage, where: Remote) -> bool:
    """True when ``where.key`` (no trailing "/") has keys below it as a folder."""
    if where.is_folder:
        return True
    page = storage.list_page(where.bucket, where.key + "/", recursive=True)
    return bool(page.objects or page.prefixes)


def missing_object(
    storage: Storage, where: Remote, error: KeyNotFound, hint: str
) -> CloudBrowserError:
    """What to say when ``where`` names no object: that it is a folder and ``hint`` (the
    command with -r) where it is one, else ``error`` itself."""
    if is_folder_name(storage, where):
        return UsageError(f"“{where}” is a folder.", hint=hint)
    return error
