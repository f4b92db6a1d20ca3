"""SLA set-up pages: business calendars (list, detail with a due-time calculator, edit, closures) and policies."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts.selectors import accounts_visible_to
from steward.accounts.views import account_tab_context
from steward.contracts.models import Contract
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from
from steward.orders.engine.otif import quarter_start
from steward.sla import selectors, services
from steward.sla.choices import (
    ESCALATION_ORDER,
    OPEN_CASE_STATUSES,
    CasePriority,
    CaseStatus,
    EscalationLevel,
    TargetKind,
)
from steward.sla.engine.attainment import Attainment
from steward.sla.forms import (
    CalendarForm,
    CaseForm,
    ClosureForm,
    DeliveryGoalForm,
    EscalateForm,
    EscalationOwnerForm,
    PolicyForm,
    PreviewForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
)
from steward.sla.models import BusinessCalendar, CalendarClosure, Case, DeliveryGoal, SlaPolicy


def _calendar_or_404(public_id) -> BusinessCalendar:
    try:
        return selectors.calendar_get(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _require_configurer(request) -> None:
    if not services.can_configure_sla(request.user):
        raise Http404


def calendar_list(request):
    """Every calendar with its zone, hours and holidays; configurers add and edit them."""
    rows = [
        {"calendar": c, "hours": selectors.week_summary(c)}
        for c in selectors.calendars()
    ]
    return render(request, "sla/calendar_list.html", {
        "nav": "sla", "rows": rows, "can_configure": services.can_configure_sla(request.user),
    })


def calendar_detail(request, public_id):
    """A calendar's week, its days off this year and next, and a calculator for due times."""
    calendar = _calendar_or_404(public_id)
    zone = ZoneInfo(calendar.time_zone)
    now_local = timezone.now().astimezone(zone)
    preview = None
    form = PreviewForm(request.GET or None, initial={"start": now_local.strftime("%Y-%m-%dT%H:%M")})
    if request.GET and form.is_valid():
        # The typed time is the calendar's wall clock, whatever the server's or the viewer's zone.
        wall = timezone.make_naive(form.cleaned_data["start"]) if timezone.is_aware(form.cleaned_data["start"]) else form.cleaned_data["start"]
        start = wall.replace(tzinfo=zone)
        preview = selectors.due_preview(calendar, start=start, hours=float(form.cleaned_data["hours"]))
    years = (now_local.year, now_local.year + 1)
    return render(request, "sla/calendar_detail.html", {
        "nav": "sla", "calendar": calendar, "week": selectors.week_rows(calendar), "hours": selectors.week_summary(calendar),
        "days_off": [d for d in selectors.days_off(calendar, years) if d.day >= now_local.date() - dt.timedelta(days=31)],
        "years": years, "closures": calendar.closures.all(), "form": form, "preview": preview,
        "closure_form": ClosureForm(), "can_configure": services.can_configure_sla(request.user), "now_local": now_local,
    }, status=422 if request.GET and form.errors else 200)


