"""Telling the customer about a change to their order: an email to the order's contact, logged on the timeline."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from steward.accounts.services import interaction_create
from steward.orders.models import Order, OrderChange
from steward.users.models import User

logger = logging.getLogger(__name__)


def notify_changes(
    *, actor: User, order: Order, changes: Sequence[OrderChange], now: dt.datetime
) -> None:
    """Email the order's contact about `changes` once the transaction commits, and log it on the account.

    Without a contact (or an address) nothing is emailed; the timeline says so, so someone can call.
    """
    if not changes:
        return
    contact = order.contact
    headline = changes[0].get_kind_display() if len(changes) == 1 else f"{len(changes)} changes"
    subject = (
        f"Your order {order.number}"
        + (f" ({order.customer_reference})" if order.customer_reference else "")
        + f": {headline.lower()}"
    )
    body = render_to_string(
        "orders/email/order_change.txt",
        {"order": order, "changes": changes, "contact": contact, "actor": actor},
    )
    summary = "; ".join(
        f"{c.get_kind_display()}: {c.old_value + ' → ' if c.old_value else ''}{c.new_value}"
        + (f" (reason: {c.reason})" if c.reason else "")
        for c in changes
    )
    if contact is not None and contact.email:
        for change in changes:
            change.notified_to = contact.email
        message = EmailMessage(
            subject[:200], body, to=[contact.email], reply_to=[actor.email] if actor.email else None
        )
        interaction_create(
            actor=actor,
            account=order.account,
            contacts=[contact],
            data={
                "kind": "email",
                "occurred_at": now,
                "subject": subject[:200],
                "summary": summary,
            },
        )
        transaction.on_commit(lambda: _send(message))
    else:
        interaction_create(
            actor=actor,
            account=order.account,
            data={
                "kind": "note",
                "occurred_at": now,
                "subject": f"Order {order.number}: {headline.lower()} (not emailed: the order has no contact)"[
                    :200
                ],
                "summary": summary,
            },
        )


def _send(message: EmailMessage) -> None:
    # The change is already recorded; a mail server that is down is logged, not raised.
    try:
        message.send()
    except Exception:
        logger.warning("could not email %s", message.subject, exc_info=True)
