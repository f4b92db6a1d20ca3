"""Order pages: list, the order with its lines, shipments and changes, new order, shipments, OTIF, late orders,
the account's Orders tab and its progress report (page, PDF, email)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.accounts.selectors import account_get
from steward.accounts.views import account_tab_context
from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from, render_page_or_partial
from steward.core.pdf import pdf_response
from steward.orders import documents, selectors, services
from steward.orders.choices import OrderStatus
from steward.orders.engine import otif
from steward.orders.forms import (
    AddLineForm,
    ChangeLineForm,
    DeliveryForm,
    OrderForm,
    OrderHeaderForm,
    ReasonForm,
    ShipmentForm,
    line_formset,
)

PAGE_SIZE = 25


def _order_or_404(request, public_id):
    try:
        return selectors.order_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _account_or_404(request, public_id):
    try:
        return account_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def order_list(request):
    """Orders the user may see: search, filter by status, late/at risk, account and owner, sort, paginate."""
    get = request.GET
    today = timezone.localdate()
    filters = selectors.OrderFilters(
        q=get.get("q", "")[:100],
        status=get.get("status", ""),
        flag=get.get("flag", ""),
        account=get.get("account", "")[:40],
        owner=get.get("owner", "")[:150],
    )
    sort = (
        get.get("sort", "-ordered")
        if get.get("sort", "-ordered") in selectors.ORDER_SORTS
        else "-ordered"
    )
    page = Paginator(
        selectors.order_list(user=request.user, filters=filters, sort=sort, today=today), PAGE_SIZE
    ).get_page(get.get("page"))
    for order in page.object_list:
        order.late = order.status in selectors.OPEN and order.promised_date < today
    params = {k: v for k, v in get.items() if k != "page" and v}
    flags = selectors.flag_counts(request.user, today)
    context = {
        "nav": "orders",
        "page": page,
        "filters": filters,
        "sort": sort,
        "statuses": OrderStatus.choices,
        "flags": flags,
        "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}),
        "page_query": urlencode(params),
        "today": today,
    }
    return render_page_or_partial(
        request, "orders/order_list.html", "orders/partials/order_table.html", context
    )


def _detail_context(request, order, **forms):
    lines = list(order.lines.all())
    today = timezone.localdate()
    can_write = services.can_write_order(request.user, order)
    context = {
        "nav": "orders",
        "order": order,
        "lines": lines,
        "shipments": list(order.shipments.all()),
        "changes": selectors.order_changes(order),
        "substitutes": selectors.substitutes_for(lines),
        "can_write": can_write,
        "is_open": order.status in selectors.OPEN,
        "today": today,
        "late": order.status in selectors.OPEN and order.promised_date < today,
        "header_form": OrderHeaderForm(order=order),
        "reason_form": ReasonForm(initial={"version": order.version}),
        "add_line_form": AddLineForm(initial={"version": order.version}),
        "delivery_form": DeliveryForm(initial={"version": order.version, "delivered_on": today}),
    }
    context.update(forms)
    return context


def order_detail(request, public_id):
    """The order: lines, shipments, what changed and why, substitutes for backordered lines, and actions."""
    order = _order_or_404(request, public_id)
    return render(request, "orders/order_detail.html", _detail_context(request, order))


@require_http_methods(["GET", "POST"])
def order_create(request, account_id):
    """A new order entered directly for an account, with its product lines."""
    account = _account_or_404(request, account_id)
    if request.user.is_read_only:
        raise Http404
    form = OrderForm(request.POST or None, account=account)
    formset = line_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(
                actor=request.user,
                account=account,
                lines=formset.lines(),
                requested_date=data["requested_date"],
                promised_date=data["promised_date"],
                currency=data.get("currency") or None,
                customer_reference=data.get("customer_reference", ""),
                ship_to=data.get("ship_to", ""),
                contact=data.get("contact"),
                notes=data.get("notes", ""),
                payment_terms_days=data.get("payment_terms_days"),
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Order {order.number} booked.")
            return redirect("orders:detail", public_id=order.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "orders/order_form.html",
        {"nav": "orders", "form": form, "formset": formset, "account": account},
        status=status,
    )


def _writable(request, public_id):
    order = _order_or_404(request, public_id)
    if not services.can_write_order(request.user, order):
        raise Http404
    return order


@require_POST
def order_edit(request, public_id):
    """Change dates and references; a new date needs a reason and the customer is told."""
    order = _writable(request, public_id)
    form = OrderHeaderForm(request.POST, order=order)
    if form.is_valid():
        try:
            services.order_update(
                actor=request.user,
                order=order,
                data=form.header_data(),
                reason=form.cleaned_data.get("reason", ""),
                expected_version=form.cleaned_data.get("version"),
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request,
                "Order updated." + (" The customer has been told." if order.contact_id else ""),
            )
            return redirect("orders:detail", public_id=order.public_id)
    return render(
        request,
        "orders/order_detail.html",
        _detail_context(request, order, header_form=form, open_panel="edit"),
        status=422,
    )


@require_POST
def line_add(request, public_id):
    order = _writable(request, public_id)
    form = AddLineForm(request.POST)
    if form.is_valid():
        try:
            services.order_line_add(
                actor=request.user,
                order=order,
                data=form.line_data(),
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Line added; the customer has been told.")
            return redirect("orders:detail", public_id=order.public_id)
    return render(
        request,
        "orders/order_detail.html",
        _detail_context(request, order, add_line_form=form, open_panel="add-line"),
        status=422,
    )


def _line_or_404(order, line_id):
    line = next((ln for ln in order.lines.all() if str(ln.public_id) == str(line_id)), None)
    if line is None:
        raise Http404
    return line


@require_http_methods(["GET", "POST"])
def line_change(request, public_id, line_id):
    """Change a line's quantity or price (with a reason)."""
    order = _writable(request, public_id)
    line = _line_or_404(order, line_id)
    form = ChangeLineForm(request.POST or None, line=line)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("quantity", "unit_price", "discount_percent")}
        try:
            services.order_line_change(
                actor=request.user,
                order=order,
                line=line,
                data=data,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, f"Line {line.position} changed; the customer has been told.")
            return redirect("orders:detail", public_id=order.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "orders/line_form.html",
        {"nav": "orders", "order": order, "line": line, "form": form},
        status=status,
    )


