"""REST endpoints for orders, lines, shipments, OTIF and the progress report: the same services as the pages."""

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from steward.accounts.models import Account, Contact
from steward.accounts.selectors import accounts_visible_to, contacts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset, MappedPages
from steward.api.schemas import Payload, Text
from steward.catalogue.models import Product
from steward.core.errors import NotFound, ValidationFailed
from steward.core.pdf import pdf_response
from steward.orders import documents, selectors, services
from steward.orders.engine import otif
from steward.orders.models import Order, OrderLine, Shipment
from steward.users.models import User

router = Router(tags=["orders"])
RESPONSES = {**ERROR_RESPONSES, 409: ErrorOut}


class LineIn(Payload):
    sku: Text = Field(description="The product's SKU.")
    quantity: Decimal
    unit_price: Decimal | None = Field(None, description="Leave out for the list price.")
    discount_percent: Decimal = Decimal(0)
    description: Text = ""


class OrderIn(Payload):
    account_id: UUID
    requested_date: dt.date
    promised_date: dt.date
    ordered_on: dt.date | None = Field(None, description="Defaults to today.")
    currency: Text | None = Field(None, description="Defaults to the account's currency.")
    customer_reference: Text = ""
    ship_to: Text = ""
    contact_id: UUID | None = None
    notes: Text = ""
    payment_terms_days: int | None = Field(
        None, description="Net N days; leave out for the standard terms."
    )
    lines: list[LineIn]


class OrderPatch(Payload):
    requested_date: dt.date | None = None
    promised_date: dt.date | None = None
    customer_reference: Text | None = None
    ship_to: Text | None = None
    notes: Text | None = None
    contact_id: UUID | None = None
    payment_terms_days: int | None = None
    reason: Text = Field("", description="Required when a date changes: the customer is told.")


class LineChangeIn(Payload):
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    description: Text | None = None
    reason: Text


class LineAddIn(LineIn):
    reason: Text


class ReasonIn(Payload):
    reason: Text


class BackorderIn(Payload):
    reason: Text
    expected_on: dt.date | None = None


class ShipmentLineIn(Payload):
    line: int = Field(description="The line's position on the order.")
    quantity: Decimal


class ShipmentIn(Payload):
    shipped_on: dt.date
    delivered_on: dt.date | None = None
    carrier: Text = ""
    tracking_number: Text = ""
    lines: list[ShipmentLineIn]


class DeliveryIn(Payload):
    delivered_on: dt.date


class LineOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    position: int
    sku: str = Field(validation_alias="product.sku")
    product: str = Field(validation_alias="product.name")
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    amount: Decimal
    status: str
    shipped_quantity: Decimal
    delivered_quantity: Decimal
    open_quantity: Decimal
    backorder_reason: str
    backorder_expected_on: dt.date | None


class ShipmentLineOut(Schema):
    line: int = Field(validation_alias="order_line.position")
    sku: str = Field(validation_alias="order_line.product.sku")
    quantity: Decimal


class ShipmentOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    shipped_on: dt.date
    delivered_on: dt.date | None
    carrier: str
    tracking_number: str
    lines: list[ShipmentLineOut]

    @staticmethod
    def resolve_lines(obj: Shipment) -> list[Any]:
        return list(obj.lines.all())


class OrderOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    number: str
    account_id: UUID = Field(validation_alias="account.public_id")
    status: str
    currency: str
    ordered_on: dt.date
    requested_date: dt.date
    promised_date: dt.date
    customer_reference: str
    ship_to: str
    contact_id: UUID | None = None
    owner: str | None = Field(None, validation_alias="owner.username")
    notes: str
    payment_terms_days: int | None
    effective_payment_terms_days: int
    hold_reason: str
    total_amount: Decimal
    delivered_on: dt.date | None
    is_on_time: bool | None
    is_in_full: bool | None
    lines: list[LineOut]
    shipments: list[ShipmentOut]

    @staticmethod
    def resolve_contact_id(obj: Order) -> UUID | None:
        return obj.contact.public_id if obj.contact_id else None

    @staticmethod
    def resolve_lines(obj: Order) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_shipments(obj: Order) -> list[Any]:
        return list(obj.shipments.all())


class ChangeOut(Schema):
    kind: str
    line: int | None = Field(None, validation_alias="line.position")
    old_value: str
    new_value: str
    reason: str
    actor: str | None = Field(None, validation_alias="actor.username")
    occurred_at: dt.datetime
    notified_to: str


