"""The Azure SDK's exceptions as cloudbrowser's errors (core/errors.py).

Azure says what went wrong in an error code (``x-ms-error-code``); :data:`_BY_CODE` maps
each code a user can act on to an error and a hint, :data:`_BY_STATUS` catches replies
without a known code. The same 403 means different things by how the connection signs in
(a bad key, an expired SAS, a missing role assignment), so the hint depends on ``auth``.
Where the engine speaks S3's words for a condition (``InvalidPart``, ``BucketNotEmpty``,
``InvalidRange``), the error carries that code and Azure's own in ``detail``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from azure.core import exceptions as ax

from cloudbrowser.core.errors import (
    AccessDenied,
    AlreadyExists,
    BucketNotFound,
    CloudBrowserError,
    EndpointUnreachable,
    IntegrityError,
    InvalidCredentials,
    KeyNotFound,
    NotFound,
    NotSupported,
    ObjectChanged,
    RequestTimeout,
    StorageError,
    Throttled,
    TLSError,
)

T = TypeVar("T")

_ENTRA = frozenset({"azure_cli", "entra_default", "entra_device", "entra_browser"})
#: ``Where.request`` of Get User Delegation Key: what an Entra ID connection signs its
#: share links and copy sources with, which a data role alone does not grant everywhere.
DELEGATION_KEY = "user delegation key"


@dataclass(frozen=True, slots=True)
class Where:
    """What a call was about, for the messages: the container, the blob, how it signed in."""

    bucket: str = ""
    key: str = ""
    auth: str = ""
    #: When the connection's SAS ends (its ``se``), POSIX seconds; 0.0 when unknown.
    sas_expiry: float = 0.0
    #: The SAS's ``sr`` ("c": one container, "d", "b"…); "" for an account SAS.
    sas_resource: str = ""
    #: The SAS's ``sp``: what it grants (r, a, c, w, d, l, t…).
    sas_permissions: str = ""
    #: The request, where its refusal means something of its own (:data:`DELEGATION_KEY`).
    request: str = ""

    @property
    def thing(self) -> str:
        if self.key:
            return f"“{self.key}” in “{self.bucket}”"
        return f"container “{self.bucket}”" if self.bucket else "the storage account"


def guard(call: Callable[[], T], where: Where) -> T:
    """Run ``call`` and translate whatever the SDK raises into our own errors."""
    try:
        return call()
    except CloudBrowserError:
        raise
    except Exception as exc:
        raise translate_error(exc, where) from exc


def translate_error(exc: BaseException, where: Where) -> CloudBrowserError:
    """One exception of the SDK (or of its transport) as a CloudBrowserError."""
    if isinstance(exc, ax.HttpResponseError) and exc.status_code is not None:
        return _from_reply(exc, where)
    text = str(exc)
    if isinstance(exc, ax.ServiceResponseTimeoutError | ax.ServiceRequestTimeoutError):
        return RequestTimeout(
            "The storage account did not answer in time.",
            hint="Check the network, or retry later.",
            detail=text,
        )
    if isinstance(exc, ax.ServiceRequestError | ax.ServiceResponseError):
        if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
            return TLSError(
                "The secure connection to the storage account failed.",
                hint="Check the endpoint address and the certificate settings.",
                detail=text,
            )
        return EndpointUnreachable(
            "The storage account cannot be reached.",
            hint="Check the network and the account name or endpoint address.",
            detail=text,
        )
    if isinstance(exc, ax.ClientAuthenticationError):
        # Raised by azure-identity before any storage request: no sign-in worked.
        return InvalidCredentials(
            "Signing in with Entra ID failed.",
            hint="Sign in again (for the Azure CLI: az login).",
            detail=text,
        )
    return StorageError(
        "The storage request failed.", hint="Retry; if it persists, see the log.", detail=text
    )


def _from_reply(exc: ax.HttpResponseError, where: Where) -> CloudBrowserError:
    status = int(exc.status_code or 0)
    raw = getattr(exc, "error_code", "")
    if not raw and exc.response is not None:
        raw = getattr(exc.response, "headers", {}).get("x-ms-error-code", "")
    code = str(getattr(raw, "value", raw) or "")  # the SDK gives a StorageErrorCode enum
    detail = f"HTTP {status} {code}: {_first_line(exc)}"
    if code == "CannotVerifyCopySource" and exc.response is not None:
        # Azure names the source's own refusal (BlobArchived…) in a header of its own;
        # Azurite does not, and _copy_source reads it from the message then.
        source = getattr(exc.response, "headers", {}).get("x-ms-copy-source-error-code", "")
        if source in _SOURCE_CODES:
            return _BY_CODE[source](where, detail, _message(exc))
    make = _BY_CODE.get(code)
    if make is not None:
        return make(where, detail, _message(exc))
    maker = _BY_STATUS.get(status)
    if maker is not None:
        return maker(where, detail, code)
    return StorageError(
        f"The storage account refused the request ({code or status}).",
        hint="Retry; if it persists, see the details.",
        detail=detail,
        code=code or str(status),
    )


def _first_line(exc: ax.HttpResponseError) -> str:
    message = str(getattr(exc, "message", "") or exc)
    return message.splitlines()[0] if message else ""


def _message(exc: ax.HttpResponseError) -> str:
    return str(getattr(exc, "message", "") or exc)


# ── the table ───────────────────────────────────────────────────────────────────────────

_Maker = Callable[[Where, str, str], CloudBrowserError]


def _authentication_failed(where: Where, detail: str, message: str) -> CloudBrowserError:
    """403 AuthenticationFailed: the signature is wrong, or the SAS is out of its time."""
    expired = where.auth == "sas" and 0 < where.sas_expiry < time.time()
    if expired or "time frame" in message or "expired" in message.lower():
        return InvalidCredentials(
            "The SAS has expired (or is not valid yet).",
            hint="Ask for a new SAS URL and edit the connection.",
            detail=detail,
            code="AuthenticationFailed",
        )
    if where.auth == "sas" and where.sas_resource and not where.bucket:
        # A service SAS is signed for its container's path: Azure checks it against the
        # request's, so the account's container list never verifies. Not a revoked key.
        return InvalidCredentials(
            "This SAS is for one container: it cannot list the account's containers.",
            hint="Name the container it was made for (az://CONTAINER/ on the command line), "
            "or ask for an account SAS to list them all.",
            detail=detail,
            code="AuthenticationFailed",
        )
    if where.auth == "sas" and where.sas_resource:
        return InvalidCredentials(
            f"The SAS was refused for the container “{where.bucket}”: it was made for "
            "another container, or its signing key or policy was revoked.",
            hint="A container's SAS works only in the container it was made for (and cannot "
            "create or delete containers): use it there, or ask for a new SAS URL.",
            detail=detail,
            code="AuthenticationFailed",
        )
    if where.auth == "sas":
        return InvalidCredentials(
            "The SAS was refused: it is malformed, or its signing key or policy was revoked.",
            hint="Ask for a new SAS URL and edit the connection.",
            detail=detail,
            code="AuthenticationFailed",
        )
    return InvalidCredentials(
        "The storage account refused the account key.",
        hint="Check the account name and key (Azure portal: Access keys) and edit the connection.",
        detail=detail,
        code="AuthenticationFailed",
    )


def _permission_mismatch(where: Where, detail: str, _message: str) -> CloudBrowserError:
    """403 AuthorizationPermissionMismatch: signed in, but not allowed this operation."""
    if where.request == DELEGATION_KEY:
        return AccessDenied(
            "The storage account refused a user delegation key, which an Entra ID "
            "connection signs its share links and server-side copies with.",
            hint="Your Entra ID account needs a role on the storage account that may get "
            "one: “Storage Blob Delegator”, or a data role such as “Storage Blob Data "
            "Reader” or “Storage Blob Data Contributor”.",
            detail=detail,
            code="AuthorizationPermissionMismatch",
        )
    if where.auth in _ENTRA:
        hint = (
            "Your Entra ID account needs a role on the storage account, such as “Storage "
            "Blob Data Reader” (browse) or “Storage Blob Data Contributor” (change)."
        )
    elif where.auth == "sas":
        hint = "The SAS does not grant this (list, write or delete): ask for one that does."
        granted = _granted(where.sas_permissions)
        if granted:
            hint = f"The SAS grants only {granted}: ask for one that also allows this."
    else:
        hint = "Ask the account's owner for the permission."
    return AccessDenied(
        f"Not allowed to do this with {where.thing}.",
        hint=hint,
        detail=detail,
        code="AuthorizationPermissionMismatch",
    )


#: A SAS's ``sp`` letters, as the portal names them.
_PERMISSIONS = {
    "r": "read",
    "a": "add",
    "c": "create",
    "w": "write",
    "d": "delete",
    "x": "delete versions",
    "y": "permanent delete",
    "l": "list",
    "t": "tags",
    "f": "find by tags",
    "m": "move",
    "e": "execute",
    "i": "immutability",
}


def _granted(permissions: str) -> str:
    """``"rl"`` → "read and list (sp=rl)"; "" when the SAS does not say."""
    names = [_PERMISSIONS[p] for p in permissions if p in _PERMISSIONS]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{listed} (sp={permissions})"


def _access(code: str, hint: str) -> _Maker:
    def make(where: Where, detail: str, _message: str) -> CloudBrowserError:
        return AccessDenied(
            f"Not allowed to do this with {where.thing}.", hint=hint, detail=detail, code=code
        )

    return make


def _container_missing(where: Where, detail: str, _message: str) -> CloudBrowserError:
    return BucketNotFound(
        f"The container “{where.bucket}” does not exist.",
        hint="It may have been deleted; list the containers again to see which there are.",
        detail=detail,
        code="ContainerNotFound",
    )


def _blob_missing(where: Where, detail: str, _message: str) -> CloudBrowserError:
    return KeyNotFound(
        f"“{where.key}” is not in the container “{where.bucket}”.",
        hint="It may have been deleted or renamed; list its folder again to see what is there.",
        detail=detail,
        code="BlobNotFound",
    )


def _changed(code: str) -> _Maker:
    def make(where: Where, detail: str, _message: str) -> CloudBrowserError:
        return ObjectChanged(
            f"{where.thing[0].upper()}{where.thing[1:]} changed while it was being used.",
            hint="Retry: it starts again from the blob as it is now.",
            detail=detail,
            code=code,
        )

    return make


def _code(cls: type[StorageError], message: str, hint: str, code: str) -> _Maker:
    def make(_where: Where, detail: str, _message: str) -> CloudBrowserError:
        return cls(message, hint=hint, detail=detail, code=code)

    return make


def _authorization_failure(where: Where, detail: str, message: str) -> CloudBrowserError:
    """403 AuthorizationFailure: network rules or a SAS's scope, or (Azurite) a signature
    that does not verify, which Azure calls AuthenticationFailed."""
    if "failed to authenticate" in message:
        return _authentication_failed(where, detail, message)
    return AccessDenied(
        f"Not allowed to do this with {where.thing}.",
        hint="The account's network rules, or the SAS's scope, do not allow this request.",
        detail=detail,
        code="AuthorizationFailure",
    )


def _invalid_operation(where: Where, detail: str, message: str) -> CloudBrowserError:
    """Azurite answers a Content-MD5 mismatch with InvalidOperation (Azure: Md5Mismatch)."""
    if "md5" in message.lower():
        return _BY_CODE["Md5Mismatch"](where, detail, message)
    return StorageError(
        "The storage account refused the request as invalid.",
        hint="See the details.",
        detail=detail,
        code="InvalidOperation",
    )


#: A copy's source refusals (``x-ms-copy-source-error-code``) said as such, not as the copy's.
_SOURCE_CODES = frozenset({"BlobArchived", "BlobBeingRehydrated"})


def _copy_source(where: Where, detail: str, message: str) -> CloudBrowserError:
    """409 CannotVerifyCopySource: the service could not read a copy's source (it reads
    it through the URL it was given); its message is the source's own refusal."""
    if "archived" in message.lower():  # the source's BlobArchived
        return _BY_CODE["BlobArchived"](where, detail, message)
    first = message.splitlines()[0].strip() if message else ""
    return StorageError(
        "The storage account could not read the copy's source" + (f": {first}" if first else "."),
        hint="Check that the source is still there and readable, then retry.",
        detail=detail,
        code="CannotVerifyCopySource",
    )


