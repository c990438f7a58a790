"""Provider presets: what each S3-compatible service needs, as data (docs/architecture.md §5).

A preset fills a new connection's endpoint, region and addressing style, and carries the
**capability flags** the engine and the UI consult before relying on an optional S3 feature
(rclone's ``Features`` idea). Flags are what the provider documents; where a provider is
vague the flag is False, so the engine takes the safe path (e.g. single deletes instead of
DeleteObjects) rather than failing a batch halfway.
"""

from __future__ import annotations

from typing import NamedTuple

from cloudbrowser.core.connection import AddressingStyle, ConnectionSettings
from cloudbrowser.core.errors import ConfigError


class Capabilities(NamedTuple):
    """Optional S3 features a provider supports."""

    #: DeleteObjects (up to 1,000 keys per request); else parallel DeleteObject calls.
    multi_object_delete: bool = True
    #: ListObjectVersions, GetBucketVersioning, version ids.
    versioning: bool = True
    #: Get/PutObjectTagging.
    tagging: bool = True
    #: ListObjectsV2 (else the old ListObjects with markers).
    list_objects_v2: bool = True
    #: x-amz-checksum-* (CRC32, CRC32C, SHA1, SHA256) on uploads and parts.
    additional_checksums: bool = True
    #: Storage classes other than STANDARD can be chosen.
    storage_classes: bool = True
    #: Presigned GET/PUT URLs work.
    presigned_urls: bool = True
    #: PutObject and CompleteMultipartUpload honour If-Match (a write only over the
    #: revision named: 412 otherwise) and If-None-Match: * (a create-only write: 412 where
    #: the key exists). Amazon S3 since 2024, MinIO, R2 document both.
    conditional_writes: bool = True


class Preset(NamedTuple):
    """How to reach one kind of service.

    ``endpoint_pattern`` may contain ``{region}`` and ``{account}``; "" means botocore's own
    AWS endpoints. ``needs_endpoint`` means the user must type the server's address (a
    self-hosted server has no well-known one).
    """

    id: str
    label: str
    endpoint_pattern: str
    region: str
    addressing_style: AddressingStyle
    capabilities: Capabilities = Capabilities()
    needs_endpoint: bool = False
    #: Cloudflare R2: the endpoint is built from the account id.
    needs_account: bool = False
    #: Regions to offer in the region field (the user may type another).
    regions: tuple[str, ...] = ()
    #: One line shown under the preset choice.
    help: str = ""

    def endpoint(self, region: str = "", account: str = "") -> str:
        """The endpoint URL for ``region`` (and ``account``), "" for botocore's default.

        Raises ConfigError when the pattern needs an account id that is missing.
        """
        if "{account}" in self.endpoint_pattern and not account.strip():
            raise ConfigError(
                f"{self.label} needs your account ID to build the endpoint.",
                hint="Copy the account ID from the provider's dashboard.",
            )
        return self.endpoint_pattern.format(
            region=region.strip() or self.region, account=account.strip()
        )


_NO_EXTRAS = Capabilities(
    versioning=False,
    tagging=False,
    additional_checksums=False,
    storage_classes=False,
    conditional_writes=False,
)

PRESETS: tuple[Preset, ...] = (
    Preset(
        "aws",
        "Amazon S3",
        "",
        "us-east-1",
        "auto",
        regions=(
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-central-1",
            "eu-north-1",
            "ap-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "sa-east-1",
        ),
        help="Access key from IAM; the region is where your buckets live.",
    ),
    Preset(
        "gcs",
        "Google Cloud Storage (HMAC keys)",
        "https://storage.googleapis.com",
        "auto",
        "path",
        # The XML API has no DeleteObjects and no S3 tagging; versions differ from S3's.
        Capabilities(
            multi_object_delete=False,
            versioning=False,
            tagging=False,
            additional_checksums=False,
            conditional_writes=False,
        ),
        help="Only with HMAC keys (Cloud Storage → Settings → Interoperability), through "
        "GCS's S3 interoperability. With gcloud credentials or a service-account key, "
        "choose “Google Cloud Storage (native)”.",
    ),
    Preset(
        "minio",
        "MinIO",
        "http://localhost:9000",
        "us-east-1",
        "path",
        needs_endpoint=True,
        help="Your MinIO server's API address (usually port 9000).",
    ),
    Preset(
        "r2",
        "Cloudflare R2",
        "https://{account}.r2.cloudflarestorage.com",
        "auto",
        "path",
        Capabilities(versioning=False, tagging=False, storage_classes=False),
        needs_account=True,
        help="An R2 API token's access key; the endpoint comes from your account ID.",
    ),
    Preset(
        "b2",
        "Backblaze B2",
        "https://s3.{region}.backblazeb2.com",
        "us-west-004",
        "path",
        Capabilities(
            tagging=False,
            additional_checksums=False,
            storage_classes=False,
            conditional_writes=False,
        ),
        regions=("us-west-000", "us-west-001", "us-west-002", "us-west-004", "us-east-005"),
        help="An application key; the region is in the bucket's S3 endpoint.",
    ),
    Preset(
        "wasabi",
        "Wasabi",
        "https://s3.{region}.wasabisys.com",
        "us-east-1",
        "path",
        Capabilities(additional_checksums=False, storage_classes=False, conditional_writes=False),
        regions=(
            "us-east-1",
            "us-east-2",
            "us-central-1",
            "us-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-west-1",
            "eu-west-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
        ),
    ),
    Preset(
        "spaces",
        "DigitalOcean Spaces",
        "https://{region}.digitaloceanspaces.com",
        "nyc3",
        "path",
        Capabilities(additional_checksums=False, storage_classes=False, conditional_writes=False),
        regions=("nyc3", "sfo2", "sfo3", "ams3", "sgp1", "fra1", "syd1", "blr1"),
    ),
    Preset(
        "ceph",
        "Ceph Object Gateway (RGW)",
        "https://rgw.example.com",
        "us-east-1",
        "path",
        Capabilities(additional_checksums=False, conditional_writes=False),
        needs_endpoint=True,
        help="The RGW address; the region is the zonegroup's api_name (often 'default').",
    ),
    Preset(
        "seaweedfs",
        "SeaweedFS",
        "http://localhost:8333",
        "us-east-1",
        "path",
        _NO_EXTRAS,
        needs_endpoint=True,
        help="The SeaweedFS S3 gateway (weed s3, port 8333 by default).",
    ),
    Preset(
        "other",
        "Other S3-compatible",
        "",
        "us-east-1",
        "path",
        # Unknown server: assume only the core of S3 until a call proves more.
        Capabilities(
            multi_object_delete=True,
            versioning=False,
            tagging=False,
            additional_checksums=False,
            storage_classes=False,
            conditional_writes=False,
        ),
        needs_endpoint=True,
        help="Any server that speaks the S3 API; type its address.",
    ),
)

_BY_ID = {p.id: p for p in PRESETS}


def preset(preset_id: str) -> Preset:
    """The preset with this id; unknown ids (a newer version's file) fall back to "other"."""
    return _BY_ID.get(preset_id, _BY_ID["other"])


def capabilities(settings: ConnectionSettings) -> Capabilities:
    """What a connection's server supports: its preset's flags; a connection made without
    a preset (the command line) is AWS itself when it has no endpoint, else unknown."""
    if settings.provider:
        return preset(settings.provider).capabilities
    return preset("aws" if settings.endpoint_url is None else "other").capabilities
