"""The S3 client and the botocore hooks cloudbrowser installs on it.

botocore signs, sends and retries; the hooks here change what it does with replies where
its defaults cost too much or trust too much: ListObjectsV2 bodies are parsed by the fast
parser (``listing.py``), listing replies are read with a bound on their size (issue 13),
S3's "200 with an <Error>" check runs once and never retries garbage, and small bodies go
without ``Expect: 100-continue``. Only the client made here carries them.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions as bx
import botocore.session
from botocore import UNSIGNED
from botocore import handlers as botocore_handlers
from botocore import utils as botocore_utils
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import InsecureRequestWarning
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

from cloudbrowser.core.backends.s3.errors import UnreadableReply
from cloudbrowser.core.backends.s3.listing import NotAListing, TooManyRows, parse_list_objects_v2
from cloudbrowser.core.connection import ConnectionSettings, Credentials
from cloudbrowser.core.paging import MAX_PAGE_ROWS, PageTooLarge

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: The most bytes read of one ListObjectsV2 reply. A real page of 1,000 keys is under 1 MiB,
#: 4 MiB with the longest keys URL-encoded; 32 MiB is eight times that. Above 4 MiB the fast
#: parser keeps its tree one row deep, so a refused page costs about twice this in memory.
MAX_LISTING_BYTES = 32 * 1024 * 1024
#: The same for listings botocore parses (versions, uploads, parts): its pure-Python parse
#: costs ~15 times the body, so the bound is nearer the largest real page (~5 MiB of versions).
MAX_OTHER_LISTING_BYTES = 8 * 1024 * 1024
#: The listing operations whose replies are read with a bound, and the bound.
_BOUNDED_LISTINGS = {
    "ListObjectsV2": MAX_LISTING_BYTES,
    "ListObjectVersions": MAX_OTHER_LISTING_BYTES,
    "ListMultipartUploads": MAX_OTHER_LISTING_BYTES,
    "ListParts": MAX_OTHER_LISTING_BYTES,
}
#: Bytes read from the socket at a time while a listing reply is bounded.
_READ_CHUNK = 64 * 1024

#: botocore's check for S3's "200 with an <Error> body" (private: None if it is renamed).
_CHECK_200_ERROR: Any = getattr(botocore_handlers, "_handle_200_error", None)
#: Where the fast parser leaves its page in the parsed response.
FAST_PAGE = "CloudBrowserPage"
#: What botocore is given to parse instead of the real listing (see _parse_listing_fast).
_EMPTY_LISTING = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>'
)


def make_client(
    s: ConnectionSettings,
    creds: Credentials | None,
    mfa_prompter: Callable[[str], str] | None,
) -> S3Client:
    """A botocore S3 client for connection ``s``, with cloudbrowser's hooks: listings
    parsed by the fast parser and read with a bound, 200 replies checked once, small
    bodies sent without waiting for 100-continue. Sends no request.

    Raises what botocore raises for a bad profile or endpoint (translated by the caller).
    """
    if s.verify_tls is False:
        # The user turned certificate checks off knowingly (the connection dialog
        # warns in red); urllib3 would otherwise repeat its warning on every request.
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    core_session = botocore.session.Session(profile=s.aws_profile or None)
    if mfa_prompter is not None:
        _use_mfa_prompter(core_session, mfa_prompter)
    session = boto3.session.Session(botocore_session=core_session)
    config = Config(
        region_name=s.region or None,
        # SigV4 is what botocore signs S3 requests with anyway; naming it makes presigned
        # links SigV4 too (botocore presigns with legacy SigV2 on custom endpoints,
        # which ignores the 7-day limit and newer servers and regions refuse).
        signature_version=UNSIGNED if s.anonymous else "s3v4",
        # "auto" is botocore's default: leaving it unset lets an AWS profile's own
        # ``s3 = addressing_style`` apply.
        s3={"addressing_style": s.addressing_style} if s.addressing_style != "auto" else None,
        connect_timeout=s.connect_timeout,
        read_timeout=s.read_timeout,
        retries={"mode": "standard", "max_attempts": s.max_attempts},
        max_pool_connections=s.max_pool_connections,
        # Only send/verify the extra CRC checksums where an operation requires them:
        # many S3-compatible servers reject or mangle them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    client: S3Client = session.client(
        "s3",
        endpoint_url=s.endpoint_url or None,
        verify=s.verify_tls,
        config=config,
        aws_access_key_id=creds.access_key_id if creds else None,
        aws_secret_access_key=creds.secret_access_key if creds else None,
        aws_session_token=(creds.session_token or None) if creds else None,
    )
    client.meta.events.register("before-parse.s3.ListObjectsV2", _parse_listing_fast)
    _bound_listing_replies(client)
    _skip_200_error_check_for_listings(client)
    _expect_continue_only_for_large_bodies(client)
    return client


def _use_mfa_prompter(session: botocore.session.Session, prompter: Callable[[str], str]) -> None:
    """Make botocore's assume-role provider ask ``prompter`` instead of the terminal.

    botocore takes a prompter only as a constructor argument of its AssumeRoleProvider,
    built inside the session's credential resolver; it is swapped in place here. If a
    future botocore renames it, the profile still works without a GUI prompt (the
    terminal's), so this fails soft.
    """
    resolver = session.get_component("credential_provider")
    provider = resolver.get_provider("assume-role") if resolver is not None else None
    if provider is not None and hasattr(provider, "_prompter"):
        provider._prompter = prompter


def _parse_listing_fast(
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    operation_model: Any = None,
    **_kwargs: Any,
) -> None:
    """botocore hook: parse a successful ListObjectsV2 body with the fast parser.

    botocore still signs, sends, retries and raises for error replies; only the parsing of
    a 200 body is replaced. botocore then parses an empty listing in its place, and the
    page rides along in the parsed response under ``FAST_PAGE``.
    """
    if response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes) or not body:
        return
    try:
        page = parse_list_objects_v2(body, max_rows=MAX_PAGE_ROWS)
    except TooManyRows as error:
        raise PageTooLarge(f"The server sent a listing page with {error}") from None
    except ET.ParseError as exc:
        if _cut_short(response_dict, body):
            response_dict["status_code"] = 500  # the network's fault: retried, as botocore does
            return
        raise UnreadableReply("ListObjectsV2", f"it is not well-formed XML ({exc})", body) from exc
    except NotAListing as exc:
        if exc.args and exc.args[0] == "Error":
            response_dict["status_code"] = 500  # S3's "200 with an <Error>": retried as a 500
            return
        raise UnreadableReply("ListObjectsV2", f"it is a <{exc}>, not a listing", body) from exc
    customized_response_dict[FAST_PAGE] = page
    response_dict["body"] = _EMPTY_LISTING


class _ReadBody:
    """A body already read, in the shape AWSResponse reads it from (``stream()``)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_args: Any, **_kwargs: Any) -> Iterator[bytes]:
        yield self._body


