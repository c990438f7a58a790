"""The Azure backend on Azurite: what a user is told when signing in or permissions fail,
container-scoped SAS connections, read-only SAS links, tiers.

Azurite enforces SharedKey and SAS signatures, their times and permissions; it has no
Entra ID (without TLS and --oauth) and no blob versions: those replies are built here
from recorded ones (the role-assignment 403), said at each test.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import (
    AccountSasPermissions,
    ContainerSasPermissions,
    ResourceTypes,
    generate_account_sas,
    generate_container_sas,
)

from cloudbrowser.core.backends import open_storage
from cloudbrowser.core.backends.azure.errors import Where, translate_error
from cloudbrowser.core.connection import Credentials
from cloudbrowser.core.errors import (
    AccessDenied,
    BucketNotFound,
    ConfigError,
    EndpointUnreachable,
    InvalidCredentials,
    KeyNotFound,
    NotSupported,
    ObjectChanged,
)
from cloudbrowser.core.storage import (
    BatchDelete,
    ServerCopy,
    Storage,
    properties_of,
    share_links_of,
)
from cloudbrowser.emulators import AZURITE_ACCOUNT, AZURITE_KEY
from tests.conftest import AzuriteServer
from tests.local_servers import free_port


def sas_storage(server: AzuriteServer, token: str, **overrides: Any) -> Storage:
    settings = server.settings(auth="sas", **overrides)
    return open_storage(settings, Credentials("sas", token))


def container_sas(bucket: str, permission: str, *, hours: float = 1.0) -> str:
    now = datetime.now(UTC)
    return generate_container_sas(
        AZURITE_ACCOUNT,
        bucket,
        account_key=AZURITE_KEY,
        permission=ContainerSasPermissions.from_string(permission),
        start=now - timedelta(hours=2),
        expiry=now + timedelta(hours=hours),
    )


def test_a_wrong_account_key_is_named(azurite_server: AzuriteServer) -> None:
    settings = azurite_server.settings()
    wrong = Credentials(AZURITE_ACCOUNT, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=")
    with pytest.raises(InvalidCredentials) as refused:
        open_storage(settings, wrong).list_buckets()
    assert refused.value.code == "AuthenticationFailed"
    assert "account key" in refused.value.message


def test_an_expired_sas_is_named(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    token = container_sas(bucket, "rl", hours=-1)
    with pytest.raises(InvalidCredentials) as refused:
        sas_storage(azurite_server, token).list_page(bucket)
    assert "expired" in refused.value.message
    assert "new SAS" in refused.value.hint


def test_a_sas_signed_with_another_key_is_named(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    now = datetime.now(UTC)
    revoked = generate_container_sas(
        AZURITE_ACCOUNT,
        bucket,
        account_key="b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXk=",
        permission="rl",
        expiry=now + timedelta(hours=1),
    )
    with pytest.raises(InvalidCredentials) as refused:
        sas_storage(azurite_server, revoked).list_page(bucket)
    assert "revoked" in refused.value.message


def test_a_sas_without_list_permission_is_named(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["a.txt"])
    storage = sas_storage(azurite_server, container_sas(bucket, "r"))
    with pytest.raises(AccessDenied) as refused:
        storage.list_page(bucket)
    assert refused.value.code == "AuthorizationPermissionMismatch"
    assert "The SAS grants only read (sp=r)" in refused.value.hint
    with storage.get_object(bucket, "a.txt") as reader:  # reading is granted
        assert reader.read(-1) == b"a.txt"


def test_a_read_only_sas_may_not_write(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    storage = sas_storage(azurite_server, container_sas(bucket, "rl"))
    with pytest.raises(AccessDenied) as refused:
        storage.put_object(bucket, "new.txt", b"x", content_md5="")
    assert "Not allowed" in refused.value.message
    assert "grants only read and list (sp=rl)" in refused.value.hint
    with pytest.raises(AccessDenied):
        storage.delete_object(bucket, "new.txt")
    assert storage.list_page(bucket).objects == []


def test_a_container_sas_opens_at_its_container_without_listing_containers(
    azurite_server: AzuriteServer,
) -> None:
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["docs/a.txt"])
    storage = sas_storage(azurite_server, container_sas(bucket, "rl"), default_bucket=bucket)
    assert [b.name for b in storage.list_buckets()] == [bucket]
    assert [e.key for e in storage.list_page(bucket).prefixes] == ["docs/"]
    # It could not have listed them: the account's container list needs an account SAS
    # (Azurite: the signature does not verify for that request; Azure: not authorized).
    with pytest.raises((AccessDenied, InvalidCredentials)) as refused:
        sas_storage(azurite_server, container_sas(bucket, "rl")).list_buckets()
    # Said as what it is, not as a revoked key (a script given only the token sees this).
    assert "for one container" in refused.value.message
    assert "revoked" not in refused.value.message + refused.value.hint


def test_a_container_sas_used_on_another_container_is_named(azurite_server: AzuriteServer) -> None:
    mine, other = azurite_server.bucket(), azurite_server.bucket()
    storage = sas_storage(azurite_server, container_sas(mine, "rl"))
    with pytest.raises((AccessDenied, InvalidCredentials)) as refused:
        storage.list_page(other)
    assert f"refused for the container “{other}”: it was made for another" in (
        refused.value.message
    )
    assert "only in the container it was made for" in refused.value.hint


def test_a_connection_string_with_a_sas_signs_as_that_sas(azurite_server: AzuriteServer) -> None:
    """A connection string may carry a SAS instead of a key: a copy on the server sends
    that SAS with its source (it failed: "This connection cannot sign a link"), and a
    refusal is the SAS's (it said the account key was refused, or to ask the owner)."""
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"a.txt": b"copied"})
    settings = azurite_server.settings(auth="connection_string")

    def with_sas(permission: str) -> Storage:
        text = (
            f"BlobEndpoint={azurite_server.endpoint_url};"
            f"SharedAccessSignature={container_sas(bucket, permission)}"
        )
        return open_storage(settings, Credentials(AZURITE_ACCOUNT, text))

    storage = with_sas("racwdl")
    grant = storage.features.link_grant  # a SAS signs no other link: links carry it
    assert grant is not None and not grant.read_only
    assert isinstance(storage, ServerCopy)
    storage.copy_object(bucket, "a.txt", bucket, "b.txt")
    with storage.get_object(bucket, "b.txt") as reader:
        assert reader.read(-1) == b"copied"
    with pytest.raises(InvalidCredentials) as refused:
        storage.list_buckets()
    assert "for one container" in refused.value.message
    read_only = with_sas("rl")
    grant = read_only.features.link_grant
    assert read_only.features.share_links and grant is not None and grant.read_only
    with pytest.raises(AccessDenied) as denied:
        read_only.put_object(bucket, "c.txt", b"x", content_md5="")
    assert "grants only read and list (sp=rl)" in denied.value.hint