_BY_CODE: dict[str, _Maker] = {
    "InvalidOperation": _invalid_operation,
    "CannotVerifyCopySource": _copy_source,
    "AuthenticationFailed": _authentication_failed,
    "AuthorizationPermissionMismatch": _permission_mismatch,
    "AuthorizationFailure": _authorization_failure,
    "AuthorizationResourceTypeMismatch": _access(
        "AuthorizationResourceTypeMismatch",
        "The SAS is not for this kind of resource (service, container or object).",
    ),
    "AuthorizationServiceMismatch": _access(
        "AuthorizationServiceMismatch", "The SAS is not for the Blob service."
    ),
    "AuthorizationSourceIPMismatch": _access(
        "AuthorizationSourceIPMismatch", "The SAS is not valid from this network address."
    ),
    "AuthorizationProtocolMismatch": _access(
        "AuthorizationProtocolMismatch", "The SAS allows HTTPS only: use an https:// endpoint."
    ),
    "InsufficientAccountPermissions": _access(
        "InsufficientAccountPermissions", "The credentials do not allow this request."
    ),
    "ContainerNotFound": _container_missing,
    "BlobNotFound": _blob_missing,
    "ResourceNotFound": lambda w, d, _m: NotFound(
        f"{w.thing[0].upper()}{w.thing[1:]} was not found.",
        hint="Check the name, and list its folder again to see what is there now.",
        detail=d,
        code="ResourceNotFound",
    ),
    "ContainerAlreadyExists": lambda w, d, _m: AlreadyExists(
        f"A container named “{w.bucket}” already exists.",
        hint="Choose another name.",
        detail=d,
        code="ContainerAlreadyExists",
    ),
    "InvalidResourceName": _code(
        StorageError,
        "The name is not a valid container or blob name.",
        "A container name has 3-63 lower-case letters, digits and single hyphens.",
        "InvalidBucketName",
    ),
    "OutOfRangeInput": _code(
        StorageError,
        "A name or value is too long or too short for Azure.",
        "A container name has 3-63 characters; a blob name at most 1,024.",
        "InvalidBucketName",
    ),
    "ContainerBeingDeleted": _code(
        AlreadyExists,
        "A container of this name is still being deleted.",
        "Wait a minute, then retry.",
        "ContainerBeingDeleted",
    ),
    "ConditionNotMet": _changed("ConditionNotMet"),
    "SourceConditionNotMet": _changed("SourceConditionNotMet"),
    "TargetConditionNotMet": _changed("TargetConditionNotMet"),
    "Md5Mismatch": _code(
        IntegrityError,
        "The bytes that arrived do not match the MD5 they were sent with.",
        "Retry: they are sent again.",
        "Md5Mismatch",
    ),
    "Crc64Mismatch": _code(
        IntegrityError,
        "The bytes that arrived do not match the CRC64 they were sent with.",
        "Retry: they are sent again.",
        "Crc64Mismatch",
    ),
    # A Put Block List naming a block the blob does not hold (S3's word: InvalidPart).
    "InvalidBlockList": _code(
        StorageError,
        "The upload cannot be finished: a block it names is not on the server.",
        "Retry the upload: missing blocks are sent again.",
        "InvalidPart",
    ),
    "InvalidRange": _code(
        StorageError, "The requested range is outside the blob.", "", "InvalidRange"
    ),
    "BlobArchived": _code(
        AccessDenied,
        "The blob is in the Archive tier: its bytes cannot be read or copied.",
        "Select it and choose Edit › Restore… (or run “cloudbrowser restore”) to rehydrate "
        "it to the Hot, Cool or Cold tier (up to 15 hours), then retry.",
        "BlobArchived",
    ),
    "BlobBeingRehydrated": _code(
        AccessDenied,
        "The blob is being rehydrated from the Archive tier.",
        "Retry when the rehydration has finished (up to 15 hours).",
        "BlobBeingRehydrated",
    ),
    "LeaseIdMissing": _code(
        AccessDenied,
        "The blob is leased (locked) by another program.",
        "Retry when the lease is released, or break the lease in the Azure portal.",
        "LeaseIdMissing",
    ),
    "ServerBusy": _code(
        Throttled, "The storage account is busy.", "Retry in a moment.", "ServerBusy"
    ),
    "OperationTimedOut": _code(
        RequestTimeout,
        "The storage account did not finish the request in time.",
        "Retry.",
        "OperationTimedOut",
    ),
    "FeatureVersionMismatch": _code(
        NotSupported,
        "This storage account does not offer this feature.",
        "",
        "FeatureVersionMismatch",
    ),
}

