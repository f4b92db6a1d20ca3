"""Importing a ServiceNow incident log over the API: `POST /api/v1/cases/imports/servicenow`.

The same service as the page and the `import_servicenow` command (`steward.sla.imports`). For now
the endpoint checks a log (`dry_run`, the default): it answers what an import would give and every
row that cannot be read, and writes nothing.

No `from __future__ import annotations` here: ninja reads the operation's annotations at import time.
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from steward.api.auth import current_user
from steward.api.errors import ERROR_RESPONSES
from steward.core.errors import ValidationFailed
from steward.sla import imports

router = Router(tags=["SLA cases"])


class RowProblemOut(Schema):
    row: int = Field(description="The CSV row; the header is row 1.")
    field: str = Field(description="The column at fault; empty when the whole row is.")
    message: str
    kind: str


class ServiceNowImportOut(Schema):
    dry_run: bool
    account: str = Field(description="The account's id.")
    time_zone: str
    rows: int
    incidents: int
    events: int
    events_by_kind: dict[str, int]
    first_at: dt.datetime | None = Field(description="When the first incident opened (UTC).")
    last_at: dt.datetime | None = Field(description="The last event (UTC).")
    by_policy: dict[str, int] = Field(description="Cases per SLA policy version (\"no SLA\" for none).")
    outcomes: dict[str, int] = Field(description="Cases met, breached, running or without SLA, as if the policy had applied when each opened.")
    can_import: bool = Field(description="True when the log has incidents and no row errors.")
    errors: list[RowProblemOut] = Field(description="Rows that cannot be read (the first 50); any one stops an import.")
    error_count: int
    warnings: list[RowProblemOut] = Field(description="Quirks read by a fixed rule (the first 50); they do not stop an import.")
    warning_count: int


@router.post("/cases/imports/servicenow", response={200: ServiceNowImportOut, **ERROR_RESPONSES})
def servicenow_import(
    request: HttpRequest,
    file: File[UploadedFile],
    account: Form[str] = "",
    time_zone: Form[str] = "UTC",
    policy: Form[str] = "",
    dry_run: Form[bool] = True,
) -> dict[str, object]:
    """Check a ServiceNow incident log (multipart `file`) for an account (id or exact name): incidents,
    events, dates, SLA outcomes and the rows that cannot be read. 404 for an account you do not see."""
    user = current_user(request)
    if not dry_run:
        message = "Only a check is available: send dry_run=true."
        raise ValidationFailed(f"dry_run: {message}", field_errors={"dry_run": [message]})
    if file.size is not None and file.size > imports.MAX_UPLOAD_BYTES:
        message = f"At most {imports.MAX_UPLOAD_BYTES // (1024 * 1024)} MB per file."
        raise ValidationFailed(f"file: {message}", field_errors={"file": [message]})
    target = imports.import_account(actor=user, reference=account)
    chosen = imports.import_policy(reference=policy)
    preview = imports.servicenow_preview(actor=user, account=target, content=file.read(), time_zone=time_zone, policy=chosen)
    shown = imports.MAX_PROBLEMS_SHOWN
    return {
        **preview.counts(),
        "dry_run": True,
        "account": str(target.public_id),
        "time_zone": preview.time_zone,
        "can_import": preview.can_import,
        "errors": list(preview.errors[:shown]),
        "error_count": len(preview.errors),
        "warnings": list(preview.warnings[:shown]),
        "warning_count": len(preview.warnings),
    }
