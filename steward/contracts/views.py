"""Contract pages: list, renewals, the contract with its renewal work, the editor, the account tab."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts.selectors import account_get
from steward.accounts.views import account_tab_context
from steward.contracts import selectors, services
from steward.contracts.choices import BAND_CHOICES, ContractStatus
from steward.contracts.forms import ContractForm, TerminateForm, service_level_formset
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from, render_page_or_partial

PAGE_SIZE = 25


def _contract_or_404(request, public_id):
    try:
        return selectors.contract_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _int_or_none(value: str, allowed) -> int | None:
    return int(value) if value.isdigit() and int(value) in allowed else None


def contract_list(request):
    """Contracts the user may see: search, filter by status, end, auto-renew, account and owner; sort; paginate."""
    get = request.GET
    today = timezone.localdate()
    auto = {"1": True, "0": False}.get(get.get("auto_renew", ""))
    filters = selectors.ContractFilters(
        q=get.get("q", "")[:100], status=get.get("status", ""), owner=get.get("owner", "")[:150],
        ending_within=_int_or_none(get.get("ending", ""), selectors.ENDING_WITHIN), auto_renew=auto, account=get.get("account", "")[:36],
    )
    sort = get.get("sort", "-end") if get.get("sort", "-end") in selectors.CONTRACT_SORTS else "-end"
    if filters.account:
        try:
            account_get(user=request.user, public_id=filters.account)
        except NotFound as exc:
            raise Http404(exc.message) from exc
    page = Paginator(selectors.contract_list(user=request.user, filters=filters, sort=sort, today=today), PAGE_SIZE).get_page(get.get("page"))
    selectors.with_alerts(list(page.object_list), today)
    params = {k: v for k, v in get.items() if k != "page" and v}
    counts = selectors.status_counts(request.user)
    context = {
        "nav": "contracts", "page": page, "filters": filters, "sort": sort, "statuses": ContractStatus.choices, "today": today,
        "ending_choices": selectors.ENDING_WITHIN, "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}),
        "page_query": urlencode(params), "status_tiles": [(value, label, counts.get(value, 0)) for value, label in ContractStatus.choices],
    }
    return render_page_or_partial(request, "contracts/contract_list.html", "contracts/partials/contract_table.html", context)


def renewals(request):
    """Upcoming renewals of the user's visible accounts in 30/60/90/120-day bands, notice deadlines first."""
    get = request.GET
    today = timezone.localdate()
    band = get.get("band", "") if get.get("band", "") in dict(BAND_CHOICES) else ""
    owner = get.get("owner", "")[:150]
    page = Paginator(selectors.renewals_due(user=request.user, today=today, owner=owner, band=band), 50).get_page(get.get("page"))
    selectors.with_alerts(list(page.object_list), today)
    bands = selectors.renewal_bands(user=request.user, today=today, owner=owner)
    months = selectors.renewal_value_by_month(user=request.user, today=today, owner=owner)
    ordered: list[str] = []
    by_key: dict[tuple[str, bool], int] = {}
    for r in months:
        key = str(r["month"])[:7]  # a date on SQLite and PostgreSQL alike: "YYYY-MM"
        if key not in ordered:
            ordered.append(key)
        by_key[(key, r["auto_renew"])] = by_key.get((key, r["auto_renew"]), 0) + r["n"]
    chart = {
        "type": "bar", "stacked": True, "labels": ordered,
        "datasets": [
            {"label": "Renew automatically", "backgroundColor": "#10b981", "data": [by_key.get((k, True), 0) for k in ordered]},
            {"label": "Need a renewal", "backgroundColor": "#f59e0b", "data": [by_key.get((k, False), 0) for k in ordered]},
        ],
    }
    params = {k: v for k, v in get.items() if k != "page" and v}
    context = {
        "nav": "renewals", "page": page, "bands": bands, "band": band, "owner": owner, "band_choices": BAND_CHOICES, "today": today,
        "chart": chart, "has_chart": bool(ordered), "page_query": urlencode(params),
    }
    return render(request, "contracts/renewals.html", context)


