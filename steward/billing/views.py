"""Billing pages: invoice list and detail, new invoice (by hand, from an order, by import), payments, receivables."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts.selectors import account_get, accounts_visible_to
from steward.accounts.views import account_tab_context
from steward.billing import documents, importing, selectors, services
from steward.billing.choices import InvoiceStatus, Scope
from steward.billing.engine import ageing
from steward.billing.forms import ImportForm, InvoiceForm, LineFormSet, PaymentForm, ReasonForm
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from, render_page_or_partial
from steward.core.paging import DeepPaginator
from steward.core.pdf import pdf_response
from steward.orders.models import Order

PAGE_SIZE = 25
BUCKET_COLORS = ["#10b981", "#facc15", "#f59e0b", "#f97316", "#dc2626"]


def _invoice_or_404(request, public_id):
    try:
        return selectors.invoice_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _list_params(request):
    return {k: v for k, v in request.GET.items() if k != "page" and v}


def invoice_list(request):
    """Invoices the user may see: search, filter by status, overdue and account, sort, paginate."""
    get = request.GET
    today = timezone.localdate()
    filters = selectors.InvoiceFilters(q=get.get("q", "")[:100], status=get.get("status", ""), overdue=get.get("overdue") == "1", account=get.get("account", "")[:40])
    sort = get.get("sort", "-issued") if get.get("sort", "-issued") in selectors.INVOICE_SORTS else "-issued"
    qs = selectors.invoice_list(user=request.user, filters=filters, sort=sort, today=today)
    page = DeepPaginator(qs, PAGE_SIZE).get_page(get.get("page"))
    params = _list_params(request)
    account = None
    if filters.account:
        account = accounts_visible_to(request.user).filter(public_id=filters.account).first() if selectors._is_uuid(filters.account) else None
    counts = selectors.status_counts(request.user)
    context = {
        "nav": "invoices", "page": page, "filters": filters, "sort": sort, "statuses": InvoiceStatus.choices, "today": today, "filter_account": account,
        "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}), "page_query": urlencode(params),
        "status_tiles": [(value, label, counts.get(value, 0)) for value, label in InvoiceStatus.choices],
    }
    return render_page_or_partial(request, "billing/invoice_list.html", "billing/partials/invoice_table.html", context)


def invoice_detail(request, public_id):
    """The invoice: lines, totals, payments, and what can be done next."""
    invoice = _invoice_or_404(request, public_id)
    user = request.user
    context = {
        "nav": "invoices", "invoice": invoice, "lines": list(invoice.lines.select_related("order_line").all()),
        "payments": list(selectors.payments_of(invoice)), "today": timezone.localdate(),
        "can_write": services.can_write_invoices(user, invoice.account), "can_pay": services.can_record_payments(user, invoice.account),
        "can_void": services.can_void(user), "payment_form": PaymentForm(invoice=invoice), "reason_form": ReasonForm(initial={"version": invoice.version}),
        "days_overdue": invoice.days_overdue(timezone.localdate()),
    }
    return render(request, "billing/invoice_detail.html", context)


def invoice_pdf(request, public_id):
    invoice = _invoice_or_404(request, public_id)
    return pdf_response(documents.invoice_pdf(invoice), f"{invoice.number}.pdf")


@require_POST
def invoice_action(request, public_id, action):
    """Issue, email or void, through the same services as the API."""
    invoice = _invoice_or_404(request, public_id)
    version = _version(request)
    try:
        if action == "issue":
            invoice = services.invoice_issue(actor=request.user, invoice=invoice, expected_version=version)
            messages.success(request, f"{invoice.number} is issued, due on {invoice.due_on:%d %b %Y}.")
        elif action == "email":
            services.invoice_email(actor=request.user, invoice=invoice)
            messages.success(request, f"Emailed to {invoice.contact.email} and logged on the timeline.")
        elif action == "void":
            invoice = services.invoice_void(actor=request.user, invoice=invoice, reason=request.POST.get("reason", ""), expected_version=version)
            messages.success(request, f"{invoice.number} is void.")
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("billing:detail", public_id=invoice.public_id)


def _version(request):
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@require_POST
def payment_create(request, public_id):
    """Record a payment from the invoice page."""
    invoice = _invoice_or_404(request, public_id)
    form = PaymentForm(request.POST, invoice=invoice)
    if form.is_valid():
        try:
            payment = services.payment_record(actor=request.user, invoice=invoice, data=form.payment_data(), expected_version=form.cleaned_data.get("version"))
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            invoice.refresh_from_db()
            done = "Paid in full." if invoice.status == InvoiceStatus.PAID else f"Payment of {payment.amount} {invoice.currency} recorded; {invoice.balance} {invoice.currency} still owed."
            messages.success(request, done)
            return redirect("billing:detail", public_id=invoice.public_id)
    context = {
        "nav": "invoices", "invoice": invoice, "lines": list(invoice.lines.all()), "payments": list(selectors.payments_of(invoice)), "today": timezone.localdate(),
        "can_write": services.can_write_invoices(request.user, invoice.account), "can_pay": services.can_record_payments(request.user, invoice.account),
        "can_void": services.can_void(request.user), "payment_form": form, "reason_form": ReasonForm(initial={"version": invoice.version}),
        "days_overdue": invoice.days_overdue(timezone.localdate()),
    }
    return render(request, "billing/invoice_detail.html", context, status=422)


@require_POST
def payment_reverse(request, public_id):
    try:
        payment = selectors.payment_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        services.payment_reverse(actor=request.user, payment=payment, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Payment reversed; the invoice owes the amount again.")
    return redirect("billing:detail", public_id=payment.invoice.public_id)


@require_http_methods(["GET", "POST"])
def invoice_create(request, account_id):
    """A manual invoice for an account (services without an order, corrections)."""
    try:
        account = account_get(user=request.user, public_id=account_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not services.can_write_invoices(request.user, account):
        raise Http404
    form = InvoiceForm(request.POST or None, account=account)
    formset = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            invoice = services.invoice_create(actor=request.user, account=account, data=form.header_data(), lines=formset.line_inputs())
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"{invoice.number} was created as a draft. Issue it when it is ready.")
            return redirect("billing:detail", public_id=invoice.public_id)
    status = 422 if request.method == "POST" else 200
    return render(request, "billing/invoice_form.html", {"nav": "invoices", "form": form, "formset": formset, "account": account}, status=status)


def _order_or_404(request, ref):
    if not selectors._is_uuid(ref):
        raise Http404("No such order.")
    order = Order.objects.filter(public_id=ref, account__in=accounts_visible_to(request.user)).select_related("account").first()
    if order is None:
        raise Http404("No such order.")
    return order


@require_http_methods(["GET", "POST"])
def invoice_from_order(request):
    """Invoice an order: GET shows what each scope would bill; POST (order=<id>, scope=delivered|all) makes the draft."""
    ref = request.POST.get("order") or request.GET.get("order") or ""
    order = _order_or_404(request, ref)
    if request.method == "POST":
        try:
            invoice = services.invoice_from_order(actor=request.user, order=order, scope=request.POST.get("scope", Scope.DELIVERED))
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(f"{request.path}?{urlencode({'order': order.public_id})}")
        messages.success(request, f"{invoice.number} was created as a draft from {order.number}. Check it and issue it.")
        return redirect("billing:detail", public_id=invoice.public_id)
    context = {
        "nav": "invoices", "order": order, "can_write": services.can_write_invoices(request.user, order.account),
        "delivered": services.invoiceable_lines(order, Scope.DELIVERED), "all": services.invoiceable_lines(order, Scope.ALL),
        "invoices": list(order.invoices.order_by("-issued_on", "-id")), "terms": services.order_payment_terms(order),
    }
    context["delivered_total"] = sum((i.amount for i in context["delivered"]), Decimal(0))
    context["all_total"] = sum((i.amount for i in context["all"]), Decimal(0))
    return render(request, "billing/from_order.html", context)


@require_http_methods(["GET", "POST"])
def invoice_import(request):
    """Import invoices from CSV: every row checked, all or nothing."""
    if request.user.is_read_only:
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    result = errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            form.add_error("file", "At most 10 MB per file.")
        else:
            try:
                result = importing.invoices_import(actor=request.user, content=upload.read())
            except ApplicationError as exc:
                errors = exc.field_errors.get("file") or [exc.message]
            else:
                messages.success(request, f"Imported {result.invoices} invoice{'s' if result.invoices != 1 else ''} ({result.lines} lines).")
                return redirect("billing:list")
    status = 422 if request.method == "POST" and (errors or form.errors) else 200
    return render(request, "billing/import.html", {"nav": "invoices", "form": form, "errors": errors, "columns": importing.COLUMNS}, status=status)


def receivables(request):
    """Portfolio ageing with a chart, and the accounts that owe, sortable, late payers flagged."""
    today = timezone.localdate()
    get = request.GET
    sort = get.get("sort", "-overdue") if get.get("sort", "-overdue") in selectors.ACCOUNT_SORTS else "-overdue"
    late_only = get.get("late") == "1"
    summary = selectors.portfolio_ageing(user=request.user, as_of=today)
    rows = selectors.receivables_by_account(user=request.user, as_of=today, sort=sort, late_only=late_only)
    page = Paginator(rows, PAGE_SIZE).get_page(get.get("page"))
    params = _list_params(request)
    chart = {
        "type": "bar", "labels": [b.label for b in ageing.BUCKETS],
        "datasets": [{"label": f"Owed ({summary.currency})", "backgroundColor": BUCKET_COLORS, "data": [float(round(summary.buckets[b.key], 0)) for b in ageing.BUCKETS]}],
    }
    context = {
        "nav": "receivables", "summary": summary, "page": page, "sort": sort, "late_only": late_only, "chart": chart, "today": today,
        "buckets": ageing.BUCKETS, "late_rule": selectors.LATE_RULE,
        "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}), "page_query": urlencode(params),
    }
    return render_page_or_partial(request, "billing/receivables.html", "billing/partials/receivables_table.html", context)


def account_invoices(request, public_id):
    """Account 360, invoices tab: the account's ageing, how it pays, the flag, and its invoices."""
    context = account_tab_context(request, public_id, "invoices")
    account = context["account"]
    today = timezone.localdate()
    context.update(
        invoices=list(selectors.invoices_for_account(user=request.user, account=account)[:200]),
        receivables=selectors.account_receivables(account=account, as_of=today), buckets=ageing.BUCKETS, today=today,
        can_create=services.can_write_invoices(request.user, account),
    )
    return render(request, "billing/account_invoices.html", context)
