"""REST endpoints for accounts, contacts, interactions and tasks: parse, call a service or selector, answer.

Records are addressed by `public_id`; related records in payloads by public id (account, parent,
reports_to, contacts), username (owner, operations_manager, executive_sponsor, assignee, users),
tier name or region code, resolved through what the caller may see.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from steward.accounts import selectors, services
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
from steward.accounts.models import Account, Contact, Interaction, Task, Tier
from steward.api.auth import current_user
from steward.api.conditional import expected_version, set_etag
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.api.schemas import Payload, Text, When, optional
from steward.core.errors import ValidationFailed
from steward.users.models import Region, User
from steward.users.selectors import users_assignable

router = Router()
LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}
IfMatch = Header(None, alias="If-Match", description='The ETag of your last read, e.g. "3".')
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


# References in payloads ----------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


def _account_ref(actor: User, field: str, value: UUID) -> Account:
    account = selectors.accounts_visible_to(actor).filter(public_id=value).first()
    if account is None:
        raise _invalid(field, "No such account.")
    return account


def _contact_ref(actor: User, field: str, value: UUID) -> Contact:
    contact = selectors.contacts_visible_to(actor).filter(public_id=value).first()
    if contact is None:
        raise _invalid(field, "No such contact.")
    return contact


def _contacts_ref(actor: User, field: str, values: list[UUID]) -> list[Contact]:
    found = list(selectors.contacts_visible_to(actor).filter(public_id__in=set(values)))
    if len(found) != len(set(values)):
        raise _invalid(field, "No such contact.")
    return found


def _user_ref(actor: User, field: str, value: str) -> User:
    user = users_assignable(actor).filter(username=value).first()
    if user is None:
        raise _invalid(field, "No active user with this username.")
    return user


def _users_ref(actor: User, field: str, values: list[str]) -> list[User]:
    return [_user_ref(actor, field, value) for value in dict.fromkeys(values)]


def _tier_ref(actor: User, field: str, value: str) -> Tier:
    tier = Tier.objects.filter(name__iexact=value.strip()).first()
    if tier is None:
        names = ", ".join(Tier.objects.values_list("name", flat=True))
        raise _invalid(field, f"No such tier; pick one of {names}.")
    return tier


def _region_ref(actor: User, field: str, value: str) -> Region:
    region = Region.objects.filter(code__iexact=value.strip()).first()
    if region is None:
        raise _invalid(field, "No such region code.")
    return region


RESOLVERS: dict[str, Callable[[User, str, Any], Any]] = {
    "account": _account_ref, "parent": _account_ref, "reports_to": _contact_ref, "contacts": _contacts_ref,
    "owner": _user_ref, "operations_manager": _user_ref, "executive_sponsor": _user_ref, "assignee": _user_ref,
    "users": _users_ref, "tier": _tier_ref, "region": _region_ref,
}


def _resolve(actor: User, payload: Payload) -> dict[str, Any]:
    """The fields sent, with references replaced by the records they name (null stays null)."""
    return {
        key: RESOLVERS[key](actor, key, value) if key in RESOLVERS and value is not None else value
        for key, value in payload.model_dump(exclude_unset=True).items()
    }


def _created(request: HttpRequest, response: HttpResponse, record: Any) -> Status:
    set_etag(response, record)
    response["Location"] = f"{request.path.rstrip('/')}/{record.public_id}"
    return Status(201, record)


def _read(response: HttpResponse, record: Any) -> Any:
    set_etag(response, record)
    return record


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


# Accounts ------------------------------------------------------------------------------------


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


@router.get("/accounts", response={200: list[AccountOut], **LIST_ERRORS}, tags=["accounts"])
@paginate(LimitOffset)
def account_list(request: HttpRequest, filters: Query[AccountQuery]) -> QuerySet[Account]:
    """Visible accounts, narrowed and sorted."""
    user = current_user(request)
    wanted = selectors.AccountFilters(
        q=filters.q, tier=filters.tier, stage=filters.stage or "", region=filters.region,
        owner=user.username if filters.owner == "me" else filters.owner,
        overdue=filters.overdue, single_threaded=filters.single_threaded,
    )
    accounts = selectors.account_list(user=user, filters=wanted, sort=str(filters.sort), now=timezone.now())
    return accounts.select_related("parent", "operations_manager", "executive_sponsor")


@router.post("/accounts", response={201: AccountOut, **ERROR_RESPONSES}, tags=["accounts"])
def account_create(request: HttpRequest, payload: AccountIn, response: HttpResponse) -> Status:
    """Create an account; you own it unless you name an owner who reports to you."""
    user = current_user(request)
    data = _resolve(user, payload)
    return _created(request, response, services.account_create(actor=user, data=data))


@router.get("/accounts/{public_id}", response={200: AccountOut, **ERROR_RESPONSES}, tags=["accounts"])
def account_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Account:
    """One account, with its ETag."""
    return _read(response, selectors.account_get(user=current_user(request), public_id=public_id))


@router.patch("/accounts/{public_id}", response={200: AccountOut, **ERROR_RESPONSES}, tags=["accounts"])
def account_update(
    request: HttpRequest, public_id: UUID, payload: AccountPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Account:
    """Change the fields sent; a stale If-Match answers 412 and writes nothing."""
    user = current_user(request)
    account = selectors.account_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    account = services.account_update(actor=user, account=account, data=_resolve(user, payload), expected_version=version)
    return _read(response, account)


@router.delete("/accounts/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["accounts"])
def account_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Delete an account with its contacts, interactions and tasks."""
    user = current_user(request)
    account = selectors.account_get(user=user, public_id=public_id)
    services.account_delete(actor=user, account=account, expected_version=expected_version(if_match))
    return Status(204, None)