def test_an_account_sas_lists_containers(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    token = generate_account_sas(
        AZURITE_ACCOUNT,
        AZURITE_KEY,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(read=True, list=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    assert bucket in [b.name for b in sas_storage(azurite_server, token).list_buckets()]


def test_a_missing_role_assignment_is_named() -> None:
    """Azurite has no Entra ID: the 403 Azure sends a signed-in user without a data role
    (recorded from the service's documentation of AuthorizationPermissionMismatch)."""
    reply = _Reply(403, "AuthorizationPermissionMismatch")
    error = translate_error(HttpResponseError(response=reply), Where("photos", "", "entra_default"))
    assert isinstance(error, AccessDenied)
    assert "Storage Blob Data Reader" in error.hint


def test_missing_containers_and_blobs_and_changed_blobs(azurite_server: AzuriteServer) -> None:
    storage = azurite_server.backend()
    with pytest.raises(BucketNotFound):
        storage.list_page("no-such-container")
    bucket = azurite_server.bucket()
    with pytest.raises(KeyNotFound):
        storage.head_object(bucket, "absent")
    etag = storage.put_object(bucket, "k", b"one", content_md5="")
    storage.put_object(bucket, "k", b"two", content_md5="")
    with pytest.raises(ObjectChanged) as changed:
        storage.get_object(bucket, "k", if_match=etag)
    assert changed.value.code == "ConditionNotMet"


def test_an_unreachable_account_is_named(azurite_server: AzuriteServer) -> None:
    closed = f"http://127.0.0.1:{free_port()}/{AZURITE_ACCOUNT}"
    storage = azurite_server.backend(endpoint_url=closed, connect_timeout=2.0)
    with pytest.raises(EndpointUnreachable):
        storage.list_buckets()


def test_an_unreachable_account_is_said_within_seconds(azurite_server: AzuriteServer) -> None:
    """A refused connection is retried (max_attempts) after a few seconds, not after the
    storage SDK's 15 s + 3^n: ``ls az://`` took 43 s to say the account was unreachable."""
    closed = f"http://127.0.0.1:{free_port()}/{AZURITE_ACCOUNT}"
    storage = azurite_server.backend(endpoint_url=closed, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(EndpointUnreachable):
        storage.list_buckets()
    assert time.monotonic() - started < 8.0  # one wait of 3 ± 1 s; it was 18 ± 3 s


def test_a_share_link_is_read_only_and_bounded(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"r.txt": b"report"})
    storage = azurite_server.backend()
    asked = time.time()
    url = share_links_of(storage).share_link(bucket, "r.txt", 7 * 24 * 3600).url
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"report"
    # Signed to start 15 minutes back (a service whose clock is behind ours accepts it at
    # once), to end the 7 days asked for after now, reading one blob.
    fields = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    signed = {name: datetime.fromisoformat(fields[name]).timestamp() for name in ("st", "se")}
    assert asked - 15 * 60 - 1 <= signed["st"] <= asked - 15 * 60 + 1
    assert asked + 7 * 24 * 3600 - 1 <= signed["se"] <= time.time() + 7 * 24 * 3600
    assert (fields["sp"], fields["sr"]) == ("r", "b")
    put = urllib.request.Request(
        url, data=b"overwritten", method="PUT", headers={"x-ms-blob-type": "BlockBlob"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(put, timeout=10)
    assert refused.value.code == 403
    refused.value.close()
    # A SAS connection has no key to sign with. One whose SAS only reads gives links that
    # carry it, ending when it does; one that grants more gives none unless asked
    # knowingly (a link would share its writes too: test_a_broader_sas_is_shared_…).
    token = container_sas(bucket, "rl", hours=5)
    reader = sas_storage(azurite_server, token, default_bucket=bucket)
    grant = reader.features.link_grant
    assert reader.features.share_links and grant is not None
    assert grant.read_only and grant.permissions == ("read", "list")
    assert (grant.scope, grant.scope_name) == ("bucket", bucket)
    assert abs(grant.ends - (time.time() + 5 * 3600)) < 120
    carried = share_links_of(reader).share_link(bucket, "r.txt", 3600).url
    assert carried.endswith("?" + token)
    with urllib.request.urlopen(carried, timeout=10) as reply:
        assert reply.read() == b"report"
    put = urllib.request.Request(
        carried, data=b"overwritten", method="PUT", headers={"x-ms-blob-type": "BlockBlob"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(put, timeout=10)
    assert refused.value.code == 403
    refused.value.close()
    writer = sas_storage(azurite_server, container_sas(bucket, "rwl"))
    grant = writer.features.link_grant
    assert grant is not None and grant.permissions == ("read", "write", "list")
    with pytest.raises(NotSupported) as refused:
        share_links_of(writer).share_link(bucket, "r.txt", 3600)
    assert "grants more than reading (sp=rwl sr=c)" in refused.value.message
    # A SAS that does not read cannot be a download link at all, accepted or not.
    blind = sas_storage(azurite_server, container_sas(bucket, "wl"))
    assert not blind.features.share_links
    with pytest.raises(NotSupported) as refused:
        share_links_of(blind).share_link(bucket, "r.txt", 3600, accepted=blind.features.link_grant)
    assert "does not grant reading (sp=wl sr=c)" in refused.value.message


def test_a_broader_sas_is_shared_only_when_its_grant_is_accepted(
    azurite_server: AzuriteServer,
) -> None:
    """A container SAS granting sp=racwdl cannot sign a read-only link. The link is that
    SAS on the blob's URL, and it is made only when the caller hands back the very grant
    the user was shown (the window's warning, presign --with-connection-sas): what it
    grants, in words, container-wide, until the SAS's end. Without it: refused."""
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"r.txt": b"report"})
    token = container_sas(bucket, "racwdl", hours=30)
    storage = sas_storage(azurite_server, token, default_bucket=bucket)
    grant = storage.features.link_grant
    assert storage.features.share_links and grant is not None and not grant.read_only
    assert grant.permissions == ("read", "add", "create", "write", "delete", "list")
    assert (grant.scope, grant.scope_name, grant.spelled) == ("bucket", bucket, "sp=racwdl sr=c")
    assert abs(grant.ends - (time.time() + 30 * 3600)) < 120
    assert (grant.policy, grant.addresses, grant.protocols) == ("", "", "")
    links = share_links_of(storage)
    with pytest.raises(NotSupported) as refused:
        links.share_link(bucket, "r.txt", 3600)
    assert "a link would hand out all it grants" in refused.value.message
    # A grant other than the connection's (another SAS's, seen before a reconnect) is not
    # an acceptance of this one.
    with pytest.raises(NotSupported):
        links.share_link(bucket, "r.txt", 3600, accepted=grant._replace(permissions=("read",)))

    url = links.share_link(bucket, "r.txt", 3600, accepted=grant).url
    assert url.endswith("?" + token)
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"report"
    # …and it grants what it was said to: whoever holds it may write the blob.
    put = urllib.request.Request(
        url, data=b"overwritten", method="PUT", headers={"x-ms-blob-type": "BlockBlob"}
    )
    with urllib.request.urlopen(put, timeout=10) as reply:
        assert reply.status == 201


def test_a_sas_grant_is_read_in_words_with_its_limits() -> None:
    """Every field of a SAS that limits or widens what a link carrying it grants: an
    account SAS (its "p" is processing queue messages), a stored access policy with no
    end in the token, addresses and protocols, and a letter nobody knows (never taken for
    reading)."""
    from cloudbrowser.core.backends.azure.addresses import link_grant

    account = link_grant(
        "sv=2024-11-04&ss=b&srt=sco&sp=rwdlacupx&sip=10.0.0.1-10.0.0.9&spr=https&se=2030-01-02T03:04:05Z&sig=x"
    )
    assert account.scope == "account" and account.spelled == "sp=rwdlacupx ss=b srt=sco"
    assert account.permissions == (
        "read", "add", "create", "write", "update", "delete", "delete versions", "list",
        "process messages",
    )  # fmt: skip
    assert (account.addresses, account.protocols) == ("10.0.0.1-10.0.0.9", "https")
    assert account.ends == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    policy = link_grant("sv=2024-11-04&sr=b&si=readers&sig=x", bucket="c", prefix="a/")
    assert (policy.scope, policy.scope_name, policy.policy, policy.ends) == (
        "object",
        "",  # a blob's: the token does not name it
        "readers",
        0.0,
    )
    assert policy.permissions == () and policy.spelled == "sr=b si=readers"
    folder = link_grant("sv=2024-11-04&sr=d&sdd=1&sp=rl&sig=x", bucket="c", prefix="a/")
    assert (folder.scope, folder.scope_name, folder.read_only) == ("folder", "c/a/", True)
    # What the policy grants is kept on the server: it may read, and only knowingly.
    assert policy.reads and not policy.read_only
    odd = link_grant("sv=2024-11-04&sr=c&sp=rz&se=not-a-date&sig=x")
    assert odd.permissions == ("read", "“z” (unknown to cloudbrowser)") and not odd.read_only
    assert odd.ends == 0.0


def test_a_copy_of_an_archived_blob_says_it_is_archived(azurite_server: AzuriteServer) -> None:
    """The service reads a copy's source through its URL and answers 409
    CannotVerifyCopySource with the source's refusal: it was said as "The request
    conflicts with the blob's or container's state", which no retry changes."""
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"cold.txt": b"cold"})
    storage = azurite_server.backend()
    storage.set_tier(bucket, "cold.txt", "Archive")  # type: ignore[attr-defined]
    assert isinstance(storage, ServerCopy)
    with pytest.raises(AccessDenied) as refused:
        storage.copy_object(bucket, "cold.txt", bucket, "copy.txt")
    assert refused.value.code == "BlobArchived"
    assert "Archive tier" in refused.value.message


def test_access_tiers_are_shown_and_changed(azurite_server: AzuriteServer) -> None:
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"t.txt": b"tiered"})
    storage = azurite_server.backend()
    assert storage.head_object(bucket, "t.txt").storage_class == "Hot"
    storage.set_tier(bucket, "t.txt", "Cool")  # type: ignore[attr-defined]
    assert [e.storage_class for e in storage.list_page(bucket).objects] == ["Cool"]
    assert properties_of(storage).object_details(bucket, "t.txt").storage_class == "Cool"
    storage.set_tier(bucket, "t.txt", "Hot")  # type: ignore[attr-defined]
    assert storage.head_object(bucket, "t.txt").storage_class == "Hot"
    # The Properties dialog changes the tier as it changes an S3 storage class.
    props = properties_of(storage)
    details = props.object_details(bucket, "t.txt")
    props.replace_metadata(replace(details, storage_class="Cold", cache_control="no-cache"))
    after = props.object_details(bucket, "t.txt")
    assert (after.storage_class, after.cache_control) == ("Cold", "no-cache")
    with storage.get_object(bucket, "t.txt") as reader:
        assert reader.read(-1) == b"tiered"


def test_encryption_is_said_in_azures_words(azurite_server: AzuriteServer) -> None:
    """Properties showed an Azure blob's encryption as S3's "SSE-S3": the backend gave S3's
    header value "AES256", which the dialog names so."""
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, {"e.txt": b"at rest"})
    details = properties_of(azurite_server.backend()).object_details(bucket, "e.txt")
    assert details.server_side_encryption == "AES-256, Azure Storage encryption"


