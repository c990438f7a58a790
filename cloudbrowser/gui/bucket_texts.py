"""What the window says of a bucket, in the words of the connection's provider: Azure
calls a bucket a container (``Features.bucket_word``). Each sentence is here whole in both
words, so that a translator sees whole sentences, never a word spliced into one."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from cloudbrowser.gui.addresses import bucket_word
from cloudbrowser.gui.service import StorageService


@dataclass(frozen=True, slots=True)
class BucketTexts:
    new_action: str
    delete_action: str
    new_title: str
    delete_title: str
    #: ``{n}``: the name.
    created: str
    #: ``{b}``: the name.
    deleted: str
    select_to_delete: str
    #: Said when several are selected: each is deleted after its own question.
    one_at_a_time: str
    cannot_rename: str
    rename_hint: str
    #: ``{b}``: the name.
    delete_empty: str
    #: ``{b}``: the name, ``{n}``: the count of objects, ``{size}``: their size.
    holds: str
    type_name: str
    #: ``{b}``: the name; the title of the operation that empties it.
    emptying: str
    #: A field's label in Properties.
    label: str
    no_incomplete_uploads: str
    select_to_download: str
    open_to_clean_up: str
    open_to_search: str
    #: ``{what}``: what is to be seen (its properties, its versions…).
    select_object: str
    open_to_upload: str
    drop_hint: str
    select_to_count: str
    #: The delete question's last words where deleted objects can be brought back.
    keeps_versions: str
    #: ``{days}``: how long soft delete keeps them.
    keeps_deleted: str


def texts_of(service: StorageService, connection_id: str) -> BucketTexts:
    """The texts for connection ``connection_id`` (a bucket's when it is "" or not open)."""
    return bucket_texts(bucket_word(service, connection_id))


def bucket_texts(word: str) -> BucketTexts:
    """The texts for a provider whose ``bucket_word`` is ``word``."""
    t = QCoreApplication.translate
    if word == "container":
        return BucketTexts(
            new_action=t("BucketTexts", "New container…"),
            delete_action=t("BucketTexts", "Delete container…"),
            new_title=t("BucketTexts", "New container"),
            delete_title=t("BucketTexts", "Delete container"),
            created=t("BucketTexts", "Container “{n}” created."),
            deleted=t("BucketTexts", "Container “{b}” deleted."),
            select_to_delete=t("BucketTexts", "Select a container to delete."),
            one_at_a_time=t("BucketTexts", "Select one container: they are deleted one at a time."),
            cannot_rename=t("BucketTexts", "Containers cannot be renamed."),
            rename_hint=t("BucketTexts", "Create a new container and move the blobs into it."),
            delete_empty=t("BucketTexts", "Delete the empty container “{b}”?"),
            holds=t(
                "BucketTexts",
                "The container “{b}” holds {n} ({size}). Deleting it deletes all of them; "
                "this cannot be undone.",
            ),
            type_name=t("BucketTexts", "Type the container's name to confirm:"),
            emptying=t("BucketTexts", "Delete the container “{b}”"),
            label=t("BucketTexts", "Container:"),
            no_incomplete_uploads=t(
                "BucketTexts", "There are no incomplete uploads in this container."
            ),
            select_to_download=t(
                "BucketTexts", "Select files or folders in a container to download."
            ),
            open_to_clean_up=t(
                "BucketTexts", "Open a container to clean up its incomplete uploads."
            ),
            open_to_search=t("BucketTexts", "Open a container or folder to search in it."),
            select_object=t("BucketTexts", "Select a blob in a container to see its {what}."),
            open_to_upload=t(
                "BucketTexts",
                "Open a container first: files are uploaded into the container or folder shown.",
            ),
            drop_hint=t("BucketTexts", "Or drop them on a container in the tree."),
            select_to_count=t(
                "BucketTexts", "Select folders or containers to calculate their size."
            ),
            keeps_versions=t(
                "BucketTexts",
                "The account keeps versions: View › Show deleted lists what is deleted, and "
                "Undelete brings it back.",
            ),
            keeps_deleted=t(
                "BucketTexts",
                "The account keeps deleted blobs for {days} days: View › Show deleted lists "
                "them, and Undelete brings them back.",
            ),
        )
    return BucketTexts(
        new_action=t("BucketTexts", "New bucket…"),
        delete_action=t("BucketTexts", "Delete bucket…"),
        new_title=t("BucketTexts", "New bucket"),
        delete_title=t("BucketTexts", "Delete bucket"),
        created=t("BucketTexts", "Bucket “{n}” created."),
        deleted=t("BucketTexts", "Bucket “{b}” deleted."),
        select_to_delete=t("BucketTexts", "Select a bucket to delete."),
        one_at_a_time=t("BucketTexts", "Select one bucket: they are deleted one at a time."),
        cannot_rename=t("BucketTexts", "Buckets cannot be renamed."),
        rename_hint=t("BucketTexts", "Create a new bucket and move the objects into it."),
        delete_empty=t("BucketTexts", "Delete the empty bucket “{b}”?"),
        holds=t(
            "BucketTexts",
            "The bucket “{b}” holds {n} ({size}). Deleting it deletes all of them; "
            "this cannot be undone.",
        ),
        type_name=t("BucketTexts", "Type the bucket's name to confirm:"),
        emptying=t("BucketTexts", "Delete the bucket “{b}”"),
        label=t("BucketTexts", "Bucket:"),
        no_incomplete_uploads=t("BucketTexts", "There are no incomplete uploads in this bucket."),
        select_to_download=t("BucketTexts", "Select files or folders in a bucket to download."),
        open_to_clean_up=t("BucketTexts", "Open a bucket to clean up its incomplete uploads."),
        open_to_search=t("BucketTexts", "Open a bucket or folder to search in it."),
        select_object=t("BucketTexts", "Select an object in a bucket to see its {what}."),
        open_to_upload=t(
            "BucketTexts",
            "Open a bucket first: files are uploaded into the bucket or folder shown.",
        ),
        drop_hint=t("BucketTexts", "Or drop them on a bucket in the tree."),
        select_to_count=t("BucketTexts", "Select folders or buckets to calculate their size."),
        keeps_versions=t(
            "BucketTexts",
            "The bucket keeps versions: View › Show deleted lists what is deleted, and "
            "Undelete brings it back.",
        ),
        keeps_deleted=t(
            "BucketTexts",
            "The bucket keeps deleted objects for {days} days: View › Show deleted lists "
            "them, and Undelete brings them back.",
        ),
    )
