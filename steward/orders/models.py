"""Orders, their lines and the shipments that deliver them (possibly in parts)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from steward.accounts.models import CURRENCY_CODE
from steward.core.models import TimeStampedModel, VersionedModel
from steward.orders.choices import OPEN_STATUSES, ChangeKind, LineStatus, OrderStatus


class Order(VersionedModel):
    """A customer's order: what was asked for by when (requested), and what we committed to (promised).

    `total_amount`, `delivered_on`, `is_on_time` and `is_in_full` are kept by the order services from
    the lines and shipments, so portfolio-wide revenue and OTIF aggregate over orders alone.
    """

    number = models.CharField(max_length=30, unique=True)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.BOOKED
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[CURRENCY_CODE])
    ordered_on = models.DateField()
    requested_date = models.DateField(help_text="When the customer asked to receive it.")
    promised_date = models.DateField(
        help_text="When we committed to deliver it; on time means delivered by this date."
    )
    customer_reference = models.CharField("customer PO", max_length=80, blank=True)
    ship_to = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        help_text="Who keeps this order moving (usually the account's operations manager).",
    )
    notes = models.TextField(blank=True)
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        help_text="Who receives change notifications and the progress report.",
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days to pay an invoice of this order; empty means the standard terms.",
    )
    hold_reason = models.CharField(
        max_length=300, blank=True, help_text="Why the order is on hold (while it is)."
    )
    total_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    delivered_on = models.DateField(
        null=True, blank=True, help_text="When the last of it was delivered."
    )
    is_on_time = models.BooleanField(
        null=True, help_text="Delivered by the promised date; unknown until delivered."
    )
    is_in_full = models.BooleanField(
        null=True, help_text="All ordered quantity delivered; unknown until delivered."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-ordered_on", "-id"]
        indexes = [
            models.Index(fields=["account", "-ordered_on"], name="order_account_date_idx"),
            models.Index(fields=["status", "promised_date"], name="order_status_promised_idx"),
            models.Index(fields=["promised_date"], name="order_promised_idx"),
            # Open orders are a few thousand of hundreds of thousands: late, at-risk and the
            # dashboard card read them from this small index, by promised date.
            models.Index(
                fields=["promised_date", "id"],
                name="order_open_promised_idx",
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
            ),
            # The order list's default sort (newest first) reads in index order; revenue by quarter
            # (and by account) reads every column it needs from the index, not the wide order rows.
            models.Index(
                fields=["ordered_on", "id", "status", "currency", "total_amount", "account"],
                name="order_ordered_cover_idx",
            ),
            models.Index(fields=["total_amount", "id"], name="order_total_idx"),
            # OTIF reads delivered orders by delivery date and counts its flags per quarter or account
            # from this index alone (an index-only scan on PostgreSQL, a covering index on SQLite).
            models.Index(
                fields=["status", "delivered_on", "account", "is_on_time", "is_in_full"],
                name="order_otif_cover_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def effective_payment_terms_days(self) -> int:
        """The payment terms that apply: the order's own, or the standard terms."""
        if self.payment_terms_days is None:
            return int(settings.STEWARD_STANDARD_PAYMENT_TERMS_DAYS)
        return int(self.payment_terms_days)


class OrderLine(TimeStampedModel):
    """One product on an order; shipped and delivered quantities are kept from the shipments."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="order_lines"
    )
    description = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal(0),
        help_text="quantity times unit price less discount",
    )
    status = models.CharField(max_length=20, choices=LineStatus.choices, default=LineStatus.OPEN)
    shipped_quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    delivered_quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    backorder_reason = models.CharField(max_length=300, blank=True)
    backorder_expected_on = models.DateField(
        null=True, blank=True, help_text="When stock is expected (while backordered)."
    )

    class Meta:
        ordering = ["order", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.position}"

    @property
    def open_quantity(self) -> Decimal:
        """What is still to ship (nothing on a cancelled line)."""
        if self.status == LineStatus.CANCELLED:
            return Decimal(0)
        return max(self.quantity - self.shipped_quantity, Decimal(0))


class Shipment(TimeStampedModel):
    """What left the warehouse together, when, and when it reached the customer."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    shipped_on = models.DateField()
    delivered_on = models.DateField(null=True, blank=True)
    carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["shipped_on", "id"]

    def __str__(self) -> str:
        return f"{self.order.number} shipped {self.shipped_on}"


class ShipmentLine(models.Model):
    """How much of one order line a shipment carried."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="shipment_lines"
    )
    quantity = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class OrderChange(models.Model):
    """One change the customer should know about: what changed, from what to what, why, who and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="changes")
    line = models.ForeignKey(
        OrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    kind = models.CharField(max_length=30, choices=ChangeKind.choices)
    old_value = models.CharField(max_length=300, blank=True)
    new_value = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()
    notified_to = models.EmailField(
        blank=True, help_text="Who was emailed about it; empty when the order has no contact."
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["order", "-occurred_at"], name="order_change_order_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.get_kind_display()}"
