"""Pipeline pages: the opportunity list, an opportunity, its forms, the account tab."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts import selectors as account_selectors
from steward.accounts.views import account_tab_context
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from, render_page_or_partial
from steward.core.paging import DeepPaginator
from steward.core.widgets import options_html
from steward.pipeline import selectors, services
from steward.pipeline.choices import LossReason, OpportunityType, StageOutcome
from steward.pipeline.forms import (
    CloseLostForm,
    CloseWonForm,
    LineFormSet,
    OpportunityForm,
    line_initial,
    line_inputs,
)

PAGE_SIZE = 25


def _get_or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _date_param(request, name: str, label: str, errors: list[str]):
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        errors.append(f"{label}: “{raw[:20]}” is not a date; use YYYY-MM-DD.")
    return value


def opportunity_list(request):
    """Opportunities of visible accounts: search, filter, sort, paginate."""
    get = request.GET
    errors: list[str] = []
    filters = selectors.OpportunityFilters(
        q=get.get("q", "")[:100], owner=get.get("owner", "")[:150], stage=get.get("stage", "")[:60],
        type=get.get("type", "") if get.get("type", "") in OpportunityType.values else "",
        status=get.get("status", "") if get.get("status", "") in selectors.STATUSES else "",
        close_from=_date_param(request, "close_from", "Close from", errors),
        close_to=_date_param(request, "close_to", "Close to", errors),
    )
    sort = get.get("sort", "close") if get.get("sort", "close") in selectors.OPPORTUNITY_SORTS else "close"
    page = DeepPaginator(selectors.opportunity_list(user=request.user, filters=filters, sort=sort), PAGE_SIZE).get_page(get.get("page"))
    params = {k: v for k, v in get.items() if k != "page" and v}
    owners = [("", "All owners")] + [(s.key.removeprefix("user:"), s.label) for s in selectors.owner_scopes(request.user) if s.key.startswith("user:")]
    if request.user.username not in {k for k, _ in owners}:
        owners.insert(1, (request.user.username, "Me"))
    context = {
        "nav": "pipeline", "pipe_tab": "opportunities", "page": page, "filters": filters, "sort": sort, "filter_errors": errors,
        "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}), "page_query": urlencode(params),
        "stages": selectors.stages(), "types": OpportunityType.choices, "owner_options": options_html(owners, selected=[filters.owner]),
        "can_create": not request.user.is_read_only,
    }
    return render_page_or_partial(request, "pipeline/opportunity_list.html", "pipeline/partials/opportunity_table.html", context)


def _detail_context(request, opportunity) -> dict:
    stage_names = {str(s.pk): s.name for s in selectors.stages()}
    history = []
    for event in selectors.opportunity_history(opportunity):
        before, after = event.before or {}, event.after or {}
        changes = [(k, b, a) for k, b, a in event.changed_fields() if k not in ("version", "lines")]
        stage_change = None
        if event.action == "update" and before.get("stage_id") != after.get("stage_id"):
            stage_change = (stage_names.get(str(before.get("stage_id")), "a removed stage"), stage_names.get(str(after.get("stage_id")), "a removed stage"))
        history.append({"event": event, "stage_change": stage_change, "changes": [c for c in changes if c[0] != "stage_id"],
                        "lines_changed": before.get("lines") != after.get("lines") and event.action == "update"})
    is_open = opportunity.stage.outcome == StageOutcome.OPEN
    return {
        "nav": "pipeline", "pipe_tab": "opportunities", "opportunity": opportunity, "account": opportunity.account,
        "lines": opportunity.lines.select_related("product").order_by("id"), "history": history,
        "can_edit": services.can_edit_opportunity(request.user, opportunity.account), "is_open": is_open,
        "move_stages": [s for s in selectors.open_stages() if s.pk != opportunity.stage_id],
        "won_form": CloseWonForm(initial={"version": opportunity.version}),
        "lost_form": CloseLostForm(initial={"version": opportunity.version}),
        "weighted": opportunity.amount * opportunity.stage.probability / 100 if is_open else None,
    }


def opportunity_detail(request, public_id):
    """An opportunity: facts, product lines, history, and the actions that move it on."""
    opportunity = _get_or_404(selectors.opportunity_get, user=request.user, public_id=public_id)
    return render(request, "pipeline/opportunity_detail.html", _detail_context(request, opportunity))


def _save(request, form, formset, *, account=None, opportunity=None):
    try:
        with transaction.atomic():
            if opportunity is None:
                return services.opportunity_create(actor=request.user, account=account, data=form.service_data(), lines=line_inputs(formset) or None)
            return services.opportunity_update(
                actor=request.user, opportunity=opportunity, data=form.service_data(), lines=line_inputs(formset),
                expected_version=form.cleaned_data.get("version"),
            )
    except ApplicationError as exc:
        form_errors_from(form, exc)
        return None


def _form_page(request, form, formset, *, account=None, opportunity=None):
    status = 422 if form.errors or any(f.errors for f in formset.forms) or formset.non_form_errors() else 200
    return render(request, "pipeline/opportunity_form.html", {
        "nav": "pipeline", "pipe_tab": "opportunities", "form": form, "formset": formset, "account": account, "opportunity": opportunity,
    }, status=status)


@require_http_methods(["GET", "POST"])
def opportunity_create(request, account_id=None):
    """New opportunity, from an account's tab or from the list (with an account picker)."""
    if request.user.is_read_only:
        raise Http404
    account = None
    raw_account = account_id or request.POST.get("account") or request.GET.get("account")
    if raw_account and not selectors._is_uuid(str(raw_account)):
        raw_account = None  # not an account id: the form asks for an account
    if raw_account:
        account = _get_or_404(account_selectors.account_get, user=request.user, public_id=raw_account)
    form = OpportunityForm(request.POST or None, actor=request.user, initial={"currency": account.currency if account else "EUR", "account": account.public_id if account else None})
    formset = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST":
        valid = form.is_valid() & formset.is_valid()
        if account is None:
            form.add_error(None, "Account: pick the account this opportunity is for.")
            valid = False
        if valid and (opportunity := _save(request, form, formset, account=account)):
            messages.success(request, f"Opportunity “{opportunity.name}” created.")
            return redirect("pipeline:detail", public_id=opportunity.public_id)
    return _form_page(request, form, formset, account=account)


