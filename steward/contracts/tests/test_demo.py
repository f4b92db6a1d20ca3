"""Demo contracts look like what the services write, link pipeline's renewals and fill the renewals card."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from steward.contracts import selectors, services
from steward.contracts.choices import ContractStatus
from steward.contracts.engine import renewal, term
from steward.contracts.models import Contract
from steward.demo.generator import SeedOptions, generate
from steward.users.models import User

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def test_demo_contracts_span_three_years_and_show_renewals():
    generate(SeedOptions(accounts=40, seed=5, now=NOW, chunk_size=20))
    contracts = list(Contract.objects.all())
    assert len(contracts) >= 80
    statuses = Counter(c.status for c in contracts)
    assert {ContractStatus.ACTIVE, ContractStatus.RENEWED} <= set(statuses)
    assert min(c.start_on for c in contracts) <= NOW.date() - dt.timedelta(days=2 * 365)
    for c in contracts:
        assert c.total_value == term.total_value(c.annual_value, c.start_on, c.end_on)
        assert c.notice_deadline == renewal.notice_deadline(c.end_on, c.notice_period_days)
        if c.previous_id:
            assert c.previous.end_on + dt.timedelta(days=1) == c.start_on and c.previous.status == ContractStatus.RENEWED
    assert any(c.auto_renew for c in contracts) and any(not c.auto_renew for c in contracts)
    director = User.objects.get(username="director")
    due = selectors.renewals_due(user=director, today=NOW.date())
    assert due.exists()
    assert Contract.objects.filter(renewal_opportunity__isnull=False, renewal_opportunity__type="renewal").exists()
    # A demo contract goes through the real services like any other; the job is idempotent on it.
    first = services.contracts_renewal_run(now=NOW)
    assert services.contracts_renewal_run(now=NOW).opportunities == 0 and first.opportunities >= 0