# Contacts ------------------------------------------------------------------------------------


class ContactQuery(Schema):
    model_config = ConfigDict(use_enum_values=True)

    account: UUID | None = None
    buying_role: BuyingRole | None = None
    status: ContactStatus | None = None
    q: Text = Field("", description="Part of the name, email or title.")


@router.get("/contacts", response={200: list[ContactOut], **LIST_ERRORS}, tags=["contacts"])
@paginate(LimitOffset)
def contact_list(request: HttpRequest, filters: Query[ContactQuery]) -> QuerySet[Contact]:
    """Contacts of visible accounts."""
    contacts = selectors.contacts_visible_to(current_user(request))
    if filters.account:
        contacts = contacts.filter(account__public_id=filters.account)
    if filters.buying_role:
        contacts = contacts.filter(buying_role=filters.buying_role)
    if filters.status:
        contacts = contacts.filter(status=filters.status)
    if term := filters.q.strip():
        contacts = contacts.filter(
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term) | Q(title__icontains=term)
        )
    return contacts.select_related("account", "reports_to")


@router.post("/contacts", response={201: ContactOut, **ERROR_RESPONSES}, tags=["contacts"])
def contact_create(request: HttpRequest, payload: ContactIn, response: HttpResponse) -> Status:
    """Add a contact to an account's stakeholder map."""
    user = current_user(request)
    data = _resolve(user, payload)
    account = data.pop("account")
    return _created(request, response, services.contact_create(actor=user, account=account, data=data))


@router.get("/contacts/{public_id}", response={200: ContactOut, **ERROR_RESPONSES}, tags=["contacts"])
def contact_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Contact:
    """One contact, with its ETag."""
    return _read(response, selectors.contact_get(user=current_user(request), public_id=public_id))


@router.patch("/contacts/{public_id}", response={200: ContactOut, **ERROR_RESPONSES}, tags=["contacts"])
def contact_update(
    request: HttpRequest, public_id: UUID, payload: ContactPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Contact:
    """Change the fields sent; a stale If-Match answers 412 and writes nothing."""
    user = current_user(request)
    contact = selectors.contact_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    contact = services.contact_update(actor=user, contact=contact, data=_resolve(user, payload), expected_version=version)
    return _read(response, contact)


@router.delete("/contacts/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["contacts"])
def contact_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Remove a contact; their direct reports move up to the contact's own manager."""
    user = current_user(request)
    contact = selectors.contact_get(user=user, public_id=public_id)
    services.contact_delete(actor=user, contact=contact, expected_version=expected_version(if_match))
    return Status(204, None)


# Interactions --------------------------------------------------------------------------------


class InteractionQuery(Schema):
    model_config = ConfigDict(use_enum_values=True)

    account: UUID | None = None
    kind: InteractionKind | None = None
    since: When | None = Field(None, description="Occurred at or after, with a time zone.")
    until: When | None = Field(None, description="Occurred before, with a time zone.")


@router.get("/interactions", response={200: list[InteractionOut], **LIST_ERRORS}, tags=["interactions"])
@paginate(LimitOffset)
def interaction_list(request: HttpRequest, filters: Query[InteractionQuery]) -> QuerySet[Interaction]:
    """Interactions on visible accounts, newest first."""
    interactions = selectors.interactions_visible_to(current_user(request))
    if filters.account:
        interactions = interactions.filter(account__public_id=filters.account)
    if filters.kind:
        interactions = interactions.filter(kind=filters.kind)
    if filters.since:
        interactions = interactions.filter(occurred_at__gte=filters.since)
    if filters.until:
        interactions = interactions.filter(occurred_at__lt=filters.until)
    return interactions.select_related("account", "created_by").prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.only("id", "public_id")),
        Prefetch("users", queryset=User.objects.only("id", "username")),
    )


