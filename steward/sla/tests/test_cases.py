"""Cases on the SLA clock: the policy that applies when a case opens, its log, its stored targets."""

from __future__ import annotations

import datetime as dt

import pytest

from steward.accounts.models import Tier
from steward.accounts.tests.factories import AccountFactory
from steward.core.errors import NotFound, PermissionDenied, ValidationFailed
from steward.sla import selectors, services
from steward.sla.models import CaseEvent
from steward.sla.services import Scope, TargetInput
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
HOUR = 3600
# Friday 20 November 2026, 17:30 in Berlin (CET, UTC+1) is 16:30 UTC.
FRIDAY_EVENING = dt.datetime(2026, 11, 20, 16, 30, tzinfo=UTC)


@pytest.fixture
def setup(db):
    return make_setup()


def make_setup():
    """An admin, a manager owning a Strategic account, a Berlin calendar and a Strategic policy."""
    admin = UserFactory(role=Role.ADMIN)
    owner = UserFactory(role=Role.MANAGER)
    strategic = Tier.objects.get_or_create(name="Strategic", defaults={"rank": 0})[0]
    account = AccountFactory(owner=owner, tier=strategic, name="Acme Logistics")
    desk = services.calendar_create(actor=admin, data={"name": "Berlin", "time_zone": "Europe/Berlin", "week": ["09:00-18:00"] * 5 + ["", ""]})
    policy = services.policy_create(
        actor=admin, data={"name": "Strategic", "calendar": desk, "pause_statuses": ["waiting_on_customer"]}, scope=Scope(tiers=[strategic]),
        targets=[TargetInput("high", "first_response", 4 * 60), TargetInput("high", "resolution", 16 * 60)],
        now=FRIDAY_EVENING - dt.timedelta(days=30),
    )
    return admin, owner, account, policy


def open_case(owner, account, at=FRIDAY_EVENING, **data):
    return services.case_open(actor=owner, account=account, data={"subject": "Pallets damaged on arrival", "priority": "high", **data}, now=at)


def targets(case):
    return {t.name: t for t in case.sla_targets.all()}


def test_a_case_opened_friday_evening_is_due_monday(setup):
    _admin, owner, account, policy = setup
    case = open_case(owner, account)
    assert case.number == "CS-2026-000001" and case.policy_version.policy == policy
    first = targets(case)["first_response"]
    # 30 min on Friday (17:30-18:00), 3 h 30 on Monday from 09:00 -> 12:30 Berlin = 11:30 UTC.
    assert first.due_at == dt.datetime(2026, 11, 23, 11, 30, tzinfo=UTC) and first.status == "running"
    # Resolution: 16 h = 0.5 Friday + 9 Monday + 6.5 Tuesday -> Tuesday 15:30 Berlin = 14:30 UTC.
    assert targets(case)["resolution"].due_at == dt.datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert case.sla_next_due == first.due_at and not case.sla_breached
    assert [e.kind for e in case.events.all()] == ["created"]


def test_a_pause_holds_the_clock_and_a_breach_stays(setup):
    _admin, owner, account, _policy = setup
    case = open_case(owner, account)
    monday = dt.datetime(2026, 11, 23, 9, tzinfo=UTC)  # 10:00 Berlin: 1.5 h of the 4 used
    services.case_reply(actor=owner, case=case, body="We are on it; can you send photos?", now=monday)
    case.refresh_from_db()
    assert targets(case)["first_response"].status == "met" and case.status == "open"
    services.case_change_status(actor=owner, case=case, status="waiting_on_customer", now=monday)
    case.refresh_from_db()
    resolution = targets(case)["resolution"]
    assert resolution.status == "paused" and resolution.due_at is None and resolution.elapsed_seconds == 1.5 * HOUR
    # The customer answers on Wednesday 09:00 Berlin: the clock resumes with 14.5 h left -> due Thursday
    # 14:30 Berlin (9 h Wednesday, 5.5 h Thursday from 09:00) = 13:30 UTC.
    wednesday = dt.datetime(2026, 11, 25, 8, tzinfo=UTC)
    services.case_customer_reply(actor=owner, case=case, body="Photos attached", now=wednesday)
    case.refresh_from_db()
    assert case.status == "open" and targets(case)["resolution"].due_at == dt.datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    # Nothing happens until Friday: the resolution breached on Thursday 13:30 UTC and stays breached
    # after a later pause and a recompute.
    friday = dt.datetime(2026, 11, 27, 10, tzinfo=UTC)
    services.case_change_status(actor=owner, case=case, status="waiting_on_customer", now=friday)
    case.refresh_from_db()
    assert targets(case)["resolution"].breached_at == dt.datetime(2026, 11, 26, 13, 30, tzinfo=UTC) and case.sla_breached
    again = services.case_recompute(case, now=friday)
    assert again.breached_targets == ("resolution",)
    assert targets(case)["resolution"].breached_at == dt.datetime(2026, 11, 26, 13, 30, tzinfo=UTC)


