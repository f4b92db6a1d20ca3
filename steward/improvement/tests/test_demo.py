"""The demo loads improvement plans the services would accept: a workflow that fits their actions,
overdue actions for the demo operations manager, effectiveness figures on both sides of the change."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest

from steward.accounts.tests.factories import AccountFactory
from steward.core.models import AuditEvent
from steward.demo.generator import SeedReport
from steward.improvement import demo, selectors
from steward.improvement.choices import PENDING_ACTION_STATUSES
from steward.improvement.models import ImprovementPlan
from steward.improvement.tests.helpers import decided
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def test_demo_plans():
    ops, director, admin = UserFactory(username="ops", role=Role.OPERATIONS), UserFactory(role=Role.DIRECTOR), UserFactory(role=Role.ADMIN)
    for i in range(6):
        account = AccountFactory(owner=UserFactory(), operations_manager=ops if i < 2 else None)
        for days in (100, 60, 20):
            decided(account, account.owner, NOW.date() - dt.timedelta(days=days), met=2, breached=i + 1)
    ctx = SimpleNamespace(rng=random.Random(3), now=NOW, company=SimpleNamespace(operations=[ops], director=director),
                          report=SeedReport(), progress=lambda _: None)
    assert not demo.has_data()
    demo.seed_demo(ctx)
    plans = list(ImprovementPlan.objects.prefetch_related("actions", "linked_cases").select_related("source_case").order_by("number"))
    assert demo.has_data() and len(plans) >= 5 and len({p.number for p in plans}) == len(plans)
    assert AuditEvent.objects.filter(object_type="improvement.improvementplan", action="create").count() == len(plans)
    for p in plans:
        assert p.actions.all(), p.number
        if p.status in ("verifying", "closed_effective"):
            assert not [a for a in p.actions.all() if a.status in PENDING_ACTION_STATUSES], p.number
        if p.source == "breach":
            assert p.source_case in p.linked_cases.all() and p.source_case.account_id == p.account_id
    assert {p.owner_id for p in plans[:2]} == {ops.pk}  # the demo ops manager's accounts come first
    overdue, count = selectors.my_overdue_actions(ops, today=NOW.date())
    assert count >= 1 and all(a.owner_id == ops.pk for a in overdue)
    result = selectors.effectiveness(plans[0], user=admin, today=NOW.date())
    assert result.assessment.before.decided > 0 and result.assessment.after.decided > 0
