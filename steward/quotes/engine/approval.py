"""Which approvals a quote needs, in which order, and whether a decision may be taken.

Rules are data (kept in the admin, passed in here): a condition on one figure of the quote and
the approver it calls for at a level. Every rule that matches adds its approver; the steps run
level by level, lowest first. The fingerprint covers everything approval depends on: any change
to it after approval voids the approval.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from steward.quotes.engine.pricing import Totals


class Metric(StrEnum):
    LINE_DISCOUNT_PCT = "line_discount_pct"  # the largest effective line discount
    OVERALL_DISCOUNT_PCT = "overall_discount_pct"
    TOTAL = "total"  # in the currency the rules are written in
    PAYMENT_TERM_DAYS = "payment_term_days"
    MARGIN_PCT = "margin_pct"
    NONSTANDARD_TERMS = "nonstandard_terms"  # how many nonstandard terms or clauses


class Operator(StrEnum):
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


class ApproverRole(StrEnum):
    OWNER_MANAGER = "owner_manager"
    DIRECTOR = "director"
    FINANCE = "finance"


APPROVER_ORDER = {ApproverRole.OWNER_MANAGER: 0, ApproverRole.DIRECTOR: 1, ApproverRole.FINANCE: 2}


@dataclass(frozen=True)
class Rule:
    name: str
    metric: Metric
    operator: Operator
    threshold: Decimal
    approver: ApproverRole
    level: int = 1

    def matches(self, value: Decimal | None) -> bool:
        """True when the figure calls for approval; an unknown figure (no cost, no margin) does."""
        if value is None:
            return True
        return {
            Operator.GT: value > self.threshold,
            Operator.GTE: value >= self.threshold,
            Operator.LT: value < self.threshold,
            Operator.LTE: value <= self.threshold,
        }[self.operator]


@dataclass(frozen=True)
class QuoteFacts:
    """What the rules look at: the totals, payment terms and nonstandard terms of one version."""

    totals: Totals
    payment_term_days: int
    nonstandard_terms: tuple[str, ...] = ()
    total_in_rule_currency: Decimal | None = None  # the total converted, when currencies differ
    total_unknown: bool = (
        False  # no exchange rate: the total cannot be compared, so it reads as unknown
    )

    def value(self, metric: Metric) -> Decimal | None:
        match metric:
            case Metric.LINE_DISCOUNT_PCT:
                return self.totals.max_line_discount_pct
            case Metric.OVERALL_DISCOUNT_PCT:
                return self.totals.overall_discount_pct
            case Metric.TOTAL:
                if self.total_unknown:
                    return None
                return (
                    self.total_in_rule_currency
                    if self.total_in_rule_currency is not None
                    else self.totals.total
                )
            case Metric.PAYMENT_TERM_DAYS:
                return Decimal(self.payment_term_days)
            case Metric.MARGIN_PCT:
                return self.totals.margin_pct
            case Metric.NONSTANDARD_TERMS:
                return Decimal(len(self.nonstandard_terms))


@dataclass(frozen=True)
class Step:
    """One approval the quote needs: who, at which level, and why."""

    level: int
    approver: ApproverRole
    reasons: tuple[str, ...]


def required_steps(facts: QuoteFacts, rules: Iterable[Rule]) -> tuple[Step, ...]:
    """The approvals `facts` call for, in order. One step per approver role, at the lowest
    level any matching rule gives it; no step means the quote needs no approval."""
    found: dict[ApproverRole, tuple[int, list[str]]] = {}
    for rule in rules:
        value = facts.value(rule.metric)
        if not rule.matches(value):
            continue
        shown = "unknown" if value is None else f"{value.normalize():f}"
        reason = f"{rule.name} ({rule.metric.value} {shown})"
        level, reasons = found.get(rule.approver, (rule.level, []))
        found[rule.approver] = (min(level, rule.level), [*reasons, reason])
    steps = [Step(level, role, tuple(reasons)) for role, (level, reasons) in found.items()]
    return tuple(sorted(steps, key=lambda s: (s.level, APPROVER_ORDER[s.approver])))


def fingerprint(content: Mapping[str, Any]) -> str:
    """A stable hash of what approval depends on (lines, prices, discounts, terms, clauses).

    Approval stores it; when a later edit changes it, the approval no longer holds.
    """
    canonical = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Decision:
    step_index: int
    user_id: int
    outcome: Outcome


class State(StrEnum):
    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Progress:
    state: State
    current: int | None  # index of the step awaiting a decision


def progress(steps: Sequence[Step], decisions: Sequence[Decision]) -> Progress:
    """Where approval stands: steps are decided in order; one rejection ends it."""
    if not steps:
        return Progress(State.NOT_REQUIRED, None)
    by_step = {d.step_index: d for d in decisions}
    for index in range(len(steps)):
        decision = by_step.get(index)
        if decision is None:
            return Progress(State.PENDING, index)
        if decision.outcome == Outcome.REJECTED:
            return Progress(State.REJECTED, None)
    return Progress(State.APPROVED, None)


class DecisionRefused(Exception):
    """A decision that may not be taken, with the reason to show."""


def check_decision(
    steps: Sequence[Step],
    decisions: Sequence[Decision],
    *,
    step_index: int,
    user_id: int,
    eligible_user_ids: frozenset[int],
    requester_id: int | None,
) -> None:
    """Refuse a decision out of turn, by someone not entitled to it, or on one's own quote."""
    now = progress(steps, decisions)
    if now.state != State.PENDING:
        raise DecisionRefused(f"approval is {now.state.value.replace('_', ' ')}: nothing to decide")
    if step_index != now.current:
        raise DecisionRefused("this step is not the one awaiting a decision")
    if requester_id is not None and user_id == requester_id:
        raise DecisionRefused("nobody approves their own quote")
    if user_id not in eligible_user_ids:
        raise DecisionRefused(
            f"only the {steps[step_index].approver.value.replace('_', ' ')} (or their delegate) decides this step"
        )


@dataclass(frozen=True)
class Delegation:
    """`from_user` is away: `to_user` may decide in their place from `starts` until `ends`."""

    from_user: int
    to_user: int
    starts: dt.datetime
    ends: dt.datetime


def eligible_approvers(
    approver_ids: Iterable[int], delegations: Iterable[Delegation], now: dt.datetime
) -> frozenset[int]:
    """The approvers for a step plus whoever stands in for one of them at `now`."""
    base = frozenset(approver_ids)
    standing_in = {
        d.to_user for d in delegations if d.from_user in base and d.starts <= now < d.ends
    }
    return base | standing_in
