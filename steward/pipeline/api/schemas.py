"""Request and response bodies of the pipeline API."""

import datetime as dt
from decimal import Decimal
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema

from steward.api.schemas import Payload, Text, optional
from steward.pipeline.choices import LossReason, OpportunityType, PeriodKind, StageOutcome
from steward.pipeline.models import Opportunity, OpportunityLine, Quota

CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT))


class LineIn(Payload):
    product: Text = Field(description="The product's SKU.")
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="Left out: the product's list price.")


class OpportunityPatch(Payload):
    name: Text = optional()
    type: OpportunityType = optional()
    stage: Text = optional("Name or id of an open, active stage. Closing goes through close-won / close-lost.")
    amount: Decimal = optional("Ignored when lines are sent: the lines' total becomes the amount.")
    currency: Text = optional("ISO currency code.")
    close_date: dt.date = optional()
    owner: Text = optional("Username.")
    next_step: Text = optional()
    description: Text = optional()
    lines: list[LineIn] = optional("Replaces the product lines.")


class OpportunityIn(OpportunityPatch):
    account: UUID = Field(description="The account's id; fixed once created.")
    name: Text
    close_date: dt.date


class LineOut(Schema):
    product: str = Field(validation_alias="product.sku")
    quantity: str
    unit_price: str

    @staticmethod
    def resolve_quantity(obj: OpportunityLine) -> str:
        return _money(obj.quantity)

    @staticmethod
    def resolve_unit_price(obj: OpportunityLine) -> str:
        return _money(obj.unit_price)


class OpportunityOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    account: UUID = Field(validation_alias="account.public_id")
    account_name: str = Field(validation_alias="account.name")
    name: str
    type: str
    stage: str = Field(validation_alias="stage.name")
    outcome: str = Field(validation_alias="stage.outcome", description="open, won or lost.")
    probability: int = Field(validation_alias="stage.probability")
    amount: str = Field(description="A decimal, as a string.")
    currency: str
    close_date: dt.date
    closed_at: dt.datetime | None
    loss_reason: str
    close_note: str
    owner: str = Field(validation_alias="owner.username")
    next_step: str
    description: str
    lines: list[LineOut]
    url: str

    @staticmethod
    def resolve_amount(obj: Opportunity) -> str:
        return _money(obj.amount)

    @staticmethod
    def resolve_lines(obj: Opportunity) -> list[OpportunityLine]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_url(obj: Opportunity) -> str:
        return reverse("pipeline:detail", kwargs={"public_id": obj.public_id})


class OpportunityQuery(Schema):
    q: Text = Field("", description="Part of the opportunity's or account's name.")
    owner: Text = Field("", description="Username, or `me`.")
    stage: Text = Field("", description="Stage name or id.")
    type: OpportunityType | None = None
    status: StageOutcome | None = Field(None, description="open, won or lost.")
    account: UUID | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    sort: Text = Field("close", description="close, name, amount, stage, account or owner; prefix - to reverse.")


class MoveIn(Payload):
    stage: Text = Field(description="Name or id of the stage. Moving a closed opportunity to an open stage reopens it.")
    loss_reason: LossReason | None = Field(None, description="Needed when the stage closes lost.")
    note: Text = ""


class CloseWonIn(Payload):
    note: Text = ""


class CloseLostIn(Payload):
    loss_reason: LossReason
    note: Text = ""


class StageOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    name: str
    position: int
    probability: int
    outcome: str
    is_active: bool


class StagePatch(Payload):
    name: Text = optional()
    position: int = optional("Order on the board, left to right.")
    probability: int = Field(None, ge=0, le=100)
    outcome: StageOutcome = optional()
    is_active: bool = optional()


class StageIn(StagePatch):
    name: Text
    probability: int = Field(ge=0, le=100)


class QuotaIn(Payload):
    user: Text = Field(description="Username.")
    kind: PeriodKind = PeriodKind.QUARTER
    period_start: dt.date = Field(description="Any day of the period; stored as its first day.")
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: Text = "EUR"


class QuotaPatch(Payload):
    amount: Decimal = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: Text = optional()


class QuotaOut(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    user: str = Field(validation_alias="user.username")
    kind: str
    period_start: dt.date
    amount: str
    currency: str

    @staticmethod
    def resolve_amount(obj: Quota) -> str:
        return _money(obj.amount)


class QuotaQuery(Schema):
    user: Text = Field("", description="Username.")
    kind: PeriodKind | None = None
    period_start: dt.date | None = Field(None, description="Any day of the period.")


class AttainmentQuery(Schema):
    kind: PeriodKind = PeriodKind.QUARTER
    start: dt.date | None = Field(None, description="Any day of the period; today's period when left out.")


class AttainmentRowOut(Schema):
    user: str
    name: str
    manager: str | None
    depth: int
    reports: list[str]
    own_quota: str
    own_booked: str
    own_attainment_pct: str | None
    team_quota: str
    team_booked: str
    team_attainment_pct: str | None


class AttainmentOut(Schema):
    kind: str
    start: dt.date
    end: dt.date = Field(description="The first day after the period.")
    label: str
    currency: str
    rows: list[AttainmentRowOut]
    unconverted: dict[str, str] = Field(description="Amounts left out for want of an exchange rate, by currency.")
