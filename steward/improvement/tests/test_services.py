"""Improvement plans: who may open and change them, the rules of their workflow and actions, audit, and
that a refusal names the field and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from steward.accounts.tests.factories import AccountFactory
from steward.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from steward.core.models import AuditEvent, Notification
from steward.improvement import selectors, services
from steward.improvement.models import ImprovementAction, ImprovementPlan
from steward.improvement.services import PlanStateError
from steward.improvement.tests.helpers import case, decided
from steward.sla.models import CaseEscalation
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def plan_data(**extra):
    return {"title": "Late resolutions on damaged pallets", "problem": "Three resolution breaches in May.", **extra}


def test_owner_opens_a_plan_from_a_breach_with_the_case_linked_and_audited(personas):
    (target,) = decided(personas.account, personas.owner, dt.date(2026, 5, 4), breached=1)
    plan = services.plan_create(
        actor=personas.owner, data=plan_data(account=personas.account, source="breach", source_target=target), cases=[target.case],
    )
    assert plan.number == f"IP-{timezone.now().year}-0001" and plan.status == "open" and plan.owner == personas.owner
    assert plan.source_case == target.case and list(plan.linked_cases.all()) == [target.case]
    event = AuditEvent.objects.get(object_type="improvement.improvementplan", action="create")
    assert event.after["linked_cases"] == [target.case.number] and event.account_id == personas.account.pk
    second = services.plan_create(actor=personas.owner, data=plan_data())
    assert second.number.endswith("-0002") and second.account is None


def test_refusals_name_the_field_and_save_nothing(personas):
    other = AccountFactory(owner=personas.outsider)
    outside_case = case(other, personas.outsider)
    (met,) = decided(personas.account, personas.owner, dt.date(2026, 5, 4), met=1)
    attempts = [
        (plan_data(title=" "), {}, "title"),
        (plan_data(problem=""), {}, "problem"),
        (plan_data(metric="nps"), {}, "metric"),
        (plan_data(whys=["a", "b", "c", "d", "e", "f"]), {}, "whys"),
        (plan_data(before_days=3), {}, "before_days"),
        (plan_data(account=other), {}, "account"),
        (plan_data(owner=personas.outsider), {}, "owner"),  # an executive may not open a plan for someone else
        (plan_data(source="breach", source_target=met), {}, "source_target"),  # met, not breached
        (plan_data(source="low_attainment"), {}, "source_quarter"),
        (plan_data(), {"cases": [outside_case]}, "cases"),
        (plan_data(account=personas.account, root_cause_category="bad luck"), {}, "root_cause_category"),
    ]
    for data, links, field in attempts:
        with pytest.raises(ValidationFailed) as refused:
            services.plan_create(actor=personas.owner, data=data, **links)
        assert field in refused.value.field_errors, (field, refused.value.field_errors)
    assert not ImprovementPlan.objects.exists() and not AuditEvent.objects.filter(object_type__startswith="improvement").exists()
    with pytest.raises(PermissionDenied):
        services.plan_create(actor=personas.sponsor, data=plan_data())


def test_an_operations_manager_assigns_an_owner_who_must_see_the_account(personas):
    with pytest.raises(ValidationFailed) as refused:
        services.plan_create(actor=personas.admin, data=plan_data(account=personas.account, owner=personas.outsider))
    assert "does not see" in refused.value.field_errors["owner"][0]
    plan = services.plan_create(actor=personas.admin, data=plan_data(account=personas.account, owner=personas.owner))
    assert plan.owner == personas.owner
    assert Notification.objects.filter(user=personas.owner, subject__contains="you own a new improvement plan").count() == 1


def test_workflow_verifying_needs_finished_actions_and_closing_against_the_check_needs_a_note(personas):
    plan = services.plan_create(actor=personas.owner, data=plan_data(account=personas.account))
    with pytest.raises(ValidationFailed) as refused:
        services.plan_change_status(actor=personas.owner, plan=plan, status="verifying")
    assert "at least one action" in refused.value.field_errors["status"][0]
    action = services.action_create(actor=personas.owner, plan=plan, data={
        "kind": "corrective", "description": "Retrain the night shift on damage reports", "owner": personas.teammate, "due_on": TODAY,
    })
    plan.refresh_from_db()
    assert plan.status == "in_progress"  # the first action starts the work
    assert Notification.objects.filter(user=personas.teammate, subject__contains="an action for you").exists()
    with pytest.raises(ValidationFailed) as refused:
        services.plan_change_status(actor=personas.owner, plan=plan, status="verifying")
    assert "1 open action" in refused.value.field_errors["status"][0]
    with pytest.raises(ValidationFailed) as refused:
        services.plan_change_status(actor=personas.owner, plan=plan, status="closed_effective")
    assert "status" in refused.value.field_errors
    services.action_update(actor=personas.teammate, action=action, data={"status": "done"})  # the action's owner completes it
    action.refresh_from_db()
    assert action.completed_on == TODAY
    plan = services.plan_change_status(actor=personas.owner, plan=plan, status="verifying")
    with pytest.raises(ValidationFailed) as refused:  # nothing decided: the check cannot say it improved
        services.plan_change_status(actor=personas.owner, plan=plan, status="closed_effective")
    assert "note" in refused.value.field_errors
    plan = services.plan_change_status(actor=personas.owner, plan=plan, status="closed_effective", note="Customer confirmed.")
    assert plan.closed_on == TODAY and plan.closing_note == "Customer confirmed."
    with pytest.raises(PlanStateError):
        services.action_create(actor=personas.owner, plan=plan, data={"description": "x", "due_on": TODAY})
    with pytest.raises(ValidationFailed) as refused:
        services.plan_change_status(actor=personas.owner, plan=plan, status="in_progress")
    assert "note" in refused.value.field_errors
    plan = services.plan_change_status(actor=personas.owner, plan=plan, status="in_progress", note="Breaches came back.")
    assert plan.closed_on is None and plan.status == "in_progress"
    assert AuditEvent.objects.filter(object_type="improvement.improvementplan", action="status").count() == 4


def test_who_may_edit_and_stale_versions(personas):
    plan = services.plan_create(actor=personas.owner, data=plan_data(account=personas.account))
    with pytest.raises(PermissionDenied):  # the account's manager sees it but is not its owner nor an ops manager
        services.plan_update(actor=personas.manager, plan=plan, data={"title": "Mine now"})
    updated = services.plan_update(actor=personas.teammate, plan=plan, data={"whys": ["Pallets broke", "", "Wrap too thin"]})
    assert updated.whys == ["Pallets broke", "Wrap too thin"] and updated.version == 2
    with pytest.raises(StaleVersion):
        services.plan_update(actor=personas.owner, plan=plan, data={"title": "New"}, expected_version=1)
    action = services.action_create(actor=personas.owner, plan=plan, data={"description": "Thicker wrap", "owner": personas.teammate, "due_on": TODAY})
    outsider_action_owner = UserFactory(role=Role.MANAGER)
    with pytest.raises(PermissionDenied):  # someone with no part in the plan
        services.action_update(actor=outsider_action_owner, action=action, data={"status": "done"})
    mine = services.action_create(actor=personas.owner, plan=plan, data={"description": "Call the carrier", "owner": personas.manager, "due_on": TODAY})
    with pytest.raises(PermissionDenied):  # the action's owner changes its status, not its text
        services.action_update(actor=personas.manager, action=mine, data={"description": "Email the carrier"})
    assert services.action_update(actor=personas.manager, action=mine, data={"status": "in_progress"}).status == "in_progress"
    with pytest.raises(ValidationFailed) as refused:
        services.action_update(actor=personas.owner, action=action, data={"status": "done", "completed_on": TODAY + dt.timedelta(days=2)})
    assert "completed_on" in refused.value.field_errors
    action.refresh_from_db()
    assert action.status == "open" and action.completed_on is None


def test_prefill_from_an_escalation_and_a_quarter(personas):
    c = case(personas.account, personas.owner, subject="Line stopped")
    escalation = CaseEscalation.objects.create(case=c, from_level="l1", to_level="l2", reason="Breach", automatic=True, at=timezone.now())
    filled = selectors.prefill(user=personas.owner, escalation=escalation.pk)
    assert filled.initial["source"] == "escalation" and filled.initial["account"] == personas.account and filled.cases == [c]
    quarter = selectors.prefill(user=personas.owner, account=personas.account.public_id, quarter="2026-08-15", metric="delivery")
    assert quarter.initial["source_quarter"] == dt.date(2026, 7, 1) and quarter.initial["metric"] == "otif"
    assert "2026-Q3" in quarter.initial["title"]
    plan = services.plan_create(actor=personas.owner, data=plan_data(**{k: v for k, v in quarter.initial.items() if k != "title"}, title="Q3"))
    assert plan.source == "low_attainment" and plan.source_quarter == dt.date(2026, 7, 1)
    from steward.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.prefill(user=personas.outsider, escalation=escalation.pk)


def test_overdue_actions_are_the_owners_own(personas):
    plan = services.plan_create(actor=personas.owner, data=plan_data(account=personas.account))
    late = ImprovementAction.objects.create(plan=plan, description="Late", owner=personas.teammate, due_on=TODAY - dt.timedelta(days=3))
    ImprovementAction.objects.create(plan=plan, description="Not yet", owner=personas.teammate, due_on=TODAY + dt.timedelta(days=3))
    ImprovementAction.objects.create(plan=plan, description="Done", owner=personas.teammate, due_on=TODAY - dt.timedelta(days=3),
                                     status="done", completed_on=TODAY)
    assert selectors.my_overdue_actions(personas.teammate, today=TODAY) == ([late], 1)
    assert selectors.my_overdue_actions(personas.owner, today=TODAY) == ([], 0)
