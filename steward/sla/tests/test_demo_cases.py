"""Demo cases look like what the case services write, sit on the right policy, and their bulk-computed
SLA states are the ones the service computes from the same log."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter

import pytest

from steward.accounts.models import Account
from steward.core.models import AuditEvent
from steward.demo.generator import SeedOptions, generate
from steward.sla import demo, selectors, services
from steward.sla.choices import OPEN_CASE_STATUSES, CaseEventKind, CaseStatus
from steward.sla.models import Case, CaseEvent, CaseTarget

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db

STATE_FIELDS = (
    "name", "status", "target_seconds", "mode", "opened_at", "due_at", "met_at", "breached_at",
    "elapsed_seconds", "paused_seconds", "percent_used", "warning_level", "breaches",
)


@pytest.fixture
def portfolio() -> list[Case]:
    """A small portfolio with every demo loader run, the SLA one last; its cases in pk order."""
    generate(SeedOptions(accounts=60, seed=11, now=NOW, chunk_size=25, interactions_per_account=4, order_lines_per_account=2))
    return list(Case.objects.select_related("account__tier", "policy_version__policy").order_by("pk"))


def _stored(case: Case) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    case.refresh_from_db()
    rows = [tuple(getattr(t, f) for f in STATE_FIELDS) for t in CaseTarget.objects.filter(case=case).order_by("name")]
    return (case.sla_breached, case.sla_next_due, case.sla_computed_at), rows


def test_demo_cases_cover_the_portfolio_with_histories_in_time_order(portfolio):
    cases = portfolio
    accounts = Account.objects.count()
    per_account = Counter(c.account_id for c in cases)
    assert 6 <= len(cases) / accounts <= 14 and len(per_account) >= 0.9 * accounts
    assert len({c.number for c in cases}) == len(cases)
    assert all(re.fullmatch(rf"CS-{c.opened_at.year}-\d{{6}}", c.number) for c in cases)
    share_open = sum(c.status in OPEN_CASE_STATUSES for c in cases) / len(cases)
    assert 0.03 <= share_open <= 0.15
    priorities = Counter(c.priority for c in cases)
    assert set(priorities) == {"critical", "high", "moderate", "low"} and priorities["critical"] < 0.08 * len(cases)
    owners = dict(Account.objects.values_list("pk", "operations_manager_id"))
    owners_fallback = dict(Account.objects.values_list("pk", "owner_id"))
    assert all(c.owner_id == (owners[c.account_id] or owners_fallback[c.account_id]) for c in cases)
    logs: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.order_by("case_id", "at", "id"):
        logs.setdefault(event.case_id, []).append(event)
    kinds = Counter()
    for case in cases:
        log = logs[case.pk]
        assert log[0].kind == CaseEventKind.CREATED and log[0].at == case.opened_at and log[0].status == CaseStatus.NEW
        assert [e.kind for e in log[1:]].count(CaseEventKind.CREATED) == 0
        assert all(a.at <= b.at for a, b in itertools.pairwise(log)) and log[-1].at <= NOW
        assert case.opened_at >= NOW - dt.timedelta(days=demo.HISTORY_DAYS + 1)
        statuses = [e.status for e in log if e.status]
        assert statuses[-1] == case.status
        priorities_logged = [e.priority for e in log if e.priority]
        assert priorities_logged[-1] == case.priority
        assert (case.closed_at is not None) == (case.status == CaseStatus.CLOSED)
        kinds.update(e.kind for e in log)
        for before, after in itertools.pairwise(log):
            if before.status == CaseStatus.WAITING_ON_CUSTOMER and after.kind == CaseEventKind.CUSTOMER_REPLY:
                kinds["resumed by the customer"] += 1
    assert kinds["resumed by the customer"] > 0 and kinds[CaseEventKind.PRIORITY_CHANGED] > 0 and kinds[CaseEventKind.REOPENED] > 0
    assert all(e.body for e in CaseEvent.objects.filter(kind=CaseEventKind.PRIORITY_CHANGED))
    assert 5 <= sum(kinds.values()) / len(cases) <= 14
    assert AuditEvent.objects.filter(object_type="sla.case", action="create").count() == len(cases)


def test_cases_sit_on_the_first_matching_policy_and_the_bulk_states_equal_the_service(portfolio):
    cases = portfolio
    for case in cases:
        created_priority = case.events.order_by("at", "id").first().priority
        expected = (
            "Critical incidents" if created_priority == "critical"
            else "Strategic accounts" if case.account.tier.name == "Strategic" else "Standard"
        )
        assert case.policy_version is not None and case.policy_version.policy.name == expected
    assert {c.policy_version.policy.name for c in cases} == {"Critical incidents", "Strategic accounts", "Standard"}
    # Every case with a policy has its states, computed at `now`; some breached, some open ones with a due time.
    with_states = set(CaseTarget.objects.values_list("case_id", flat=True))
    assert all(c.pk in with_states and c.sla_computed_at == NOW for c in cases)
    assert any(c.sla_breached for c in cases) and any(not c.sla_breached for c in cases)
    assert any(c.sla_next_due is not None for c in cases if c.status in OPEN_CASE_STATUSES)
    # The service, run on a sample (every open case and a spread of the others), stores the same states.
    sample = [c for c in cases if c.status in OPEN_CASE_STATUSES][:25] + cases[:: max(1, len(cases) // 40)]
    for case in sample:
        before = _stored(case)
        services.case_recompute(case, now=NOW)
        assert _stored(case) == before, case.number
    # Running the bulk path again over stored states changes nothing (breaches kept, idempotent).
    snapshot = [_stored(c) for c in sample]
    totals = services.cases_recompute(now=NOW, open_only=False, notify_people=False, chunk=50)
    assert totals.cases == len(cases) and [_stored(c) for c in sample] == snapshot


def test_the_demo_names_escalation_owners_and_delivery_goals(portfolio):
    from steward.sla.models import DeliveryGoal

    owners = {(row.level, row.everywhere.user.username if row.everywhere else None) for row in selectors.escalation_levels()}
    assert owners == {("l2", "ops"), ("l3", "manager"), ("management", "director")}
    strategic_l2 = [o for row in selectors.escalation_levels() for o in row.by_tier]
    assert [(o.level, o.tier.name, o.user.username) for o in strategic_l2] == [("l2", "Strategic", "manager")]
    assert selectors.default_delivery_goal() == 95
    assert DeliveryGoal.objects.filter(is_default=False, goal=98).count() == 3
