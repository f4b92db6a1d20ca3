"""Request bodies, responses and list filters of the accounts API."""

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict

from steward.accounts import selectors
from steward.accounts.choices import (
    BuyingRole,
    Channel,
    ContactStatus,
    InteractionKind,
    LifecycleStage,
    MeetingCadence,
    Priority,
    Sentiment,
)
from steward.accounts.models import Account, Interaction
from steward.api.schemas import Payload, Text, When, optional

AccountSort = StrEnum("AccountSort", {key: key for key in selectors.ACCOUNT_SORTS})  # type: ignore[misc]


# Request bodies: a PATCH sends any of the fields; a create needs a few more -------------------


class AccountPatch(Payload):
    name: Text = optional()
    domain: Text = optional()
    industry: Text = optional()
    region: Text | None = Field(None, description="Region code.")
    territory: Text = optional()
    country: Text = optional("ISO country code, e.g. DE.")
    time_zone: Text = optional("IANA time zone, e.g. Europe/Berlin.")
    tier: Text = optional("Tier name; the least important tier when a new account leaves it out.")
    lifecycle_stage: LifecycleStage = optional()
    parent: UUID | None = Field(None, description="The parent account's id.")
    owner: Text = optional("Username; you when a new account leaves it out.")
    operations_manager: Text | None = Field(None, description="Username.")
    executive_sponsor: Text | None = Field(None, description="Username.")
    customer_since: dt.date | None = None
    annual_contract_value: Decimal = optional()
    currency: Text = optional("ISO currency code, e.g. EUR.")
    preferred_channel: Channel | Literal[""] = optional()
    meeting_cadence: MeetingCadence | Literal[""] = optional()
    preference_notes: Text = optional()
    salesforce_id: Text = optional()
    hubspot_id: Text = optional()


class AccountIn(AccountPatch):
    name: Text


class ContactPatch(Payload):
    first_name: Text = optional()
    last_name: Text = optional()
    title: Text = optional()
    email: Text = optional()
    phone: Text = optional()
    department: Text = optional()
    buying_role: BuyingRole = optional()
    influence: int = optional("1 (low) to 5 (high).")
    sentiment: Sentiment = optional()
    reports_to: UUID | None = Field(None, description="Id of a contact at the same account.")
    is_primary: bool = optional()
    status: ContactStatus = optional()
    left_at: dt.date | None = None


class ContactIn(ContactPatch):
    account: UUID = Field(description="The account's id; fixed once created.")
    first_name: Text
    last_name: Text


class InteractionPatch(Payload):
    kind: InteractionKind = optional()
    occurred_at: When = optional("With a time zone; not in the future.")
    subject: Text = optional()
    summary: Text = optional()
    outcome: Text = optional()
    next_steps: Text = optional()
    contacts: list[UUID] = optional("Ids of the account's contacts who took part; replaces the list.")
    users: list[Text] = optional("Usernames of colleagues who took part; you when a new interaction leaves it out.")


class InteractionIn(InteractionPatch):
    account: UUID = Field(description="The account's id; fixed once created.")
    kind: InteractionKind
    occurred_at: When = Field(description="With a time zone; not in the future.")
    subject: Text


class TaskPatch(Payload):
    title: Text = optional()
    description: Text = optional()
    assignee: Text = optional("Username; you when a new task leaves it out.")
    due_date: dt.date | None = None
    priority: Priority = optional()
    done: bool = optional()


class TaskIn(TaskPatch):
    account: UUID = Field(description="The account's id; fixed once created.")
    title: Text


# Responses: related records by public id or username -----------------------------------------

ACV_PLACES = Decimal("0.01")


