"""References in payloads: public ids, usernames, tier names and region codes, resolved through
what the caller may see; an unknown or invisible reference answers 422 naming the field."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from steward.accounts import selectors
from steward.accounts.models import Account, Contact, Tier
from steward.api.schemas import Payload
from steward.core.errors import NotFound, ValidationFailed
from steward.users.models import Region, User
from steward.users.selectors import users_assignable


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
    "account": _account_ref, "reports_to": _contact_ref, "contacts": _contacts_ref,
    "owner": _user_ref, "operations_manager": _user_ref, "executive_sponsor": _user_ref, "assignee": _user_ref,
    "users": _users_ref, "tier": _tier_ref, "region": _region_ref,
}


def _parent_ref(actor: User, value: UUID, account: Account | None) -> Account:
    try:
        return selectors.parent_for(user=actor, account=account, public_id=value)
    except NotFound:
        raise _invalid("parent", "No such account.") from None


def resolve(actor: User, payload: Payload, *, account: Account | None = None) -> dict[str, Any]:
    """The fields sent, with references replaced by the records they name (null stays null).

    `account` is the account being updated, for its parent (see `selectors.parent_for`).
    """
    data = payload.model_dump(exclude_unset=True)
    resolved = {
        key: RESOLVERS[key](actor, key, value) if key in RESOLVERS and value is not None else value
        for key, value in data.items()
        if key != "parent"
    }
    if "parent" in data:
        resolved["parent"] = None if data["parent"] is None else _parent_ref(actor, data["parent"], account)
    return resolved