def contract_detail(request, public_id):
    """The contract: terms, value, products, service levels, renewal work and history."""
    contract = _contract_or_404(request, public_id)
    today = timezone.localdate()
    selectors.with_alerts([contract], today)
    context = {
        "nav": "contracts", "contract": contract, "today": today, "levels": list(contract.service_levels.all()),
        "products": list(contract.products.all()), "follow_ons": list(contract.renewals.all()),
        "history": selectors.contract_history(contract), "can_write": services.can_write_contract(request.user, contract),
        "terminate_form": TerminateForm(),
    }
    return render(request, "contracts/contract_detail.html", context)


def _save(request, form, formset, *, account=None, contract=None):
    try:
        with transaction.atomic():
            if contract is None:
                return services.contract_create(
                    actor=request.user, account=account, data=form.term_data(), products=form.chosen_products(), service_levels=formset.levels(),
                )
            return services.contract_update(
                actor=request.user, contract=contract, data=form.term_data(), products=form.chosen_products(), service_levels=formset.levels(),
                expected_version=form.cleaned_data.get("version"),
            )
    except ApplicationError as exc:
        form_errors_from(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def contract_create(request, account_id):
    """A new contract for an account, from its Contracts tab."""
    try:
        account = account_get(user=request.user, public_id=account_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.user.is_read_only:
        raise Http404
    form = ContractForm(request.POST or None, account=account)
    formset = service_level_formset(None, request.POST or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        contract = _save(request, form, formset, account=account)
        if contract:
            messages.success(request, f"{contract.number} was created as a draft. Activate it when it is signed.")
            return redirect("contracts:detail", public_id=contract.public_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "contracts/contract_form.html", {"nav": "contracts", "form": form, "formset": formset, "account": account}, status=status)


@require_http_methods(["GET", "POST"])
def contract_edit(request, public_id):
    """Change a draft or active contract's terms, products and service levels."""
    contract = _contract_or_404(request, public_id)
    if not services.can_write_contract(request.user, contract):
        raise Http404
    form = ContractForm(request.POST or None, instance=contract, account=contract.account)
    formset = service_level_formset(contract, request.POST or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = _save(request, form, formset, contract=contract)
        if saved:
            messages.success(request, "Changes saved.")
            return redirect("contracts:detail", public_id=contract.public_id)
    status = 422 if request.method == "POST" else 200
    context = {"nav": "contracts", "form": form, "formset": formset, "account": contract.account, "contract": contract}
    return render(request, "contracts/contract_form.html", context, status=status)


@require_POST
def contract_action(request, public_id, action):
    """Activate, terminate, renew or open the renewal opportunity, through the same services as the API."""
    contract = _contract_or_404(request, public_id)
    try:
        if action == "activate":
            services.contract_activate(actor=request.user, contract=contract)
            messages.success(request, "The contract is active.")
        elif action == "terminate":
            services.contract_terminate(actor=request.user, contract=contract, reason=request.POST.get("reason", "")[:2000])
            messages.success(request, "The contract is terminated.")
        elif action == "renew":
            follow = services.contract_renew(actor=request.user, contract=contract)
            messages.success(request, f"{follow.number} renews it from {follow.start_on:%d %b %Y}: check the terms, then activate it.")
            return redirect("contracts:detail", public_id=follow.public_id)
        elif action == "renewal-opportunity":
            services.contract_create_renewal_opportunity(actor=request.user, contract=contract)
            messages.success(request, "The renewal opportunity is open in the pipeline.")
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("contracts:detail", public_id=contract.public_id)


def account_contracts(request, public_id):
    """Account 360, contracts tab."""
    context = account_tab_context(request, public_id, "contracts")
    today = timezone.localdate()
    contracts = selectors.with_alerts(list(selectors.contracts_for_account(user=request.user, account=context["account"])[:200]), today)
    context.update(contracts=contracts, can_create=not request.user.is_read_only, today=today)
    return render(request, "contracts/account_contracts.html", context)
