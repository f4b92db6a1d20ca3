"""Reads about people: reporting lines and who is in whose scope."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from steward.users.models import User


def user_ids_in_scope(user: User) -> frozenset[int]:
    """The user plus everyone who reports to them, directly or through others."""
    cached = getattr(user, "_scope_ids", None)
    if cached is not None:
        return cached
    children: dict[int, list[int]] = defaultdict(list)
    for uid, manager_id in User.objects.filter(manager__isnull=False).values_list("id", "manager_id"):
        children[manager_id].append(uid)
    seen = {user.pk}
    stack = [user.pk]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    result = frozenset(seen)
    user._scope_ids = result  # type: ignore[attr-defined]
    return result


def users_assignable(user: User) -> QuerySet[User]:
    """People a user may pick as owner, assignee or participant: active users."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


def user_reports(user: User) -> QuerySet[User]:
    """Everyone below the user in the reporting line (not the user)."""
    ids = user_ids_in_scope(user) - {user.pk}
    return User.objects.filter(id__in=ids).select_related("team")
