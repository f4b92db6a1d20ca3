"""Invoices with their lines, the payments against them, and the invoice number sequence."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from steward.accounts.models import CURRENCY_CODE
from steward.billing.choices import OPEN_STATUSES, InvoiceStatus, PaymentMethod
from steward.core.models import TimeStampedModel, VersionedModel

ZERO = Decimal(0)
HALF_CENT = Decimal("0.005")


class Invoice(VersionedModel):
    """What an account owes for an order (or for what was entered or imported), due N days after it is issued.

    Totals are kept by the services: `total` from the lines and the tax rate, `amount_paid` from the
    payments that were not reversed, `balance = total - amount_paid` (a database constraint).
    `days_to_pay` and `days_late` are set when the invoice becomes fully paid, so days-to-pay per
    account is a plain average in the database.
    """

    number = models.CharField(max_length=40, unique=True)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices", help_text="Who the invoice is addressed to."
    )
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    issued_on = models.DateField("invoice date")
    payment_terms_days = models.PositiveSmallIntegerField("payment terms (Net days)", default=30, validators=[MaxValueValidator(365)])
    due_on = models.DateField(help_text="Invoice date plus the payment terms.")
    tax_rate = models.DecimalField("tax rate (%)", max_digits=5, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal(100))])
    subtotal = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    tax_amount = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    amount_paid = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    balance = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    paid_on = models.DateField(null=True, blank=True, help_text="When the last payment settled it.")
    days_to_pay = models.IntegerField(null=True, blank=True, editable=False, help_text="Invoice date to settlement, in days.")
    days_late = models.IntegerField(null=True, blank=True, editable=False, help_text="Due date to settlement, in days (negative: early).")
    customer_reference = models.CharField("customer PO", max_length=80, blank=True)
    note = models.TextField(blank=True, help_text="Printed on the invoice.")
    issued_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["account", "status", "due_on"], name="invoice_account_status_due_idx"),
            models.Index(fields=["status", "due_on"], name="invoice_status_due_idx"),
            models.Index(fields=["account", "paid_on"], name="invoice_account_paid_idx"),
            models.Index(fields=["status", "paid_on"], name="invoice_status_paid_idx"),
            models.Index(fields=["-issued_on", "-id"], name="invoice_issued_idx"),
            models.Index(fields=["order"], name="invoice_order_idx"),
            # Open invoices are a small share of all of them: ageing, overdue and the dashboard card
            # read them from this index alone (with `owing_q()`'s literal status list on SQLite).
            models.Index(
                fields=["due_on", "account", "currency", "balance"],
                name="invoice_open_due_idx",
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_paid__gte=0), name="invoice_paid_not_negative"),
            models.CheckConstraint(condition=models.Q(amount_paid__lte=models.F("total")), name="invoice_paid_within_total"),
            # To the cent rather than exact: SQLite keeps decimals as floating point, where 1234.56 - 234.56 != 1000.00.
            models.CheckConstraint(
                condition=models.Q(balance__gte=models.F("total") - models.F("amount_paid") - HALF_CENT, balance__lte=models.F("total") - models.F("amount_paid") + HALF_CENT),
                name="invoice_balance_is_total_less_paid_to_the_cent",
            ),
            models.CheckConstraint(condition=models.Q(due_on__gte=models.F("issued_on")), name="invoice_due_after_issue"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def days_overdue(self, today) -> int:
        """Days past the due date on `today` while money is owed; 0 otherwise."""
        if not self.is_open or self.balance <= 0:
            return 0
        return max(0, (today - self.due_on).days)


class InvoiceLine(models.Model):
    """One line of an invoice; `order_line` and `quantity` record which ordered quantity it bills."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    order_line = models.ForeignKey("orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines")
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)])
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["invoice", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique")]
        indexes = [models.Index(fields=["order_line"], name="invoice_line_order_line_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description[:40]}"


class Payment(TimeStampedModel):
    """Money received against one invoice. Never more than the balance; reversed (with a reason), never deleted."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    method = models.CharField(max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER)
    reference = models.CharField(max_length=120, blank=True, help_text="Bank reference, cheque number...")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reversal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [models.Index(fields=["invoice", "received_on"], name="payment_invoice_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.received_on}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class InvoiceSequence(models.Model):
    """The last invoice number used per year (locked while a number is taken, so numbers never repeat)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