class OrderQuery(Schema):
    q: Text = ""
    status: Text = ""
    flag: Text = Field("", description="late, at_risk or open.")
    account_id: UUID | None = None
    owner: Text = Field("", description='A username, or "me".')
    sort: Text = Field(
        "-ordered",
        description="number, account, ordered, promised, total or status; prefix - to reverse.",
    )


class OtifOut(Schema):
    period: str
    delivered: int
    on_time: int
    in_full: int
    on_time_in_full: int
    otif_pct: Decimal | None
    on_time_pct: Decimal | None
    in_full_pct: Decimal | None


class OtifReportOut(Schema):
    total: OtifOut
    quarters: list[OtifOut]


class AccountOtifOut(Schema):
    account_id: UUID
    account: str
    delivered: int
    on_time_in_full: int
    otif_pct: Decimal | None


class RevenueQuarterOut(Schema):
    quarter: str
    orders: int
    amount: Decimal = Field(description="In the reporting currency.")
    unconverted: dict[str, Decimal] = Field(description="Amounts per currency without an exchange rate.")


class RevenueOut(Schema):
    account_id: UUID
    account: str
    quarters: list[RevenueQuarterOut]


class OtifQuery(Schema):
    start: dt.date | None = Field(None, description="Deliveries on or after this date.")
    end: dt.date | None = Field(None, description="Deliveries before this date.")
    account_id: UUID | None = None


def _otif_out(period: str, f: Any) -> OtifOut:
    return OtifOut(
        period=period,
        delivered=f.delivered,
        on_time=f.on_time,
        in_full=f.in_full,
        on_time_in_full=f.on_time_in_full,
        otif_pct=f.otif_pct,
        on_time_pct=f.on_time_pct,
        in_full_pct=f.in_full_pct,
    )


def _lines(payload_lines: list[LineIn]) -> list[dict[str, Any]]:
    skus = {ln.sku.strip().upper() for ln in payload_lines}
    products = {p.sku.upper(): p for p in Product.objects.filter(sku__in=skus)}
    result = []
    for row, ln in enumerate(payload_lines, start=1):
        product = products.get(ln.sku.strip().upper())
        if product is None:
            raise ValidationFailed(
                f"Line {row}: no product with SKU {ln.sku}.",
                field_errors={"lines": [f"Line {row}: no product with SKU {ln.sku}."]},
            )
        result.append(
            {
                "product": product,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "discount_percent": ln.discount_percent,
                "description": ln.description,
            }
        )
    return result


def _contact(user: User, ref: UUID | None, account_pk: int) -> Contact | None:
    if ref is None:
        return None
    contact = contacts_visible_to(user).filter(public_id=ref, account_id=account_pk).first()
    if contact is None:
        raise ValidationFailed(
            "contact_id: no such contact on this account.",
            field_errors={"contact_id": ["No such contact on this account."]},
        )
    return contact


def _account(user: User, public_id: UUID) -> Account:
    account = accounts_visible_to(user).filter(public_id=public_id).first()
    if account is None:
        raise NotFound("No such account.")
    return account


def _fresh(user: User, order: Order) -> Order:
    return selectors.order_get(user=user, public_id=order.public_id)


def _line(order: Order, position: int) -> OrderLine:
    line = next((ln for ln in order.lines.all() if ln.position == position), None)
    if line is None:
        raise NotFound(f"No line {position} on this order.")
    return line


@router.get("/orders", response={200: list[OrderOut], 401: ErrorOut, 422: ErrorOut})
@paginate(LimitOffset)
def order_list(request: HttpRequest, filters: Query[OrderQuery]) -> QuerySet[Order]:
    """Orders the caller may see, filtered (status, late, at risk, account, owner) and sorted."""
    user = current_user(request)
    wanted = selectors.OrderFilters(
        q=filters.q,
        status=filters.status,
        flag=filters.flag,
        account=str(filters.account_id or ""),
        owner=filters.owner,
    )
    qs = selectors.order_list(
        user=user, filters=wanted, today=timezone.localdate(), sort=filters.sort
    )
    return qs.select_related("contact").prefetch_related(
        Prefetch(
            "lines", queryset=OrderLine.objects.select_related("product").order_by("position")
        ),
        Prefetch(
            "shipments", queryset=Shipment.objects.prefetch_related("lines__order_line__product")
        ),
    )