@require_http_methods(["GET", "POST"])
def calendar_create(request):
    _require_configurer(request)
    form = CalendarForm(request.POST or None) if request.method == "POST" else CalendarForm(initial={
        "time_zone": "UTC", "is_active": True, **{f"day_{n}": "09:00-17:00" for n in range(5)},
    })
    if request.method == "POST" and form.is_valid():
        try:
            calendar = services.calendar_create(actor=request.user, data=form.data_for_service())
            messages.success(request, f"Calendar “{calendar.name}” added.")
            return redirect("sla:calendar", calendar.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "sla/calendar_form.html", {"nav": "sla", "form": form, "calendar": None}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def calendar_edit(request, public_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    form = CalendarForm(request.POST) if request.method == "POST" else CalendarForm.for_calendar(calendar)
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_update(
                actor=request.user, calendar=calendar, data=form.data_for_service(),
                expected_version=form.cleaned_data.get("version"),
            )
            messages.success(request, f"Calendar “{form.cleaned_data['name']}” saved.")
            return redirect("sla:calendar", calendar.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "sla/calendar_form.html", {"nav": "sla", "form": form, "calendar": calendar}, status=422 if form.errors else 200)


@require_POST
def calendar_delete(request, public_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    try:
        services.calendar_delete(actor=request.user, calendar=calendar)
        messages.success(request, f"Calendar “{calendar.name}” deleted.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("sla:calendar", calendar.public_id)
    return redirect("sla:calendars")


@require_POST
def closure_add(request, public_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            services.closure_add(actor=request.user, calendar=calendar, **form.cleaned_data)
            messages.success(request, f"Closure “{form.cleaned_data['name']}” added.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {e[0]}" for f, e in form.errors.items()))
    return redirect("sla:calendar", calendar.public_id)


@require_POST
def closure_remove(request, public_id, closure_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    closure = CalendarClosure.objects.filter(calendar=calendar, public_id=closure_id).first()
    if closure is None:
        raise Http404("No such closure.")
    services.closure_remove(actor=request.user, closure=closure)
    messages.success(request, f"Closure “{closure.name}” removed.")
    return redirect("sla:calendar", calendar.public_id)


# Policies --------------------------------------------------------------------------------------


def _policy_or_404(public_id) -> SlaPolicy:
    try:
        return selectors.policy_get(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def policy_list(request):
    """Policies in matching order: the first whose scope matches a case applies, then the default."""
    rows = [{"policy": p, "matrix": selectors.target_matrix(p)} for p in selectors.policies()]
    return render(request, "sla/policy_list.html", {
        "nav": "sla_policies", "rows": rows, "can_configure": services.can_configure_sla(request.user),
    })


def policy_detail(request, public_id):
    policy = _policy_or_404(public_id)
    return render(request, "sla/policy_detail.html", {
        "nav": "sla_policies", "policy": policy, "matrix": selectors.target_matrix(policy), "kinds": TargetKind,
        "versions": policy.versions.select_related("created_by").order_by("-number"),
        "accounts": accounts_visible_to(request.user).filter(pk__in=policy.accounts.values("pk")).order_by("name"),
        "hidden_accounts": policy.accounts.exclude(pk__in=accounts_visible_to(request.user).values("pk")).count(),
        "can_configure": services.can_configure_sla(request.user),
        "stale_cases": selectors.stale_cases(policy).count(),
    })


@require_POST
def policy_reevaluate(request, public_id):
    """Move the open cases still on an earlier version of the policy to the version that applies now."""
    _require_configurer(request)
    policy = _policy_or_404(public_id)
    try:
        moved = services.policy_reevaluate_open_cases(actor=request.user, policy=policy)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{moved} open case{'s' if moved != 1 else ''} re-evaluated on the version that applies now.")
    return redirect("sla:policy", policy.public_id)


def _scope_from(form: PolicyForm, user) -> services.Scope | None:
    """Tiers as ticked; accounts by name and contracts by number among those the user sees."""
    visible = accounts_visible_to(user)
    names = [n.strip() for n in (form.cleaned_data.get("accounts") or "").splitlines() if n.strip()]
    accounts = []
    for name in names:
        found = list(visible.filter(name__iexact=name)[:2])
        if len(found) != 1:
            form.add_error("accounts", f"“{name}”: {'no account of your portfolio has this name' if not found else 'several accounts have this name'}.")
        else:
            accounts.extend(found)
    numbers = [n.strip() for n in (form.cleaned_data.get("contracts") or "").split(",") if n.strip()]
    contracts = list(Contract.objects.filter(number__in=numbers, account__in=visible))
    missing = sorted(set(numbers) - {c.number for c in contracts})
    if missing:
        form.add_error("contracts", f"No contract of your portfolio is numbered {', '.join(missing)}.")
    if form.errors:
        return None
    return services.Scope(tiers=list(form.cleaned_data.get("tiers") or []), accounts=accounts, contracts=contracts)


@require_http_methods(["GET", "POST"])
def policy_create(request):
    _require_configurer(request)
    form = PolicyForm(request.POST) if request.method == "POST" else PolicyForm()
    if request.method == "POST" and form.is_valid():
        scope = _scope_from(form, request.user)
        if scope is not None:
            try:
                policy = services.policy_create(actor=request.user, data=form.data_for_service(), targets=form.targets(), scope=scope)
                messages.success(request, f"Policy “{policy.name}” added, version 1 in force.")
                return redirect("sla:policy", policy.public_id)
            except ApplicationError as exc:
                form_errors_from(form, exc)
    return render(request, "sla/policy_form.html", {"nav": "sla_policies", "form": form, "policy": None}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def policy_edit(request, public_id):
    _require_configurer(request)
    policy = _policy_or_404(public_id)
    form = PolicyForm(request.POST) if request.method == "POST" else PolicyForm.for_policy(policy)
    if request.method == "POST" and form.is_valid():
        scope = _scope_from(form, request.user)
        if scope is not None:
            try:
                before = policy.current_version
                policy = services.policy_update(
                    actor=request.user, policy=policy, data=form.data_for_service(), targets=form.targets(), scope=scope,
                    expected_version=form.cleaned_data.get("version"),
                )
                if policy.current_version != before:
                    messages.success(request, f"Saved: version {policy.current_version} is in force from now; cases already running keep the version they started under.")
                else:
                    messages.success(request, f"Policy “{policy.name}” saved.")
                return redirect("sla:policy", policy.public_id)
            except ApplicationError as exc:
                form_errors_from(form, exc)
    return render(request, "sla/policy_form.html", {"nav": "sla_policies", "form": form, "policy": policy}, status=422 if form.errors else 200)


@require_POST
def policy_move(request, public_id):
    _require_configurer(request)
    services.policy_move(actor=request.user, policy=_policy_or_404(public_id), direction=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("sla:policies")


@require_POST
def policy_delete(request, public_id):
    _require_configurer(request)
    policy = _policy_or_404(public_id)
    try:
        services.policy_delete(actor=request.user, policy=policy)
        messages.success(request, f"Policy “{policy.name}” deleted.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("sla:policy", policy.public_id)
    return redirect("sla:policies")


# Cases -----------------------------------------------------------------------------------------

CASE_PAGE_SIZE = 25
CASE_VIEWS = {"open": "Open", "breached": "Breached", "mine": "Mine, open", "all": "All"}


def _case_or_404(request, public_id) -> Case:
    try:
        return selectors.case_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _filtered_cases(request):
    view = request.GET.get("view", "open") if request.GET.get("view", "open") in CASE_VIEWS else "open"
    sort = request.GET.get("sort", "due") if request.GET.get("sort", "due") in selectors.CASE_SORTS else "due"
    term = (request.GET.get("q") or "").strip()
    filters = selectors.CaseFilters(
        open_only=view != "all", mine=view == "mine", breached=True if view == "breached" else None,
        priority=request.GET.get("priority", ""), term=term, sort=sort,
    )
    return selectors.cases_filtered(request.user, filters).select_related("account", "owner"), view, sort, term


def case_list(request):
    """Cases the user sees, soonest SLA due first: what to work on next."""
    qs, view, sort, term = _filtered_cases(request)
    page = Paginator(qs, CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sla/case_list.html", {
        "nav": "cases", "page": page, "view": view, "views": CASE_VIEWS, "sort": sort, "q": term,
        "priority": request.GET.get("priority", ""), "priorities": CasePriority.choices, "now": timezone.now(),
        "page_query": _without_page(request),
    })


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_http_methods(["GET", "POST"])
def case_create(request, account_id):
    context = account_tab_context(request, account_id, "cases")
    account = context["account"]
    if request.user.is_read_only:
        raise Http404
    form = CaseForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(actor=request.user, account=account, data=form.data_for_service())
            sla = "no SLA applies" if case.policy_version is None else f"measured under {case.policy_version}"
            messages.success(request, f"Case {case.number} opened, {sla}.")
            return redirect("sla:case", case.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "sla/case_form.html", {**context, "form": form}, status=422 if form.errors else 200)


def case_detail(request, public_id):
    """A case: its SLA targets (due, met, breached, paused), the conversation and its history."""
    case = _case_or_404(request, public_id)
    zone = ZoneInfo(case.policy_version.policy.calendar.time_zone) if case.policy_version_id else None
    return render(request, "sla/case_detail.html", {
        "nav": "cases", "case": case, "targets": _target_rows(case), "timeline": selectors.case_timeline(case), "zone": zone,
        "can_work": services.can_work_on_case(request.user, case) and case.status != "closed",
        "reply_form": ReplyForm(), "status_form": StatusForm(initial={"version": case.version, "status": case.status if case.status != "new" else "open"}),
        "priority_form": PriorityForm(initial={"priority": case.priority}), "now": timezone.now(),
        "escalate_form": _escalate_form(case), "escalations": case.escalations.select_related("actor", "owner").order_by("-at", "-id"),
        "stale": case.is_open and case.policy_version_id is not None and (
            case.policy_version.number < case.policy_version.policy.current_version or not case.policy_version.policy.is_active
        ),
    })


def _escalate_form(case: Case) -> EscalateForm | None:
    """The levels above the case's, or None at the top."""
    higher = ESCALATION_ORDER[ESCALATION_ORDER.index(case.escalation_level) + 1:]
    if not higher:
        return None
    form = EscalateForm(initial={"level": higher[0]})
    form.fields["level"].choices = [(v, EscalationLevel(v).label) for v in higher]
    return form


def _target_rows(case: Case) -> list[dict]:
    order = {k.value: i for i, k in enumerate(TargetKind)}
    rows = []
    for t in sorted(case.sla_targets.all(), key=lambda t: order.get(t.name, 9)):
        rows.append({
            "t": t, "label": TargetKind(t.name).label, "target": selectors.duration_text(t.target_seconds // 60, business=t.mode == "business"),
            "used": min(round(t.percent_used), 999), "bar": min(round(t.percent_used), 100),
        })
    return rows


@require_POST
def case_action(request, public_id, action):
    """Reply, note, customer reply, status or priority: one form each, through the services."""
    case = _case_or_404(request, public_id)
    try:
        if action == "reply":
            form = ReplyForm(request.POST)
            if form.is_valid():
                kind = form.cleaned_data["kind"]
                if kind == "customer":
                    services.case_customer_reply(actor=request.user, case=case, body=form.cleaned_data["body"])
                else:
                    services.case_reply(actor=request.user, case=case, body=form.cleaned_data["body"], public=kind == "public")
                messages.success(request, {"public": "Reply logged.", "note": "Note added.", "customer": "Customer reply logged."}[kind])
            else:
                messages.error(request, "Write the message first.")
        elif action == "status":
            form = StatusForm(request.POST)
            if form.is_valid():
                services.case_change_status(actor=request.user, case=case, status=form.cleaned_data["status"], note=form.cleaned_data["note"], expected_version=form.cleaned_data.get("version"))
                messages.success(request, f"Status: {CaseStatus(form.cleaned_data['status']).label.lower()}.")
            else:
                messages.error(request, "Choose a status.")
        elif action == "escalate":
            form = EscalateForm(request.POST)
            if form.is_valid():
                services.case_escalate(actor=request.user, case=case, level=form.cleaned_data["level"], reason=form.cleaned_data["reason"])
                messages.success(request, f"Escalated to {EscalationLevel(form.cleaned_data['level']).label}.")
            else:
                messages.error(request, "Choose a level and say why.")
        elif action == "reevaluate":
            before = case.policy_version
            if services.case_reevaluate(actor=request.user, case=case):
                case.refresh_from_db()
                messages.success(request, f"Re-evaluated: now measured on {services._version_label(case.policy_version)}.")
            else:
                messages.info(request, f"Nothing to change: {services._version_label(before)} is the version that applies now.")
        elif action == "priority":
            form = PriorityForm(request.POST)
            if form.is_valid():
                services.case_change_priority(actor=request.user, case=case, priority=form.cleaned_data["priority"], reason=form.cleaned_data["reason"])
                messages.success(request, f"Priority: {CasePriority(form.cleaned_data['priority']).label.lower()}.")
            else:
                messages.error(request, "Choose a priority and say why it changes.")
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("sla:case", case.public_id)


def account_cases(request, public_id):
    """Account 360, cases tab: open cases first, soonest due first."""
    context = account_tab_context(request, public_id, "cases")
    account = context["account"]
    qs = selectors.cases_visible_to(request.user).filter(account=account).select_related("owner")
    open_cases = list(qs.filter(status__in=OPEN_CASE_STATUSES).order_by(F("sla_next_due").asc(nulls_last=True), "-opened_at")[:100])
    recent = list(qs.exclude(status__in=OPEN_CASE_STATUSES).order_by("-opened_at")[:20])
    quarters = selectors.attainment_by(user=request.user, group="quarter", account=account, start=quarter_start(timezone.localdate(), 3))
    context.update(
        open_cases=open_cases, recent=recent, can_create=not request.user.is_read_only, now=timezone.now(),
        quarters=quarters, kinds=selectors.ATTAINMENT_KINDS, goal=selectors.default_goal(), chart=attainment_chart(quarters),
        delivery_goal=selectors.delivery_goal_for(account, on=timezone.localdate()),
    )
    return render(request, "sla/account_cases.html", context)


# Attainment ------------------------------------------------------------------------------------

ATTAINMENT_COLORS = {"first_response": "#2563eb", "next_response": "#7c3aed", "resolution": "#0f8a5f", "delivery": "#b45309"}


def attainment_chart(quarters: list[selectors.AttainmentRow]) -> dict:
    """A line per target kind (and deliveries): the share met, by quarter."""
    return {
        "type": "line",
        "labels": [q.label for q in quarters],
        "datasets": [
            {
                "label": f"{label} %", "borderColor": ATTAINMENT_COLORS[kind], "backgroundColor": ATTAINMENT_COLORS[kind],
                "data": [float(q.by_kind[kind].pct) if kind in q.by_kind and q.by_kind[kind].pct is not None else None for q in quarters],
                "spanGaps": True,
            }
            for kind, label in selectors.ATTAINMENT_KINDS
        ],
    }


def attainment(request):
    """SLA attainment of the visible portfolio: the trend by quarter, a table by the chosen grouping, the latest breaches."""
    today = timezone.localdate()
    back = request.GET.get("quarters", "4")
    back_n = int(back) if back in ("2", "4", "8", "12") else 4
    start = quarter_start(today, back_n - 1)
    group = request.GET.get("group", "quarter") if request.GET.get("group", "quarter") in selectors.ATTAINMENT_GROUPS else "quarter"
    quarters = selectors.attainment_by(user=request.user, group="quarter", start=start)
    rows = quarters if group == "quarter" else selectors.attainment_rows(user=request.user, group=group, start=start)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    total = selectors.AttainmentRow(None, "All", {})
    for q in quarters:
        for kind, figures in q.by_kind.items():
            total.by_kind[kind] = total.by_kind.get(kind, Attainment()) + figures
    return render(request, "sla/attainment.html", {
        "nav": "sla_attainment", "quarters": quarters, "page": page, "group": group, "groups": {k: v[0] for k, v in selectors.ATTAINMENT_GROUPS.items()},
        "back": str(back_n), "start": start, "kinds": selectors.ATTAINMENT_KINDS, "total": total, "goal": selectors.default_goal(),
        "chart": attainment_chart(quarters), "breaches": selectors.recent_breaches(user=request.user, start=start, limit=25),
        "page_query": _without_page(request),
    })


# Escalation levels and delivery goals -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def escalation_levels(request):
    """Who owns L2, L3 and management, for every account or one tier's; configurers change them."""
    can_configure = services.can_configure_sla(request.user)
    form = EscalationOwnerForm(request.POST or None)
    if request.method == "POST":
        _require_configurer(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.escalation_owner_set(actor=request.user, level=data["level"], tier=data["tier"], user=data["user"])
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                who = data["user"].get_full_name() or data["user"].username if data["user"] else "nobody"
                messages.success(request, f"{EscalationLevel(data['level']).label}{' for ' + data['tier'].name if data['tier'] else ''}: {who}.")
                return redirect("sla:escalations")
    return render(request, "sla/escalation_levels.html", {
        "nav": "sla_policies", "levels": selectors.escalation_levels(), "form": form, "can_configure": can_configure,
    }, status=200)


@require_http_methods(["GET", "POST"])
def delivery_goals(request):
    """The share of deliveries that must arrive on time and in full: the portfolio default and each
    account's own goal (a contract's on-time-delivery service level still comes first)."""
    can_configure = services.can_configure_sla(request.user)
    form = DeliveryGoalForm(request.POST or None)
    if request.method == "POST":
        _require_configurer(request)
        if request.POST.get("remove"):
            row = selectors.delivery_goal_rows(user=request.user).filter(public_id=request.POST["remove"]).first()
            if row is None:
                raise Http404
            services.delivery_goal_remove(actor=request.user, row=row)
            messages.success(request, f"{row.account.name} follows its contract's or the portfolio's goal again.")
            return redirect("sla:delivery_goals")
        if form.is_valid():
            account = form.account_for(request.user)
            if account is not False:
                try:
                    services.delivery_goal_set(actor=request.user, account=account, goal=form.cleaned_data["goal"], note=form.cleaned_data["note"])
                except ApplicationError as exc:
                    form_errors_from(form, exc)
                else:
                    messages.success(request, f"Delivery goal for {account.name if account else 'the portfolio'}: {form.cleaned_data['goal']} %.")
                    return redirect(request.POST["next"] if _safe_next(request) else "sla:delivery_goals")
    rows = Paginator(selectors.delivery_goal_rows(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "sla/delivery_goals.html", {
        "nav": "sla_policies", "rows": rows, "form": form, "can_configure": can_configure,
        "default_goal": selectors.default_delivery_goal(),
        "contract_goals": selectors.contract_delivery_goals(user=request.user, on=timezone.localdate())[:50],
        "default_set": DeliveryGoal.objects.filter(is_default=True).exists(),
    })


def _safe_next(request) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or ""
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
