"""``gs://`` and ``az://`` end to end through the real entry point, as a user types them:
without ``-c`` (Google's ``STORAGE_EMULATOR_HOST``; the Azure CLI's variables) and with a
saved connection, against fake-gcs-server and Azurite. Output, exit codes and the journal
are those of ``s3://``; locations print in the connection's own scheme."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from cloudbrowser.core.backends.gcs.backend import GcsBackend
from cloudbrowser.core.backends.gcs.errors import reply_error
from cloudbrowser.core.entries import Bucket
from cloudbrowser.core.journal import Journal, State
from cloudbrowser.core.paths import data_dir
from cloudbrowser.core.profiles import Profile, ProfileStore
from tests.cli.helpers import REPO, Run, child_env
from tests.conftest import GCS_PROJECT, AzuriteServer, GcsServer, S3Server, TestServer
from tests.gcs_stub import gcs_front
from tests.local_servers import AZURITE_ACCOUNT, AZURITE_KEY

MiB = 1024 * 1024


def azure_connection_string(server: AzuriteServer) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
        f"AccountKey={AZURITE_KEY};BlobEndpoint={server.endpoint_url};"
    )


def make_folder(root: Path) -> Path:
    folder = root / "photos"
    (folder / "2024").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(b"a" * 1000)
    (folder / "2024" / "b.jpg").write_bytes(b"b" * 2000)
    return folder


def round_trip(run: Run, server: TestServer, scheme: str, tmp_path: Path, *extra: str) -> str:
    """put, ls, get, cp, mv, rm, du, sync both ways, in ``scheme://``; the bucket used."""
    bucket = server.bucket()
    folder = make_folder(tmp_path)
    (tmp_path / "note.txt").write_bytes(b"hello")
    where = f"{scheme}://{bucket}"

    put = run("put", str(tmp_path / "note.txt"), f"{where}/note.txt", *extra)
    assert put.code == 0, put.err
    assert [(r["key"], r["state"], r["verified"]) for r in put.records()] == [
        ("note.txt", "done", True)
    ]
    put_r = run("put", "-r", str(folder), f"{where}/up/", *extra)
    assert put_r.code == 0, put_r.err
    assert sorted(r["key"] for r in put_r.records()) == ["up/photos/2024/b.jpg", "up/photos/a.jpg"]

    listed = run("ls", where, *extra)
    assert listed.code == 0, listed.err
    assert [(r["type"], r["key"]) for r in listed.records()] == [
        ("prefix", "up/"),
        ("object", "note.txt"),
    ]
    got = run("get", f"{where}/note.txt", str(tmp_path / "got.txt"), *extra)
    assert got.code == 0, got.err
    assert (tmp_path / "got.txt").read_bytes() == b"hello"

    copied = run("cp", f"{where}/note.txt", f"{where}/copy.txt", *extra)
    assert copied.code == 0, copied.err
    assert copied.records() == [
        {"result": "copied", "source": f"{where}/note.txt", "destination": f"{where}/copy.txt"}
    ]
    moved = run("mv", f"{where}/copy.txt", f"{where}/moved.txt", "--text", *extra)
    assert moved.code == 0, moved.err
    assert moved.out.strip() == f"moved: {where}/copy.txt → {where}/moved.txt"
    removed = run("rm", "--yes", "--text", f"{where}/moved.txt", *extra)
    assert removed.code == 0, removed.err
    gone = run("ls", f"{where}/moved.txt", *extra)
    assert gone.code == 1 and "does not exist" in gone.err
    assert f"{where}/moved.txt" in gone.err

    du = run("du", where, *extra)
    assert du.code == 0, du.err
    assert du.records() == [{"location": f"{where}/", "objects": 3, "size": 3005}]

    synced = run("sync", str(folder), f"{where}/synced/", *extra)
    assert synced.code == 0, synced.err
    again = run("sync", str(folder), f"{where}/synced/", *extra)
    assert again.code == 0 and again.records() == [], "nothing changed: nothing sent"
    back = run("sync", f"{where}/synced/", str(tmp_path / "back"), *extra)
    assert back.code == 0, back.err
    assert (tmp_path / "back" / "2024" / "b.jpg").read_bytes() == b"b" * 2000
    assert Journal().unfinished() == []
    return bucket


