from django.db import models


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


# Invoices the customer owes money on: the receivables.
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
# Invoices whose lines count as invoiced (a void invoice frees its quantities again).
COUNTED_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    CARD = "card", "Card"
    CHEQUE = "cheque", "Cheque"
    CASH = "cash", "Cash"
    OTHER = "other", "Other"


class Scope(models.TextChoices):
    DELIVERED = "delivered", "What was delivered"
    ALL = "all", "Everything ordered"