def _bound_listing_replies(client: Any) -> None:
    """Read each listing reply with a bound on its size (_BOUNDED_LISTINGS).

    botocore reads a whole reply body into memory before anything may look at it, however
    long it is: one 200 MB page took 1.5 GB (issue 13). For listing operations this sends
    the request itself (botocore's "before-send" hook may answer in its place) and reads
    the body up to the bound; a larger reply closes the connection and fails the page.
    Signing, retries and error parsing stay botocore's. botocore's HTTP session is private:
    if it is renamed, replies are read unbounded as before.
    """
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    if session is None or not hasattr(session, "send"):
        return

    def send_bounded(request: Any, event_name: str = "", **_kwargs: Any) -> AWSResponse | None:
        limit = _BOUNDED_LISTINGS.get(event_name.rpartition(".")[2])
        if limit is None:
            return None
        request.stream_output = True  # or the session reads the whole body itself
        response = session.send(request)
        return AWSResponse(
            response.url,
            response.status_code,
            response.headers,
            _ReadBody(_read_bounded(response, limit, request.url)),
        )

    for operation in _BOUNDED_LISTINGS:
        client.meta.events.register(f"before-send.s3.{operation}", send_bounded)


def _read_bounded(response: Any, limit: int, url: str) -> bytes:
    """The body of ``response`` (a streaming AWSResponse), or PageTooLarge past ``limit``."""
    too_large = PageTooLarge(
        f"The server sent a listing page larger than {limit // (1024 * 1024)} MiB "
        "(a real page is a few MiB at most)"
    )
    raw = response.raw
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raw.close()  # drop the connection: its unread body must not be reused
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in raw.stream(_READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raw.close()
                raise too_large
            chunks.append(chunk)
    except Urllib3ReadTimeout as exc:
        raise bx.ReadTimeoutError(endpoint_url=url, error=exc) from exc
    except Urllib3Error as exc:
        raise bx.ConnectionClosedError(endpoint_url=url) from exc
    return b"".join(chunks)


def _skip_200_error_check_for_listings(client: Any) -> None:
    """Check 200 replies our way: listings once, garbage never retried.

    botocore's S3 handler for "200 with an <Error> body" parses each full response body
    with ElementTree before anything else may look at it: ~40% of a listing's client CPU.
    For ListObjectsV2 the fast parser sees the root element anyway (see
    _parse_listing_fast); every other operation gets :func:`_check_200_reply`, botocore's
    check except that a body which is not XML fails at once instead of after every retry.
    Only this client's handlers are swapped.
    """

    def check_unless_listing(operation_model: Any, response_dict: Any, **kwargs: Any) -> None:
        if operation_model.name != "ListObjectsV2":
            _check_200_reply(operation_model, response_dict)

    events = client.meta.events
    if _CHECK_200_ERROR is not None:
        events.unregister("before-parse.s3.*", _CHECK_200_ERROR)
    events.register_first("before-parse.s3.*", check_unless_listing)


def _check_200_reply(operation_model: Any, response_dict: Any) -> None:
    """botocore's check of a 200 XML body, except that garbage is not retried.

    S3 may answer 200 with an ``<Error>`` body: that becomes a 500, retried as botocore
    does. botocore also treats a body that is not XML at all as a reply cut short by the
    network: a 500, retried with backoff, to end after every attempt as "Internal Server
    Error". That is kept for a body that did arrive short; one that arrived whole is
    UnreadableReply at once.
    """
    if response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes) or not body.strip():
        return
    output = operation_model.output_shape
    if output is None or operation_model.has_event_stream_output:
        return
    payload = output.serialization.get("payload")
    if payload is not None and output.members[payload].type_name in ("blob", "string"):
        return  # the body is the object's own bytes (GetObject and the like)
    parser = ET.XMLParser(target=ET.TreeBuilder())
    try:
        parser.feed(body)
        root = parser.close()
    except ET.ParseError as exc:
        if _cut_short(response_dict, body):
            response_dict["status_code"] = 500  # the network's fault: retried, as botocore does
            return
        raise UnreadableReply(
            operation_model.name, f"it is not well-formed XML ({exc})", body
        ) from exc
    if root.tag == "Error":
        response_dict["status_code"] = 500


