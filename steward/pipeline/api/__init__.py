"""REST endpoints for opportunities, stages, quotas and quota attainment. They call the same
services and selectors as the pages, so every rule and visibility check applies."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from steward.accounts.selectors import accounts_visible_to
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.catalogue.models import Product
from steward.core.errors import NotFound, ValidationFailed
from steward.pipeline import selectors, services
from steward.pipeline.api.schemas import (
    AttainmentOut,
    AttainmentQuery,
    AttainmentRowOut,
    CloseLostIn,
    CloseWonIn,
    MoveIn,
    OpportunityIn,
    OpportunityOut,
    OpportunityPatch,
    OpportunityQuery,
    QuotaIn,
    QuotaOut,
    QuotaPatch,
    QuotaQuery,
    StageIn,
    StageOut,
    StagePatch,
)
from steward.pipeline.engine.periods import period_start
from steward.pipeline.models import Opportunity, OpportunityStage, Quota
from steward.users.models import User
from steward.users.selectors import users_assignable

router = Router()
LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}
CENT = Decimal("0.01")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


def _stage_ref(value: str) -> OpportunityStage:
    qs = OpportunityStage.objects.all()
    stage = qs.filter(public_id=value).first() if selectors._is_uuid(value) else qs.filter(name__iexact=value.strip()).first()
    if stage is None:
        names = ", ".join(s.name for s in selectors.stages(active_only=True))
        raise _invalid("stage", f"No such stage; pick one of {names}.")
    return stage


def _user_ref(actor: User, field: str, username: str) -> User:
    user = users_assignable(actor).filter(username=username).first()
    if user is None:
        raise _invalid(field, "No active user with this username.")
    return user


def _opportunity_data(actor: User, payload: OpportunityPatch) -> tuple[dict[str, Any], list[services.LineInput] | None]:
    data = payload.model_dump(exclude_unset=True)
    data.pop("account", None)
    raw_lines = data.pop("lines", None)
    for key in [k for k, v in data.items() if v is None]:
        raise _invalid(key, "Leave this field out rather than sending null.")
    if "stage" in data:
        data["stage"] = _stage_ref(data["stage"])
    if "owner" in data:
        data["owner"] = _user_ref(actor, "owner", data["owner"])
    if raw_lines is None:
        return data, None
    skus = {line["product"].strip().upper() for line in raw_lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    lines = []
    for index, line in enumerate(raw_lines, start=1):
        product = products.get(line["product"].strip().upper())
        if product is None:
            raise ValidationFailed(f"lines: row {index}: no product with SKU {line['product']}.", field_errors={"lines": [f"Row {index}: no product with SKU {line['product']}."]})
        lines.append(services.LineInput(product, line["quantity"], line.get("unit_price")))
    return data, lines


def _fetch(request: HttpRequest, public_id: UUID) -> Opportunity:
    return selectors.opportunity_get(user=current_user(request), public_id=public_id)


# Opportunities -------------------------------------------------------------------------------


@router.get("/opportunities", response={200: list[OpportunityOut], **LIST_ERRORS}, tags=["opportunities"])
@paginate(LimitOffset)
def opportunity_list(request: HttpRequest, filters: Query[OpportunityQuery]) -> QuerySet[Opportunity]:
    """Opportunities of visible accounts, narrowed and sorted."""
    user = current_user(request)
    account = None
    if filters.account is not None:
        account = accounts_visible_to(user).filter(public_id=filters.account).first()
        if account is None:
            raise _invalid("account", "No such account.")
    wanted = selectors.OpportunityFilters(
        q=filters.q, owner=user.username if filters.owner == "me" else filters.owner, stage=filters.stage,
        type=filters.type or "", status=filters.status or "", close_from=filters.close_from, close_to=filters.close_to, account=account,
    )
    sort = filters.sort if filters.sort in selectors.OPPORTUNITY_SORTS else "close"
    return selectors.opportunity_list(user=user, filters=wanted, sort=sort).select_related("account", "stage", "owner").prefetch_related("lines__product")


@router.post("/opportunities", response={201: OpportunityOut, **ERROR_RESPONSES}, tags=["opportunities"])
def opportunity_create(request: HttpRequest, payload: OpportunityIn, response: HttpResponse) -> Status:
    """Open an opportunity on a visible account (stage: the first open one unless named; owner: you unless named)."""
    user = current_user(request)
    account = accounts_visible_to(user).filter(public_id=payload.account).first()
    if account is None:
        raise _invalid("account", "No such account.")
    data, lines = _opportunity_data(user, payload)
    opportunity = services.opportunity_create(actor=user, account=account, data=data, lines=lines)
    return created(request, response, selectors.opportunity_get(user=user, public_id=opportunity.public_id))


@router.get("/opportunities/{public_id}", response={200: OpportunityOut, **ERROR_RESPONSES}, tags=["opportunities"])
def opportunity_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Opportunity:
    return read(response, _fetch(request, public_id))


@router.patch("/opportunities/{public_id}", response={200: OpportunityOut, **ERROR_RESPONSES}, tags=["opportunities"])
def opportunity_update(request: HttpRequest, public_id: UUID, payload: OpportunityPatch, response: HttpResponse, if_match: str | None = IfMatch) -> Opportunity:
    """Change the fields sent; `If-Match` with a stale ETag answers 412 and writes nothing."""
    user = current_user(request)
    opportunity = _fetch(request, public_id)
    data, lines = _opportunity_data(user, payload)
    services.opportunity_update(actor=user, opportunity=opportunity, data=data, lines=lines, expected_version=expected_version(if_match))
    return read(response, _fetch(request, public_id))


@router.delete("/opportunities/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["opportunities"])
def opportunity_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    services.opportunity_delete(actor=current_user(request), opportunity=_fetch(request, public_id), expected_version=expected_version(if_match))
    return Status(204, None)


@router.post("/opportunities/{public_id}/move", response={200: OpportunityOut, **ERROR_RESPONSES}, tags=["opportunities"])
def opportunity_move(request: HttpRequest, public_id: UUID, payload: MoveIn, response: HttpResponse, if_match: str | None = IfMatch) -> Opportunity:
    """Move to a stage: open (reopening a closed one), won, or lost (with `loss_reason`)."""
    user = current_user(request)
    services.opportunity_move_stage(
        actor=user, opportunity=_fetch(request, public_id), stage=_stage_ref(payload.stage), loss_reason=payload.loss_reason or "",
        note=payload.note, expected_version=expected_version(if_match),
    )
    return read(response, _fetch(request, public_id))


@router.post("/opportunities/{public_id}/close-won", response={200: OpportunityOut, **ERROR_RESPONSES}, tags=["opportunities"])
def opportunity_close_won(request: HttpRequest, public_id: UUID, payload: CloseWonIn, response: HttpResponse, if_match: str | None = IfMatch) -> Opportunity:
    """Close won now; counts toward the owner's quota."""
    services.opportunity_close_won(actor=current_user(request), opportunity=_fetch(request, public_id), note=payload.note, expected_version=expected_version(if_match))
    return read(response, _fetch(request, public_id))


