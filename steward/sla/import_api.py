"""Importing a ServiceNow incident log over the API: `POST /api/v1/cases/imports/servicenow`.

The same services as the page and the `import_servicenow` command (`steward.sla.imports`). With
`dry_run` (the default) the endpoint checks a log: it answers what an import would give and every
row that cannot be read, and writes nothing. With `dry_run=false` it imports the log (201 with what
was saved), or refuses a log with a row error (422 naming the rows and columns) and saves nothing.

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
    already_imported: int = Field(description="Incidents of the log that are cases of the account already: an import skips them.")


class ServiceNowImportedOut(Schema):
    dry_run: bool
    account: str = Field(description="The account's id.")
    created: int = Field(description="Cases created, one per incident not imported before.")
    skipped: int = Field(description="Incidents already imported into the account (same number): left as they are.")
    events: int = Field(description="Case events written.")
    met: int = Field(description="New cases that met every SLA target.")
    breached: int = Field(description="New cases that breached a target (nobody was notified: it is history).")
    cases: list[str] = Field(description="The new cases' ids, in opening order.")


@router.post("/cases/imports/servicenow", response={200: ServiceNowImportOut, 201: ServiceNowImportedOut, **ERROR_RESPONSES})
def servicenow_import(
    request: HttpRequest,
    file: File[UploadedFile],
    account: Form[str] = "",
    time_zone: Form[str] = "UTC",
    policy: Form[str] = "",
    dry_run: Form[bool] = True,
) -> tuple[int, dict[str, object]]:
    """Check a ServiceNow incident log (multipart `file`) for an account (id or exact name): incidents,
    events, dates, SLA outcomes and the rows that cannot be read; with `dry_run=false`, import it (201:
    cases created and skipped as imported before, events, met and breached). A log with a row error is
    not imported (422, each error as "Row N, column: ..."). 404 for an account you do not see."""
    user = current_user(request)
    if file.size is not None and file.size > imports.MAX_UPLOAD_BYTES:
        message = f"At most {imports.MAX_UPLOAD_BYTES // (1024 * 1024)} MB per file."
        raise ValidationFailed(f"file: {message}", field_errors={"file": [message]})
    target = imports.import_account(actor=user, reference=account)
    chosen = imports.import_policy(reference=policy)
    if not dry_run:
        saved = imports.servicenow_import(
            actor=user, account=target, content=file.read(), time_zone=time_zone, policy=chosen, file_name=file.name or ""
        )
        return 201, {
            **saved.counts(), "dry_run": False, "account": str(target.public_id), "cases": [str(pk) for pk in saved.case_public_ids]
        }
    preview = imports.servicenow_preview(actor=user, account=target, content=file.read(), time_zone=time_zone, policy=chosen)
    shown = imports.MAX_PROBLEMS_SHOWN
    return 200, {
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
