"""Escalation level owners, delivery goals per account or contract, and re-evaluating open cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client

from steward.accounts.models import Tier
from steward.accounts.tests.factories import AccountFactory
from steward.core.errors import PermissionDenied, ValidationFailed
from steward.sla import selectors, services
from steward.sla.models import CaseEscalation, CaseEvent
from steward.sla.services import Scope, TargetInput
from steward.sla.tests.test_cases import FRIDAY_EVENING, make_setup, open_case, targets
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MONDAY_MORNING = dt.datetime(2026, 11, 23, 8, tzinfo=UTC)  # 09:00 in Berlin


@pytest.fixture
def setup(db):
    return make_setup()


# Escalation level owners ---------------------------------------------------------------------------


def test_a_tier_owner_comes_before_the_portfolio_owner_and_is_named_and_told(setup, django_capture_on_commit_callbacks):
    from steward.core.models import Notification

    admin, owner, account, _policy = setup
    everyone, strategic_desk = UserFactory(role=Role.OPERATIONS), UserFactory(role=Role.OPERATIONS)
    services.escalation_owner_set(actor=admin, level="l2", user=everyone)
    services.escalation_owner_set(actor=admin, level="l2", user=strategic_desk, tier=account.tier)
    services.escalation_owner_set(actor=admin, level="l3", user=everyone)
    assert selectors.escalation_owner_for("l2", tier_id=account.tier_id) == strategic_desk
    assert selectors.escalation_owner_for("l2", tier_id=None) == everyone
    assert selectors.escalation_owner_for("l3", tier_id=account.tier_id) == everyone  # no tier owner: the portfolio's

    case = open_case(owner, account)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_escalate(actor=owner, case=case, level="l2", reason="Line stopped", now=FRIDAY_EVENING + dt.timedelta(minutes=5))
    escalation = CaseEscalation.objects.get(case=case)
    assert escalation.owner == strategic_desk
    owner_name = strategic_desk.get_full_name() or strategic_desk.username
    assert CaseEvent.objects.get(case=case, kind="escalated").body == f"L2: Line stopped. Owner: {owner_name}."
    assert Notification.objects.filter(user=strategic_desk, subject__contains="escalated to L2").count() == 1
    assert not Notification.objects.filter(user=everyone).exists()

    # From then on the level's owner hears about the case's SLA with its owner: the breach on Monday.
    with django_capture_on_commit_callbacks(execute=True):
        services.cases_recompute_open(now=dt.datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert Notification.objects.filter(user=strategic_desk, subject__contains="first response was breached").count() == 1


def test_escalation_owners_are_kept_by_configurers_above_l1_and_can_be_removed(setup):
    admin, owner, _account, _policy = setup
    someone = UserFactory(role=Role.OPERATIONS)
    with pytest.raises(ValidationFailed, match="L1 is the case's own owner"):
        services.escalation_owner_set(actor=admin, level="l1", user=someone)
    with pytest.raises(PermissionDenied):
        services.escalation_owner_set(actor=owner, level="l2", user=someone)
    gone = UserFactory(role=Role.OPERATIONS, is_active=False)
    with pytest.raises(ValidationFailed, match="deactivated"):
        services.escalation_owner_set(actor=admin, level="l2", user=gone)
    services.escalation_owner_set(actor=admin, level="management", user=someone)
    services.escalation_owner_set(actor=admin, level="management", user=admin)  # replaced, not a second row
    levels = {row.level: row for row in selectors.escalation_levels()}
    assert list(levels) == ["l2", "l3", "management"] and levels["management"].everywhere.user == admin
    services.escalation_owner_set(actor=admin, level="management", user=None)
    assert selectors.escalation_owner_for("management", tier_id=None) is None


def test_escalation_levels_page_and_api(client, setup):
    from django.urls import reverse

    from steward.api.tests.client import ApiClient

    admin, owner, account, _policy = setup
    desk = UserFactory(role=Role.OPERATIONS, username="desk")
    client.force_login(admin)
    page = client.get(reverse("sla:escalations"))
    assert page.status_code == 200 and "Management" in page.content.decode()
    response = client.post(reverse("sla:escalations"), {"level": "l2", "tier": str(account.tier.pk), "user": str(desk.pk)})
    assert response.status_code == 302 and selectors.escalation_owner_for("l2", tier_id=account.tier_id) == desk
    response = client.post(reverse("sla:escalations"), {"level": "l1", "tier": "", "user": str(desk.pk)})
    assert response.status_code == 200 and "L1 is the case&#x27;s own owner" in response.content.decode()

    api = ApiClient(Client(), admin)
    listed = api.get("/sla/escalation-levels")
    assert listed.status_code == 200
    assert [row["level"] for row in listed.json()] == ["l2", "l3", "management"]
    assert listed.json()[0]["by_tier"] == [{"tier": account.tier.name, "user": "desk"}]
    case = open_case(owner, account, at=dt.datetime.now(UTC) - dt.timedelta(minutes=30))
    services.case_escalate(actor=owner, case=case, level="l2", reason="Plant down")
    (escalation,) = ApiClient(Client(), owner).get(f"/cases/{case.public_id}/escalations").json()
    assert (escalation["to_level"], escalation["owner"], escalation["actor"], escalation["automatic"]) == ("l2", "desk", owner.username, False)
    assert ApiClient(Client(), UserFactory(role=Role.MANAGER)).get(f"/cases/{case.public_id}/escalations").status_code == 404
    put = api.put("/sla/escalation-levels/l3", {"user": "desk"})
    assert put.status_code == 200 and selectors.escalation_owner_for("l3", tier_id=None) == desk
    assert api.put("/sla/escalation-levels/l3", {"user": "nobody"}).status_code == 422
    assert ApiClient(Client(), owner).put("/sla/escalation-levels/l3", {"user": "desk"}).status_code == 403


# Delivery goals -------------------------------------------------------------------------------------


def test_a_contract_goal_comes_before_the_account_goal_before_the_portfolio_default(setup):
    from steward.contracts import services as contracts
    from steward.contracts.choices import ServiceLevelKind
    from steward.contracts.services import ServiceLevelInput
    from steward.contracts.tests.factories import contract

    admin, owner, account, _policy = setup
    today = dt.date.today()
    other = AccountFactory(owner=owner)
    assert selectors.delivery_goals([account.pk], on=today)[account.pk] == selectors.GoalSource(Decimal(95), "default")
    services.delivery_goal_set(actor=admin, account=None, goal="92.5")
    services.delivery_goal_set(actor=admin, account=account, goal="97", note="Key account review")
    goals = selectors.delivery_goals([account.pk, other.pk], on=today)
    assert (goals[account.pk].goal, goals[account.pk].source) == (Decimal("97.00"), "account")
    assert (goals[other.pk].goal, goals[other.pk].label) == (Decimal("92.50"), "portfolio default")

    signed = contract(SimpleNamespace(owner=owner, account=account), activate=False)
    contracts.contract_update(
        actor=owner, contract=signed, service_levels=[
            ServiceLevelInput("On-time delivery", Decimal(98), kind=ServiceLevelKind.ON_TIME_DELIVERY),
            ServiceLevelInput("On-time delivery, spares", Decimal("99.5"), kind=ServiceLevelKind.ON_TIME_DELIVERY),
        ],
    )
    assert selectors.delivery_goal_for(account, on=today).source == "account"  # a draft does not count
    contracts.contract_activate(actor=owner, contract=signed)
    assert [lv.target for lv in selectors.contract_delivery_goals(user=owner, on=today)] == [Decimal("99.50"), Decimal("98.00")]
    assert not selectors.contract_delivery_goals(user=UserFactory(role=Role.MANAGER), on=today).exists()
    goal = selectors.delivery_goal_for(account, on=today)
    assert (goal.goal, goal.source, goal.label) == (Decimal("99.50"), "contract", f"contract {signed.number}")  # the strictest
    assert selectors.delivery_goal_for(account, on=signed.end_on + dt.timedelta(days=1)).source == "account"


def test_delivery_goals_are_checked_and_kept_by_configurers(setup):
    admin, owner, account, _policy = setup
    for bad in ("abc", "101", "-1", "NaN"):
        with pytest.raises(ValidationFailed, match="goal"):
            services.delivery_goal_set(actor=admin, account=account, goal=bad)
    with pytest.raises(PermissionDenied):
        services.delivery_goal_set(actor=owner, account=account, goal="90")
    row = services.delivery_goal_set(actor=admin, account=account, goal="90 %")
    services.delivery_goal_set(actor=admin, account=account, goal="91")
    assert list(selectors.delivery_goal_rows(user=admin).values_list("goal", flat=True)) == [Decimal("91.00")]
    services.delivery_goal_remove(actor=admin, row=row)
    assert selectors.delivery_goal_for(account, on=dt.date.today()).source == "default"


def test_delivery_attainment_by_account_is_held_to_each_accounts_goal(setup):
    from steward.orders.models import Order

    admin, owner, account, _policy = setup
    other = AccountFactory(owner=owner)
    services.delivery_goal_set(actor=admin, account=account, goal="80")
    today = dt.date.today()
    for n, (acc, on_time) in enumerate([(account, True), (account, True), (account, True), (account, False), (other, True), (other, False)]):
        Order.objects.create(
            number=f"SO-T-{n}", account=acc, owner=owner, status="delivered", ordered_on=today - dt.timedelta(days=20),
            requested_date=today - dt.timedelta(days=5), promised_date=today - dt.timedelta(days=5), delivered_on=today - dt.timedelta(days=5),
            is_on_time=on_time, is_in_full=True,
        )
    rows = {r.key: r for r in selectors.attainment_by(user=admin, group="account", start=today - dt.timedelta(days=30))}
    mine, theirs = rows[account.pk].by_kind["delivery"], rows[other.pk].by_kind["delivery"]
    assert (mine.pct, mine.goal, mine.meets()) == (Decimal("75.0"), Decimal("80.00"), False)
    assert (theirs.pct, theirs.goal, theirs.meets()) == (Decimal("50.0"), Decimal(95), False)
    by_quarter = selectors.attainment_by(user=admin, group="quarter", account=account, start=today - dt.timedelta(days=30))
    assert by_quarter[-1].by_kind["delivery"].goal == Decimal("80.00")


def test_delivery_goals_page_and_api(client, setup):
    from django.urls import reverse

    from steward.api.tests.client import ApiClient

    admin, _owner, account, _policy = setup
    client.force_login(admin)
    assert client.get(reverse("sla:delivery_goals")).status_code == 200
    response = client.post(reverse("sla:delivery_goals"), {"account": str(account.public_id), "goal": "150"})
    assert response.status_code == 200 and "between 0 and 100" in response.content.decode()
    response = client.post(reverse("sla:delivery_goals"), {"account": str(account.public_id), "goal": "96", "note": "QBR promise"})
    assert response.status_code == 302
    page = client.get(reverse("sla:delivery_goals")).content.decode()
    assert "Acme Logistics" in page and "96" in page and "QBR promise" in page

    api = ApiClient(Client(), admin)
    assert api.put("/sla/delivery-goals/default", {"goal": 93}).status_code == 200
    listed = api.get("/sla/delivery-goals").json()
    assert listed["default"] == 93.0 and listed["accounts"][0]["account"]["name"] == "Acme Logistics"
    goal = api.get(f"/accounts/{account.public_id}/delivery-goal").json()
    assert (goal["goal"], goal["source"]) == (96.0, "account")
    assert api.delete(f"/sla/delivery-goals/{account.public_id}").status_code == 204
    assert api.get(f"/accounts/{account.public_id}/delivery-goal").json()["source"] == "default"
    outsider = UserFactory(role=Role.MANAGER)
    assert ApiClient(Client(), outsider).get(f"/accounts/{account.public_id}/delivery-goal").status_code == 404


# Re-evaluation -------------------------------------------------------------------------------------


def test_a_new_version_applies_to_running_cases_only_when_asked(setup):
    admin, owner, account, policy = setup
    case = open_case(owner, account)  # v1: first response 4 business hours, due Monday 12:30 Berlin (11:30 UTC)
    services.policy_update(
        actor=admin, policy=policy, data={}, scope=Scope(tiers=[account.tier]),
        targets=[TargetInput("high", "first_response", 2 * 60), TargetInput("high", "resolution", 16 * 60)], now=MONDAY_MORNING,
    )
    policy.refresh_from_db()
    assert policy.current_version == 2 and list(selectors.stale_cases(policy)) == [case]
    case.refresh_from_db()
    assert targets(case)["first_response"].due_at == dt.datetime(2026, 11, 23, 11, 30, tzinfo=UTC)  # still v1

    moved = services.policy_reevaluate_open_cases(actor=admin, policy=policy, now=MONDAY_MORNING + dt.timedelta(minutes=10))
    case.refresh_from_db()
    assert moved == 1 and case.policy_version.number == 2 and not selectors.stale_cases(policy).exists()
    # Two business hours from Friday 17:30: half an hour on Friday, then Monday 09:00-10:30 Berlin (09:30 UTC).
    assert targets(case)["first_response"].due_at == dt.datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    event = case.events.get(kind="reevaluated")
    assert event.body == "From Strategic v1 to Strategic v2."
    assert services.policy_reevaluate_open_cases(actor=admin, policy=policy, now=MONDAY_MORNING + dt.timedelta(minutes=20)) == 0
    with pytest.raises(PermissionDenied):
        services.policy_reevaluate_open_cases(actor=owner, policy=policy)


def test_reevaluating_a_policy_in_bulk_gives_each_case_what_reevaluating_it_alone_gives(setup):
    from django.db import transaction

    from steward.sla.models import Case, CaseTarget

    admin, owner, account, policy = setup
    opened = [open_case(owner, account, at=FRIDAY_EVENING + dt.timedelta(minutes=7 * i), subject=f"Case {i}") for i in range(6)]
    services.case_reply(actor=owner, case=opened[0], body="On it", now=FRIDAY_EVENING + dt.timedelta(hours=1))  # one met already
    services.case_change_status(actor=owner, case=opened[1], status="waiting_on_customer", now=FRIDAY_EVENING + dt.timedelta(hours=1))
    services.policy_update(
        actor=admin, policy=policy, data={}, scope=Scope(tiers=[account.tier]),
        targets=[TargetInput("high", "first_response", 60), TargetInput("high", "resolution", 8 * 60)], now=MONDAY_MORNING,
    )
    policy.refresh_from_db()
    when = MONDAY_MORNING + dt.timedelta(hours=3)  # the stricter first response is breached by then on the running cases

    def states() -> list[tuple[object, ...]]:
        return sorted(CaseTarget.objects.values_list("case__number", "name", "status", "due_at", "met_at", "breached_at", "decided_on"))

    def cases() -> list[tuple[object, ...]]:
        return sorted(Case.objects.values_list("number", "policy_version__number", "policy_since", "sla_breached", "sla_next_due", "version"))

    with transaction.atomic():
        for case in Case.objects.all():
            services.case_reevaluate(actor=admin, case=case, now=when)
        alone = (states(), cases(), sorted(CaseEvent.objects.filter(kind="reevaluated").values_list("case__number", "body", "at")))
        transaction.set_rollback(True)
    assert services.policy_reevaluate_open_cases(actor=admin, policy=policy, now=when) == 6
    assert (states(), cases(), sorted(CaseEvent.objects.filter(kind="reevaluated").values_list("case__number", "body", "at"))) == alone
    assert any(status == "breached" for _n, _name, status, *_rest in alone[0])


def test_a_bulk_reevaluation_before_a_cases_last_event_saves_nothing(setup):
    admin, owner, account, policy = setup
    case = open_case(owner, account)
    services.case_reply(actor=owner, case=case, body="On it", now=MONDAY_MORNING + dt.timedelta(hours=2))
    services.policy_update(
        actor=admin, policy=policy, data={}, scope=Scope(tiers=[account.tier]),
        targets=[TargetInput("high", "first_response", 60), TargetInput("high", "resolution", 8 * 60)], now=MONDAY_MORNING,
    )
    policy.refresh_from_db()
    with pytest.raises(ValidationFailed, match=case.number):
        services.policy_reevaluate_open_cases(actor=admin, policy=policy, now=MONDAY_MORNING + dt.timedelta(hours=1))
    case.refresh_from_db()
    assert case.policy_version.number == 1 and not case.events.filter(kind="reevaluated").exists()


def test_a_case_moved_to_a_stricter_policy_is_not_breached_before_the_move_and_old_breaches_stay(setup):
    admin, owner, account, strategic_policy = setup
    standard = Tier.objects.get(name="Growth")
    desk = strategic_policy.calendar
    services.policy_create(
        actor=admin, data={"name": "Everyone else", "calendar": desk, "is_default": True},
        targets=[TargetInput("high", "first_response", 8 * 60), TargetInput("high", "resolution", 40 * 60)],
        now=FRIDAY_EVENING - dt.timedelta(days=30),
    )
    account.tier = standard
    account.save()
    case = open_case(owner, account)  # under "Everyone else": first response due Monday 16:30 Berlin
    assert case.policy_version.policy.name == "Everyone else"
    assert services.case_reevaluate(actor=owner, case=case, now=MONDAY_MORNING) is False  # nothing changed

    # The account becomes Strategic (4 hours: that would have been due Monday 12:30 Berlin). Asked at 14:00
    # Berlin, the case moves; the clock breaches it at the move, not at 12:30 when it was not yet strategic.
    account.tier = Tier.objects.get(name="Strategic")
    account.save()
    asked = dt.datetime(2026, 11, 23, 13, tzinfo=UTC)
    assert services.case_reevaluate(actor=owner, case=case, now=asked) is True
    case.refresh_from_db()
    first = targets(case)["first_response"]
    assert case.policy_version.policy.name == "Strategic" and case.policy_since == asked
    assert (first.status, first.breached_at) == ("breached", asked)

    # The bulk pass agrees with the single-case pass, and moving back keeps the breach.
    services.cases_recompute(now=asked + dt.timedelta(minutes=1))
    assert targets(case)["first_response"].breached_at == asked
    account.tier = standard
    account.save()
    services.case_reevaluate(actor=owner, case=case, now=asked + dt.timedelta(minutes=2))
    case.refresh_from_db()
    assert case.policy_version.policy.name == "Everyone else" and targets(case)["first_response"].status == "breached"


def test_reevaluate_from_the_case_and_policy_pages_and_the_api(client, setup):
    from django.urls import reverse

    from steward.api.tests.client import ApiClient

    admin, owner, account, policy = setup
    case = open_case(owner, account, at=dt.datetime.now(UTC) - dt.timedelta(hours=2))
    services.policy_update(
        actor=admin, policy=policy, data={"description": "Tighter"}, scope=Scope(tiers=[account.tier]),
        targets=[TargetInput("high", "first_response", 60), TargetInput("high", "resolution", 16 * 60)],
    )
    client.force_login(admin)
    page = client.get(reverse("sla:policy", args=[policy.public_id])).content.decode()
    assert 'data-testid="stale-cases"' in page and "1 open case" in page
    client.post(reverse("sla:policy_reevaluate", args=[policy.public_id]))
    case.refresh_from_db()
    assert case.policy_version.number == 2

    services.policy_update(
        actor=admin, policy=policy, data={}, scope=Scope(tiers=[account.tier]),
        targets=[TargetInput("high", "first_response", 90), TargetInput("high", "resolution", 16 * 60)],
    )
    client.force_login(owner)
    page = client.get(reverse("sla:case", args=[case.public_id])).content.decode()
    assert 'data-testid="reevaluate"' in page
    client.post(reverse("sla:case_action", args=[case.public_id, "reevaluate"]))
    case.refresh_from_db()
    assert case.policy_version.number == 3

    services.policy_update(
        actor=admin, policy=policy, data={}, scope=Scope(tiers=[account.tier]),
        targets=[TargetInput("high", "first_response", 120), TargetInput("high", "resolution", 16 * 60)],
    )
    response = ApiClient(Client(), owner).post(f"/cases/{case.public_id}/reevaluate", {})
    assert response.status_code == 200 and response.json()["policy"] == "Strategic v4" and response.json()["policy_since"]
    response = ApiClient(Client(), admin).post(f"/sla/policies/{policy.public_id}/reevaluate", {})
    assert response.status_code == 200 and response.json() == {"moved": 0}
    assert ApiClient(Client(), owner).post(f"/sla/policies/{policy.public_id}/reevaluate", {}).status_code == 403


# Case lists: one set of filters for the page and the API --------------------------------------------


def test_the_case_list_filters_alike_on_the_page_and_over_the_api(client, setup):
    from django.urls import reverse

    from steward.api.tests.client import ApiClient

    admin, owner, account, _policy = setup
    now = dt.datetime.now(UTC)
    pallets = open_case(owner, account, at=now - dt.timedelta(hours=3))
    printer = open_case(admin, account, at=now - dt.timedelta(hours=2), subject="Printer jams", priority="low")
    api = ApiClient(Client(), owner)
    assert [c["number"] for c in api.get("/cases", q="printer").json()["results"]] == [printer.number]
    assert [c["number"] for c in api.get("/cases", priority="high").json()["results"]] == [pallets.number]
    assert [c["number"] for c in ApiClient(Client(), admin).get("/cases", mine="true").json()["results"]] == [printer.number]
    assert [c["number"] for c in api.get("/cases", sort="-opened").json()["results"]] == [printer.number, pallets.number]
    assert api.get("/cases", priority="urgent").status_code == 422 and api.get("/cases", sort="size").status_code == 422
    client.force_login(owner)
    page = client.get(reverse("sla:cases"), {"q": "printer"}).content.decode()
    assert printer.number in page and pallets.number not in page
    page = client.get(reverse("sla:cases"), {"priority": "high", "sort": "priority"}).content.decode()
    assert pallets.number in page and printer.number not in page
