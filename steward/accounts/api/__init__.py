"""REST endpoints for accounts, contacts, interactions and tasks: parse, call a service or selector, answer.

Records are addressed by `public_id`; related records in payloads by public id (account, parent,
reports_to, contacts), username (owner, operations_manager, executive_sponsor, assignee, users),
tier name or region code, resolved through what the caller may see.
"""

from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from steward.accounts import selectors, services
from steward.accounts.api.references import resolve
from steward.accounts.api.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    AccountQuery,
    ContactIn,
    ContactOut,
    ContactPatch,
    ContactQuery,
    InteractionIn,
    InteractionOut,
    InteractionPatch,
    InteractionQuery,
    TaskIn,
    TaskOut,
    TaskPatch,
    TaskQuery,
)
from steward.accounts.models import Account, Contact, Interaction, Task
from steward.api.auth import current_user
from steward.api.conditional import IfMatch, created, expected_version, read
from steward.api.errors import ERROR_RESPONSES, ErrorOut
from steward.api.pagination import LimitOffset
from steward.users.models import User

router = Router()
LIST_ERRORS = {401: ErrorOut, 422: ErrorOut}



# Accounts ------------------------------------------------------------------------------------


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
    data = resolve(user, payload)
    return created(request, response, services.account_create(actor=user, data=data))


@router.get("/accounts/{public_id}", response={200: AccountOut, **ERROR_RESPONSES}, tags=["accounts"])
def accountread(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Account:
    """One account, with its ETag."""
    return read(response, selectors.account_get(user=current_user(request), public_id=public_id))


@router.patch("/accounts/{public_id}", response={200: AccountOut, **ERROR_RESPONSES}, tags=["accounts"])
def account_update(
    request: HttpRequest, public_id: UUID, payload: AccountPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Account:
    """Change the fields sent; a stale If-Match answers 412 and writes nothing."""
    user = current_user(request)
    account = selectors.account_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    account = services.account_update(actor=user, account=account, data=resolve(user, payload, account=account), expected_version=version)
    return read(response, account)


@router.delete("/accounts/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["accounts"])
def account_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Delete an account with its contacts, interactions and tasks."""
    user = current_user(request)
    account = selectors.account_get(user=user, public_id=public_id)
    services.account_delete(actor=user, account=account, expected_version=expected_version(if_match))
    return Status(204, None)


# Contacts ------------------------------------------------------------------------------------


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
    data = resolve(user, payload)
    account = data.pop("account")
    return created(request, response, services.contact_create(actor=user, account=account, data=data))


@router.get("/contacts/{public_id}", response={200: ContactOut, **ERROR_RESPONSES}, tags=["contacts"])
def contactread(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Contact:
    """One contact, with its ETag."""
    return read(response, selectors.contact_get(user=current_user(request), public_id=public_id))


@router.patch("/contacts/{public_id}", response={200: ContactOut, **ERROR_RESPONSES}, tags=["contacts"])
def contact_update(
    request: HttpRequest, public_id: UUID, payload: ContactPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Contact:
    """Change the fields sent; a stale If-Match answers 412 and writes nothing."""
    user = current_user(request)
    contact = selectors.contact_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    contact = services.contact_update(actor=user, contact=contact, data=resolve(user, payload), expected_version=version)
    return read(response, contact)


@router.delete("/contacts/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["contacts"])
def contact_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Remove a contact; their direct reports move up to the contact's own manager."""
    user = current_user(request)
    contact = selectors.contact_get(user=user, public_id=public_id)
    services.contact_delete(actor=user, contact=contact, expected_version=expected_version(if_match))
    return Status(204, None)


# Interactions --------------------------------------------------------------------------------


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
    data = resolve(user, payload)
    account, contacts, users = data.pop("account"), data.pop("contacts", ()), data.pop("users", ())
    interaction = services.interaction_create(actor=user, account=account, data=data, contacts=contacts, users=users)
    return created(request, response, interaction)


@router.get("/interactions/{public_id}", response={200: InteractionOut, **ERROR_RESPONSES}, tags=["interactions"])
def interactionread(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Interaction:
    """One interaction, with its ETag."""
    return read(response, selectors.interaction_get(user=current_user(request), public_id=public_id))


@router.patch("/interactions/{public_id}", response={200: InteractionOut, **ERROR_RESPONSES}, tags=["interactions"])
def interaction_update(
    request: HttpRequest, public_id: UUID, payload: InteractionPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Interaction:
    """Correct an interaction; `contacts`/`users` replace the participants when sent."""
    user = current_user(request)
    interaction = selectors.interaction_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    data = resolve(user, payload)
    contacts, users = data.pop("contacts", None), data.pop("users", None)
    interaction = services.interaction_update(
        actor=user, interaction=interaction, data=data, contacts=contacts, users=users, expected_version=version
    )
    return read(response, interaction)


@router.delete("/interactions/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["interactions"])
def interaction_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Delete a logged interaction."""
    user = current_user(request)
    interaction = selectors.interaction_get(user=user, public_id=public_id)
    services.interaction_delete(actor=user, interaction=interaction, expected_version=expected_version(if_match))
    return Status(204, None)


# Tasks ---------------------------------------------------------------------------------------


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
    data = resolve(user, payload)
    account = data.pop("account")
    return created(request, response, services.task_create(actor=user, account=account, data=data))


@router.get("/tasks/{public_id}", response={200: TaskOut, **ERROR_RESPONSES}, tags=["tasks"])
def taskread(request: HttpRequest, public_id: UUID, response: HttpResponse) -> Task:
    """One task, with its ETag."""
    return read(response, selectors.task_get(user=current_user(request), public_id=public_id))


@router.patch("/tasks/{public_id}", response={200: TaskOut, **ERROR_RESPONSES}, tags=["tasks"])
def task_update(
    request: HttpRequest, public_id: UUID, payload: TaskPatch, response: HttpResponse,
    if_match: str | None = IfMatch,
) -> Task:
    """Change a task, e.g. mark it done; a stale If-Match answers 412."""
    user = current_user(request)
    task = selectors.task_get(user=user, public_id=public_id)
    version = expected_version(if_match)
    task = services.task_update(actor=user, task=task, data=resolve(user, payload), expected_version=version)
    return read(response, task)


@router.delete("/tasks/{public_id}", response={204: None, **ERROR_RESPONSES}, tags=["tasks"])
def task_delete(request: HttpRequest, public_id: UUID, if_match: str | None = IfMatch) -> Status:
    """Delete a task."""
    user = current_user(request)
    task = selectors.task_get(user=user, public_id=public_id)
    services.task_delete(actor=user, task=task, expected_version=expected_version(if_match))
    return Status(204, None)