def _cut_short(response_dict: Any, body: bytes) -> bool:
    """Whether ``body`` may be less than the server sent: shorter than its Content-Length
    (botocore reads what arrives before the connection closes), or encoded so that its
    length cannot be compared. Otherwise the body is whole and asking again is pointless."""
    headers = response_dict.get("headers") or {}
    if headers.get("content-encoding", "identity") not in ("", "identity"):
        return True
    declared = headers.get("content-length")
    return declared is not None and declared.isdigit() and int(declared) > len(body)


#: Bodies below this go without "Expect: 100-continue" (see the function below).
_EXPECT_CONTINUE_MIN = 1024 * 1024


def _expect_continue_only_for_large_bodies(client: Any) -> None:
    """Send small bodies at once instead of waiting for the server's "100 Continue".

    botocore asks for 100-continue on every PUT with a body: a whole round trip before
    each small file is sent, for a benefit (the server refusing before the body is sent)
    that only matters for large bodies. Only this client's handler is swapped.
    """
    add_expect = getattr(botocore_handlers, "add_expect_header", None)
    if add_expect is None:
        return

    def add_expect_for_large(model: Any, params: Any, **kwargs: Any) -> None:
        body = params.get("body")
        length = botocore_utils.determine_content_length(body) if body is not None else None
        if length is not None and length < _EXPECT_CONTINUE_MIN:
            return
        add_expect(model, params, **kwargs)

    events = client.meta.events
    events.unregister("before-call.s3", add_expect)
    events.register("before-call.s3", add_expect_for_large)