def remove_with_rb(run: Run, scheme: str, *extra: str) -> None:
    """mb, then rb --force of a bucket holding an object."""
    name = f"made-by-cli-{os.getpid()}-{time.monotonic_ns() % 100000}"
    made = run("mb", f"{scheme}://{name}", *extra)
    assert made.code == 0, made.err
    assert run("mb", f"{scheme}://{name}", *extra).code == 1, "it exists now"
    gone = run("rb", "--yes", "--force", "--text", f"{scheme}://{name}", *extra)
    assert gone.code == 0, gone.err
    assert f"{scheme}://{name}" in gone.out
    assert run("ls", f"{scheme}://{name}", *extra).code == 1


# ── gs:// ───────────────────────────────────────────────────────────────────────────────


def test_gs_without_a_connection_uses_STORAGE_EMULATOR_HOST(
    run: Run, gcs_server: GcsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url.removeprefix("http://"))
    bucket = round_trip(run, gcs_server, "gs", tmp_path)

    buckets = run("ls", "--project", GCS_PROJECT)
    assert buckets.code == 0, buckets.err
    assert bucket in [r["name"] for r in buckets.records()]
    history = run("versions", f"gs://{bucket}/note.txt")
    assert history.code == 0, history.err
    [version] = history.records()
    assert version["latest"] is True and version["size"] == 5
    # Unsigned requests to the emulator: nothing to sign a link with, said as such.
    link = run("presign", f"gs://{bucket}/note.txt")
    assert link.code == 1 and "unsigned requests" in link.err
    remove_with_rb(run, "gs", "--project", GCS_PROJECT)


def save_gcs(server: GcsServer, name: str = "my-gcs") -> Profile:
    """A saved GCS connection to the emulator: unsigned requests."""
    store = ProfileStore()
    profile = store.add(
        Profile(
            name=name,
            kind="gcs",
            endpoint_url=server.endpoint_url,
            auth="anonymous",
            project=GCS_PROJECT,
        )
    )
    return profile


def test_gs_with_a_saved_connection(run: Run, gcs_server: GcsServer, tmp_path: Path) -> None:
    save_gcs(gcs_server)
    round_trip(run, gcs_server, "gs", tmp_path, "-c", "my-gcs")
    listed = run("ls", "-c", "my-gcs")
    assert listed.code == 0, listed.err
    remove_with_rb(run, "gs", "-c", "my-gcs")


def test_a_location_of_another_cloud_on_a_saved_connection_is_a_usage_error(
    run: Run, gcs_server: GcsServer
) -> None:
    save_gcs(gcs_server)
    bucket = gcs_server.bucket()
    wrong = run("ls", "-c", "my-gcs", f"az://{bucket}")
    assert wrong.code == 2
    assert "“my-gcs” holds gs:// locations" in wrong.err
    # Said before any secret is looked for: an Azure connection whose key is not stored.
    ProfileStore().add(Profile(name="no-key", kind="azure", account="acct1", auth="key"))
    early = run("ls", "-c", "no-key", f"gs://{bucket}")
    assert early.code == 2 and "“no-key” holds az:// locations" in early.err
    # A bare bucket/key takes the connection's scheme.
    gcs_server.put(bucket, ["k.txt"])
    bare = run("rm", "--yes", "--text", "-c", "my-gcs", f"{bucket}/k.txt")
    assert bare.code == 0, bare.err


def test_gs_share_link_of_an_unsigned_saved_connection_says_why_not(
    run: Run, gcs_server: GcsServer
) -> None:
    save_gcs(gcs_server)
    bucket = gcs_server.bucket()
    gcs_server.put(bucket, {"share/report.txt": b"the report"})
    link = run("presign", "-c", "my-gcs", f"gs://{bucket}/share/report.txt")
    assert link.code == 1 and "unsigned requests" in link.err


# ── az:// ───────────────────────────────────────────────────────────────────────────────