def test_tags_azure_cannot_hold_are_named_before_sending(azurite_server: AzuriteServer) -> None:
    """Azure refuses a tag with other characters than A-Z a-z 0-9 space + - . / : = _ with
    a 400 whose code does not say so (Azurite: DuplicateTagNames): the Properties dialog
    said "refused the request (DuplicateTagNames). Retry"."""
    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["t.txt"])
    props = properties_of(azurite_server.backend())
    with pytest.raises(ConfigError) as refused:
        props.put_tags(bucket, "t.txt", {"project": "apollo", "ünï": "x"})
    assert refused.value.message == "“ünï” cannot be an Azure blob index tag's name."
    assert "+ - . / : = _" in refused.value.hint
    with pytest.raises(ConfigError, match="tag's value"):
        props.put_tags(bucket, "t.txt", {"project": "a" * 257})
    assert props.get_tags(bucket, "t.txt") == {}
    props.put_tags(bucket, "t.txt", {"cost center": "R-1/2: a=b_c.d+e"})
    assert props.get_tags(bucket, "t.txt") == {"cost center": "R-1/2: a=b_c.d+e"}


class _Reply:
    """The part of an HTTP reply HttpResponseError reads."""

    def __init__(self, status: int, code: str) -> None:
        self.status_code = status
        self.reason = "Forbidden"
        self.headers = {"x-ms-error-code": code}
        self.request = None

    def text(self, encoding: str | None = None) -> str:
        return ""

    def body(self) -> bytes:
        return b""


