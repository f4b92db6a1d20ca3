"""The pages: list, new plan prefilled from a breach, detail with HTMX actions and root cause, edit,
status, links, dashboard card, account 360 section; someone else's plan is 404 everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from steward.accounts.tests.factories import AccountFactory
from steward.improvement import selectors, services
from steward.improvement.models import ImprovementAction, ImprovementPlan
from steward.improvement.tests.helpers import case, decided

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
HX = {"HX-Request": "true"}


def test_open_a_plan_from_a_breach_work_it_and_see_the_chart(client, personas):
    (target,) = decided(personas.account, personas.owner, TODAY - dt.timedelta(days=2), breached=1)
    client.force_login(personas.owner)
    form = client.get(reverse("improvement:create"), {"case": target.case.public_id, "target": "resolution"})
    page = form.content.decode()
    assert form.status_code == 200 and f"Resolution breached on {target.case.number}" in page and "From: Resolution breach" in page
    assert client.get(reverse("improvement:create"), {"case": target.case.public_id, "target": "first_response"}).status_code == 404
    bad = client.post(reverse("improvement:create"), {"title": "", "problem": "x", "owner": personas.owner.pk, "metric": "resolution",
                                                      "before_days": 90, "after_days": 90})
    assert bad.status_code == 422 and "This field is required" in bad.content.decode()
    made = client.post(reverse("improvement:create"), {
        "title": "Resolution breached", "problem": "Late again", "account": personas.account.pk, "owner": personas.owner.pk,
        "metric": "resolution", "before_days": 90, "after_days": 90, "source": "breach", "source_target": target.pk,
        "link_cases": target.case.number,
    })
    plan = ImprovementPlan.objects.get()
    assert made.status_code == 302 and plan.source_case == target.case and list(plan.linked_cases.all()) == [target.case]
    detail = client.get(reverse("improvement:detail", args=[plan.public_id])).content.decode()
    assert target.case.number in detail and 'data-chart="effect-data"' in detail and 'id="effect-data"' in detail
    assert "Not measurable yet" in detail or "Improved" in detail or "Worse" in detail

    added = client.post(reverse("improvement:action_add", args=[plan.public_id]), {
        "new-kind": "preventive", "new-description": "Weekly review of near breaches", "new-owner": personas.owner.pk,
        "new-due_on": (TODAY - dt.timedelta(days=1)).isoformat(), "new-status": "open",
    }, headers=HX)
    body = added.content.decode()
    assert added.status_code == 200 and body.startswith('<div id="plan-work">') and "Overdue" in body and "effect-data" in body
    action = ImprovementAction.objects.get()
    refused = client.post(reverse("improvement:action_add", args=[plan.public_id]), {"new-kind": "corrective", "new-owner": personas.owner.pk}, headers=HX)
    assert "This field is required" in refused.content.decode() and ImprovementAction.objects.count() == 1
    edit = client.get(reverse("improvement:action_edit", args=[plan.public_id, action.public_id]), headers=HX).content.decode()
    assert edit.startswith(f'<tr id="action-{action.public_id}">')
    done = client.post(reverse("improvement:action_complete", args=[plan.public_id, action.public_id]), headers=HX)
    assert done.status_code == 200 and "Done" in done.content.decode()
    action.refresh_from_db()
    assert action.status == "done" and action.completed_on == TODAY

    rca = client.post(reverse("improvement:rca", args=[plan.public_id]), {
        "version": ImprovementPlan.objects.get().version, "root_cause_category": "capacity", "root_cause": "One agent on nights",
        "why_1": "The reply came late", "why_2": "Nobody was on shift", "why_3": "", "why_4": "", "why_5": "",
    }, headers=HX)
    assert rca.status_code == 200 and "Saved" in rca.content.decode()
    assert ImprovementPlan.objects.get().whys == ["The reply came late", "Nobody was on shift"]

    client.post(reverse("improvement:status", args=[plan.public_id]), {"status": "verifying"})
    assert ImprovementPlan.objects.get().status == "verifying"
    listing = client.get(reverse("improvement:list")).content.decode()
    assert plan.number in listing
    assert plan.number not in client.get(reverse("improvement:list"), {"view": "closed"}).content.decode()


def test_lists_dashboard_account_section_and_empty_state(client, personas):
    client.force_login(personas.teammate)
    empty = client.get(reverse("improvement:list")).content.decode()
    assert "No improvement plans here" in empty and "breached target" in empty
    plan = services.plan_create(actor=personas.admin, data={"title": "Night shift", "problem": "Breaches", "account": personas.account,
                                                            "owner": personas.teammate})
    ImprovementAction.objects.create(plan=plan, description="Hire a night agent", owner=personas.teammate, due_on=TODAY - dt.timedelta(days=5))
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Overdue improvement actions" in dashboard and "Hire a night agent" in dashboard
    rows = client.get(reverse("improvement:list"), {"view": "overdue", "sort": "-overdue"}).content.decode()
    assert plan.number in rows and "1 overdue" in rows
    section = client.get(reverse("improvement:account_plans", args=[personas.account.public_id])).content.decode()
    assert plan.number in section
    tab = client.get(reverse("sla:account_cases", args=[personas.account.public_id])).content.decode()
    assert reverse("improvement:account_plans", args=[personas.account.public_id]) in tab
    client.force_login(personas.owner)  # no overdue action of their own: no card
    assert "Overdue improvement actions" not in client.get(reverse("dashboard")).content.decode()


def test_the_case_page_and_attainment_report_link_into_plans(client, personas):
    from steward.sla import services as sla
    from steward.sla.models import CaseEscalation

    now = timezone.now()
    desk = sla.calendar_create(actor=personas.admin, data={"name": "24/7", "always_open": True})
    sla.policy_create(actor=personas.admin, data={"name": "Default", "calendar": desk, "is_default": True}, scope=sla.Scope(),
                      targets=[sla.TargetInput("moderate", "resolution", 60)], now=now - dt.timedelta(days=3))
    late = sla.case_open(actor=personas.owner, account=personas.account, data={"subject": "Slow"}, now=now - dt.timedelta(hours=3))
    sla.case_recompute(late, now=now)
    client.force_login(personas.owner)
    page = client.get(reverse("sla:case", args=[late.public_id])).content.decode()
    assert f"?case={late.public_id}&amp;target=resolution" in page
    escalation = CaseEscalation.objects.get(case=late)  # the breach escalated it
    assert f"?escalation={escalation.pk}" in page
    report = client.get(reverse("sla:attainment")).content.decode()
    assert "plan-from-attainment" in report and "metric=resolution" in report
    by_account = client.get(reverse("sla:attainment"), {"group": "account"}).content.decode()
    assert f"account={personas.account.pk}" in by_account
    client.force_login(personas.sponsor)  # read-only: no way into a plan form
    assert "plan-from-attainment" not in client.get(reverse("sla:attainment")).content.decode()
    assert "Open improvement plan" not in client.get(reverse("sla:case", args=[late.public_id])).content.decode()


def test_someone_elses_plan_is_404_on_every_page(client, personas):
    plan = services.plan_create(actor=personas.owner, data={"title": "Mine", "problem": "x", "account": personas.account})
    action = services.action_create(actor=personas.owner, plan=plan, data={"description": "Fix", "due_on": TODAY})
    portfolio = services.plan_create(actor=personas.owner, data={"title": "Portfolio", "problem": "x"})
    client.force_login(personas.outsider)
    for name, args in [
        ("detail", [plan.public_id]), ("edit", [plan.public_id]), ("detail", [portfolio.public_id]),
        ("action_edit", [plan.public_id, action.public_id]),
    ]:
        assert client.get(reverse(f"improvement:{name}", args=args)).status_code == 404
    for name, args in [("status", [plan.public_id]), ("rca", [plan.public_id]), ("action_add", [plan.public_id]),
                       ("action_complete", [plan.public_id, action.public_id]), ("link", [plan.public_id])]:
        assert client.post(reverse(f"improvement:{name}", args=args), {"status": "verifying"}).status_code == 404
    assert plan.number not in client.get(reverse("improvement:list"), {"view": "all"}).content.decode()
    assert client.get(reverse("improvement:account_plans", args=[personas.account.public_id])).status_code == 404
    other_case = case(AccountFactory(owner=personas.owner), personas.owner)
    assert client.get(reverse("improvement:create"), {"case": other_case.public_id}).status_code == 404
    # The owner's manager sees both (the portfolio plan through the reporting line); the sponsor only the account's.
    client.force_login(personas.manager)
    assert client.get(reverse("improvement:detail", args=[portfolio.public_id])).status_code == 200
    client.force_login(personas.sponsor)
    assert client.get(reverse("improvement:detail", args=[plan.public_id])).status_code == 200
    assert client.get(reverse("improvement:detail", args=[portfolio.public_id])).status_code == 404
    assert client.get(reverse("improvement:create")).status_code == 404  # read-only


def test_the_list_reads_a_fixed_number_of_queries_whatever_the_page_size(client, personas, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            plan = services.plan_create(actor=personas.owner, data={"title": f"Plan {i}", "problem": "x", "account": personas.account})
            ImprovementAction.objects.create(plan=plan, description="Late", owner=personas.owner, due_on=TODAY - dt.timedelta(days=1))

    client.force_login(personas.owner)
    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("improvement:list")).status_code == 200
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("improvement:list")).content.decode()
    assert page.count("1 overdue") == 12


def test_an_edit_keeps_links_the_editor_cannot_see(client, personas):
    other = AccountFactory(owner=personas.outsider)
    hidden = case(other, personas.outsider)
    plan = services.plan_create(actor=personas.admin, data={"title": "Portfolio", "problem": "x", "owner": personas.teammate},
                                cases=[hidden, case(personas.account, personas.owner)])
    assert [c.number for c in selectors.links_hidden_from(plan, personas.teammate)[0]] == [hidden.number]
    client.force_login(personas.teammate)
    form = client.get(reverse("improvement:edit", args=[plan.public_id])).content.decode()
    assert hidden.number not in form
    saved = client.post(reverse("improvement:edit", args=[plan.public_id]), {
        "version": plan.version, "title": "Portfolio, renamed", "problem": "x", "owner": personas.teammate.pk, "metric": "resolution",
        "before_days": 90, "after_days": 90, "link_cases": "",
    })
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Portfolio, renamed" and list(plan.linked_cases.all()) == [hidden]


def test_the_effectiveness_settings_change_on_the_plan_page(client, personas):
    a, o = personas.account, personas.owner
    decided(a, o, dt.date(2026, 5, 20), met=1, breached=1)
    decided(a, o, dt.date(2026, 6, 3), met=2)
    plan = services.plan_create(actor=o, data={"title": "T", "problem": "P", "account": a})
    client.force_login(o)
    url = reverse("improvement:effectiveness", args=[plan.public_id])
    refused = client.post(url, {"effect-version": plan.version, "effect-metric": "resolution", "effect-before_days": 3,
                                "effect-after_days": 30}, headers=HX).content.decode()
    assert "greater than or equal to 7" in refused
    body = client.post(url, {"effect-version": plan.version, "effect-metric": "resolution", "effect-change_date": "2026-06-01",
                             "effect-before_days": 30, "effect-after_days": 30}, headers=HX).content.decode()
    assert 'data-testid="before-pct">50.0 %' in body and 'data-testid="after-pct">100.0 %' in body and "+50.0 pts" in body
    plan.refresh_from_db()
    assert (plan.change_date, plan.before_days) == (dt.date(2026, 6, 1), 30)
