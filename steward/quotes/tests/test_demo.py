"""Demo quotes are what the services would have written: totals, steps and approved fingerprints agree."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from steward.demo.generator import SeedOptions, generate
from steward.quotes import selectors, services
from steward.quotes.choices import ApprovalState, QuoteStatus, RequestStatus, StepStatus
from steward.quotes.models import ApprovalStep, Quote

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def test_demo_quotes_are_consistent_with_the_services():
    generate(SeedOptions(accounts=40, seed=5, now=NOW, chunk_size=20))
    quotes = list(Quote.objects.prefetch_related("lines", "clauses"))
    assert len(quotes) >= 40
    statuses = Counter(q.status for q in quotes)
    assert {QuoteStatus.ACCEPTED, QuoteStatus.SENT, QuoteStatus.PENDING, QuoteStatus.EXPIRED} <= set(statuses)
    for q in quotes:
        assert q.total == sum((ln.net_amount for ln in q.lines.all()), start=q.total * 0) - q.extra_discount_amount
        if q.approval_state in (ApprovalState.APPROVED, ApprovalState.NOT_REQUIRED):
            assert q.approved_fingerprint == services.current_fingerprint(q), q.label
    assert Quote.objects.filter(approval_state=ApprovalState.APPROVED).exists()
    pending = Quote.objects.filter(status=QuoteStatus.PENDING).first()
    step = ApprovalStep.objects.get(request__quote=pending, request__status=RequestStatus.PENDING, status=StepStatus.PENDING)
    approver = step.approvers.first()
    assert pending in selectors.awaiting_decision(approver, now=NOW)
    # A demo quote goes through the real services like any other.
    services.quote_decide(actor=approver, quote=pending, approve=True, now=NOW)
