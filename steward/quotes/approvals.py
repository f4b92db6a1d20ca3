"""The approval workflow over the database: which rules apply, who approves each step, decisions.

The engine (`engine/approval.py`) decides what a quote needs and whether a decision may be taken;
this module turns rows into engine inputs, resolves the people behind each approver role, and
records decisions with a compare-and-set, so two approvers acting at once cannot both decide.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from steward.accounts.selectors import exchange_rates
from steward.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from steward.quotes.choices import RequestStatus, StepStatus
from steward.quotes.engine import approval as engine
from steward.quotes.engine import pricing
from steward.quotes.models import ApprovalRequest, ApprovalRule, ApprovalStep, Delegation, Quote
from steward.users.choices import Role
from steward.users.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    """The steps a quote needs now, the people who may decide each, and the figures the rules saw."""

    steps: tuple[engine.Step, ...]
    approvers: tuple[tuple[int, ...], ...]
    facts: dict


class DecisionConflict(ApplicationError):
    """Someone else decided the step first."""

    status_code = 409


def active_rules() -> list[engine.Rule]:
    """The approval rules as the engine reads them."""
    return [
        engine.Rule(
            name=r.name, metric=engine.Metric(r.metric), operator=engine.Operator(r.operator),
            threshold=r.threshold, approver=engine.ApproverRole(r.approver), level=r.level,
        )
        for r in ApprovalRule.objects.filter(is_active=True).order_by("level", "id")
    ]


def facts_for(quote: Quote) -> engine.QuoteFacts:
    """What the rules look at for the quote's stored content."""
    lines = [
        pricing.Line(quantity=ln.quantity, list_price=ln.list_price, unit_price=ln.unit_price, discount_pct=ln.discount_pct, unit_cost=ln.unit_cost)
        for ln in quote.lines.all()
    ]
    totals = pricing.quote_totals(lines, extra_discount_pct=quote.extra_discount_pct or Decimal(0))
    clauses = [f"clause: {t[:40]}" for t in quote.clauses.values_list("text", flat=True)]
    reporting = settings.REPORTING_CURRENCY
    converted = None
    if quote.currency != reporting:
        rate = exchange_rates().get(quote.currency)
        # Without a rate the total cannot be compared with thresholds in the reporting currency:
        # treat it as unknown, which the engine routes to approval rather than letting it through.
        converted = (totals.total * rate).quantize(pricing.CENT) if rate is not None else None
    return engine.QuoteFacts(
        totals=totals, payment_term_days=quote.payment_terms_days, nonstandard_terms=tuple(quote.nonstandard_terms + clauses),
        total_in_rule_currency=converted, total_unknown=quote.currency != reporting and converted is None,
    )


def _director_above(user: User) -> list[int]:
    seen: set[int] = set()
    current = user.manager
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        if current.role == Role.DIRECTOR and current.is_active:
            return [current.pk]
        current = current.manager
    return list(User.objects.filter(role=Role.DIRECTOR, is_active=True).exclude(pk=user.pk).values_list("pk", flat=True))


def approvers_for(role: engine.ApproverRole, owner: User) -> list[int]:
    """The people who decide a step of `role` for a quote owned by `owner` (never the owner)."""
    if role == engine.ApproverRole.OWNER_MANAGER:
        manager = owner.manager
        ids = [manager.pk] if manager is not None and manager.is_active else _director_above(owner)
    elif role == engine.ApproverRole.DIRECTOR:
        ids = _director_above(owner)
    else:
        ids = list(User.objects.filter(role=Role.FINANCE, is_active=True).values_list("pk", flat=True))
    return [i for i in ids if i != owner.pk]


ROLE_LABEL = {engine.ApproverRole.OWNER_MANAGER: "the owner's manager", engine.ApproverRole.DIRECTOR: "a director", engine.ApproverRole.FINANCE: "finance"}


def merge_same_approvers(steps: Sequence[engine.Step], approvers: Sequence[Sequence[int]]) -> tuple[tuple[engine.Step, ...], tuple[tuple[int, ...], ...]]:
    """One step per distinct set of people: when the owner's manager is also the director, they decide once,
    at the lower level, for every reason."""
    kept: list[engine.Step] = []
    people: list[tuple[int, ...]] = []
    for step, ids in zip(steps, approvers, strict=True):
        key = tuple(sorted(ids))
        if key in people:
            i = people.index(key)
            kept[i] = engine.Step(level=kept[i].level, approver=kept[i].approver, reasons=kept[i].reasons + step.reasons)
            continue
        kept.append(step)
        people.append(key)
    return tuple(kept), tuple(people)


def plan_for(quote: Quote, *, now: dt.datetime) -> Plan:
    """The approval steps the quote's content calls for under the active rules, with their approvers."""
    facts = facts_for(quote)
    steps = engine.required_steps(facts, active_rules())
    people = []
    for step in steps:
        ids = approvers_for(step.approver, quote.owner)
        if not ids:
            raise ValidationFailed(
                f"This quote needs approval by {ROLE_LABEL[step.approver]}, and nobody holds that role: ask an admin to assign one.",
            )
        people.append(tuple(ids))
    merged, approvers = merge_same_approvers(steps, people)
    seen = {m.value: (str(v) if (v := facts.value(m)) is not None else None) for m in engine.Metric}
    return Plan(steps=merged, approvers=approvers, facts=seen)


