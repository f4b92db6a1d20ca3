"""CSV import of invoices: every problem named by row and column, nothing saved unless every row is right."""

from __future__ import annotations

from decimal import Decimal

import pytest

from steward.accounts.tests.factories import AccountFactory
from steward.billing.importing import invoices_import
from steward.billing.models import Invoice
from steward.billing.tests.factories import finance_user, manual_invoice
from steward.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db
HEADER = "account,number,issued_on,payment_terms_days,currency,tax_rate,description,quantity,unit_price,customer_reference,status\n"


@pytest.fixture
def finance(db):
    return finance_user()


def run(actor, body: str, header: str = HEADER):
    return invoices_import(actor=actor, content=(header + body).encode())


def errors_of(actor, body: str, header: str = HEADER) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        run(actor, body, header)
    assert Invoice.objects.count() == 0
    return exc.value.field_errors["file"]


def test_rows_with_one_number_make_one_invoice(personas, finance):
    result = run(finance, (
        "Acme Logistics,ACC-1001,2026-01-10,45,EUR,19,Pallets,10,12.50,PO-7,\n"
        f"{personas.account.domain},ACC-1001,2026-01-10,45,EUR,19,Freight,1,50,PO-7,\n"
        f"{personas.account.public_id},,2026-02-01,,,,Service fee,1,99.99,,draft\n"
    ))
    assert (result.invoices, result.lines) == (2, 3)
    first = Invoice.objects.get(number="ACC-1001")
    assert first.lines.count() == 2 and first.subtotal == Decimal("175.00") and first.total == Decimal("208.25")
    assert first.status == "issued" and str(first.due_on) == "2026-02-24" and first.customer_reference == "PO-7"
    second = Invoice.objects.exclude(pk=first.pk).get()
    assert second.status == "draft" and second.number.startswith("INV-2026-") and second.payment_terms_days == 30


def test_every_problem_names_its_row_and_column_and_nothing_is_saved(personas, finance):
    errors = errors_of(finance, (
        "Acme Logistics,A-1,2026-01-10,,,,Pallets,10,12.50,,\n"
        "Nobody Ltd,A-2,2026-01-10,,,,Pallets,10,12.50,,\n"
        "Acme Logistics,A-3,10/01/2026,400,EURO,150,Pallets,-1,abc,,paid\n"
        "Acme Logistics,A-4,2026-01-10,,,,,10,12.50,,\n"
    ))
    assert errors == [
        "Row 3, account: no account “Nobody Ltd” in your portfolio (use its id, domain or exact name).",
        "Row 4, issued_on: use YYYY-MM-DD.",
        "Row 4, payment_terms_days: a whole number of days from 0 to 365.",
        "Row 4, currency: a three-letter ISO code, e.g. EUR.",
        "Row 4, tax_rate: a percentage from 0 to 100.",
        "Row 4, quantity: a number more than zero.",
        "Row 4, unit_price: a number, not negative.",
        "Row 4, status: issued or draft.",
        "Row 5, description: required.",
    ]


def test_existing_numbers_and_conflicting_rows_are_refused(personas, finance):
    existing = manual_invoice(finance, personas.account)
    other = AccountFactory(name="Beta Corp", owner=personas.owner)
    errors = errors_of_after(finance, (
        f"Acme Logistics,{existing.number},2026-01-10,,,,Pallets,1,1,,\n"
        "Acme Logistics,B-1,2026-01-10,,,,Pallets,1,1,,\n"
        f"{other.name},B-1,2026-01-10,,,,Pallets,1,1,,\n"
    ))
    assert errors[0] == f"Row 2, number: {existing.number} already exists."
    assert errors[1] == "Row 4, number: B-1 is on row 3 with another account, date or currency."


def errors_of_after(actor, body: str) -> list[str]:
    before = Invoice.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        run(actor, body)
    assert Invoice.objects.count() == before
    return exc.value.field_errors["file"]


def test_the_header_is_checked(personas, finance):
    assert errors_of(finance, "x\n", header="account,when,amount\n") == ["Header: unknown column when, amount; missing column issued_on, description, quantity, unit_price."]
    with pytest.raises(ValidationFailed):
        invoices_import(actor=finance, content=b"")
    with pytest.raises(ValidationFailed):
        invoices_import(actor=finance, content=HEADER.encode())


def test_only_accounts_you_may_invoice(personas, finance):
    body = "Acme Logistics,C-1,2026-01-10,,,,Pallets,1,1,,\n"
    assert errors_of(personas.outsider, body)[0].startswith("Row 2, account: no account")
    assert errors_of(personas.owner, body) == ["Row 2, account: you cannot invoice Acme Logistics."]
    with pytest.raises(PermissionDenied):
        run(personas.sponsor, body)
    personas.account.operations_manager = personas.teammate
    personas.account.save()
    assert run(personas.teammate, body).invoices == 1
