"""The demo pipeline: every account gets history and open pipeline, quotas look real, all audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count

from steward.accounts.models import Account
from steward.core.audit import verify_chain
from steward.core.models import AuditEvent
from steward.demo.generator import SeedOptions, generate
from steward.pipeline import selectors
from steward.pipeline.models import Opportunity, OpportunityLine, Quota
from steward.users.models import User

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def test_demo_seeds_history_pipeline_renewals_and_realistic_quotas():
    generate(SeedOptions(accounts=40, seed=2, now=NOW, chunk_size=15))
    n_accounts = Account.objects.count()
    n = Opportunity.objects.count()
    assert 5 * n_accounts <= n <= 12 * n_accounts
    outcomes = dict(Opportunity.objects.values_list("stage__outcome").annotate(n=Count("id")))
    assert outcomes["won"] and outcomes["lost"] and outcomes["open"]
    open_stages = set(Opportunity.objects.filter(stage__outcome="open").values_list("stage__name", flat=True))
    assert open_stages == {"Prospecting", "Qualification", "Proposal", "Negotiation"}
    assert not Opportunity.objects.filter(stage__outcome="lost", loss_reason="").exists()
    assert not Opportunity.objects.filter(stage__outcome__in=["won", "lost"], closed_at__isnull=True).exists()
    assert Opportunity.objects.filter(type="renewal").exists() and OpportunityLine.objects.exists()
    assert Opportunity.objects.order_by("close_date").first().close_date < dt.date(2024, 3, 1)
    assert AuditEvent.objects.filter(object_type="pipeline.opportunity").count() == n
    assert verify_chain().ok
    # Quotas: 12 past quarters, this one and the next, for every account owner; attainment in a believable band.
    manager = User.objects.get(username="manager")
    assert Quota.objects.filter(user=manager).count() == 14
    report = selectors.quota_attainment(user=User.objects.get(username="director"), kind="quarter", start=dt.date(2026, 4, 1))
    pcts = [r.figures.own_pct for r in report.rows if r.figures.own_pct is not None and r.figures.own_booked]
    assert pcts and all(45 <= p <= 135 for p in pcts), pcts
