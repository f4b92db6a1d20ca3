"""ETag and If-Match: the record's `version` guards against lost updates."""

from __future__ import annotations

import re
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse
from ninja import Header, Status

from steward.core.errors import StaleVersion

VERSION_TAG = re.compile(r'(?:W/)?"([0-9]{1,18})"|([0-9]{1,18})')


class Versioned(Protocol):
    version: int


def etag(version: int) -> str:
    """The strong ETag of a record version."""
    return f'"{version}"'


def set_etag(response: HttpResponse, record: Versioned) -> None:
    """Put the record's ETag on the response."""
    response["ETag"] = etag(record.version)


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header asks for; None when absent or `*`.

    A value that names no version of ours can never match, so it fails like a stale one.
    """
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    # Lenient on purpose: a weak tag (a proxy may weaken it) or a bare number also names a version.
    match = VERSION_TAG.fullmatch(if_match.strip())
    if match is None:
        raise StaleVersion(
            f"If-Match {if_match!r} matches no version of this record; send the ETag you read, e.g. \"3\".",
            field_errors={"If-Match": ["Send the ETag from your last read."]},
        )
    return int(match.group(1) or match.group(2))


# The If-Match request header, as an operation parameter (so the OpenAPI schema documents it).
IfMatch = Header(None, alias="If-Match", description='The ETag of your last read, e.g. "3".')


def created(request: HttpRequest, response: HttpResponse, record: Any) -> Status:
    """201 with the new record, its ETag and its Location."""
    set_etag(response, record)
    response["Location"] = f"{request.path.rstrip('/')}/{record.public_id}"
    return Status(201, record)


def read(response: HttpResponse, record: Any) -> Any:
    """The record, with its ETag on the response."""
    set_etag(response, record)
    return record
