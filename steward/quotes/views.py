"""Quote pages: list, the quote with its approval, the editor, decisions, PDF, approvals queue, rules, delegations."""

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
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from, render_page_or_partial
from steward.core.pdf import pdf_response
from steward.quotes import documents, rules, selectors, services
from steward.quotes.choices import QuoteStatus
from steward.quotes.forms import (
    ApprovalRuleForm,
    ConvertForm,
    DecisionForm,
    DeclineForm,
    DelegationForm,
    QuoteForm,
    line_formset,
)
from steward.quotes.models import ApprovalRule, Delegation

PAGE_SIZE = 25


def _quote_or_404(request, public_id):
    try:
        return selectors.quote_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def quote_list(request):
    """Quotes the user may see: search, filter by status and owner, sort, paginate."""
    get = request.GET
    filters = selectors.QuoteFilters(
        q=get.get("q", "")[:100], status=get.get("status", ""), owner=get.get("owner", "")[:150], awaiting_me=get.get("awaiting") == "1"
    )
    sort = get.get("sort", "-created") if get.get("sort", "-created") in selectors.QUOTE_SORTS else "-created"
    page = Paginator(selectors.quote_list(user=request.user, filters=filters, sort=sort), PAGE_SIZE).get_page(get.get("page"))
    params = {k: v for k, v in get.items() if k != "page" and v}
    context = {
        "nav": "quotes", "page": page, "filters": filters, "sort": sort, "statuses": QuoteStatus.choices,
        "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}), "page_query": urlencode(params),
    }
    counts = selectors.status_counts(request.user)
    context["status_tiles"] = [(value, label, counts.get(value, 0)) for value, label in QuoteStatus.choices]
    return render_page_or_partial(request, "quotes/quote_list.html", "quotes/partials/quote_table.html", context)


def quote_detail(request, public_id):
    """The quote: lines, totals, terms, where approval stands, and what can be done next."""
    quote = _quote_or_404(request, public_id)
    now = timezone.now()
    current = selectors.current_step(quote)
    approved_content = quote.approved_fingerprint and quote.approved_fingerprint == services.current_fingerprint(quote)
    context = {
        "nav": "quotes", "quote": quote, "lines": list(quote.lines.all()), "clauses": list(quote.clauses.all()),
        "requests": selectors.approval_history(quote), "current_step": current,
        "can_write": services.can_write_quote(request.user, quote),
        "can_decide": selectors.can_decide(request.user, quote, now=now),
        "approved_content": approved_content,
        "nonstandard": quote.nonstandard_terms, "decision_form": DecisionForm(), "decline_form": DeclineForm(), "convert_form": ConvertForm(),
        "revisions": list(type(quote).objects.filter(number=quote.number).exclude(pk=quote.pk).order_by("revision")),
        "today": timezone.localdate(),
    }
    return render(request, "quotes/quote_detail.html", context)


def _save_quote(request, form, formset, *, account=None, quote=None):
    try:
        with transaction.atomic():
            if quote is None:
                return services.quote_create(
                    actor=request.user, account=account,
                    data={**form.header_data(), "opportunity": _opportunity_from(request, account)},
                    lines=formset.line_inputs(), clauses=form.clause_texts(),
                )
            return services.quote_update(
                actor=request.user, quote=quote, data=form.header_data(), lines=formset.line_inputs(), clauses=form.clause_texts(),
                expected_version=form.cleaned_data.get("version"),
            )
    except ApplicationError as exc:
        form_errors_from(form, exc)
        return None