@router.post("/interactions", response={201: InteractionOut, **ERROR_RESPONSES}, tags=["interactions"])
def interaction_create(request: HttpRequest, payload: InteractionIn, response: HttpResponse) -> Status:
    """Log an interaction; a touchpoint updates the account's last touch."""
    user = current_user(request)
    data = _resolve(user, payload)
    account, contacts, users = data.pop("account"), data.pop("contacts", ()), data.pop("users", ())
    interaction = services.interaction_create(actor=user, account=account, data=data, contacts=contacts, users=users)
    return _created(request, response, interaction)


@router.get("/interactions/{public_id}", response={200: InteractionOut, **ERROR_RESPONSES}, tags=["interactions"])
def interaction_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Interaction:
    """One interaction, with its ETag."""
    return _read(response, selectors.interaction_get(user=current_user(request), public_id=public_id))


@router.patch("/interactions/{public_id}", response={200: InteractionOut, **ERROR_RESPONSES}, tags=["interactions"])
def interaction_update(
    request: HttpRequest, public_id: UUID, payload: InteractionPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Interaction:
    """Correct an interaction; `contacts`/`users` replace the participants when sent."""
    user = current_user(request)
    interaction = selectors.interaction_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    data = _resolve(user, payload)
    contacts, users = data.pop("contacts", None), data.pop("users", None)
    interaction = services.interaction_update(
        actor=user, interaction=interaction, data=data, contacts=contacts, users=users, expected_version=version
    )
    return _read(response, interaction)


@router.delete("/interactions/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["interactions"])
def interaction_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Delete a logged interaction."""
    user = current_user(request)
    interaction = selectors.interaction_get(user=user, public_id=public_id)
    services.interaction_delete(actor=user, interaction=interaction, expected_version=expected_version(if_match))
    return Status(204, None)


# Tasks ---------------------------------------------------------------------------------------


class TaskQuery(Schema):
    account: UUID | None = None
    assignee: Text = Field("", description='Username, or "me".')
    done: bool | None = None
    overdue: bool = Field(False, description="Only open tasks due before today.")


@router.get("/tasks", response={200: list[TaskOut], **LIST_ERRORS}, tags=["tasks"])
@paginate(LimitOffset)
def task_list(request: HttpRequest, filters: Query[TaskQuery]) -> QuerySet[Task]:
    """Tasks on visible accounts: open first, then by due date."""
    user = current_user(request)
    tasks = selectors.tasks_visible_to(user)
    if filters.account:
        tasks = tasks.filter(account__public_id=filters.account)
    if filters.assignee:
        tasks = tasks.filter(assignee__username=user.username if filters.assignee == "me" else filters.assignee)
    if filters.done is not None:
        tasks = tasks.filter(done=filters.done)
    if filters.overdue:
        tasks = tasks.filter(selectors.overdue_task_q(timezone.localdate()))
    return tasks.select_related("account", "assignee", "created_by")


@router.post("/tasks", response={201: TaskOut, **ERROR_RESPONSES}, tags=["tasks"])
def task_create(request: HttpRequest, payload: TaskIn, response: HttpResponse) -> Status:
    """Create a task on an account."""
    user = current_user(request)
    data = _resolve(user, payload)
    account = data.pop("account")
    return _created(request, response, services.task_create(actor=user, account=account, data=data))


@router.get("/tasks/{public_id}", response={200: TaskOut, **ERROR_RESPONSES}, tags=["tasks"])
def task_read(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Task:
    """One task, with its ETag."""
    return _read(response, selectors.task_get(user=current_user(request), public_id=public_id))


@router.patch("/tasks/{public_id}", response={200: TaskOut, **ERROR_RESPONSES}, tags=["tasks"])
def task_update(
    request: HttpRequest, public_id: UUID, payload: TaskPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Task:
    """Change a task, e.g. mark it done; a stale If-Match answers 412."""
    user = current_user(request)
    task = selectors.task_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    task = services.task_update(actor=user, task=task, data=_resolve(user, payload), expected_version=version)
    return _read(response, task)


@router.delete("/tasks/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["tasks"])
def task_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Delete a task."""
    user = current_user(request)
    task = selectors.task_get(user=user, public_id=public_id)
    services.task_delete(actor=user, task=task, expected_version=expected_version(if_match))
    return Status(204, None)