@router.post("/opportunities/{public_id}/close-lost", response={200: OpportunityOut, **ERROR_RESPONSES}, tags=["opportunities"])
def opportunity_close_lost(request: HttpRequest, public_id: UUID, payload: CloseLostIn, response: HttpResponse, if_match: str | None = IfMatch) -> Opportunity:
    """Close lost with a loss reason."""
    services.opportunity_close_lost(
        actor=current_user(request), opportunity=_fetch(request, public_id), loss_reason=payload.loss_reason, note=payload.note,
        expected_version=expected_version(if_match),
    )
    return read(response, _fetch(request, public_id))


# Stages --------------------------------------------------------------------------------------


@router.get("/opportunity-stages", response={200: list[StageOut], 401: ErrorOut}, tags=["opportunity stages"])
def stage_list(request: HttpRequest) -> list[OpportunityStage]:
    """Every stage in board order, with its win probability and outcome."""
    current_user(request)
    return selectors.stages()


@router.post("/opportunity-stages", response={201: StageOut, **ERROR_RESPONSES}, tags=["opportunity stages"])
def stage_create(request: HttpRequest, payload: StageIn) -> Status:
    """Add a stage (admins and directors)."""
    return Status(201, services.stage_create(actor=current_user(request), data=payload.model_dump(exclude_unset=True)))


@router.patch("/opportunity-stages/{public_id}", response={200: StageOut, **ERROR_RESPONSES}, tags=["opportunity stages"])
def stage_update(request: HttpRequest, public_id: UUID, payload: StagePatch) -> OpportunityStage:
    """Rename, reweight, reorder or (de)activate a stage."""
    data = payload.model_dump(exclude_unset=True)
    for key in [k for k, v in data.items() if v is None]:
        raise _invalid(key, "Leave this field out rather than sending null.")
    return services.stage_update(actor=current_user(request), stage=selectors.stage_get(public_id=public_id), data=data)