def test_az_without_a_connection_uses_AZURE_STORAGE_CONNECTION_STRING(
    run: Run, azurite_server: AzuriteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    bucket = round_trip(run, azurite_server, "az", tmp_path)
    link = run("presign", f"az://{bucket}/note.txt")
    assert link.code == 0, link.err
    with urllib.request.urlopen(link.out.strip(), timeout=10) as reply:
        assert reply.read() == b"hello"
    # Azurite keeps no versions: said, exit 1.
    versions = run("versions", f"az://{bucket}/note.txt")
    assert versions.code == 1 and "versions" in versions.err
    assert "(and a container)" in versions.err and "bucket" not in versions.err
    remove_with_rb(run, "az")


def test_az_presign_of_an_archived_blob_says_the_link_will_not_work_yet(
    run: Run, azurite_server: AzuriteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Azure answers a link to an archived blob with 409: the link is printed (a restore may
    be under way), with a note on stderr that it gives no bytes until the blob is restored."""
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"cold.txt": b"cold", "hot.txt": b"hot"})
    assert run("storage-class", f"az://{bucket}/cold.txt", "Archive").code == 0
    link = run("presign", "--text", f"az://{bucket}/cold.txt")
    assert link.code == 0, link.err
    assert link.out.startswith("http")
    assert "is in the Archive access tier" in link.err and "cloudbrowser restore" in link.err
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(link.out.strip(), timeout=10)
    readable = run("presign", "--text", f"az://{bucket}/hot.txt")
    assert readable.code == 0 and readable.err == ""


def test_az_presign_under_entra_says_the_end_its_sas_names(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stub, because Azurite lacks Entra ID. A 7-day link of an Entra ID connection ends
    with its user delegation key, 15 minutes short of a week: --json's ``expires`` is the
    URL's ``se`` and ``expires_in`` counts to it, and stderr says it ends before --expires."""
    from datetime import UTC, datetime
    from urllib.parse import parse_qs, urlsplit

    from tests.azure_entra_stub import ACCOUNT, CONTAINER, Account, serving, stand_in_signed
    from tests.contract.test_tls import self_signed

    cert, key = self_signed(tmp_path)
    with serving(Account(blobs={f"{CONTAINER}/r.txt": b"shared"}), cert, key) as stub:
        profile = Profile(
            "stub entra",
            kind="azure",
            auth="entra_default",
            endpoint_url=f"https://127.0.0.1:{stub.port}/{ACCOUNT}",
            account=ACCOUNT,
            ca_bundle=str(cert),
        )
        ProfileStore().add(profile)
        stand_in_signed(monkeypatch, profile.settings())
        asked = time.time()
        link = run(
            "presign", "--json", "-c", "stub entra", f"az://{CONTAINER}/r.txt", "--expires", "7d"
        )
    assert link.code == 0, link.err
    [record] = link.records()
    [se] = parse_qs(urlsplit(record["url"]).query)["se"]
    assert record["expires"] == se
    ends = datetime.strptime(se, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    assert ends <= asked + 7 * 24 * 3600 - 14 * 60, "a week's link ends with its key"
    assert abs(record["expires_in"] - (ends - asked)) <= 2
    assert f"expires on {datetime.fromtimestamp(ends, UTC):%Y-%m-%d %H:%M} UTC" in link.err
    assert "15 minutes before --expires" in link.err, link.err


def test_az_presign_with_a_read_only_sas_gives_a_link_that_carries_it(
    run: Run, azurite_server: AzuriteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only a read-only SAS ($AZURE_STORAGE_SAS_TOKEN), presign gives the blob's URL
    with that SAS and says that it ends when the SAS does, not after --expires; with a
    SAS that also writes, it says what the link would grant and gives it only with
    --with-connection-sas."""
    from datetime import UTC, datetime, timedelta

    from azure.storage.blob import generate_container_sas

    from tests.local_servers import AZURITE_ACCOUNT, AZURITE_KEY

    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"note.txt": b"read me"})
    expiry = datetime.now(UTC) + timedelta(hours=2)

    def sas(permission: str) -> str:
        return generate_container_sas(
            AZURITE_ACCOUNT, bucket, account_key=AZURITE_KEY, permission=permission, expiry=expiry
        )

    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", AZURITE_ACCOUNT)
    monkeypatch.setenv("AZURE_STORAGE_SERVICE_ENDPOINT", azurite_server.endpoint_url)
    monkeypatch.setenv("AZURE_STORAGE_SAS_TOKEN", sas("rl"))
    link = run("presign", "--text", "--expires", "1h", f"az://{bucket}/note.txt")
    assert link.code == 0, link.err
    with urllib.request.urlopen(link.out.strip(), timeout=10) as reply:
        assert reply.read() == b"read me"
    assert "carries the connection's SAS, which grants only reading" in link.err
    assert f"expires on {expiry:%Y-%m-%d %H:%M} UTC, not after --expires" in link.err
    assert "reads all that the SAS covers, not only this object" in link.err
    monkeypatch.setenv("AZURE_STORAGE_SAS_TOKEN", sas("racwdl"))
    refused = run("presign", "--text", f"az://{bucket}/note.txt")
    assert refused.code == 2 and refused.out == "", refused.err
    # What it would hand out, in words, and the flag that hands it out all the same.
    assert "grants more than reading (sp=racwdl sr=c)" in refused.err, refused.err
    assert "read, add, create, write, delete and list" in refused.err
    assert f"until {expiry:%Y-%m-%d %H:%M} UTC" in refused.err
    assert "--with-connection-sas" in refused.err
    given = run("presign", "--text", "--with-connection-sas", f"az://{bucket}/note.txt")
    assert given.code == 0, given.err
    with urllib.request.urlopen(given.out.strip(), timeout=10) as reply:
        assert reply.read() == b"read me"
    assert "warning: the link carries the connection's SAS: whoever has it may read, add" in (
        given.err
    )
    assert "not after --expires" in given.err


def test_az_restore_refuses_days_which_rehydration_has_not(
    run: Run, azurite_server: AzuriteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--days (S3's temporary copy) was dropped without a word on Azure."""
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["cold.txt"])
    assert run("storage-class", f"az://{bucket}/cold.txt", "Archive").code == 0
    refused = run("restore", "--text", f"az://{bucket}/cold.txt", "--days", "3")
    assert refused.code == 2 and "--days is for a temporary restored copy" in refused.err
    asked = run("restore", "--text", f"az://{bucket}/cold.txt", "--tier", "cool")
    assert asked.code == 0, asked.err
    assert asked.out.startswith("asked to restore 1 object")


def test_az_without_a_connection_uses_AZURE_STORAGE_ACCOUNT_and_KEY(
    run: Run, azurite_server: AzuriteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", AZURITE_ACCOUNT)
    monkeypatch.setenv("AZURE_STORAGE_KEY", AZURITE_KEY)
    # The Azure CLI's --blob-endpoint variable: the emulator's address.
    monkeypatch.setenv("AZURE_STORAGE_SERVICE_ENDPOINT", azurite_server.endpoint_url)
    round_trip(run, azurite_server, "az", tmp_path)
    # A well-formed key of another account: refused by the server, exit 3 as for S3.
    monkeypatch.setenv("AZURE_STORAGE_KEY", base64.b64encode(b"k" * 64).decode())
    bucket = azurite_server.bucket()
    refused = run("ls", f"az://{bucket}")
    assert refused.code == 3, refused.err
    assert "key" in refused.err.lower(), refused.err


def save_azure(server: AzuriteServer, name: str = "my-azure") -> Profile:
    store = ProfileStore()
    profile = store.add(
        Profile(
            name=name,
            kind="azure",
            endpoint_url=server.endpoint_url,
            auth="key",
            account=AZURITE_ACCOUNT,
        )
    )
    store.set_secret(profile, AZURITE_KEY)
    return profile


def test_az_with_a_saved_connection(
    run: Run, azurite_server: AzuriteServer, tmp_path: Path
) -> None:
    save_azure(azurite_server)
    round_trip(run, azurite_server, "az", tmp_path, "-c", "my-azure")
    remove_with_rb(run, "az", "-c", "my-azure")
    shown = run("connections", "--json")
    assert shown.code == 0, shown.err
    [row] = [r for r in shown.records() if r["name"] == "my-azure"]
    assert row["kind"] == "azure" and row["account"] == AZURITE_ACCOUNT


# ── resume ──────────────────────────────────────────────────────────────────────────────


def start_slow_put(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``cloudbrowser put`` in a child, slowed down so that the test acts between parts;
    returns once the journal holds a part."""
    child = subprocess.Popen(
        [sys.executable, "-m", "cloudbrowser", "put", *argv, "-j", "1", "--limit-rate", "4M"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    journal = Journal(data_dir() / "transfers.sqlite3")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert child.poll() is None, child.communicate()[1].decode(errors="replace")
            records = journal.unfinished()
            if records and journal.parts(records[0].id):
                return child
            assert time.monotonic() < deadline, "no part was journalled in time"
            time.sleep(0.05)  # polling the journal for a condition, with a deadline
    except BaseException:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
        raise
    finally:
        journal.close()


def kill_and_resume(run: Run, child: subprocess.Popen[bytes], scheme: str, bucket: str) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)
    [record] = Journal().unfinished()
    assert record.state is State.QUEUED and record.session, "killed: nobody recorded an end"
    listed = run("resume", "--text")
    assert listed.code == 0, listed.err
    assert f"{scheme}://{bucket}/big.bin" in listed.out and "interrupted" in listed.out
    resumed = run("resume", "--all")
    assert resumed.code == 0, resumed.err
    [done] = resumed.records()
    assert done["state"] == "done" and done["verified"] is True
    assert Journal().unfinished() == []


def big_file(tmp_path: Path) -> Path:
    source = tmp_path / "big.bin"
    source.write_bytes(hashlib.shake_256(b"resume me").digest(3 * 5 * MiB + 4321))
    return source


def test_resume_continues_a_gs_put_killed_mid_way(
    run: Run, gcs_server: GcsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    bucket, source = gcs_server.bucket(), big_file(tmp_path)
    env = child_env(None)
    child = start_slow_put([str(source), f"gs://{bucket}/big.bin", "--part-size", "5M"], env)
    kill_and_resume(run, child, "gs", bucket)
    got = run("get", f"gs://{bucket}/big.bin", str(tmp_path / "back.bin"))
    assert got.code == 0, got.err
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()


def test_resume_continues_an_az_put_killed_mid_way(
    run: Run, azurite_server: AzuriteServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    bucket, source = azurite_server.bucket(), big_file(tmp_path)
    env = child_env(None)
    child = start_slow_put([str(source), f"az://{bucket}/big.bin", "--part-size", "5M"], env)
    kill_and_resume(run, child, "az", bucket)
    got = run("get", f"az://{bucket}/big.bin", str(tmp_path / "back.bin"))
    assert got.code == 0, got.err
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()


def test_resume_of_az_transfers_whose_variables_are_gone_names_them_in_az(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the Azure variables are no longer set, each transfer fails with what to set,
    its location written az:// (it was s3://), and the summary says "uploaded" (it said
    "downloaded 0 files" of two uploads)."""
    from cloudbrowser.core.journal import Direction, JournalRecord

    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)
    record = JournalRecord(
        0, Direction.UPLOAD, "Azure (devstoreaccount1)", "box", "a.txt", tmp_path / "a.txt",
        1, 0.0, "", 0, "", State.PAUSED, "", "",
    )  # fmt: skip
    Journal().add([record, replace(record, key="b.txt", local_path=tmp_path / "b.txt")])
    listed = run("resume", "--text")
    assert "→ az://box/a.txt" in listed.out
    resumed = run("resume", "--text", "--all")
    assert resumed.code == 1
    assert "→ az://box/a.txt: An az:// location needs an Azure storage account" in resumed.err
    assert "s3://" not in resumed.err
    assert "uploaded 0 files" in resumed.err and "downloaded" not in resumed.err


# ── a bare scheme ───────────────────────────────────────────────────────────────────────


def test_ls_of_a_bare_scheme_lists_the_buckets(
    run: Run,
    gcs_server: GcsServer,
    azurite_server: AzuriteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``ls gs://`` and ``ls az://`` (as ``gsutil ls gs://`` and ``aws s3 ls s3://``) list
    the buckets of the cloud they name, where they said “No bucket name”: without ``-c``
    the scheme is the only way to say which cloud's buckets are meant."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    gs_bucket, az_container = gcs_server.bucket(), azurite_server.bucket()
    gs = run("ls", "gs://", "--project", GCS_PROJECT)
    assert gs.code == 0, gs.err
    assert gs_bucket in [r["name"] for r in gs.records()]
    az = run("ls", "az://")
    assert az.code == 0, az.err
    assert az_container in [r["name"] for r in az.records()]


def test_gs_takes_the_project_from_GOOGLE_CLOUD_PROJECT(
    run: Run, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Google's client libraries take the project from ``GOOGLE_CLOUD_PROJECT``, also on
    the emulator, whose requests carry no credentials to name one."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", GCS_PROJECT)
    bucket = gcs_server.bucket()
    listed = run("ls", "gs://")
    assert listed.code == 0, listed.err
    assert bucket in [r["name"] for r in listed.records()]


def test_without_a_project_ls_and_mb_say_how_to_name_one(
    run: Run, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hint is the command line's (--project), where it was the window's “Set the
    connection's project”, a field a gs:// command without -c does not have."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    for argv in (["ls", "gs://"], ["mb", "gs://no-project-named"]):
        refused = run(*argv, "--text")
        assert refused.code == 3, refused.err
        assert "no Google Cloud project" in refused.err
        assert "--project ID" in refused.err and "GOOGLE_CLOUD_PROJECT" in refused.err
        assert "connection's project" not in refused.err


@pytest.mark.parametrize(
    "argv",
    [
        ["mb", "gs://bucket/a-key"],
        ["presign", "gs://bucket/folder/"],
        ["cp", "gs://bucket/a", "local-file"],
        ["sync", "gs://bucket/a/", "gs://bucket/b/"],
        ["ls", "gs:/bucket/a-slash-missing"],
    ],
    ids=["mb", "presign", "cp", "sync", "gs:/"],
)
def test_usage_hints_write_the_scheme_the_user_wrote(run: Run, argv: list[str]) -> None:
    """A gs:// user was shown s3://bucket/key as the way to write it."""
    refused = run(*argv, "--text")
    assert refused.code == 2, refused.err
    assert "gs://" in refused.err and "s3://" not in refused.err


# ── versions --restore ──────────────────────────────────────────────────────────────────


def test_versions_restore_brings_an_old_generation_back(
    run: Run, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The command line listed generations but could not bring one back: only the
    window's Versions… dialog could."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    bucket = gcs_server.bucket()
    enabled = requests.patch(
        f"{gcs_server.endpoint_url}/storage/v1/b/{bucket}",
        json={"versioning": {"enabled": True}},
        timeout=10,
    )
    assert enabled.ok, enabled.text
    key = "notes/draft #1.txt"
    for body in (b"first", b"second"):
        gcs_server.put(bucket, {key: body})
    where = f"gs://{bucket}/{key}"
    [latest, oldest] = run("versions", where).records()
    assert (latest["latest"], oldest["size"]) == (True, 5)

    restored = run("versions", "--restore", oldest["version_id"], where)
    assert restored.code == 0, restored.err
    [record] = restored.records()
    assert record["result"] == "restored" and record["version_id"] == oldest["version_id"]
    with gcs_server.backend().get_object(bucket, key) as reader:
        assert reader.read(-1) == b"first"
    rows = run("versions", where).records()
    assert rows[0]["version_id"] == record["new_version_id"] and rows[0]["latest"]
    assert len(rows) == 3  # the version it replaced stays in the history

    missing = run("versions", "--restore", "123", where, "--text")
    assert missing.code == 1 and "has no version “123”" in missing.err
    folder = run("versions", "--restore", "123", f"gs://{bucket}/notes/", "--text")
    assert folder.code == 2 and "name its key" in folder.err


def test_a_project_whose_buckets_may_not_be_listed_says_what_the_command_line_can_do(
    run: Run, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hint was the window's: set the connection's default bucket."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    reply = requests.Response()
    reply.status_code = 403
    reply._content = b'{"error": {"code": 403, "message": "no storage.buckets.list"}}'

    def refused(self: GcsBackend) -> list[Bucket]:
        raise reply_error(reply, listing_buckets=True)

    monkeypatch.setattr(GcsBackend, "list_buckets", refused)
    denied = run("ls", "gs://", "--project", "someone-elses", "--text")
    assert denied.code == 3, denied.err  # credentials
    assert "may not list the buckets" in denied.err
    assert "ls gs://BUCKET/" in denied.err and "--project ID" in denied.err
    assert "default bucket" not in denied.err


def test_project_with_an_s3_location_is_named_as_the_mistake(run: Run) -> None:
    """It said that a GCS connection holds no s3:// locations, a connection nobody named."""
    refused = run("ls", "--project", "my-project", "s3://bucket/", "--text")
    assert refused.code == 2, refused.err
    assert "--project is for Google Cloud Storage" in refused.err


# ── mb: a bucket's location and storage class ──────────────────────────────────────────


def test_mb_gives_a_gs_bucket_its_location_and_storage_class(
    run: Run, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As gsutil's ``mb -l EU -c NEARLINE`` (``-c`` is the connection here: the class is
    ``--storage-class``), and as the window's New bucket asks for both. fake-gcs-server
    keeps neither (every bucket is US-CENTRAL1, STANDARD): what reached it is read from a
    recording front before it."""
    with gcs_front(gcs_server.endpoint_url) as front:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", front.url)
        placed, class_only, plain = (f"mb-{stem}-{uuid.uuid4().hex[:8]}" for stem in "abc")
        gcs_server._buckets.extend([placed, class_only, plain])  # removed after the test
        project = ["--project", GCS_PROJECT]
        made = run("mb", "-l", "EU", "--storage-class", "nearline", f"gs://{placed}", *project)
        assert made.code == 0, made.err
        assert made.records() == [
            {"bucket": placed, "result": "created", "location": "EU", "storage_class": "NEARLINE"}
        ]
        text = run("mb", "--text", "--storage-class", "ARCHIVE", f"gs://{class_only}", *project)
        assert text.code == 0, text.err
        assert text.out.strip() == (
            f"created bucket gs://{class_only}, default storage class ARCHIVE"
        )
        bare = run("mb", f"gs://{plain}", *project)
        assert bare.records() == [{"bucket": plain, "result": "created"}]
        sent = [
            json.loads(r.body)
            for r in front.requests_matching(
                lambda r: (r.method, r.path) == ("POST", "/storage/v1/b")
            )
        ]
    assert sent == [
        {"name": placed, "location": "EU", "storageClass": "NEARLINE"},
        {"name": class_only, "storageClass": "ARCHIVE"},
        {"name": plain},
    ]
    listed = {b.name for b in gcs_server.backend().list_buckets()}
    assert {placed, class_only, plain} <= listed


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--storage-class", "GLACIER"], "“GLACIER” is not a storage class a new bucket"),
        (["-l", "EU/NEARLINE"], "“EU/NEARLINE” is not a location"),
        (["--region", "europe-west1"], "--region is for S3"),
    ],
    ids=["unknown class", "slash in location", "S3's --region"],
)
def test_mb_refuses_what_a_gs_bucket_cannot_be_given_before_any_request(
    run: Run, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch, argv: list[str], said: str
) -> None:
    with gcs_front(gcs_server.endpoint_url) as front:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", front.url)
        refused = run("mb", "--text", *argv, "gs://never-made", "--project", GCS_PROJECT)
        assert refused.code == 2, refused.err  # a usage error, as any other
        assert said in refused.err
        assert front.requests == [], "nothing was sent"
    if "GLACIER" in argv:
        assert "STANDARD, NEARLINE, COLDLINE, ARCHIVE" in refused.err
    if "--region" in argv:
        assert "-l/--location" in refused.err


def test_mb_location_on_s3_is_the_buckets_region_and_a_class_is_refused(
    run: Run, moto_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On AWS (no --endpoint: here botocore's AWS_ENDPOINT_URL leads to moto) the location
    is the new bucket's region, as the window's New bucket region: made through that
    region's endpoint, whatever the connection's own (--region, else the AWS config).
    Where the server is of unknown kind (--endpoint), it decides, as in the window."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_server.credentials.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_server.credentials.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = moto_server.client
    made = run("mb", "-l", "eu-west-1", "s3://located-by-mb")
    assert made.code == 0, made.err
    assert made.records() == [
        {"bucket": "located-by-mb", "result": "created", "location": "eu-west-1"}
    ]
    assert client.get_bucket_location(Bucket="located-by-mb")["LocationConstraint"] == "eu-west-1"
    # Without it, as before: the connection's region.
    plain = run("mb", "--region", "eu-central-1", "s3://region-by-mb")
    assert plain.records() == [{"bucket": "region-by-mb", "result": "created"}]
    assert client.get_bucket_location(Bucket="region-by-mb")["LocationConstraint"] == (
        "eu-central-1"
    )

    no_class = run("mb", "--storage-class", "STANDARD_IA", "s3://never-made", "--text")
    assert no_class.code == 2, no_class.err
    assert "A new bucket here cannot be given a default storage class" in no_class.err
    custom = ["--endpoint", moto_server.endpoint_url]
    unknown = run("mb", "-l", "eu-west-1", "s3://never-made", "--text", *custom)
    assert unknown.code == 2, unknown.err
    assert "the server decides where it is kept" in unknown.err
    names = [b["Name"] for b in client.list_buckets()["Buckets"]]
    assert "never-made" not in names
