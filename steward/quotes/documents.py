"""The quote as a document: its PDF, and the email that carries it to the customer."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Contact
from steward.accounts.services import interaction_create
from steward.core.pdf import render_pdf
from steward.quotes.models import Quote
from steward.users.models import User

logger = logging.getLogger(__name__)


def quote_pdf(quote: Quote) -> bytes:
    """The quote as the customer receives it."""
    return render_pdf(
        "quotes/quote_pdf.html",
        {"quote": quote, "lines": list(quote.lines.select_related("product")), "clauses": list(quote.clauses.all()), "today": timezone.localdate()},
    )


def email_quote(*, actor: User, quote: Quote, contact: Contact, now: dt.datetime) -> None:
    """Mail the PDF to the contact once the transaction commits, and log the email on the account's timeline."""
    content = quote_pdf(quote)
    subject = f"Quotation {quote.label}: {quote.title}"
    body = (
        f"Dear {contact.first_name or contact},\n\nPlease find attached our quotation {quote.label}, "
        f"valid until {quote.valid_until:%d %B %Y}.\n\nKind regards,\n{actor.get_full_name() or actor.username}\n"
    )
    message = EmailMessage(subject, body, to=[contact.email], reply_to=[actor.email] if actor.email else None)
    message.attach(f"{quote.label}.pdf", content, "application/pdf")
    interaction_create(
        actor=actor, account=quote.account, contacts=[contact],
        data={"kind": "email", "occurred_at": now, "subject": subject[:200], "summary": f"{quote.total} {quote.currency}, Net {quote.payment_terms_days}. PDF attached."},
    )
    transaction.on_commit(lambda: _send(message))


def _send(message: EmailMessage) -> None:
    # The quote is already recorded as sent; a mail server that is down is logged, not raised.
    try:
        message.send()
    except Exception:
        logger.warning("could not email %s", message.subject, exc_info=True)
