"""Keeping a checked log on the server until the user confirms its import on the page.

The check page stores the upload under the data directory (`DATA_DIR/imports/`: not served, not
under static or media) with a random name, and gives the browser a signed token naming that file,
the user, the account, the time zone, the policy and the file's SHA-256. Confirming posts the token
back; before the file is read, its signature (the project's secret key, with a salt of its own), its
age (at most `MAX_AGE` seconds), the user and the digest are checked. So the browser cannot point an
import at another file or change what was checked, and a 50 MB log does not travel twice. A file is
removed once imported; one whose check was abandoned is removed by a later check after a day.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing

from steward.core.errors import PermissionDenied, ValidationFailed

SALT = "steward.sla.servicenow-import"
MAX_AGE = 60 * 60
ABANDONED_AFTER = 24 * 60 * 60
NAME = re.compile(r"^[0-9a-f]{32}\.csv$")
EXPIRED = "This check has expired or its log was imported already: check the file again."


@dataclass(frozen=True)
class KeptLog:
    """A checked log and what it was checked with, as the confirm step reads it back."""

    path: Path
    content: bytes
    account: str
    time_zone: str
    policy: str
    file_name: str


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _remove_abandoned(folder: Path) -> None:
    cutoff = time.time() - ABANDONED_AFTER
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # removed meanwhile by another request


def keep(*, user: Any, account: str, content: bytes, time_zone: str, policy: str, file_name: str) -> str:
    """Store a checked log and return the token that lets this user confirm its import within the hour."""
    folder = _folder()
    _remove_abandoned(folder)
    name = f"{uuid.uuid4().hex}.csv"
    descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stored:
        stored.write(content)
    return signing.dumps(
        {"f": name, "u": user.pk, "a": account, "z": time_zone, "p": policy, "n": file_name[:200], "h": hashlib.sha256(content).hexdigest()},
        salt=SALT, compress=True,
    )


def take(token: str, *, user: Any) -> KeptLog:
    """The log a token names, for the user it was given to; ValidationFailed when it expired, was used or was altered."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature as error:  # expired tokens too
        raise ValidationFailed(f"file: {EXPIRED}", field_errors={"file": [EXPIRED]}) from error
    if data.get("u") != user.pk:
        raise PermissionDenied("This check was made by someone else.")
    name = str(data.get("f", ""))
    if not NAME.match(name):
        raise ValidationFailed(f"file: {EXPIRED}", field_errors={"file": [EXPIRED]})
    path = _folder() / name
    try:
        content = path.read_bytes()
    except FileNotFoundError as error:
        raise ValidationFailed(f"file: {EXPIRED}", field_errors={"file": [EXPIRED]}) from error
    if hashlib.sha256(content).hexdigest() != data.get("h"):
        raise ValidationFailed(f"file: {EXPIRED}", field_errors={"file": [EXPIRED]})
    return KeptLog(path, content, str(data["a"]), str(data["z"]), str(data["p"]), str(data["n"]))


def discard(kept: KeptLog) -> None:
    """Remove an imported log: its token then answers that it was used."""
    kept.path.unlink(missing_ok=True)
