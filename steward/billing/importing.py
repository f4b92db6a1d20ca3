"""CSV import of invoices (e.g. from the accounting system): every row checked first, then all or nothing.

Columns (header row required; order free; extra columns refused):

    account            the account's id (UUID), web domain or exact name (required)
    number             the invoice number; rows with the same number are lines of one invoice;
                       empty: each row is an invoice numbered by Steward
    issued_on          invoice date, YYYY-MM-DD (required)
    payment_terms_days Net days (default: the standard terms)
    currency           ISO code (default: the account's currency)
    tax_rate           percent (default 0)
    description, quantity, unit_price   the line (required)
    customer_reference the customer's PO (optional)
    status             issued (default) or draft
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to
from steward.billing import services
from steward.billing.choices import InvoiceStatus
from steward.billing.engine import ageing, invoicing
from steward.billing.models import Invoice, InvoiceLine
from steward.core.errors import PermissionDenied, ValidationFailed
from steward.users.models import User

COLUMNS = ("account", "number", "issued_on", "payment_terms_days", "currency", "tax_rate", "description", "quantity", "unit_price", "customer_reference", "status")
REQUIRED = ("account", "issued_on", "description", "quantity", "unit_price")
MAX_ROWS = 20_000
MAX_ERRORS = 50


@dataclass
class _Planned:
    row: int
    account: Account
    number: str
    header: dict[str, Any]
    status: str
    lines: list[InvoiceLine] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    invoices: int
    lines: int
    total_by_currency: dict[str, Decimal]


def _read(content: bytes | str) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise ValidationFailed("file: the file is empty.", field_errors={"file": ["The file is empty."]})
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        problems = ([f"unknown column {', '.join(unknown)}"] if unknown else []) + ([f"missing column {', '.join(missing)}"] if missing else [])
        raise ValidationFailed(f"Header: {'; '.join(problems)}.", field_errors={"file": [f"Header: {'; '.join(problems)}."]})
    reader.fieldnames = header
    rows = []
    for raw in reader:
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(f"file: at most {MAX_ROWS:,} rows per import.", field_errors={"file": [f"At most {MAX_ROWS:,} rows per import."]})
        rows.append({k: (v or "").strip() for k, v in raw.items() if k is not None})
    if not rows:
        raise ValidationFailed("file: no rows under the header.", field_errors={"file": ["No rows under the header."]})
    return rows


def _accounts(actor: User, refs: set[str]) -> dict[str, Account]:
    """Resolve account references through visibility, in a few queries."""
    visible = accounts_visible_to(actor)
    ids = [r for r in refs if _is_uuid(r)]
    found: dict[str, Account] = {}
    for a in visible.filter(public_id__in=ids):
        found[str(a.public_id)] = a
    rest = [r for r in refs if r not in found]
    names: dict[str, list[Account]] = {}
    for a in visible.filter(Q(domain__in=rest) | Q(name__in=rest)):
        for key in {a.domain, a.name} & set(rest):
            names.setdefault(key, []).append(a)
    for key, accounts in names.items():
        if len(accounts) == 1:
            found[key] = accounts[0]
    return found


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _plan(actor: User, rows: list[dict[str, str]]) -> tuple[list[_Planned], list[str]]:
    errors: list[str] = []
    accounts = _accounts(actor, {r.get("account", "") for r in rows if r.get("account")})
    numbers = {r.get("number", "") for r in rows if r.get("number")}
    taken = set(Invoice.objects.filter(number__in=numbers).values_list("number", flat=True))
    planned: dict[str, _Planned] = {}
    result: list[_Planned] = []
    default_terms = services.standard_terms()

    def err(row: int, name: str, message: str) -> None:
        errors.append(f"Row {row}, {name}: {message}")

    for row, r in enumerate(rows, start=2):  # row 1 is the header
        for name in REQUIRED:
            if not r.get(name):
                err(row, name, "required.")
        ref = r.get("account", "")
        account = accounts.get(ref)
        if ref and account is None:
            err(row, "account", f"no account “{ref[:60]}” in your portfolio (use its id, domain or exact name).")
        elif account is not None and not services.can_write_invoices(actor, account):
            err(row, "account", f"you cannot invoice {account.name}.")
        issued_on = _date(r.get("issued_on", ""))
        if r.get("issued_on") and issued_on is None:
            err(row, "issued_on", "use YYYY-MM-DD.")
        terms = _int(r.get("payment_terms_days", ""), default_terms)
        if terms is None or not 0 <= terms <= 365:
            err(row, "payment_terms_days", "a whole number of days from 0 to 365.")
        currency = (r.get("currency") or (account.currency if account else "")).upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            err(row, "currency", "a three-letter ISO code, e.g. EUR.")
        tax_rate = _dec(r.get("tax_rate") or "0")
        if tax_rate is None or not 0 <= tax_rate <= 100:
            err(row, "tax_rate", "a percentage from 0 to 100.")
        quantity, unit_price = _dec(r.get("quantity", "")), _dec(r.get("unit_price", ""))
        if r.get("quantity") and (quantity is None or quantity <= 0):
            err(row, "quantity", "a number more than zero.")
        if r.get("unit_price") and (unit_price is None or unit_price < 0):
            err(row, "unit_price", "a number, not negative.")
        status = (r.get("status") or InvoiceStatus.ISSUED).lower()
        if status not in (InvoiceStatus.ISSUED, InvoiceStatus.DRAFT):
            err(row, "status", "issued or draft.")
        number = r.get("number", "")[:40]
        if number in taken:
            err(row, "number", f"{number} already exists.")
        if len(errors) >= MAX_ERRORS:
            break
        if account is None or issued_on is None or terms is None or tax_rate is None or quantity is None or unit_price is None or not r.get("description"):
            continue
        header = {"issued_on": issued_on, "payment_terms_days": terms, "currency": currency, "tax_rate": tax_rate, "customer_reference": r.get("customer_reference", "")}
        plan = planned.get(number) if number else None
        if plan is None:
            plan = _Planned(row, account, number, header, status)
            result.append(plan)
            if number:
                planned[number] = plan
        elif plan.account.pk != account.pk or plan.header["issued_on"] != issued_on or plan.header["currency"] != currency:
            err(row, "number", f"{number} is on row {plan.row} with another account, date or currency.")
            continue
        quantity, unit_price = quantity.quantize(invoicing.CENT), unit_price.quantize(invoicing.CENT)
        plan.lines.append(InvoiceLine(position=len(plan.lines) + 1, description=r["description"][:300], quantity=quantity,
                                      unit_price=unit_price, amount=invoicing.money(quantity * unit_price)))
    return result, errors


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _int(value: str, default: int) -> int | None:
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        return None


def _dec(value: str) -> Decimal | None:
    try:
        result = Decimal(value.replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def invoices_import(*, actor: User, content: bytes | str, now: dt.datetime | None = None) -> ImportResult:
    """Import invoices from CSV: every row is checked first; any error and nothing is saved (errors name row and field)."""
    now = now or timezone.now()
    if not actor.is_active or actor.is_read_only:
        raise PermissionDenied("Your role cannot import invoices.")
    rows = _read(content)
    plans, errors = _plan(actor, rows)
    if errors:
        shown = errors[:MAX_ERRORS]
        raise ValidationFailed(f"{len(errors)} problem{'s' if len(errors) != 1 else ''}; nothing was imported. {shown[0]}", field_errors={"file": shown})
    totals: dict[str, Decimal] = {}
    n_lines = 0
    with transaction.atomic():
        for plan in plans:
            invoice = Invoice(account=plan.account, contact=services._default_contact(plan.account), created_by=actor, **plan.header)
            invoice.due_on = ageing.due_date(invoice.issued_on, invoice.payment_terms_days)
            if plan.status == InvoiceStatus.ISSUED:
                invoice.status, invoice.issued_at = InvoiceStatus.ISSUED, now
            try:
                services._save_new(actor, invoice, plan.lines, number=plan.number or None, now=now)
            except ValidationFailed as exc:
                raise ValidationFailed(f"Row {plan.row}: {exc.message} Nothing was imported.", field_errors={"file": [f"Row {plan.row}: {exc.message}"]}) from exc
            totals[invoice.currency] = totals.get(invoice.currency, Decimal(0)) + invoice.total
            n_lines += len(plan.lines)
    return ImportResult(len(plans), n_lines, totals)
