"""``cp`` and ``mv`` between two connections, through the real entry point: another cloud
(its scheme's own credentials, as without ``-c``) or ``--to NAME`` (a saved connection),
the bytes streamed through this machine and verified. Against moto, rclone serve s3,
fake-gcs-server and Azurite."""

from __future__ import annotations

import pytest

from cloudbrowser.core.profiles import Profile, ProfileStore
from tests.cli.helpers import SECRET_ENV, Run
from tests.cli.test_other_clouds import azure_connection_string
from tests.conftest import AzuriteServer, GcsServer, S3Server, TestServer


def contents(server: TestServer, bucket: str) -> dict[str, bytes]:
    storage = server.backend()
    found = {}
    for e in storage.list_page(bucket, "", recursive=True).objects:
        with storage.get_object(bucket, e.key) as body:
            found[e.key] = body.read(1 << 20)
    return found


def s3_flags(server: S3Server) -> list[str]:
    return ["--endpoint", server.endpoint_url, "--access-key-id", server.credentials.access_key_id]


@pytest.fixture
def from_moto(moto_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    monkeypatch.setenv(SECRET_ENV, moto_server.credentials.secret_access_key)
    return moto_server


def test_cp_and_mv_from_s3_to_gcs_with_its_own_credentials(
    run: Run, from_moto: S3Server, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection options are the source's; gs:// finds its emulator by itself."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    a, b = from_moto.bucket(), gcs_server.bucket()
    from_moto.put(a, {"docs/x.txt": b"x" * 3000, "docs/sub/y.txt": b"y", "z.txt": b"z"})
    gcs_server.put(b, {"backup/docs/x.txt": b"older"})

    dry = run("cp", "-r", "--skip", "--dry-run", f"s3://{a}/docs/", f"gs://{b}/backup/",
              *s3_flags(from_moto))  # fmt: skip
    assert dry.code == 0, dry.err
    assert sorted((r["result"], r["source"], r["destination"]) for r in dry.records()) == [
        ("would copy", f"s3://{a}/docs/sub/y.txt", f"gs://{b}/backup/docs/sub/y.txt"),
        ("would skip (exists)", f"s3://{a}/docs/x.txt", f"gs://{b}/backup/docs/x.txt"),
    ]
    copied = run("cp", "-r", f"s3://{a}/docs/", f"gs://{b}/backup/", *s3_flags(from_moto))
    assert copied.code == 0, copied.err
    assert sorted(r["destination"] for r in copied.records()) == [
        f"gs://{b}/backup/docs/sub/y.txt",
        f"gs://{b}/backup/docs/x.txt",
    ]
    moved = run("mv", "--text", f"s3://{a}/z.txt", f"gs://{b}/", *s3_flags(from_moto))
    assert moved.code == 0, moved.err
    assert moved.out.strip() == f"moved: s3://{a}/z.txt → gs://{b}/z.txt"
    assert contents(gcs_server, b) == {
        "backup/docs/x.txt": b"x" * 3000,
        "backup/docs/sub/y.txt": b"y",
        "z.txt": b"z",
    }
    assert sorted(contents(from_moto, a)) == ["docs/sub/y.txt", "docs/x.txt"], "mv only z.txt"


def test_mv_from_gcs_to_azure_keeps_what_was_not_moved(
    run: Run, gcs_server: GcsServer, azurite_server: AzuriteServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_connection_string(azurite_server))
    a, b = gcs_server.bucket(), azurite_server.bucket()
    gcs_server.put(a, {"in/a.txt": b"new a", "in/b.txt": b"new b"})
    azurite_server.put(b, {"in/a.txt": b"kept"})
    moved = run("mv", "-r", "--rename", f"gs://{a}/in/", f"az://{b}/")
    assert moved.code == 0, moved.err
    assert sorted((r["result"], r["destination"]) for r in moved.records()) == [
        ("moved", f"az://{b}/in/a (1).txt"),
        ("moved", f"az://{b}/in/b.txt"),
    ]
    assert contents(azurite_server, b) == {
        "in/a.txt": b"kept",
        "in/a (1).txt": b"new a",
        "in/b.txt": b"new b",
    }
    assert contents(gcs_server, a) == {}


def test_cp_to_a_saved_connection_of_the_same_cloud(
    run: Run, from_moto: S3Server, rclone_server: S3Server
) -> None:
    """``--to NAME``: moto to rclone serve s3, both s3://; the secret of the saved one
    from the keyring, the source's from the environment."""
    store = ProfileStore()
    profile = store.add(
        Profile(
            name="other-s3",
            endpoint_url=rclone_server.endpoint_url,
            access_key_id=rclone_server.credentials.access_key_id,
            addressing_style="path",
            region="us-east-1",
        )
    )
    store.set_secret(profile, rclone_server.credentials.secret_access_key)
    a, b = from_moto.bucket(), rclone_server.bucket()
    from_moto.put(a, {"k.bin": bytes(range(256)) * 64})
    copied = run("cp", "--to", "other-s3", f"s3://{a}/k.bin", f"s3://{b}/copy.bin",
                 *s3_flags(from_moto))  # fmt: skip
    assert copied.code == 0, copied.err
    assert contents(rclone_server, b) == {"copy.bin": bytes(range(256)) * 64}
    missing = run("cp", "--to", "no-such", f"s3://{a}/k.bin", f"s3://{b}/", *s3_flags(from_moto))
    assert missing.code == 3 and "no-such" in missing.err, missing.err


def test_a_location_of_the_wrong_cloud_for_to_is_said(
    run: Run, from_moto: S3Server, gcs_server: GcsServer
) -> None:
    ProfileStore().add(
        Profile(name="my-gcs", kind="gcs", endpoint_url=gcs_server.endpoint_url,
                auth="anonymous", project="p")
    )  # fmt: skip
    a = from_moto.bucket()
    from_moto.put(a, ["k.txt"])
    wrong = run("cp", "--to", "my-gcs", f"s3://{a}/k.txt", "s3://elsewhere/", *s3_flags(from_moto))
    assert wrong.code == 2 and "“my-gcs” holds gs:// locations" in wrong.err, wrong.err


def test_a_folder_goes_to_the_bucket_of_the_same_name_in_another_cloud(
    run: Run, from_moto: S3Server, gcs_server: GcsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two connections, one bucket name: two buckets, so no copy "into itself" (within
    one connection that is refused: tests/contract/test_operations.py)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.endpoint_url)
    name = from_moto.bucket("same")
    gcs_server.backend().create_bucket(name)
    gcs_server._buckets.append(name)  # removed after the test, as the fixture's own
    from_moto.put(name, {"photos/a.jpg": b"a"})
    copied = run("cp", "-r", f"s3://{name}/photos/", f"gs://{name}/", *s3_flags(from_moto))
    assert copied.code == 0, copied.err
    moved = run("mv", "-r", f"s3://{name}/photos/", f"gs://{name}/photos/old/",
                *s3_flags(from_moto))  # fmt: skip
    assert moved.code == 0, moved.err
    assert contents(gcs_server, name) == {"photos/a.jpg": b"a", "photos/old/photos/a.jpg": b"a"}
    assert contents(from_moto, name) == {}