_StatusMaker = Callable[[Where, str, str], CloudBrowserError]

_BY_STATUS: dict[int, _StatusMaker] = {
    403: lambda w, d, c: AccessDenied(
        f"Not allowed to do this with {w.thing}.",
        hint="Check the connection's credentials and their permissions.",
        detail=d,
        code=c or "403",
    ),
    404: lambda w, d, c: (
        KeyNotFound(f"“{w.key}” is not in “{w.bucket}”.", detail=d, code=c or "404")
        if w.key
        else BucketNotFound(
            f"The container “{w.bucket}” does not exist.",
            hint="It may have been deleted; list the containers again to see which there are.",
            detail=d,
            code=c or "404",
        )
    ),
    409: lambda _w, d, c: StorageError(
        "The request conflicts with the blob's or container's state.",
        hint="List it again to see its state now, then retry.",
        detail=d,
        code=c or "409",
    ),
    412: lambda w, d, c: _changed(c or "412")(w, d, ""),
    416: lambda _w, d, c: StorageError(
        "The requested range is outside the blob.", detail=d, code="InvalidRange"
    ),
    429: lambda _w, d, c: Throttled(
        "The storage account is busy.", hint="Retry in a moment.", detail=d, code=c or "429"
    ),
    501: lambda _w, d, c: NotSupported(
        "The storage server does not implement this request.",
        hint="The server (an emulator?) lacks this feature.",
        detail=d,
        code="NotImplemented",
    ),
    503: lambda _w, d, c: Throttled(
        "The storage account is busy.", hint="Retry in a moment.", detail=d, code=c or "503"
    ),
}