LINE_ACTIONS = {"cancel", "backorder", "release"}


@require_POST
def line_action(request, public_id, line_id, action):
    """Cancel, backorder or release a line (reason required for the first two)."""
    order = _writable(request, public_id)
    line = _line_or_404(order, line_id)
    if action not in LINE_ACTIONS:
        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.data.get("reason", "")
    version = form.cleaned_data.get("version") if hasattr(form, "cleaned_data") else None
    try:
        if action == "cancel":
            services.order_line_cancel(
                actor=request.user, order=order, line=line, reason=reason, expected_version=version
            )
            messages.success(
                request, f"Line {line.position} cancelled; the customer has been told."
            )
        elif action == "backorder":
            services.order_line_backorder(
                actor=request.user,
                order=order,
                line=line,
                reason=reason,
                expected_on=form.cleaned_data.get("expected_on"),
                expected_version=version,
            )
            messages.success(
                request,
                f"Line {line.position} backordered; the customer has been told. Offer a substitute below.",
            )
        else:
            services.order_line_release_backorder(
                actor=request.user, order=order, line=line, expected_version=version
            )
            messages.success(request, f"Line {line.position} is in stock again.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("orders:detail", public_id=order.public_id)


ORDER_ACTIONS = {"hold", "release", "cancel", "start"}


@require_POST
def order_action(request, public_id, action):
    """Hold, release, cancel or start fulfilment, through the same services as the API."""
    order = _writable(request, public_id)
    if action not in ORDER_ACTIONS:
        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.data.get("reason", "")
    version = form.cleaned_data.get("version")
    try:
        if action == "hold":
            services.order_hold(
                actor=request.user, order=order, reason=reason, expected_version=version
            )
            messages.success(request, "The order is on hold; the customer has been told.")
        elif action == "release":
            services.order_release(actor=request.user, order=order, expected_version=version)
            messages.success(request, "Hold lifted.")
        elif action == "cancel":
            services.order_cancel(
                actor=request.user, order=order, reason=reason, expected_version=version
            )
            messages.success(request, "The order is cancelled; the customer has been told.")
        else:
            services.order_start_fulfilment(
                actor=request.user, order=order, expected_version=version
            )
            messages.success(request, "Fulfilment started.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("orders:detail", public_id=order.public_id)


@require_http_methods(["GET", "POST"])
def shipment_create(request, public_id):
    """Record a shipment: which open quantities left, when, and (if known) when they arrived."""
    order = _writable(request, public_id)
    lines = list(order.lines.all())
    form = ShipmentForm(request.POST or None, order=order, lines=lines)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.shipment_record(
                actor=request.user,
                order=order,
                quantities=form.quantities(),
                shipped_on=data["shipped_on"],
                delivered_on=data.get("delivered_on"),
                carrier=data.get("carrier", ""),
                tracking_number=data.get("tracking_number", ""),
                expected_version=data.get("version"),
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Shipment recorded; the customer has been told.")
            return redirect("orders:detail", public_id=order.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "orders/shipment_form.html",
        {"nav": "orders", "order": order, "form": form},
        status=status,
    )


@require_POST
def shipment_delivered(request, public_id, shipment_id):
    """Record the date a shipment reached the customer."""
    order = _writable(request, public_id)
    shipment = next(
        (s for s in order.shipments.all() if str(s.public_id) == str(shipment_id)), None
    )
    if shipment is None:
        raise Http404
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the delivery date.")
    else:
        try:
            services.shipment_record_delivery(
                actor=request.user,
                shipment=shipment,
                delivered_on=form.cleaned_data["delivered_on"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Delivery recorded.")
    return redirect("orders:detail", public_id=order.public_id)


def _period(request, today: dt.date) -> tuple[dt.date, dt.date, str]:
    years = request.GET.get("years", "3")
    years_n = int(years) if years in ("1", "2", "3", "5") else 3
    start = dt.date(today.year - years_n + 1, 1, 1)
    return start, today + dt.timedelta(days=1), str(years_n)


def otif_report(request):
    """OTIF for the visible portfolio by quarter (chart and table) and by account (worst first)."""
    today = timezone.localdate()
    start, end, years = _period(request, today)
    quarters = selectors.otif_by_quarter(user=request.user, start=start, end=end)
    total = otif.combine(q.figures for q in quarters)  # every delivery falls in one quarter
    sort = (
        request.GET.get("sort", "otif")
        if request.GET.get("sort", "otif") in selectors.OTIF_ACCOUNT_SORTS
        else "otif"
    )
    by_account = Paginator(
        selectors.otif_by_account(user=request.user, start=start, end=end, sort=sort), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for row in by_account.object_list:
        row["otif_pct"] = (
            round(row["otif"] * 100.0 / row["delivered"], 1) if row["delivered"] else None
        )
        row["on_time_pct"] = (
            round(row["on_time"] * 100.0 / row["delivered"], 1) if row["delivered"] else None
        )
        row["in_full_pct"] = (
            round(row["in_full"] * 100.0 / row["delivered"], 1) if row["delivered"] else None
        )
    revenue = {
        r["quarter"]: r
        for r in selectors.revenue_by_quarter(user=request.user, start=start, end=end)
    }
    chart = {
        "type": "line",
        "labels": [q.label for q in quarters],
        "datasets": [
            {
                "label": "OTIF %",
                "data": [float(q.figures.otif_pct or 0) for q in quarters],
                "borderColor": "#2563eb",
                "backgroundColor": "#2563eb",
            },
            {
                "label": "On time %",
                "data": [float(q.figures.on_time_pct or 0) for q in quarters],
                "borderColor": "#16a34a",
                "backgroundColor": "#16a34a",
            },
            {
                "label": "In full %",
                "data": [float(q.figures.in_full_pct or 0) for q in quarters],
                "borderColor": "#d97706",
                "backgroundColor": "#d97706",
            },
        ],
    }
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "nav": "otif",
        "quarters": quarters,
        "total": total,
        "by_account": by_account,
        "chart": chart,
        "years": years,
        "sort": sort,
        "revenue": revenue,
        "page_query": urlencode(params),
        "base_query": urlencode({k: v for k, v in params.items() if k != "sort"}),
    }
    return render(request, "orders/otif_report.html", context)


def late_orders(request):
    """Late and at-risk orders with why, for operations managers (mine or everything I see)."""
    today = timezone.localdate()
    mine = request.GET.get("mine", "1" if request.user.role == "operations" else "") == "1"
    data = selectors.late_and_at_risk(user=request.user, today=today, mine=mine)
    return render(
        request,
        "orders/late_orders.html",
        {"nav": "late_orders", "mine": mine, "today": today, **data},
    )


def account_orders(request, public_id):
    """Account 360, Orders tab: open orders (late and at-risk flagged, with why), recent orders, OTIF."""
    context = account_tab_context(request, public_id, "orders")
    today = timezone.localdate()
    context.update(
        selectors.account_orders_tab(user=request.user, account=context["account"], today=today)
    )
    context.update(can_create=not request.user.is_read_only, today=today)
    return render(request, "orders/account_orders.html", context)


def progress_report(request, public_id):
    """The account's order progress report, for the customer (default) or for internal teams."""
    account = _account_or_404(request, public_id)
    internal = request.GET.get("view") == "internal"
    report = selectors.progress_report(
        user=request.user, account=account, today=timezone.localdate(), internal=internal
    )
    contacts = account.contacts.exclude(email="").order_by("last_name", "first_name")
    return render(
        request,
        "orders/progress_report.html",
        {
            "nav": "orders",
            "report": report,
            "account": account,
            "internal": internal,
            "contacts": contacts,
            "can_write": not request.user.is_read_only,
        },
    )


def progress_report_pdf(request, public_id):
    account = _account_or_404(request, public_id)
    internal = request.GET.get("view") == "internal"
    report = selectors.progress_report(
        user=request.user, account=account, today=timezone.localdate(), internal=internal
    )
    return pdf_response(
        documents.progress_pdf(report, internal=internal),
        f"orders-{account.name[:40]}-{report.today:%Y-%m-%d}.pdf",
    )


@require_POST
def progress_report_email(request, public_id):
    """Email the customer version of the progress report (PDF attached) to a contact; logged on the timeline."""
    account = _account_or_404(request, public_id)
    contact = (
        account.contacts.filter(public_id=request.POST.get("contact")).first()
        if request.POST.get("contact")
        else None
    )
    try:
        documents.progress_report_send(actor=request.user, account=account, contact=contact)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Progress report emailed to {contact.email} and logged on the timeline."
        )
    return redirect("orders:progress", public_id=account.public_id)
