"""The invoice as a document: its PDF, and the email that carries it to the account's contact."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Contact
from steward.accounts.services import interaction_create
from steward.billing.models import Invoice
from steward.core.pdf import render_pdf
from steward.users.models import User

logger = logging.getLogger(__name__)


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as the customer receives it."""
    return render_pdf(
        "billing/invoice_pdf.html",
        {"invoice": invoice, "lines": list(invoice.lines.all()), "payments": list(invoice.payments.filter(reversed_at__isnull=True)), "today": timezone.localdate()},
    )


def email_invoice(*, actor: User, invoice: Invoice, contact: Contact, now: dt.datetime) -> None:
    """Mail the PDF once the transaction commits, and log the email on the account's timeline."""
    content = invoice_pdf(invoice)
    subject = f"Invoice {invoice.number}"
    body = (
        f"Dear {contact.first_name or contact},\n\nPlease find attached invoice {invoice.number} of {invoice.issued_on:%d %B %Y} "
        f"for {invoice.total} {invoice.currency}, due on {invoice.due_on:%d %B %Y}.\n\nKind regards,\n{actor.get_full_name() or actor.username}\n"
    )
    message = EmailMessage(subject, body, to=[contact.email], reply_to=[actor.email] if actor.email else None)
    message.attach(f"{invoice.number}.pdf", content, "application/pdf")
    interaction_create(
        actor=actor, account=invoice.account, contacts=[contact],
        data={"kind": "email", "occurred_at": now, "subject": subject, "summary": f"{invoice.total} {invoice.currency}, due {invoice.due_on:%d %b %Y}, balance {invoice.balance}. PDF attached."},
    )
    transaction.on_commit(lambda: _send(message))


def _send(message: EmailMessage) -> None:
    # The email is logged already; a mail server that is down is logged, not raised.
    try:
        message.send()
    except Exception:
        logger.warning("could not email %s", message.subject, exc_info=True)
