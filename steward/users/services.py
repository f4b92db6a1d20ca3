"""Writes about people: API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from steward.core import audit
from steward.core.errors import NotFound, ValidationFailed
from steward.users.models import ApiToken, User

TOKEN_PREFIX = "stw_"  # noqa: S105 - a public marker of the key format, not a secret


def hash_token(key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token; returns it and the key, which is never shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the token a name.", field_errors={"name": ["This field is required."]})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:12], key_hash=hash_token(key))
    audit.record(actor=user, action="create", instance=token, before=None, after={"name": token.name, "prefix": token.prefix})
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_public_id: str) -> None:
    """Revoke one of the user's own tokens."""
    token = ApiToken.objects.filter(user=user, public_id=token_public_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("No such token.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit.record(actor=user, action="update", instance=token, before={"revoked_at": None}, after={"revoked_at": token.revoked_at})


def api_token_authenticate(key: str) -> User | None:
    """The active user a key belongs to, or None; touches `last_used_at` at most once a minute."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(key), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active or (token.expires_at and token.expires_at <= now):
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