@router.delete("/opportunity-stages/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["opportunity stages"])
def stage_delete(request: HttpRequest, public_id: UUID) -> Status:
    """Delete an unused stage; one in use answers 422: deactivate it instead."""
    services.stage_delete(actor=current_user(request), stage=selectors.stage_get(public_id=public_id))
    return Status(204, None)


# Quotas --------------------------------------------------------------------------------------


def _require_quota_reader(user: User) -> None:
    if not services.can_configure_pipeline(user):
        raise NotFound("Quotas are kept by admins and directors; see /quota-attainment for yours.")


@router.get("/quotas", response={200: list[QuotaOut], **ERROR_RESPONSES}, tags=["quotas"])
@paginate(LimitOffset)
def quota_list(request: HttpRequest, filters: Query[QuotaQuery]) -> QuerySet[Quota]:
    """Quotas of the people in your scope (admins and directors)."""
    user = current_user(request)
    _require_quota_reader(user)
    qs = selectors.quotas_visible_to(user).select_related("user")
    if filters.user:
        qs = qs.filter(user__username=filters.user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
        if filters.period_start:
            qs = qs.filter(period_start=period_start(filters.kind, filters.period_start))
    elif filters.period_start:
        qs = qs.filter(period_start=filters.period_start)
    return qs.order_by("-period_start", "user__username", "kind")


@router.post("/quotas", response={201: QuotaOut, **ERROR_RESPONSES}, tags=["quotas"])
def quota_create(request: HttpRequest, payload: QuotaIn, response: HttpResponse) -> Status:
    """Set a person's quota for a period (replaces the one already set for it)."""
    actor = current_user(request)
    _require_quota_reader(actor)
    target = _user_ref(actor, "user", payload.user)
    quota = services.quota_set(actor=actor, user=target, kind=payload.kind, period_start_day=payload.period_start, amount=payload.amount, currency=payload.currency)
    return created(request, response, quota)


@router.get("/quotas/{public_id}", response={200: QuotaOut, **ERROR_RESPONSES}, tags=["quotas"])
def quota_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Quota:
    user = current_user(request)
    _require_quota_reader(user)
    return read(response, selectors.quota_get(user=user, public_id=public_id))


@router.patch("/quotas/{public_id}", response={200: QuotaOut, **ERROR_RESPONSES}, tags=["quotas"])
def quota_update(request: HttpRequest, public_id: UUID, payload: QuotaPatch, response: HttpResponse, if_match: str | None = IfMatch) -> Quota:
    user = current_user(request)
    _require_quota_reader(user)
    data = payload.model_dump(exclude_unset=True)
    for key in [k for k, v in data.items() if v is None]:
        raise _invalid(key, "Leave this field out rather than sending null.")
    quota = services.quota_update(actor=user, quota=selectors.quota_get(user=user, public_id=public_id), data=data, expected_version=expected_version(if_match))
    return read(response, quota)


@router.delete("/quotas/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["quotas"])
def quota_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    user = current_user(request)
    _require_quota_reader(user)
    services.quota_delete(actor=user, quota=selectors.quota_get(user=user, public_id=public_id), expected_version=expected_version(if_match))
    return Status(204, None)


@router.get("/quota-attainment", response={200: AttainmentOut, **ERROR_RESPONSES}, tags=["quotas"])
def quota_attainment(request: HttpRequest, filters: Query[AttainmentQuery]) -> AttainmentOut:
    """Own and team attainment of each person in your scope for one period (a tree from you down)."""
    user = current_user(request)
    if user.is_read_only:
        raise NotFound("Quota attainment is not available to read-only roles.")
    start = filters.start or timezone.localdate()
    report = selectors.quota_attainment(user=user, kind=filters.kind, start=start)
    usernames = {r.person.pk: r.person.username for r in report.rows}

    def pct(value: Any) -> str | None:
        return None if value is None else str(value)

    rows = [
        AttainmentRowOut(
            user=r.person.username, name=str(r.person), manager=usernames.get(r.person.manager_id) if r.figures.depth else None,
            depth=r.figures.depth, reports=[usernames[c] for c in r.figures.reports if c in usernames],
            own_quota=str(r.figures.own_quota.quantize(CENT)), own_booked=str(r.figures.own_booked.quantize(CENT)),
            own_attainment_pct=pct(r.figures.own_pct), team_quota=str(r.figures.team_quota.quantize(CENT)),
            team_booked=str(r.figures.team_booked.quantize(CENT)), team_attainment_pct=pct(r.figures.team_pct),
        )
        for r in report.rows
    ]
    return AttainmentOut(kind=report.kind, start=report.start, end=report.end, label=report.label, currency=report.currency, rows=rows,
                         unconverted={c: str(v) for c, v in report.unconverted.items()})