class Record(Schema):
    id: UUID = Field(validation_alias="public_id")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AccountOut(Record):
    name: str
    domain: str
    industry: str
    region: str | None = Field(None, validation_alias="region.code", description="Region code.")
    territory: str
    country: str
    time_zone: str
    tier: str = Field(validation_alias="tier.name", description="Tier name.")
    lifecycle_stage: str
    parent: UUID | None = Field(None, validation_alias="parent.public_id")
    owner: str = Field(validation_alias="owner.username")
    operations_manager: str | None = Field(None, validation_alias="operations_manager.username")
    executive_sponsor: str | None = Field(None, validation_alias="executive_sponsor.username")
    customer_since: dt.date | None
    annual_contract_value: str = Field(description="A decimal, as a string.")
    currency: str
    preferred_channel: str
    meeting_cadence: str
    preference_notes: str
    salesforce_id: str
    hubspot_id: str
    last_touchpoint_at: dt.datetime | None
    is_single_threaded: bool
    url: str = Field(description="The account's page in the web UI.")

    @staticmethod
    def resolve_annual_contract_value(obj: Account) -> str:
        # A record fresh from a create holds the Decimal as sent (e.g. 1234.5); answer as stored.
        return str(Decimal(obj.annual_contract_value).quantize(ACV_PLACES))

    @staticmethod
    def resolve_url(obj: Account) -> str:
        return reverse("accounts:detail", kwargs={"public_id": obj.public_id})


class ContactOut(Record):
    account: UUID = Field(validation_alias="account.public_id")
    first_name: str
    last_name: str
    full_name: str
    title: str
    email: str
    phone: str
    department: str
    buying_role: str
    influence: int
    sentiment: str
    reports_to: UUID | None = Field(None, validation_alias="reports_to.public_id")
    is_primary: bool
    status: str
    left_at: dt.date | None
    last_touched_at: dt.datetime | None


class InteractionOut(Record):
    account: UUID = Field(validation_alias="account.public_id")
    kind: str
    occurred_at: dt.datetime
    subject: str
    summary: str
    outcome: str
    next_steps: str
    is_touchpoint: bool
    created_by: str | None = Field(None, validation_alias="created_by.username")
    contacts: list[UUID] = Field(description="Ids of the contacts who took part.")
    users: list[str] = Field(description="Usernames of the colleagues who took part.")

    @staticmethod
    def resolve_contacts(obj: Interaction) -> list[UUID]:
        return [contact.public_id for contact in obj.contacts.all()]

    @staticmethod
    def resolve_users(obj: Interaction) -> list[str]:
        return [user.username for user in obj.users.all()]


class TaskOut(Record):
    account: UUID = Field(validation_alias="account.public_id")
    title: str
    description: str
    assignee: str = Field(validation_alias="assignee.username")
    due_date: dt.date | None
    priority: str
    done: bool
    done_at: dt.datetime | None
    created_by: str | None = Field(None, validation_alias="created_by.username")


# Filters of the list endpoints ---------------------------------------------------------------


class AccountQuery(Schema):
    model_config = ConfigDict(use_enum_values=True)

    q: Text = Field("", description="Part of the name or domain.")
    tier: Text = Field("", description="Tier name.")
    stage: LifecycleStage | None = None
    region: Text = Field("", description="Region code.")
    owner: Text = Field("", description='Username, or "me".')
    overdue: bool = Field(False, description="Only accounts whose last touchpoint is older than their tier's cadence.")
    single_threaded: bool = False
    sort: AccountSort = AccountSort("name")  # type: ignore[valid-type]


class ContactQuery(Schema):
    model_config = ConfigDict(use_enum_values=True)

    account: UUID | None = None
    buying_role: BuyingRole | None = None
    status: ContactStatus | None = None
    q: Text = Field("", description="Part of the name, email or title.")


class InteractionQuery(Schema):
    model_config = ConfigDict(use_enum_values=True)

    account: UUID | None = None
    kind: InteractionKind | None = None
    since: When | None = Field(None, description="Occurred at or after, with a time zone.")
    until: When | None = Field(None, description="Occurred before, with a time zone.")


class TaskQuery(Schema):
    account: UUID | None = None
    assignee: Text = Field("", description='Username, or "me".')
    done: bool | None = None
    overdue: bool = Field(False, description="Only open tasks due before today.")
