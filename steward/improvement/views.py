"""Improvement plan pages: the list, the new-plan form (prefilled from a breach, an escalation or a
quarter), the plan with its root-cause analysis, actions (HTMX) and effectiveness check, and the
account 360 section."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts.selectors import accounts_visible_to
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from
from steward.improvement import selectors, services
from steward.improvement.choices import (
    ACTIVE_PLAN_STATUSES,
    CLOSED_PLAN_STATUSES,
    PLAN_TRANSITIONS,
    PlanStatus,
)
from steward.improvement.forms import (
    WHY_FIELDS,
    ActionForm,
    EffectivenessForm,
    LinkForm,
    PlanForm,
    RootCauseForm,
    StatusForm,
    people_queryset,
)
from steward.improvement.models import ImprovementAction, ImprovementPlan
from steward.orders import selectors as order_selectors
from steward.sla import selectors as sla_selectors
from steward.sla.models import CaseEscalation, CaseTarget

PAGE_SIZE = 50
VIEWS = {"active": "Active", "mine": "Mine", "overdue": "With overdue actions", "closed": "Closed", "all": "All"}
SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "number": ("number",),
    "-overdue": ("-overdue_actions", "-created_at"),
    "status": ("status", "-created_at"),
    "account": (F("account__name").asc(nulls_first=True), "-created_at"),
    "owner": ("owner__first_name", "owner__last_name", "-created_at"),
}


def _plan_or_404(request: HttpRequest, public_id: Any) -> ImprovementPlan:
    try:
        return selectors.plan_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def plan_list(request: HttpRequest) -> HttpResponse:
    """Plans the user sees: active first by default, filtered by view, status, owner and account."""
    today = timezone.localdate()
    qs = selectors.plan_list(request.user, today=today)
    view = request.GET.get("view", "active") if request.GET.get("view", "active") in VIEWS else "active"
    if view in ("active", "mine", "overdue"):
        qs = qs.filter(status__in=list(ACTIVE_PLAN_STATUSES))
    if view == "mine":
        qs = qs.filter(Q(owner=request.user) | Q(actions__owner=request.user)).distinct()
    if view == "overdue":
        qs = qs.filter(overdue_actions__gt=0)
    if view == "closed":
        qs = qs.filter(status__in=list(CLOSED_PLAN_STATUSES))
    status = request.GET.get("status", "")
    if status in PlanStatus.values:
        qs = qs.filter(status=status)
    term = (request.GET.get("q") or "").strip()
    if term:
        qs = qs.filter(Q(number__icontains=term) | Q(title__icontains=term) | Q(account__name__icontains=term))
    sort = request.GET.get("sort", "-created") if request.GET.get("sort", "-created") in SORTS else "-created"
    page = Paginator(qs.order_by(*SORTS[sort]), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "improvement/plan_list.html", {
        "nav": "improvement", "page": page, "view": view, "views": VIEWS, "sort": sort, "q": term, "status": status,
        "statuses": PlanStatus.choices, "page_query": _without(request, "page"), "sort_query": _without(request, "page", "sort"),
        "can_create": services.can_create_plan(request.user), "today": today,
    })


def _numbers(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,;]+", text or "") if n]


def _links(request: HttpRequest, form: PlanForm) -> tuple[list[Any], list[Any]] | None:
    """The linked cases and orders named on the form, among those the user sees; errors go on the form."""
    cases, orders, ok = [], [], True
    case_numbers, order_numbers = _numbers(form.cleaned_data["link_cases"]), _numbers(form.cleaned_data["link_orders"])
    found_cases = {c.number: c for c in sla_selectors.cases_visible_to(request.user).filter(number__in=case_numbers)}
    found_orders = {o.number: o for o in order_selectors.orders_visible_to(request.user).filter(number__in=order_numbers)}
    for n in case_numbers:
        if n in found_cases:
            cases.append(found_cases[n])
        else:
            form.add_error("link_cases", f"No case {n} among yours.")
            ok = False
    for n in order_numbers:
        if n in found_orders:
            orders.append(found_orders[n])
        else:
            form.add_error("link_orders", f"No order {n} among yours.")
            ok = False
    return (cases, orders) if ok else None


def _plan_data(form: PlanForm) -> dict[str, Any]:
    keys = ("title", "problem", "account", "owner", "metric", "change_date", "before_days", "after_days", "root_cause_category")
    return {k: form.cleaned_data[k] for k in keys}


def _source(request: HttpRequest, form: PlanForm) -> dict[str, Any]:
    """The hidden source fields, resolved through visibility (the service checks them again)."""
    data: dict[str, Any] = {"source": form.cleaned_data["source"] or "manual"}
    visible = sla_selectors.cases_visible_to(request.user)
    if form.cleaned_data["source_target"]:
        data["source_target"] = CaseTarget.objects.filter(pk=form.cleaned_data["source_target"], case__in=visible).first()
    if form.cleaned_data["source_escalation"]:
        data["source_escalation"] = CaseEscalation.objects.filter(pk=form.cleaned_data["source_escalation"], case__in=visible).first()
    if form.cleaned_data["source_quarter"]:
        data["source_quarter"] = form.cleaned_data["source_quarter"]
    return data


@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    """A new plan; `?case=&target=`, `?escalation=` or `?account=&quarter=&metric=` prefill it from its source."""
    if not services.can_create_plan(request.user):
        raise Http404
    accounts = accounts_visible_to(request.user).order_by("name")
    people = people_queryset()
    source_label = ""
    if request.method == "POST":
        form = PlanForm(request.POST, accounts=accounts, people=people)
        if form.is_valid():
            links = _links(request, form)
            if links is not None:
                try:
                    plan = services.plan_create(actor=request.user, data={**_plan_data(form), **_source(request, form)},
                                                cases=links[0], orders=links[1])
                    messages.success(request, f"Improvement plan {plan.number} opened.")
                    return redirect("improvement:detail", plan.public_id)
                except ApplicationError as exc:
                    form_errors_from(form, exc)
    else:
        params = request.GET
        try:
            filled = selectors.prefill(
                user=request.user, case=params.get("case"), target=params.get("target"), escalation=params.get("escalation"),
                account=params.get("account"), quarter=params.get("quarter"), metric=params.get("metric"),
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
            filled = selectors.prefill(user=request.user)
        initial = {**filled.initial, "owner": request.user, "before_days": 90, "after_days": 90,
                   "link_cases": " ".join(c.number for c in filled.cases)}
        for name in ("source_target", "source_escalation"):
            if initial.get(name) is not None:
                initial[name] = initial[name].pk
        initial.pop("source_case", None)
        form = PlanForm(initial=initial, accounts=accounts, people=people)
        source_label = filled.source_label
    return render(request, "improvement/plan_form.html", {
        "nav": "improvement", "form": form, "plan": None, "source_label": source_label,
    }, status=422 if form.errors else 200)


def _work_context(request: HttpRequest, plan: ImprovementPlan) -> dict[str, Any]:
    """What the actions table and the effectiveness panel need (they are swapped together)."""
    today = timezone.localdate()
    result = selectors.effectiveness(plan, user=request.user, today=today)
    people = people_queryset()
    return {
        "plan": plan, "actions": selectors.plan_actions(plan), "today": today, "can_edit": services.can_edit_plan(request.user, plan),
        "action_form": ActionForm(people=people, prefix="new", initial={"owner": request.user, "due_on": today}),
        "effect": result, "chart": selectors.effectiveness_chart(result), "user_id": request.user.pk,
        "effect_form": EffectivenessForm(prefix="effect", initial={
            "version": plan.version, "metric": plan.metric, "change_date": plan.change_date, "before_days": plan.before_days,
            "after_days": plan.after_days,
        }),
    }


def _rca_form(plan: ImprovementPlan) -> RootCauseForm:
    initial: dict[str, Any] = {"version": plan.version, "root_cause_category": plan.root_cause_category, "root_cause": plan.root_cause}
    initial.update({name: why for name, why in zip(WHY_FIELDS, plan.whys, strict=False)})
    return RootCauseForm(initial=initial)


def plan_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A plan: its problem and source, root cause with the five whys, actions, links and effectiveness."""
    plan = _plan_or_404(request, public_id)
    context = _work_context(request, plan)
    context.update(
        nav="improvement", rca_form=_rca_form(plan), link_form=LinkForm(),
        linked_cases=list(selectors.linked_cases(plan, request.user)), linked_orders=list(selectors.linked_orders(plan, request.user)),
        status_form=_status_form(plan), next_statuses=[(s, PlanStatus(s).label) for s in PLAN_TRANSITIONS[plan.status]],
    )
    return render(request, "improvement/plan_detail.html", context)