def test_a_copy_whose_source_azure_names_as_archived_says_so() -> None:
    """Azure names a copy source's refusal in x-ms-copy-source-error-code (recorded from
    the service's documentation; Azurite sends none, see the test above): an archived
    source is said as such, its message whatever it is."""
    reply = _Reply(409, "CannotVerifyCopySource")
    reply.headers["x-ms-copy-source-error-code"] = "BlobArchived"
    error = translate_error(HttpResponseError(response=reply), Where("photos", "b.txt", "key"))
    assert isinstance(error, AccessDenied) and error.code == "BlobArchived"
    reply.headers["x-ms-copy-source-error-code"] = "BlobBeingRehydrated"
    error = translate_error(HttpResponseError(response=reply), Where("photos", "b.txt", "key"))
    assert error.code == "BlobBeingRehydrated"
    del reply.headers["x-ms-copy-source-error-code"]
    error = translate_error(HttpResponseError(response=reply), Where("photos", "b.txt", "key"))
    assert error.code == "CannotVerifyCopySource"


def test_a_blob_batch_returns_the_refused_blobs(azurite_server: AzuriteServer) -> None:
    """A leased blob refuses its delete (412 LeaseIdMissing) inside the Blob Batch; the
    others, and a blob already gone, count as deleted. The lease is taken with the SDK:
    the storage interface has no leases."""
    from azure.storage.blob import BlobServiceClient

    bucket = azurite_server.bucket()
    azurite_server.put(bucket, ["free.txt", "held.txt"])
    raw = BlobServiceClient(
        azurite_server.endpoint_url,
        credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY},
    )
    lease = raw.get_blob_client(bucket, "held.txt").acquire_lease(lease_duration=-1)
    storage = azurite_server.backend()
    assert isinstance(storage, BatchDelete)
    refused = storage.delete_objects(bucket, ["free.txt", "held.txt", "never-there"])
    assert [(key, type(error), error.code) for key, error in refused] == [
        ("held.txt", AccessDenied, "LeaseIdMissing")
    ]
    assert [e.key for e in storage.list_page(bucket).objects] == ["held.txt"]
    lease.break_lease(lease_break_period=0)


def test_test_connection_speaks_of_containers(azurite_server: AzuriteServer) -> None:
    """Test connection names Azure's buckets as Azure does: containers
    (``features.bucket_word``), counted, and when the credentials may not list them."""
    from cloudbrowser.core.check import check_connection

    for _ in range(2):
        azurite_server.bucket()
    result = check_connection(azurite_server.settings(), azurite_server.credentials)
    assert result.ok and result.bucket_count is not None and result.bucket_count >= 2
    assert result.summary == f"Connected: {result.bucket_count} containers."
    # An account SAS that may read but not list: signed in, no list of containers.
    token = generate_account_sas(
        AZURITE_ACCOUNT,
        AZURITE_KEY,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(read=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    denied = check_connection(azurite_server.settings(auth="sas"), Credentials("sas", token))
    assert not denied.ok
    assert denied.summary == "Signed in, but these credentials may not list the containers."
    assert (
        denied.hint == "Enter the container's name as the default container to browse it directly."
    )
    assert "bucket" not in f"{result.summary} {denied.summary} {denied.hint}"
