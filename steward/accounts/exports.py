"""CSV export of the account list: the same filters, sort and visibility as the page, streamed."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

from steward.accounts import choices, selectors

COLUMNS: list[tuple[str, str]] = [
    ("Account id", "public_id"),
    ("Name", "name"),
    ("Domain", "domain"),
    ("Industry", "industry"),
    ("Tier", "tier__name"),
    ("Lifecycle stage", "lifecycle_stage"),
    ("Region", "region__code"),
    ("Territory", "territory"),
    ("Country", "country"),
    ("Time zone", "time_zone"),
    ("Owner", "owner__username"),
    ("Operations manager", "operations_manager__username"),
    ("Executive sponsor", "executive_sponsor__username"),
    ("Parent account id", "parent__public_id"),
    ("Customer since", "customer_since"),
    ("Annual contract value", "annual_contract_value"),
    ("Currency", "currency"),
    ("Last touchpoint (UTC)", "last_touchpoint_at"),
    ("Single-threaded", "is_single_threaded"),
    ("Salesforce id", "salesforce_id"),
    ("HubSpot id", "hubspot_id"),
]
STAGE_LABELS = dict(choices.LifecycleStage.choices)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> object:
    """Plain text for spreadsheets; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def export_rows(queryset, *, chunk_size: int = 2000) -> Iterator[str]:
    """CSV lines: the header, then one line per account, read in chunks straight from the database."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([label for label, _ in COLUMNS])  # BOM: spreadsheets read UTF-8
    stage = [field for _, field in COLUMNS].index("lifecycle_stage")
    for row in queryset.values_list(*[field for _, field in COLUMNS]).iterator(chunk_size=chunk_size):
        cells = [_cell(v) for v in row]
        cells[stage] = STAGE_LABELS.get(row[stage], row[stage])
        yield writer.writerow(cells)


def account_export(request, filters: selectors.AccountFilters, sort: str) -> StreamingHttpResponse:
    """The visible accounts matching `filters`, every row, as a CSV download."""
    now = timezone.now()
    accounts = selectors.account_list(user=request.user, filters=filters, sort=sort, now=now)
    response = StreamingHttpResponse(export_rows(accounts), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="steward-accounts-{now:%Y-%m-%d}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
