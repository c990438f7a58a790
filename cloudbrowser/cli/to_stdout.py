"""``get s3://bucket/key -``: one object's bytes on stdout, as ``aws s3 cp … -`` and
``gcloud storage cat`` write them, for a pipe (``… - | tar x``).

stdout then carries the data only: the summary (and any error) goes to stderr. The bytes
are checked as they pass, against the object's MD5 (else its CRC32C, else its composite
ETag: the part MD5s for each part size that may have made it) and its size; a mismatch is
an error, reported after the bytes went out (a pipe cannot take them back).
"""

from __future__ import annotations

import hashlib
import sys
import time
from typing import BinaryIO

from cloudbrowser.cli.folders import missing_object
from cloudbrowser.cli.locations import Remote
from cloudbrowser.cli.output import Exit, Output, UsageError, human_size
from cloudbrowser.cli.wildcards import is_pattern
from cloudbrowser.core.checksums import CompositeCheck, Crc32c, etag_chunks
from cloudbrowser.core.downloads import part_size_candidates
from cloudbrowser.core.errors import IntegrityError, KeyNotFound
from cloudbrowser.core.storage import Storage

#: The argument that names stdout (and stdin), as for cp, tar and aws s3 cp.
STDIO = "-"
_CHUNK = 1024 * 1024


def get_to_stdout(
    storage: Storage, src: Remote, out: Output, *, recursive: bool, sink: BinaryIO | None = None
) -> int:
    """Write the object ``src`` to stdout (``sink``); the exit code."""
    # A key may hold "*?[" itself (“odd?.txt”): the object of that very key is one object.
    if recursive or src.is_folder or is_pattern(storage, src):
        raise UsageError(
            f"Only one object can be written to stdout, not “{src}”.",
            hint="Name one object (no -r, no wildcard), or give a folder to download to.",
        )
    sink = sink or sys.stdout.buffer
    started = time.monotonic()
    try:
        reader = storage.get_object(src.bucket, src.key)
    except KeyNotFound as error:
        hint = "Only an object can be written to stdout: get -r downloads a folder into one."
        raise missing_object(storage, src, error, hint) from None
    with reader:
        md5 = hashlib.md5(usedforsecurity=False) if reader.md5 else None
        crc = Crc32c() if not reader.md5 and reader.crc32c else None
        composite = None
        if md5 is None and crc is None:
            features = storage.features
            count = etag_chunks(reader.etag, features.checksums)
            if count:
                sizes = part_size_candidates(reader.size, count, features.limits)
                composite = CompositeCheck(reader.etag, sizes)
        written = 0
        while chunk := reader.read(_CHUNK):
            sink.write(chunk)
            written += len(chunk)
            if md5 is not None:
                md5.update(chunk)
            if crc is not None:
                crc.update(chunk)
            if composite is not None:
                composite.update(chunk)
        sink.flush()
        expected = reader.size
        wanted = reader.md5.lower() if md5 is not None else reader.crc32c.lower()
    got = md5.hexdigest() if md5 is not None else crc.hexdigest() if crc is not None else ""
    if written != expected or got != wanted:
        raise IntegrityError(
            f"“{src}” arrived damaged: {written:,} bytes"
            + (f", checksum {got}, expected {wanted}" if got != wanted else "")
            + f" (the server said {expected:,} bytes).",
            hint="The bytes written to stdout are not the object: run the command again.",
        )
    if not out.quiet:
        seconds = time.monotonic() - started
        if got or (composite is not None and composite.matches()):
            check = "verified"
        elif composite is not None:
            # As a download to a file says it: wrong bytes and an unknown part size give
            # the same mismatch, so this is no error.
            check = "not verified (the object was uploaded in parts of a size that is not known)"
        else:
            check = "not verified (the server keeps no checksum of the whole object)"
        out.note(f"downloaded {human_size(written)} to stdout in {seconds:.1f} s; {check}")
    return Exit.OK
