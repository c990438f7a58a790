"""core.folders: which empty folders need a placeholder, and how a batch of them is made
(the first checked, the rest written at once; a server that keeps none found once)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from cloudbrowser.core.entries import Entry, ListPage
from cloudbrowser.core.errors import AccessDenied, Cancelled, KeyNotFound
from cloudbrowser.core.folders import EmptyFolder, make_folders, needing_placeholders


class Server:
    """Just what make_folders asks of a storage: puts, one listing, a HEAD for a file of
    each folder's name, deletes; counted."""

    def __init__(self, *, keeps: bool = True, refuse: str = "") -> None:
        self.keeps = keeps
        self.refuse = refuse
        self.stored: set[str] = set()
        self.listed = 0
        self.lock = threading.Lock()

    def put_object(self, _bucket: str, key: str, _body: bytes, **_kw: Any) -> str:
        if key == self.refuse:
            raise AccessDenied(f"No writing {key}.")
        with self.lock:
            self.stored.add(key if self.keeps else key.rstrip("/"))
        return ""

    def list_page(self, _bucket: str, prefix: str, *_a: Any, **_kw: Any) -> ListPage:
        self.listed += 1
        below = [Entry(k) for k in self.stored if k.startswith(prefix)]
        return ListPage(objects=below)

    def head_object(self, _bucket: str, key: str) -> Entry:
        if key not in self.stored:
            raise KeyNotFound(key)
        return Entry(key)

    def delete_object(self, _bucket: str, key: str) -> None:
        self.stored.discard(key.rstrip("/"))


def folders(*prefixes: str) -> list[EmptyFolder]:
    return [EmptyFolder("c", "bkt", p, Path(p)) for p in prefixes]


def test_only_empty_leaves_need_a_placeholder() -> None:
    walked = ["t/", "t/a/", "t/a/b/", "t/c/", "t/d/", "t/d/e/"]
    # t/c holds a file; t/d/e/ is in the cloud already; t/a/b/ implies t/a/ and t/.
    assert needing_placeholders(walked, ["t/c/x.txt", "t/d/e/"]) == ["t/a/b/"]
    assert needing_placeholders(["t/"], []) == ["t/"]


def test_the_first_is_checked_the_rest_written_and_a_refusal_named() -> None:
    server = Server(refuse="f/3/")
    wanted = folders(*(f"f/{i}/" for i in range(20)))
    made = make_folders(lambda _c: server, wanted)  # type: ignore[arg-type,return-value]
    assert server.listed == 1, "one check: the server keeps them"
    assert [f.prefix for f, _e in made.failed] == ["f/3/"]
    assert made.made == [f for f in wanted if f.prefix != "f/3/"]
    assert server.stored == {f.prefix for f in made.made}


def test_a_server_that_keeps_none_is_found_at_the_first_and_left_clean() -> None:
    server = Server(keeps=False)
    wanted = folders("a/", "b/", "c/")
    made = make_folders(lambda _c: server, wanted)  # type: ignore[arg-type,return-value]
    assert made.not_kept == wanted and not made.made and not made.failed
    assert server.stored == set(), "the file it made of the first is taken back"


def test_a_cancelled_batch_stops() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        make_folders(lambda _c: Server(), folders("a/"), cancel)  # type: ignore[arg-type,return-value]


# ── a download sync's leftovers: local folders gone from the cloud ──────────────────


def test_a_folder_is_a_leftover_only_if_nothing_but_deleted_files_and_leftovers_is_in_it(
    tmp_path: Path,
) -> None:
    from cloudbrowser.core.backends import open_storage
    from cloudbrowser.core.backends.memory import forget_store
    from cloudbrowser.core.connection import ConnectionSettings
    from cloudbrowser.core.sync import DownloadSync

    storage = open_storage(ConnectionSettings(kind="memory", endpoint_url="memory://leftovers"))
    forget_store(storage.settings)
    storage.create_bucket("bkt")
    for key in ("p/keep/a.txt", "p/held/"):
        storage.put_object("bkt", key, b"x", content_md5="")
    root = tmp_path / "mirror"
    for folder in ("keep", "held", "gone/sub", "linked", "elsewhere"):
        (root / folder).mkdir(parents=True)
    (root / "gone" / "sub" / "old.txt").write_bytes(b"old")
    (root / "linked" / "to-elsewhere").symlink_to(root / "elsewhere")
    sync = DownloadSync(storage, "c", "bkt", "p/", root)
    for _page in sync.pages():
        pass
    refused: list[tuple[str, str]] = []
    orphans = sync.orphans(refused)
    assert orphans == [root / "gone" / "sub" / "old.txt"] and refused == []
    emptied = sync.emptied_folders(orphans)
    # A link keeps its folder (what it leads to is not looked into); an empty folder the
    # cloud has a placeholder for ("held/") stays.
    assert sorted(emptied) == [root / "elsewhere", root / "gone", root / "gone" / "sub"]
    assert emptied.index(root / "gone" / "sub") < emptied.index(root / "gone"), "deepest first"
    forget_store(storage.settings)


def test_removing_leftovers_leaves_a_folder_that_is_no_longer_empty(tmp_path: Path) -> None:
    from cloudbrowser.core.folders import remove_emptied_folders

    empty, filled, missing = tmp_path / "empty", tmp_path / "filled", tmp_path / "missing"
    empty.mkdir()
    filled.mkdir()
    (filled / "new.txt").write_bytes(b"put there meanwhile")
    removed, failed = remove_emptied_folders([empty, filled, missing])
    assert (removed, failed) == ([empty], [])
    assert not empty.exists() and (filled / "new.txt").exists()


def test_on_a_disk_that_ignores_case_a_file_the_cloud_names_otherwise_is_no_orphan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows and macOS: the object "Docs/Café.txt" is downloaded over the local
    "docs/café.txt" (another case; macOS's decomposed é): that file is the object's, not
    one the cloud lacks, so a sync with delete must neither trash it nor its folder."""
    import unicodedata

    from cloudbrowser.core import transfer_plan
    from cloudbrowser.core.backends import open_storage
    from cloudbrowser.core.backends.memory import forget_store
    from cloudbrowser.core.connection import ConnectionSettings
    from cloudbrowser.core.sync import DownloadSync

    monkeypatch.setattr(transfer_plan, "disk_ignores_case", lambda: True)
    storage = open_storage(ConnectionSettings(kind="memory", endpoint_url="memory://case"))
    forget_store(storage.settings)
    storage.create_bucket("bkt")
    storage.put_object("bkt", "p/Docs/Café.txt", b"x", content_md5="")
    root = tmp_path / "mirror"
    (root / "docs").mkdir(parents=True)
    local = root / "docs" / unicodedata.normalize("NFD", "café.txt")
    local.write_bytes(b"x")
    (root / "gone").mkdir()
    sync = DownloadSync(storage, "c", "bkt", "p/", root)
    for _page in sync.pages():
        pass
    orphans = sync.orphans([])
    assert orphans == []
    assert sync.emptied_folders(orphans) == [root / "gone"]
    forget_store(storage.settings)