def test_priority_change_needs_a_reason_and_no_policy_means_no_sla(setup):
    _admin, owner, account, _policy = setup
    case = open_case(owner, account)
    with pytest.raises(ValidationFailed, match="why"):
        services.case_change_priority(actor=owner, case=case, priority="low", reason=" ")
    services.case_change_priority(actor=owner, case=case, priority="low", reason="Cosmetic only", now=FRIDAY_EVENING + dt.timedelta(minutes=5))
    case.refresh_from_db()
    assert case.priority == "low" and targets(case) == {}  # the policy has no low-priority targets
    other = AccountFactory(owner=owner, tier=Tier.objects.get_or_create(name="Growth", defaults={"rank": 2})[0])
    plain = open_case(owner, other)
    assert plain.policy_version is None and plain.sla_targets.count() == 0 and plain.sla_next_due is None


def test_order_of_events_resolve_reopen_close_and_access(setup):
    _admin, owner, account, _policy = setup
    case = open_case(owner, account)
    with pytest.raises(ValidationFailed, match="cannot come before"):
        services.case_reply(actor=owner, case=case, body="Early", now=FRIDAY_EVENING - dt.timedelta(hours=1))
    monday = dt.datetime(2026, 11, 23, 10, tzinfo=UTC)
    services.case_change_status(actor=owner, case=case, status="resolved", now=monday)
    services.case_change_status(actor=owner, case=case, status="open", now=monday + dt.timedelta(hours=1))
    services.case_change_status(actor=owner, case=case, status="closed", now=monday + dt.timedelta(hours=2))
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["created", "resolved", "reopened", "closed"]
    with pytest.raises(services.CaseStateError):
        services.case_reply(actor=owner, case=case, body="Late", now=monday + dt.timedelta(hours=3))
    outsider = UserFactory(role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        open_case(outsider, account)
    with pytest.raises(NotFound):
        selectors.case_get(user=outsider, public_id=case.public_id)
    assert selectors.case_get(user=owner, public_id=case.public_id) == case
    with pytest.raises(ValidationFailed, match="contact"):
        from steward.orders.tests.factories import contact

        open_case(owner, account, contact=contact(AccountFactory(owner=owner)))


def test_pages_open_a_case_show_its_sla_and_act_on_it(client, setup):
    from django.urls import reverse

    _admin, owner, account, _policy = setup
    client.force_login(owner)
    tab = client.get(reverse("sla:account_cases", args=[account.public_id])).content.decode()
    assert "No open cases" in tab and "New case" in tab
    bad = client.post(reverse("sla:case_create", args=[account.public_id]), {"subject": "", "priority": "high", "case_type": "issue", "channel": "email"})
    assert bad.status_code == 422
    made = client.post(reverse("sla:case_create", args=[account.public_id]), {"subject": "Late delivery", "priority": "high", "case_type": "complaint", "channel": "phone"})
    assert made.status_code == 302
    case = account.cases.get()
    page = client.get(reverse("sla:case", args=[case.public_id])).content.decode()
    assert "Strategic" in page and 'data-testid="target-first_response"' in page and "Running" in page
    client.post(reverse("sla:case_action", args=[case.public_id, "reply"]), {"kind": "note", "body": "Called the carrier"})
    client.post(reverse("sla:case_action", args=[case.public_id, "reply"]), {"kind": "public", "body": "We are on it"})
    client.post(reverse("sla:case_action", args=[case.public_id, "priority"]), {"priority": "critical", "reason": "Line stopped"})
    client.post(reverse("sla:case_action", args=[case.public_id, "status"]), {"status": "resolved", "version": 99})  # stale: refused
    case.refresh_from_db()
    assert (case.priority, case.status) == ("critical", "open")
    assert list(case.events.values_list("kind", flat=True)) == ["created", "internal_note", "public_reply", "status_changed", "priority_changed"]
    page = client.get(reverse("sla:case", args=[case.public_id])).content.decode()
    assert "Called the carrier" in page and "Line stopped" in page and "was changed by someone else" in page  # the stale status was refused, and said so
    listing = client.get(reverse("sla:cases")).content.decode()
    assert case.number in listing
    outsider = UserFactory(role=Role.MANAGER)
    client.force_login(outsider)
    assert client.get(reverse("sla:case", args=[case.public_id])).status_code == 404
    assert case.number not in client.get(reverse("sla:cases")).content.decode()
    assert client.post(reverse("sla:case_action", args=[case.public_id, "reply"]), {"kind": "public", "body": "x"}).status_code == 404


def test_the_api_opens_and_works_a_case(client, setup):
    from steward.api.tests.client import ApiClient

    _admin, owner, account, _policy = setup
    api = ApiClient(client, owner)
    made = api.post("/cases", {"account_id": str(account.public_id), "subject": "Damaged pallets", "priority": "high"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["policy"] == "Strategic v1" and {t["name"] for t in body["targets"]} == {"first_response", "resolution"}
    path = f"/cases/{body['id']}"
    assert api.post("/cases", {"account_id": str(account.public_id), "subject": "X", "order_number": "SO-404"}).json()["errors"]["order_number"]
    assert api.post(f"{path}/priority", {"priority": "urgent", "reason": "x"}).status_code == 422
    assert api.post(f"{path}/replies", {"body": "On it"}).json()["status"] == "open"
    assert api.post(f"{path}/status", {"status": "waiting_on_customer"}).json()["status"] == "waiting_on_customer"
    resumed = api.post(f"{path}/customer-replies", {"body": "Photos attached"}).json()
    assert resumed["status"] == "open"
    assert api.post(f"{path}/status", {"status": "resolved"}, ).json()["resolved_at"] is not None
    assert [e["kind"] for e in api.get(f"{path}/events").json()] == [
        "created", "public_reply", "status_changed", "status_changed", "customer_reply", "status_changed", "resolved",
    ]
    assert api.get("/cases").json()["count"] == 0 and api.get("/cases", open_only="false").json()["count"] == 1
    outsider = ApiClient(client, UserFactory(role=Role.MANAGER))
    assert outsider.get(path).status_code == 404 and outsider.get("/cases", open_only="false").json()["count"] == 0
    assert outsider.post("/cases", {"account_id": str(account.public_id), "subject": "Mine"}).status_code == 404


def test_the_periodic_pass_breaches_what_time_ran_out_on_and_is_idempotent(setup):
    from steward.sla.tasks import recompute_open_cases

    _admin, owner, account, _policy = setup
    waiting = open_case(owner, account)
    answered = open_case(owner, account, subject="Second")
    services.case_reply(actor=owner, case=answered, body="Done", now=FRIDAY_EVENING + dt.timedelta(minutes=10))
    services.case_change_status(actor=owner, case=answered, status="closed", now=FRIDAY_EVENING + dt.timedelta(minutes=20))
    # Monday 11:30 UTC is 12:30 Berlin: the unanswered case's first response falls due; at 12:00 UTC it has breached.
    later = dt.datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert services.cases_recompute_open(now=later) == 1  # the closed case is not touched
    waiting.refresh_from_db()
    first = targets(waiting)["first_response"]
    assert (first.status, first.breached_at) == ("breached", dt.datetime(2026, 11, 23, 11, 30, tzinfo=UTC)) and waiting.sla_breached
    snapshot = [(t.name, t.status, t.due_at, t.breached_at, t.elapsed_seconds) for t in waiting.sla_targets.order_by("name")]
    services.cases_recompute_open(now=later)
    assert [(t.name, t.status, t.due_at, t.breached_at, t.elapsed_seconds) for t in waiting.sla_targets.order_by("name")] == snapshot
    assert recompute_open_cases.call()["cases"] == 1


def test_warnings_and_a_breach_notify_owner_and_operations_once_and_the_breach_escalates(setup, django_capture_on_commit_callbacks, mailoutbox):
    from steward.core.models import Notification
    from steward.sla.models import CaseEscalation, CaseNotification

    _admin, owner, account, _policy = setup
    ops = UserFactory(role=Role.OPERATIONS, email="olga@example.com")
    account.operations_manager = ops
    account.save()
    owner.email = "owen@example.com"
    owner.save()
    case = open_case(owner, account)
    # First response, 4 business hours from Friday 17:30 Berlin: 50 % at Monday 10:30 Berlin (09:30 UTC),
    # 75 % at 11:30 (10:30 UTC), 90 % at 12:06 (11:06 UTC), due and breached at 12:30 Berlin (11:30 UTC).
    with django_capture_on_commit_callbacks(execute=True):
        services.cases_recompute_open(now=dt.datetime(2026, 11, 23, 10, tzinfo=UTC))
    sent = list(CaseNotification.objects.filter(case=case).values_list("kind", "target"))
    assert sent == [("warning", "first_response")]  # 50 % only; 75 % comes at 10:30 UTC
    with django_capture_on_commit_callbacks(execute=True):
        services.cases_recompute_open(now=dt.datetime(2026, 11, 23, 10, 45, tzinfo=UTC))  # 75 %
        # 12:00 UTC: breached. The 90 % warning fell between two passes and is not sent late: the
        # breach supersedes it. Running again sends nothing new.
        services.cases_recompute_open(now=dt.datetime(2026, 11, 23, 12, tzinfo=UTC))
        services.cases_recompute_open(now=dt.datetime(2026, 11, 23, 12, 5, tzinfo=UTC))
    sent = list(CaseNotification.objects.filter(case=case, target="first_response").order_by("id").values_list("kind", "key"))
    assert [(kind, key.split("|")[2]) for kind, key in sent] == [("warning", "50"), ("warning", "75"), ("breach", "")]
    assert Notification.objects.filter(user=ops, subject__contains="first response was breached").count() == 1
    assert Notification.objects.filter(user=owner).count() == Notification.objects.filter(user=ops).count() == 4  # 3 alerts + escalation
    assert any("was breached" in m.subject and set(m.to) == {"olga@example.com", "owen@example.com"} for m in mailoutbox)
    case.refresh_from_db()
    escalation = CaseEscalation.objects.get(case=case)
    assert (case.escalation_level, escalation.automatic, escalation.at) == ("l2", True, dt.datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert case.events.filter(kind="escalated").count() == 1
    before = [(t.name, t.status, t.due_at, t.breached_at) for t in case.sla_targets.order_by("name")]
    services.case_recompute(case, now=dt.datetime(2026, 11, 23, 12, 5, tzinfo=UTC))  # the escalation event is not a clock event
    assert [(t.name, t.status, t.due_at, t.breached_at) for t in case.sla_targets.order_by("name")] == before


def test_escalating_by_hand_needs_a_higher_level_and_a_reason(setup):
    _admin, owner, account, _policy = setup
    case = open_case(owner, account)
    later = FRIDAY_EVENING + dt.timedelta(minutes=5)
    with pytest.raises(ValidationFailed, match="why"):
        services.case_escalate(actor=owner, case=case, level="l3", reason="", now=later)
    services.case_escalate(actor=owner, case=case, level="l3", reason="Customer's CEO called", now=later)
    with pytest.raises(ValidationFailed, match="already at L3"):
        services.case_escalate(actor=owner, case=case, level="l2", reason="Again", now=later)
    case.refresh_from_db()
    assert case.escalation_level == "l3" and case.escalations.get().actor == owner
    with pytest.raises(PermissionDenied):
        services.case_escalate(actor=UserFactory(role=Role.MANAGER), case=case, level="management", reason="x", now=later)


def test_escalate_from_the_page_and_the_api_and_read_notifications(client, setup):
    from django.urls import reverse

    from steward.api.tests.client import ApiClient
    from steward.core.models import Notification

    _admin, owner, account, _policy = setup
    case = open_case(owner, account, at=dt.datetime.now(UTC) - dt.timedelta(hours=1))
    client.force_login(owner)
    page = client.get(reverse("sla:case", args=[case.public_id])).content.decode()
    assert 'data-testid="escalate"' in page and "Escalated:" not in page
    client.post(reverse("sla:case_action", args=[case.public_id, "escalate"]), {"level": "l2", "reason": "Two plants down"})
    page = client.get(reverse("sla:case", args=[case.public_id])).content.decode()
    assert "Escalated: L2" in page and "Two plants down" in page
    assert Notification.objects.filter(user=owner, read_at__isnull=True).count() == 1
    assert 'aria-label="1 unread"' in page
    inbox = client.get(reverse("notifications")).content.decode()
    assert "escalated to L2" in inbox and f"/cases/{case.public_id}/" in inbox
    assert Notification.objects.filter(user=owner, read_at__isnull=True).count() == 0  # read by opening the page
    api = ApiClient(client, owner)
    refused = api.post(f"/cases/{case.public_id}/escalate", {"level": "l2", "reason": "again"})
    assert refused.status_code == 422 and "higher level" in refused.json()["errors"]["level"][0]
    assert api.post(f"/cases/{case.public_id}/escalate", {"level": "management", "reason": "CEO"}).json()["escalation_level"] == "management"


def test_attainment_counts_decided_targets_by_quarter_account_and_tier_with_deliveries(setup):
    from types import SimpleNamespace

    from steward.orders import services as order_services
    from steward.orders.tests.factories import order, product

    _admin, owner, account, _policy = setup
    met = open_case(owner, account)  # replied on Monday within its 4 hours, resolved on Tuesday within 16
    services.case_reply(actor=owner, case=met, body="On it", now=dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    services.case_change_status(actor=owner, case=met, status="resolved", now=dt.datetime(2026, 11, 24, 9, tzinfo=UTC))
    late = open_case(owner, account, subject="Nobody answered")  # breached on Monday 11:30 UTC, then answered
    services.case_reply(actor=owner, case=late, body="Sorry", now=dt.datetime(2026, 11, 23, 13, tzinfo=UTC))
    running = open_case(owner, account, subject="Still open")
    services.case_recompute(running, now=dt.datetime(2026, 11, 21, tzinfo=UTC))  # nothing decided yet: not counted
    shipped = order(SimpleNamespace(account=account, owner=owner), product("PAL-1"), actor=owner)
    order_services.shipment_record(
        actor=owner, order=shipped, quantities={shipped.lines.get(): "10"}, shipped_on=dt.date(2025, 3, 20),
        delivered_on=dt.date(2025, 3, 21), now=dt.datetime(2025, 3, 21, 12, tzinfo=UTC),
    )
    rows = {r.label: r for r in selectors.attainment_by(user=owner, group="quarter")}
    assert set(rows) == {"2025-Q1", "2026-Q4"}
    q4 = rows["2026-Q4"].by_kind
    assert (q4["first_response"].met, q4["first_response"].breached, q4["first_response"].pct) == (1, 1, 50)
    assert (q4["resolution"].met, q4["resolution"].breached) == (1, 0)
    assert str(rows["2026-Q4"].cases.pct) == "66.7" and "delivery" not in q4
    assert rows["2025-Q1"].by_kind["delivery"].pct == 100 and rows["2025-Q1"].cases.pct is None
    by_account = selectors.attainment_by(user=owner, group="account", start=dt.date(2026, 10, 1))
    assert [(r.label, r.cases.met, r.cases.breached) for r in by_account] == [("Acme Logistics", 2, 1)]
    assert [r.label for r in selectors.attainment_by(user=owner, group="tier")] == ["Strategic"]
    assert selectors.attainment_by(user=UserFactory(role=Role.MANAGER), group="quarter") == []  # someone else's cases
    (breach,) = selectors.recent_breaches(user=owner)
    assert (breach.case, breach.name) == (late, "first_response")


def test_attainment_pages_card_and_api(client, setup):
    from django.urls import reverse

    from steward.api.tests.client import ApiClient

    _admin, owner, account, _policy = setup
    late = open_case(owner, account, at=dt.datetime.now(UTC) - dt.timedelta(days=10), subject="Nobody answered")
    services.case_recompute(late, now=dt.datetime.now(UTC))  # ten days without a reply: breached
    client.force_login(owner)
    page = client.get(reverse("sla:attainment")).content.decode()
    assert 'data-chart="attainment-data"' in page and "Nobody answered" in page and "First response" in page
    assert "0.0 %" in page  # nothing met
    by_tier = client.get(reverse("sla:attainment"), {"group": "tier", "quarters": "8"}).content.decode()
    assert "Strategic" in by_tier
    tab = client.get(reverse("sla:account_cases", args=[account.public_id])).content.decode()
    assert 'data-testid="account-attainment"' in tab
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="sla-card"' in dashboard and "1 breached" in dashboard
    api = ApiClient(client, owner)
    (row,) = api.get("/sla/attainment", group="account").json()["results"]
    assert row["label"] == "Acme Logistics" and row["kinds"]["first_response"] == {"met": 0, "breached": 1, "pct": "0.0", "goal": None}
    assert api.get("/sla/attainment", group="galaxy").status_code == 422
    assert ApiClient(client, UserFactory(role=Role.MANAGER)).get("/sla/attainment", account_id=str(account.public_id)).status_code == 404


def test_the_migration_dates_states_stored_before_it(setup):
    import importlib

    from django.apps import apps

    from steward.sla.models import CaseTarget

    _admin, owner, account, _policy = setup
    late = open_case(owner, account)
    services.case_recompute(late, now=dt.datetime(2026, 11, 24, tzinfo=UTC))
    CaseTarget.objects.update(decided_on=None)
    migration = importlib.import_module("steward.sla.migrations.0005_target_decided_on")
    migration.fill_decided_on(apps, None)
    assert dict(CaseTarget.objects.filter(case=late).values_list("name", "decided_on")) == {
        "first_response": dt.date(2026, 11, 23), "resolution": None,  # breached Monday; the resolution still runs
    }


def test_target_states_carry_their_cases_account_and_the_migration_fills_it(setup):
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    from steward.sla.models import CaseTarget

    _admin, owner, account, _policy = setup
    other = AccountFactory(owner=owner)
    late = open_case(owner, account)
    services.cases_recompute(now=dt.datetime(2026, 11, 24, tzinfo=UTC))
    assert set(CaseTarget.objects.filter(case=late).values_list("account_id", flat=True)) == {account.pk}
    CaseTarget.objects.update(account=other)
    migration = importlib.import_module("steward.sla.migrations.0007_target_account")
    with connection.cursor() as cursor:  # the editor's two methods the fill uses (SQLite refuses an editor in a test's transaction)
        migration.fill_accounts(None, SimpleNamespace(execute=cursor.execute, quote_name=connection.ops.quote_name))
    assert set(CaseTarget.objects.values_list("account_id", flat=True)) == {account.pk}