def _opportunity_from(request, account):
    ref = request.POST.get("opportunity") or request.GET.get("opportunity")
    if not ref:
        return None
    opportunity = account.opportunities.filter(public_id=ref).first() if _is_uuid(ref) else None
    if opportunity is None:
        raise Http404("No such opportunity on this account.")
    return opportunity


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@require_http_methods(["GET", "POST"])
def quote_create(request, account_id):
    """A new quote for an account (from its Quotes tab, or from one of its opportunities)."""
    try:
        account = account_get(user=request.user, public_id=account_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.user.is_read_only:
        raise Http404
    form = QuoteForm(request.POST or None, account=account)
    formset = line_formset(None, request.POST or None, blank_rows=4)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        quote = _save_quote(request, form, formset, account=account)
        if quote:
            messages.success(request, f"{quote.label} was created as a draft. Submit it when it is ready.")
            return redirect("quotes:detail", public_id=quote.public_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "quotes/quote_form.html", {"nav": "quotes", "form": form, "formset": formset, "account": account, "opportunity": request.GET.get("opportunity", "")}, status=status)


@require_http_methods(["GET", "POST"])
def quote_edit(request, public_id):
    """Change a quote's terms and lines; a change to approved content voids the approval (the page says so)."""
    quote = _quote_or_404(request, public_id)
    if not services.can_write_quote(request.user, quote):
        raise Http404
    form = QuoteForm(request.POST or None, instance=quote, account=quote.account)
    formset = line_formset(quote, request.POST or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        was = quote.status
        saved = _save_quote(request, form, formset, quote=quote)
        if saved:
            if was != saved.status and was in (QuoteStatus.APPROVED, QuoteStatus.PENDING, QuoteStatus.REJECTED):
                messages.warning(request, "The change voided the approval: the quote is a draft again and must be submitted.")
            else:
                messages.success(request, "Changes saved.")
            return redirect("quotes:detail", public_id=quote.public_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "quotes/quote_form.html", {"nav": "quotes", "form": form, "formset": formset, "account": quote.account, "quote": quote}, status=status)


ACTIONS = {
    "submit": (services.quote_submit, "Submitted."),
    "withdraw": (services.quote_withdraw, "Withdrawn from approval: the quote is a draft again."),
    "accept": (services.quote_accept, "Recorded as accepted by the customer."),
}


@require_POST
def quote_action(request, public_id, action):
    """Submit, withdraw, send, accept, duplicate, revise or delete, through the same services as the API."""
    quote = _quote_or_404(request, public_id)
    try:
        if action in ACTIONS:
            service, done = ACTIONS[action]
            quote = service(actor=request.user, quote=quote)
            if action == "submit":
                done = "No approval needed: the quote is approved." if quote.status == QuoteStatus.APPROVED else "Submitted for approval."
            messages.success(request, done)
        elif action == "send":
            email = request.POST.get("email") == "1"
            quote = services.quote_send(actor=request.user, quote=quote, email=email)
            messages.success(request, f"Emailed to {quote.contact.email} and logged on the timeline." if email else "Marked as sent to the customer.")
        elif action == "duplicate":
            quote = services.quote_duplicate(actor=request.user, quote=quote)
            messages.success(request, f"Duplicated as {quote.label}, a draft that needs its own approval.")
        elif action == "revise":
            quote = services.quote_revise(actor=request.user, quote=quote)
            messages.success(request, f"{quote.label} is a new draft revision.")
        elif action == "delete":
            account_id = quote.account.public_id
            services.quote_delete(actor=request.user, quote=quote)
            messages.success(request, "The draft was deleted.")
            return redirect("quotes:account", public_id=account_id)
        elif action == "convert":
            form = ConvertForm(request.POST)
            if not form.is_valid():
                problems = "; ".join(f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
                messages.error(request, f"The order was not created. {problems}")
                return redirect("quotes:detail", public_id=quote.public_id)
            order = services.quote_convert_to_order(actor=request.user, quote=quote, **form.cleaned_data)
            messages.success(request, f"Order {order.number} created from {quote.label}.")
            return redirect("orders:detail", public_id=order.public_id)
        elif action == "decline":
            form = DeclineForm(request.POST)
            reason = form.data.get("reason", "")
            quote = services.quote_decline(actor=request.user, quote=quote, reason=reason)
            messages.success(request, "Recorded as declined by the customer.")
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("quotes:detail", public_id=quote.public_id)


@require_POST
def quote_decide(request, public_id):
    """Approve or reject the step awaiting the user's decision."""
    quote = _quote_or_404(request, public_id)
    approve = request.POST.get("decision") == "approve"
    form = DecisionForm(request.POST)
    comment = form.data.get("comment", "")[:2000]
    try:
        quote = services.quote_decide(actor=request.user, quote=quote, approve=approve, comment=comment)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Approved." if approve else "Rejected; the owner has been told why.")
    if request.POST.get("next") == "queue":
        return redirect("quotes:approvals")
    return redirect("quotes:detail", public_id=quote.public_id)


def quote_pdf(request, public_id):
    """The quote as the customer receives it."""
    quote = _quote_or_404(request, public_id)
    return pdf_response(documents.quote_pdf(quote), f"{quote.label}.pdf")


def approvals_queue(request):
    """Quotes awaiting my decision (also as a delegate), and my delegations."""
    waiting = list(selectors.awaiting_decision(request.user)[:200])
    steps = selectors.pending_steps_by_quote([q.pk for q in waiting])
    for q in waiting:
        q.pending_step = steps.get(q.pk)
    return render(request, "quotes/approvals.html", {"nav": "approvals", "waiting": waiting, "decision_form": DecisionForm()})


def account_quotes(request, public_id):
    """Account 360, quotes tab."""
    context = account_tab_context(request, public_id, "quotes")
    quotes = list(selectors.quotes_for_account(user=request.user, account=context["account"])[:200])
    context.update(quotes=quotes, can_create=not request.user.is_read_only)
    return render(request, "quotes/account_quotes.html", context)


# Approval rules (admins) -----------------------------------------------------------------------------


def rule_list(request):
    """The approval rules: everyone can read the policy; admins change it."""
    return render(request, "quotes/rule_list.html", {"nav": "rules", "rules": selectors.approval_rules(), "can_edit": rules.can_edit_rules(request.user)})


@require_http_methods(["GET", "POST"])
def rule_edit(request, rule_id=None):
    if not rules.can_edit_rules(request.user):
        raise Http404
    rule = None
    if rule_id is not None:
        rule = ApprovalRule.objects.filter(public_id=rule_id).first()
        if rule is None:
            raise Http404
    form = ApprovalRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            if rule is None:
                rules.approval_rule_create(actor=request.user, data=data)
            else:
                rules.approval_rule_update(actor=request.user, rule=rule, data=data)
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Rule saved. It applies to quotes submitted from now on.")
            return redirect("quotes:rules")
    return render(request, "quotes/rule_form.html", {"nav": "rules", "form": form, "rule": rule}, status=422 if form.errors else 200)


@require_POST
def rule_delete(request, rule_id):
    rule = ApprovalRule.objects.filter(public_id=rule_id).first()
    if rule is None or not rules.can_edit_rules(request.user):
        raise Http404
    rules.approval_rule_delete(actor=request.user, rule=rule)
    messages.success(request, "Rule removed.")
    return redirect("quotes:rules")


# Delegations -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def delegations(request):
    """Who decides my approvals while I am away, and whose I decide."""
    form = DelegationForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        starts, ends = form.window()
        try:
            rules.delegation_create(actor=request.user, to_user=form.cleaned_data["to_user"], starts_at=starts, ends_at=ends, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['to_user']} decides your approvals in that period.")
            return redirect("quotes:delegations")
    context = {"nav": "delegations", "form": form, "delegations": selectors.delegations_of(request.user), "now": timezone.now()}
    return render(request, "quotes/delegations.html", context, status=422 if form.errors else 200)


@require_POST
def delegation_delete(request, delegation_id):
    delegation = Delegation.objects.filter(public_id=delegation_id).first()
    if delegation is None:
        raise Http404
    try:
        rules.delegation_delete(actor=request.user, delegation=delegation)
    except ApplicationError:
        raise Http404 from None
    messages.success(request, "Delegation ended.")
    return redirect("quotes:delegations")