@router.post("/orders", response={201: OrderOut, **RESPONSES})
def order_create(request: HttpRequest, payload: OrderIn, response: HttpResponse) -> Status:
    """Book an order on an account with its lines."""
    user = current_user(request)
    account = accounts_visible_to(user).filter(public_id=payload.account_id).first()
    if account is None:
        raise ValidationFailed(
            "account_id: no such account.", field_errors={"account_id": ["No such account."]}
        )
    order = services.order_create(
        actor=user,
        account=account,
        lines=_lines(payload.lines),
        requested_date=payload.requested_date,
        promised_date=payload.promised_date,
        ordered_on=payload.ordered_on,
        currency=payload.currency,
        customer_reference=payload.customer_reference,
        ship_to=payload.ship_to,
        contact=_contact(user, payload.contact_id, account.pk),
        notes=payload.notes,
        payment_terms_days=payload.payment_terms_days,
    )
    return created(request, response, _fresh(user, order))


@router.get("/orders/{public_id}", response={200: OrderOut, **RESPONSES})
def order_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Order:
    return read(response, selectors.order_get(user=current_user(request), public_id=public_id))


@router.patch("/orders/{public_id}", response={200: OrderOut, **RESPONSES})
def order_update(
    request: HttpRequest,
    public_id: UUID,
    payload: OrderPatch,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    """Change dates and references; a new promised or requested date needs `reason` and the customer is told."""
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    data = payload.model_dump(exclude_unset=True, exclude={"reason", "contact_id"})
    for name in ("requested_date", "promised_date"):
        if name in data and data[name] is None:
            raise ValidationFailed(
                f"{name}: a date is needed.", field_errors={name: ["A date is needed."]}
            )
    if "contact_id" in payload.model_fields_set:
        data["contact"] = _contact(user, payload.contact_id, order.account_id)
    order = services.order_update(
        actor=user,
        order=order,
        data=data,
        reason=payload.reason,
        expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, order))


@router.get("/orders/{public_id}/changes", response={200: list[ChangeOut], **RESPONSES})
def order_changes(request: HttpRequest, public_id: UUID) -> list[Any]:
    """What changed on the order that the customer was told about, newest first."""
    return selectors.order_changes(
        selectors.order_get(user=current_user(request), public_id=public_id)
    )


@router.get("/orders/{public_id}/lines", response={200: list[LineOut], **RESPONSES})
def line_list(request: HttpRequest, public_id: UUID) -> list[Any]:
    return list(selectors.order_get(user=current_user(request), public_id=public_id).lines.all())


