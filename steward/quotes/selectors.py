"""Reads of quotes. Visibility: quotes of accounts the user sees, plus those awaiting their decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to, sees_every_account
from steward.core.errors import NotFound
from steward.quotes import approvals
from steward.quotes.choices import QuoteStatus, RequestStatus
from steward.quotes.models import ApprovalRequest, ApprovalRule, ApprovalStep, Delegation, Quote
from steward.users.models import User

QUOTE_SORTS = {
    "number": ("number", "revision"), "-number": ("-number", "-revision"),
    "account": ("account__name", "-created_at"), "-account": ("-account__name", "-created_at"),
    "total": ("total", "id"), "-total": ("-total", "-id"),
    "valid": ("valid_until", "id"), "-valid": ("-valid_until", "-id"),
    "status": ("status", "-created_at"), "-status": ("-status", "-created_at"),
    "created": ("created_at", "id"), "-created": ("-created_at", "-id"),
}


@dataclass(frozen=True)
class QuoteFilters:
    q: str = ""
    status: str = ""
    owner: str = ""  # a username, or "me"
    awaiting_me: bool = False


def quotes_visible_to(user: User) -> QuerySet[Quote]:
    """Quotes of visible accounts; an approver's delegate also sees the quotes that await them."""
    if not user.is_authenticated or not user.is_active:
        return Quote.objects.none()
    if sees_every_account(user):
        return Quote.objects.all()
    visible = Q(account__in=accounts_visible_to(user))
    if Delegation.objects.filter(to_user=user, starts_at__lte=timezone.now(), ends_at__gt=timezone.now()).exists():
        visible |= approvals.awaiting_q(user, timezone.now())
    return Quote.objects.filter(visible)


def quote_list(*, user: User, filters: QuoteFilters, sort: str = "-created") -> QuerySet[Quote]:
    """Quotes for the list page and the API, filtered and sorted."""
    qs = quotes_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(number__icontains=term) | Q(title__icontains=term) | Q(account__name__icontains=term))
    if filters.status in QuoteStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    if filters.awaiting_me:
        qs = qs.filter(approvals.awaiting_q(user, timezone.now()))
    return qs.select_related("account", "owner").order_by(*QUOTE_SORTS.get(sort, QUOTE_SORTS["-created"]))


def quote_get(*, user: User, public_id: Any) -> Quote:
    """One visible quote with what its page shows, or NotFound (also for others' quotes)."""
    try:
        return (
            quotes_visible_to(user)
            .select_related("account", "owner", "contact", "opportunity", "order", "previous_revision", "duplicated_from")
            .prefetch_related("lines__product", "clauses")
            .get(public_id=public_id)
        )
    except (Quote.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such quote.") from exc


def quotes_for_account(*, user: User, account: Account) -> QuerySet[Quote]:
    """The quotes of one (visible) account, newest first."""
    return quotes_visible_to(user).filter(account=account).select_related("owner").order_by("-created_at", "-id")


def awaiting_decision(user: User, *, now: dt.datetime | None = None) -> QuerySet[Quote]:
    """Quotes whose current step the user may decide, oldest submission first."""
    now = now or timezone.now()
    return (
        Quote.objects.filter(approvals.awaiting_q(user, now), status=QuoteStatus.PENDING)
        .select_related("account", "owner")
        .order_by("submitted_at", "id")
    )


def approval_history(quote: Quote) -> list[ApprovalRequest]:
    """Every submission of the quote with its steps, deciders and approvers, newest first."""
    return list(
        quote.approval_requests.select_related("submitted_by")
        .prefetch_related(Prefetch("steps", queryset=ApprovalStep.objects.select_related("decided_by", "on_behalf_of").prefetch_related("approvers").order_by("index")))
        .order_by("-created_at", "-id")
    )


def current_step(quote: Quote) -> ApprovalStep | None:
    """The step awaiting a decision, if the quote is pending."""
    return (
        ApprovalStep.objects.filter(request__quote=quote, request__status=RequestStatus.PENDING, status="pending")
        .prefetch_related("approvers")
        .first()
    )


def pending_steps_by_quote(quote_ids: list[int]) -> dict[int, ApprovalStep]:
    """The step awaiting a decision for each of the given quotes, in one query."""
    steps = ApprovalStep.objects.filter(request__quote_id__in=quote_ids, request__status=RequestStatus.PENDING, status="pending").select_related("request")
    return {s.request.quote_id: s for s in steps}


def can_decide(user: User, quote: Quote, *, now: dt.datetime | None = None) -> bool:
    """True when the user may decide the quote's pending step (for showing the buttons; the service re-checks)."""
    now = now or timezone.now()
    return quote.status == QuoteStatus.PENDING and Quote.objects.filter(approvals.awaiting_q(user, now), pk=quote.pk).exists()


def approval_rules() -> QuerySet[ApprovalRule]:
    return ApprovalRule.objects.order_by("level", "approver", "name")


def delegations_of(user: User) -> QuerySet[Delegation]:
    """Delegations the user gave or received, current and future first."""
    return (
        Delegation.objects.filter(Q(from_user=user) | Q(to_user=user))
        .select_related("from_user", "to_user")
        .order_by("-ends_at")
    )


def status_counts(user: User) -> dict[str, int]:
    """How many visible quotes are in each status."""
    rows = quotes_visible_to(user).values("status").annotate(n=Count("id")).order_by()
    return {r["status"]: r["n"] for r in rows}