@require_http_methods(["GET", "POST"])
def opportunity_edit(request, public_id):
    opportunity = _get_or_404(selectors.opportunity_get, user=request.user, public_id=public_id)
    if not services.can_edit_opportunity(request.user, opportunity.account):
        raise Http404
    form = OpportunityForm(request.POST or None, instance=opportunity, actor=request.user)
    formset = LineFormSet(request.POST or None, prefix="lines", initial=None if request.method == "POST" else line_initial(opportunity))
    if request.method == "POST" and (form.is_valid() & formset.is_valid()) and _save(request, form, formset, opportunity=opportunity):
        messages.success(request, "Changes saved.")
        return redirect("pipeline:detail", public_id=opportunity.public_id)
    return _form_page(request, form, formset, account=opportunity.account, opportunity=opportunity)


def _version(request):
    raw = request.POST.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _back(request, opportunity):
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect("pipeline:detail", public_id=opportunity.public_id)


@require_POST
def opportunity_move(request, public_id):
    """Move to another stage (an open one; a closed opportunity is reopened)."""
    opportunity = _get_or_404(selectors.opportunity_get, user=request.user, public_id=public_id)
    try:
        stage = selectors.stage_get(public_id=request.POST.get("stage", ""))
        opportunity = services.opportunity_move_stage(actor=request.user, opportunity=opportunity, stage=stage, expected_version=_version(request))
        messages.success(request, f"Moved to {opportunity.stage.name}.")
    except ApplicationError as exc:
        messages.error(request, exc.message if not isinstance(exc, NotFound) else "Stage: pick a stage to move to.")
    return _back(request, opportunity)


@require_POST
def opportunity_close_won(request, public_id):
    opportunity = _get_or_404(selectors.opportunity_get, user=request.user, public_id=public_id)
    form = CloseWonForm(request.POST)
    try:
        if form.is_valid():
            services.opportunity_close_won(actor=request.user, opportunity=opportunity, note=form.cleaned_data["note"], expected_version=form.cleaned_data["version"])
            messages.success(request, "Closed won. It now counts toward the owner's quota.")
        else:
            messages.error(request, "Note: " + "; ".join(form.errors.get("note", ["invalid"])))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(request, opportunity)


@require_POST
def opportunity_close_lost(request, public_id):
    opportunity = _get_or_404(selectors.opportunity_get, user=request.user, public_id=public_id)
    form = CloseLostForm(request.POST)
    if form.is_valid():
        try:
            services.opportunity_close_lost(
                actor=request.user, opportunity=opportunity, loss_reason=form.cleaned_data["loss_reason"],
                note=form.cleaned_data["note"], expected_version=form.cleaned_data["version"],
            )
            messages.success(request, "Closed lost.")
            return _back(request, opportunity)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    context = _detail_context(request, opportunity)
    context["lost_form"] = form
    context["show_lost"] = True
    return render(request, "pipeline/opportunity_detail.html", context, status=422)


@require_POST
def opportunity_delete(request, public_id):
    opportunity = _get_or_404(selectors.opportunity_get, user=request.user, public_id=public_id)
    try:
        services.opportunity_delete(actor=request.user, opportunity=opportunity, expected_version=_version(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("pipeline:detail", public_id=opportunity.public_id)
    messages.success(request, f"Opportunity “{opportunity.name}” deleted.")
    return redirect("pipeline:account_tab", public_id=opportunity.account.public_id)


def account_tab(request, public_id):
    """Account 360, opportunities tab: open ones first, then the closed history."""
    context = account_tab_context(request, public_id, "opportunities")
    account = context["account"]
    qs = selectors.opportunities_visible_to(request.user).filter(account=account).select_related("stage", "owner")
    context.update(
        open_opps=list(qs.filter(stage__outcome=StageOutcome.OPEN).order_by("close_date", "id")[:100]),
        closed_opps=list(qs.exclude(stage__outcome=StageOutcome.OPEN).order_by("-closed_at", "-close_date", "-id")[:50]),
        closed_count=qs.exclude(stage__outcome=StageOutcome.OPEN).count(),
        list_url=reverse("pipeline:list") + "?" + urlencode({"q": account.name}),
        loss_reasons=dict(LossReason.choices),
    )
    return render(request, "pipeline/account_opportunities.html", context)