def open_request(quote: Quote, plan: Plan, *, fingerprint: str, submitted_by: User, now: dt.datetime) -> ApprovalRequest:
    """Record a request with its steps; the first step awaits a decision, the others wait their turn."""
    request = ApprovalRequest.objects.create(quote=quote, fingerprint=fingerprint, submitted_by=submitted_by, facts=plan.facts)
    for index, (step, ids) in enumerate(zip(plan.steps, plan.approvers, strict=True)):
        row = ApprovalStep.objects.create(
            request=request, index=index, level=step.level, approver_role=step.approver.value, reasons=list(step.reasons),
            status=StepStatus.PENDING if index == 0 else StepStatus.WAITING,
        )
        row.approvers.set(ids)
    _notify_step(quote, request.steps.get(index=0))
    return request


def delegations_at(now: dt.datetime) -> list[engine.Delegation]:
    return [
        engine.Delegation(from_user=d.from_user_id, to_user=d.to_user_id, starts=d.starts_at, ends=d.ends_at)
        for d in Delegation.objects.filter(starts_at__lte=now, ends_at__gt=now)
    ]


def decide(request: ApprovalRequest, *, actor: User, owner_id: int, approve: bool, comment: str, now: dt.datetime) -> str:
    """Decide the pending step of a locked request; returns the request's status afterwards."""
    rows = list(request.steps.prefetch_related("approvers").order_by("index"))
    steps = [engine.Step(level=r.level, approver=engine.ApproverRole(r.approver_role), reasons=tuple(r.reasons)) for r in rows]
    decisions = [
        engine.Decision(step_index=r.index, user_id=r.decided_by_id or 0, outcome=engine.Outcome(r.status))
        for r in rows if r.status in (StepStatus.APPROVED, StepStatus.REJECTED)
    ]
    current = next((r for r in rows if r.status == StepStatus.PENDING), None)
    if current is None:
        raise DecisionConflict("No step of this approval awaits a decision.")
    approver_ids = [u.pk for u in current.approvers.all()]
    delegations = delegations_at(now)
    eligible = engine.eligible_approvers(approver_ids, delegations, now)
    try:
        engine.check_decision(
            steps, decisions, step_index=current.index, user_id=actor.pk, eligible_user_ids=eligible, requester_id=owner_id,
        )
        if request.submitted_by_id == actor.pk:
            raise engine.DecisionRefused("nobody approves a quote they submitted")
    except engine.DecisionRefused as exc:
        raise PermissionDenied(f"You cannot decide this step: {exc}.") from exc
    on_behalf = None
    if actor.pk not in approver_ids:
        on_behalf = next((d.from_user for d in delegations if d.to_user == actor.pk and d.from_user in approver_ids), None)
    status = StepStatus.APPROVED if approve else StepStatus.REJECTED
    # Compare-and-set: only one decision can move this step out of "pending".
    won = ApprovalStep.objects.filter(pk=current.pk, status=StepStatus.PENDING).update(
        status=status, decided_by=actor, on_behalf_of_id=on_behalf, decided_at=now, comment=comment,
    )
    if won != 1:
        raise DecisionConflict("Someone else decided this step a moment ago: reload the quote.")
    if not approve:
        request.steps.filter(status=StepStatus.WAITING).update(status=StepStatus.CLOSED)
        _close(request, RequestStatus.REJECTED, now)
        return RequestStatus.REJECTED
    following = next((r for r in rows if r.index > current.index), None)
    if following is None:
        _close(request, RequestStatus.APPROVED, now)
        return RequestStatus.APPROVED
    ApprovalStep.objects.filter(pk=following.pk).update(status=StepStatus.PENDING)
    _notify_step(request.quote, following)
    return RequestStatus.PENDING


def _close(request: ApprovalRequest, status: str, now: dt.datetime) -> None:
    request.status = status
    request.closed_at = now
    request.save(update_fields=["status", "closed_at", "updated_at"])


def delegators_of(user: User, now: dt.datetime) -> list[int]:
    """People `user` stands in for at `now`."""
    return list(Delegation.objects.filter(to_user=user, starts_at__lte=now, ends_at__gt=now).values_list("from_user_id", flat=True))


def awaiting_q(user: User, now: dt.datetime) -> Q:
    """Quotes whose pending step `user` may decide (as an approver or a delegate), except their own."""
    people = [user.pk, *delegators_of(user, now)]
    step_ids = ApprovalStep.objects.filter(status=StepStatus.PENDING, request__status=RequestStatus.PENDING, approvers__in=people).values(
        "request__quote_id"
    )
    return Q(pk__in=step_ids) & ~Q(owner_id=user.pk)


def _notify_step(quote: Quote, step: ApprovalStep) -> None:
    """Email the people who decide a step that now awaits them, once the transaction commits."""
    emails = [e for e in step.approvers.values_list("email", flat=True) if e]
    if not emails:
        return
    path = reverse("quotes:detail", args=[quote.public_id])
    subject = f"Approval needed: {quote.label} for {quote.account.name}"
    body = (
        f"{quote.owner} asks for your approval of {quote.label} ({quote.title}), {quote.total} {quote.currency}.\n\n"
        f"Why: {'; '.join(step.reasons)}\n\nOpen it in Steward: {path}\n"
    )
    transaction.on_commit(lambda: _send(subject, body, emails))


def _send(subject: str, body: str, emails: list[str]) -> None:
    # A mail server that is down must not undo or fail the decision that was just committed.
    try:
        send_mail(subject, body, None, emails)
    except Exception:
        logger.warning("could not email approvers %s about %s", emails, subject, exc_info=True)
