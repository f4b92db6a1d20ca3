"""The order progress report as a document: its PDF, and the email that carries it to the customer."""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Account, Contact
from steward.accounts.services import interaction_create
from steward.core.errors import PermissionDenied, ValidationFailed
from steward.core.pdf import render_pdf
from steward.orders import selectors
from steward.users.models import User

logger = logging.getLogger(__name__)


def progress_pdf(report: selectors.ProgressReport, *, internal: bool = False) -> bytes:
    """The progress report as a PDF; the customer version leaves out owners and internal notes."""
    return render_pdf(
        "orders/progress_pdf.html",
        {"report": report, "account": report.account, "internal": internal},
    )


@transaction.atomic
def progress_report_send(*, actor: User, account: Account, contact: Contact | None) -> None:
    """Email the customer version of the account's progress report to one of its contacts, logged on the timeline."""
    if actor.is_read_only or not actor.is_active:
        raise PermissionDenied("Your role is read-only: you cannot email customers.")
    if contact is None or contact.account_id != account.pk or not contact.email:
        raise ValidationFailed(
            "contact: choose a contact of this account with an email address.",
            field_errors={"contact": ["Choose a contact with an email address."]},
        )
    now = timezone.now()
    report = selectors.progress_report(user=actor, account=account, today=timezone.localdate(now))
    content = progress_pdf(report)
    subject = f"Order progress for {account.name}, {report.today:%d %B %Y}"
    late = f", {len(report.late)} late" if report.late else ""
    body = (
        f"Dear {contact.first_name or contact},\n\nPlease find attached the progress of your orders: "
        f"{len(report.open_orders)} open{late}, {len(report.shipments)} shipment(s) in the last 30 days.\n\n"
        f"Kind regards,\n{actor.get_full_name() or actor.username}\n"
    )
    message = EmailMessage(
        subject[:200], body, to=[contact.email], reply_to=[actor.email] if actor.email else None
    )
    message.attach(f"order-progress-{report.today:%Y-%m-%d}.pdf", content, "application/pdf")
    interaction_create(
        actor=actor,
        account=account,
        contacts=[contact],
        data={
            "kind": "email",
            "occurred_at": now,
            "subject": subject[:200],
            "summary": f"Order progress report: {len(report.open_orders)} open orders{late}. PDF attached.",
        },
    )
    transaction.on_commit(lambda: _send(message))


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:
        logger.warning("could not email %s", message.subject, exc_info=True)