def _status_form(plan: ImprovementPlan) -> StatusForm:
    form = StatusForm(initial={"version": plan.version, "status": PLAN_TRANSITIONS[plan.status][0]})
    form.fields["status"].choices = [(s, PlanStatus(s).label) for s in PLAN_TRANSITIONS[plan.status]]  # type: ignore[attr-defined]
    # The select offers the steps open from here; the current status is the badge beside the title.
    form.fields["status"].label = f"Move from {PlanStatus(plan.status).label.lower()} to"
    return form


@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Change the problem, scope, owner, metric, windows and links."""
    plan = _plan_or_404(request, public_id)
    if not services.can_edit_plan(request.user, plan):
        raise Http404
    accounts = accounts_visible_to(request.user).order_by("name")  # the plan is visible, so its account is
    people = people_queryset()
    if request.method == "POST":
        form = PlanForm(request.POST, accounts=accounts, people=people)
        if form.is_valid():
            links = _links(request, form)
            if links is not None:
                hidden_cases, hidden_orders = selectors.links_hidden_from(plan, request.user)
                try:
                    services.plan_update(actor=request.user, plan=plan, data=_plan_data(form), cases=links[0] + hidden_cases,
                                         orders=links[1] + hidden_orders,
                                         expected_version=form.cleaned_data.get("version"))
                    messages.success(request, f"{plan.number} saved.")
                    return redirect("improvement:detail", plan.public_id)
                except ApplicationError as exc:
                    form_errors_from(form, exc)
    else:
        form = PlanForm(accounts=accounts, people=people, initial={
            "version": plan.version, "title": plan.title, "problem": plan.problem, "account": plan.account, "owner": plan.owner,
            "metric": plan.metric, "change_date": plan.change_date, "before_days": plan.before_days, "after_days": plan.after_days,
            "root_cause_category": plan.root_cause_category,
            "link_cases": " ".join(selectors.linked_cases(plan, request.user).values_list("number", flat=True)),
            "link_orders": " ".join(selectors.linked_orders(plan, request.user).values_list("number", flat=True)),
        })
    return render(request, "improvement/plan_form.html", {"nav": "improvement", "form": form, "plan": plan},
                  status=422 if form.errors else 200)


@require_POST
def plan_rca(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Save the root-cause analysis; with HTMX answer the section alone."""
    plan = _plan_or_404(request, public_id)
    form = RootCauseForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            plan = services.plan_update(actor=request.user, plan=plan, expected_version=form.cleaned_data.get("version"), data={
                "root_cause_category": form.cleaned_data["root_cause_category"], "root_cause": form.cleaned_data["root_cause"],
                "whys": form.whys(),
            })
            saved = True
        except ApplicationError as exc:
            form_errors_from(form, exc)
    if not request.htmx:  # type: ignore[attr-defined]
        if saved:
            messages.success(request, "Root cause saved.")
        else:
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("improvement:detail", plan.public_id)
    context = {"plan": plan, "rca_form": _rca_form(plan) if saved else form, "can_edit": services.can_edit_plan(request.user, plan), "saved": saved}
    return render(request, "improvement/_rca.html", context)  # 200 either way: htmx swaps only 2xx


