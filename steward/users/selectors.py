"""Reads about people: reporting lines and who is in whose scope."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, QuerySet

from steward.users.models import User


def _reporting_tree() -> tuple[dict[int, list[int]], frozenset[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    everyone = []
    for uid, manager_id in User.objects.order_by().values_list("id", "manager_id"):
        everyone.append(uid)
        if manager_id is not None:
            children[manager_id].append(uid)
    return children, frozenset(everyone)


def user_ids_in_scope(user: User) -> frozenset[int]:
    """The user plus everyone who reports to them, directly or through others."""
    cached = getattr(user, "_scope_ids", None)
    if cached is not None:
        return cached
    children, everyone = _reporting_tree()
    seen = {user.pk}
    stack = [user.pk]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    result = frozenset(seen)
    user._scope_ids = result  # type: ignore[attr-defined]
    user._scope_outside = everyone - result  # type: ignore[attr-defined]
    return result


def user_ids_outside_scope(user: User) -> frozenset[int]:
    """Everyone else: for a director at the top of a large tree, a short list."""
    user_ids_in_scope(user)
    return user._scope_outside  # type: ignore[attr-defined, no-any-return]


def in_scope_q(user: User, field: str = "pk") -> Q:
    """`field` names someone in the user's scope, written with the shorter of the two id lists
    (long IN lists cost the database more to plan than to run)."""
    inside, outside = user_ids_in_scope(user), user_ids_outside_scope(user)
    if len(outside) < len(inside):
        return Q(**{f"{field}__isnull": False}) & ~Q(**{f"{field}__in": sorted(outside)})
    return Q(**{f"{field}__in": sorted(inside)})


def users_assignable(user: User) -> QuerySet[User]:
    """People a user may pick as owner, assignee or participant: active users."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


def user_reports(user: User) -> QuerySet[User]:
    """Everyone below the user in the reporting line (not the user)."""
    ids = user_ids_in_scope(user) - {user.pk}
    return User.objects.filter(id__in=ids).select_related("team")