@router.post("/orders/{public_id}/lines", response={201: OrderOut, **RESPONSES})
def line_add(
    request: HttpRequest,
    public_id: UUID,
    payload: LineAddIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Status:
    """Add a line (with a reason the customer is told)."""
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    data = _lines([LineIn(**payload.model_dump(exclude={"reason"}))])[0]
    services.order_line_add(
        actor=user,
        order=order,
        data=data,
        reason=payload.reason,
        expected_version=expected_version(if_match),
    )
    return Status(201, read(response, _fresh(user, order)))


@router.patch("/orders/{public_id}/lines/{position}", response={200: OrderOut, **RESPONSES})
def line_change(
    request: HttpRequest,
    public_id: UUID,
    position: int,
    payload: LineChangeIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    """Change a line's quantity, price, discount or description (with a reason the customer is told)."""
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    data = payload.model_dump(exclude_unset=True, exclude={"reason"})
    services.order_line_change(
        actor=user,
        order=order,
        line=_line(order, position),
        data=data,
        reason=payload.reason,
        expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, order))


@router.post("/orders/{public_id}/lines/{position}/cancel", response={200: OrderOut, **RESPONSES})
def line_cancel(
    request: HttpRequest,
    public_id: UUID,
    position: int,
    payload: ReasonIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    services.order_line_cancel(
        actor=user,
        order=order,
        line=_line(order, position),
        reason=payload.reason,
        expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, order))


class SubstituteOut(Schema):
    sku: str
    name: str
    list_price: Decimal
    currency: str


@router.post(
    "/orders/{public_id}/lines/{position}/backorder", response={200: OrderOut, **RESPONSES}
)
def line_backorder(
    request: HttpRequest,
    public_id: UUID,
    position: int,
    payload: BackorderIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    """Mark a line backordered; GET .../substitutes lists what to offer instead."""
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    services.order_line_backorder(
        actor=user,
        order=order,
        line=_line(order, position),
        reason=payload.reason,
        expected_on=payload.expected_on,
        expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, order))


@router.post("/orders/{public_id}/lines/{position}/release", response={200: OrderOut, **RESPONSES})
def line_release(
    request: HttpRequest,
    public_id: UUID,
    position: int,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    services.order_line_release_backorder(
        actor=user,
        order=order,
        line=_line(order, position),
        expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, order))


@router.get(
    "/orders/{public_id}/lines/{position}/substitutes",
    response={200: list[SubstituteOut], **RESPONSES},
)
def line_substitutes(request: HttpRequest, public_id: UUID, position: int) -> list[Any]:
    """Active substitutes of a backordered line's product, to offer the customer."""
    order = selectors.order_get(user=current_user(request), public_id=public_id)
    line = _line(order, position)
    return selectors.substitutes_for([line]).get(line.pk, [])


def _act(
    request: HttpRequest,
    public_id: UUID,
    response: HttpResponse,
    service: Any,
    if_match: str | None,
    **kwargs: Any,
) -> Order:
    user = current_user(request)
    order = service(
        actor=user,
        order=selectors.order_get(user=user, public_id=public_id),
        expected_version=expected_version(if_match),
        **kwargs,
    )
    return read(response, _fresh(user, order))


@router.post("/orders/{public_id}/hold", response={200: OrderOut, **RESPONSES})
def order_hold(
    request: HttpRequest,
    public_id: UUID,
    payload: ReasonIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    """Put an open order on hold (with a reason the customer is told)."""
    return _act(request, public_id, response, services.order_hold, if_match, reason=payload.reason)


@router.post("/orders/{public_id}/release", response={200: OrderOut, **RESPONSES})
def order_release(
    request: HttpRequest, public_id: UUID, response: HttpResponse, if_match: str | None = IfMatch
) -> Order:
    return _act(request, public_id, response, services.order_release, if_match)


@router.post("/orders/{public_id}/cancel", response={200: OrderOut, **RESPONSES})
def order_cancel(
    request: HttpRequest,
    public_id: UUID,
    payload: ReasonIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    """Cancel an order that has not shipped anything (with a reason the customer is told)."""
    return _act(
        request, public_id, response, services.order_cancel, if_match, reason=payload.reason
    )


@router.get("/orders/{public_id}/shipments", response={200: list[ShipmentOut], **RESPONSES})
def shipment_list(request: HttpRequest, public_id: UUID) -> list[Any]:
    return list(
        selectors.order_get(user=current_user(request), public_id=public_id).shipments.all()
    )


@router.post("/orders/{public_id}/shipments", response={201: OrderOut, **RESPONSES})
def shipment_create(
    request: HttpRequest,
    public_id: UUID,
    payload: ShipmentIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Status:
    """Record a shipment of some or all open quantities (never more than a line has open)."""
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    quantities: dict[OrderLine, Decimal] = {}
    for item in payload.lines:
        line = _line(order, item.line)
        quantities[line] = quantities.get(line, Decimal(0)) + item.quantity
    services.shipment_record(
        actor=user,
        order=order,
        quantities=quantities,
        shipped_on=payload.shipped_on,
        delivered_on=payload.delivered_on,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        expected_version=expected_version(if_match),
    )
    return Status(201, read(response, _fresh(user, order)))


@router.post(
    "/orders/{public_id}/shipments/{shipment_id}/delivered", response={200: OrderOut, **RESPONSES}
)
def shipment_delivered(
    request: HttpRequest,
    public_id: UUID,
    shipment_id: UUID,
    payload: DeliveryIn,
    response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Order:
    """Record when a shipment reached the customer."""
    user = current_user(request)
    order = selectors.order_get(user=user, public_id=public_id)
    shipment = next((s for s in order.shipments.all() if s.public_id == shipment_id), None)
    if shipment is None:
        raise NotFound("No such shipment on this order.")
    services.shipment_record_delivery(
        actor=user,
        shipment=shipment,
        delivered_on=payload.delivered_on,
        expected_version=expected_version(if_match),
    )
    return read(response, _fresh(user, order))


@router.get(
    "/otif",
    response={200: OtifReportOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["OTIF"],
)
def otif_report(request: HttpRequest, filters: Query[OtifQuery]) -> OtifReportOut:
    """OTIF of delivered orders by delivery quarter and in total, for the visible portfolio or one account."""
    user = current_user(request)
    account = _account(user, filters.account_id) if filters.account_id else None
    quarters = selectors.otif_by_quarter(
        user=user, start=filters.start, end=filters.end, account=account
    )
    total = otif.combine(q.figures for q in quarters)  # as the OTIF page: every delivery falls in one quarter
    return OtifReportOut(
        total=_otif_out("total", total), quarters=[_otif_out(q.label, q.figures) for q in quarters]
    )


@router.get(
    "/otif/accounts",
    response={200: list[AccountOtifOut], 401: ErrorOut, 422: ErrorOut},
    tags=["OTIF"],
)
@paginate(LimitOffset)
def otif_accounts(request: HttpRequest, filters: Query[OtifQuery]) -> Any:
    """OTIF per account over the period, worst first."""
    return MappedPages(
        selectors.otif_by_account(user=current_user(request), start=filters.start, end=filters.end),
        lambda r: {
            "account_id": r["account_public_id"],
            "account": r["account_name"],
            "delivered": r["delivered"],
            "on_time_in_full": r["otif"],
            "otif_pct": (Decimal(r["otif"]) * 100 / Decimal(r["delivered"])).quantize(Decimal("0.1"))
            if r["delivered"]
            else None,
        },
    )


@router.get(
    "/revenue/accounts-by-quarter",
    response={200: list[RevenueOut], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["OTIF"],
)
@paginate(LimitOffset)
def revenue_by_account_quarter(
    request: HttpRequest,
    start: dt.date | None = None,
    end: dt.date | None = None,
    account_id: UUID | None = None,
) -> Any:
    """Booked revenue per account and quarter in the reporting currency (cancelled orders excluded),
    a page of accounts at a time (in a stable order), each with its quarters, oldest first."""
    user = current_user(request)
    account = _account(user, account_id) if account_id else None
    return MappedPages(
        selectors.RevenueByAccount(user=user, start=start, end=end, account=account),
        lambda r: {"account_id": r["account_public_id"], "account": r["account_name"], "quarters": r["quarters"]},
    )


class ProgressOrderOut(Schema):
    number: str
    customer_reference: str
    status: str
    ordered_on: dt.date
    promised_date: dt.date
    late: bool
    days_late: int
    why: str
    open_lines: list[LineOut]


class ProgressOut(Schema):
    account_id: UUID
    account: str
    as_of: dt.date
    since: dt.date
    open_orders: list[ProgressOrderOut]
    late: list[str]
    shipments: list[dict[str, Any]]
    next_dates: list[dict[str, Any]]
    otif: OtifOut


@router.get(
    "/accounts/{public_id}/orders/progress",
    response={200: ProgressOut, **RESPONSES},
    tags=["orders"],
)
def progress(request: HttpRequest, public_id: UUID) -> dict[str, Any]:
    """The account's order progress report: open orders, late and why, what shipped lately, next dates, OTIF."""
    user = current_user(request)
    report = selectors.progress_report(
        user=user, account=_account(user, public_id), today=timezone.localdate()
    )
    return dict(
        account_id=report.account.public_id,
        account=report.account.name,
        as_of=report.today,
        since=report.since,
        open_orders=[
            dict(
                number=o.number,
                customer_reference=o.customer_reference,
                status=o.status,
                ordered_on=o.ordered_on,
                promised_date=o.promised_date,
                late=o.late,
                days_late=o.days_late,
                why=o.why,
                open_lines=o.open_lines,
            )
            for o in report.open_orders
        ],
        late=[o.number for o in report.late],
        shipments=[
            {
                "order": s.order.number,
                "shipped_on": s.shipped_on,
                "delivered_on": s.delivered_on,
                "carrier": s.carrier,
                "lines": [
                    {"sku": sl.order_line.product.sku, "quantity": sl.quantity}
                    for sl in s.lines.all()
                ],
            }
            for s in report.shipments
        ],
        next_dates=[
            {"date": d, "what": what, "order": o.number} for d, what, o in report.next_dates
        ],
        otif=_otif_out("last 12 months", report.otif),
    )


@router.get(
    "/accounts/{public_id}/orders/progress.pdf", response={200: None, **RESPONSES}, tags=["orders"]
)
def progress_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The customer version of the progress report as a PDF."""
    user = current_user(request)
    report = selectors.progress_report(
        user=user, account=_account(user, public_id), today=timezone.localdate()
    )
    return pdf_response(
        documents.progress_pdf(report), f"order-progress-{report.today:%Y-%m-%d}.pdf"
    )