@require_POST
def plan_status(request: HttpRequest, public_id: Any) -> HttpResponse:
    plan = _plan_or_404(request, public_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            plan = services.plan_change_status(actor=request.user, plan=plan, status=form.cleaned_data["status"],
                                               note=form.cleaned_data["note"], expected_version=form.cleaned_data.get("version"))
            messages.success(request, f"{plan.number}: {plan.get_status_display().lower()}.")
        except ApplicationError as exc:
            messages.error(request, exc.message.split(": ", 1)[-1] if exc.field_errors else exc.message)
    else:
        messages.error(request, "Choose a status.")
    return redirect("improvement:detail", plan.public_id)


@require_POST
def plan_link(request: HttpRequest, public_id: Any, what: str) -> HttpResponse:
    """Link a case or an order by its number, or unlink one (`what` is "link" or "unlink")."""
    plan = _plan_or_404(request, public_id)
    number = (request.POST.get("number") or "").strip()
    case = sla_selectors.cases_visible_to(request.user).filter(number=number).first() if number else None
    order = None if case else (order_selectors.orders_visible_to(request.user).filter(number=number).first() if number else None)
    if case is None and order is None:
        messages.error(request, f"No case or order {number} among yours." if number else "Give a case or order number.")
    else:
        try:
            services.plan_link(actor=request.user, plan=plan, case=case, order=order, unlink=what == "unlink")
            messages.success(request, f"{number} {'unlinked' if what == 'unlink' else 'linked'}.")
        except ApplicationError as exc:
            messages.error(request, exc.message.split(": ", 1)[-1] if exc.field_errors else exc.message)
    return redirect("improvement:detail", plan.public_id)


def _work(request: HttpRequest, plan: ImprovementPlan, **extra: Any) -> HttpResponse:
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("improvement:detail", plan.public_id)
    plan = selectors.plan_get(user=request.user, public_id=plan.public_id)
    # htmx swaps only 2xx answers: a refused form comes back as 200 with its errors shown.
    return render(request, "improvement/_work.html", {**_work_context(request, plan), "oob": True, **extra})


@require_POST
def plan_effectiveness(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Change the metric, the change date or the windows; with HTMX the panel is redrawn at once."""
    plan = _plan_or_404(request, public_id)
    form = EffectivenessForm(request.POST, prefix="effect")
    if form.is_valid():
        try:
            services.plan_update(actor=request.user, plan=plan, expected_version=form.cleaned_data.get("version"), data={
                k: form.cleaned_data[k] for k in ("metric", "change_date", "before_days", "after_days")
            })
            return _work(request, plan)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return _work(request, plan, effect_form=form)


def _action_or_404(request: HttpRequest, plan: ImprovementPlan, action_id: Any) -> ImprovementAction:
    try:
        return selectors.action_get(user=request.user, plan=plan, public_id=action_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _action_data(form: ActionForm) -> dict[str, Any]:
    return {k: form.cleaned_data[k] for k in ("kind", "description", "owner", "due_on", "status", "completed_on")}


@require_POST
def action_add(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Add an action; with HTMX the actions and the effectiveness panel come back together."""
    plan = _plan_or_404(request, public_id)
    form = ActionForm(request.POST, people=people_queryset(), prefix="new")
    if form.is_valid():
        try:
            action = services.action_create(actor=request.user, plan=plan, data=_action_data(form))
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, "Action added.")
            response = _work(request, plan)
            if request.htmx and action.plan.status != plan.status:  # type: ignore[attr-defined]
                # The first action started the work: the header and the status form change too.
                messages.success(request, f"Action added; {plan.number} is now {action.plan.get_status_display().lower()}.")
                response["HX-Refresh"] = "true"
            return response
        except ApplicationError as exc:
            form_errors_from(form, exc)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return _work(request, plan, action_form=form)


@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, public_id: Any, action_id: Any) -> HttpResponse:
    """Edit one action in place (HTMX swaps its row for a form), or complete it."""
    plan = _plan_or_404(request, public_id)
    action = _action_or_404(request, plan, action_id)
    if not services.can_update_action(request.user, action):
        raise Http404
    prefix = f"a{action.pk}"
    if request.method == "GET":
        form = ActionForm(people=people_queryset(), prefix=prefix, initial={
            "version": action.version, "kind": action.kind, "description": action.description, "owner": action.owner,
            "due_on": action.due_on, "status": action.status, "completed_on": action.completed_on,
        })
        return render(request, "improvement/_action_edit.html", {"plan": plan, "a": action, "form": form})
    form = ActionForm(request.POST, people=people_queryset(), prefix=prefix)
    if form.is_valid():
        data = _action_data(form)
        if not services.can_edit_plan(request.user, plan):
            data = {"status": data["status"], "completed_on": data["completed_on"]}
        try:
            services.action_update(actor=request.user, action=action, data=data, expected_version=form.cleaned_data.get("version"))
            return _work(request, plan)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect("improvement:detail", plan.public_id)
    return render(request, "improvement/_action_edit.html", {"plan": plan, "a": action, "form": form})


@require_POST
def action_complete(request: HttpRequest, public_id: Any, action_id: Any) -> HttpResponse:
    """Mark an action done today."""
    plan = _plan_or_404(request, public_id)
    action = _action_or_404(request, plan, action_id)
    try:
        services.action_update(actor=request.user, action=action, data={"status": "done"})
        if not request.htmx:  # type: ignore[attr-defined]
            messages.success(request, "Action done.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _work(request, plan)


def account_plans(request: HttpRequest, account_id: Any) -> HttpResponse:
    """The account 360 Cases tab's section: the account's plans that are not closed (loaded by HTMX)."""
    account = accounts_visible_to(request.user).filter(public_id=account_id).first()
    if account is None:
        raise Http404
    plans = list(selectors.account_open_plans(account, request.user, today=timezone.localdate()))
    return render(request, "improvement/_account_plans.html", {
        "account": account, "plans": plans, "can_create": services.can_create_plan(request.user),
    })

