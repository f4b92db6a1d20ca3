"""Shared service mechanics: apply validated fields, check the version, record the audit event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from steward.core.errors import StaleVersion, ValidationFailed


def field_errors_from(exc: ValidationError) -> dict[str, list[str]]:
    """Django's ValidationError as {field: [messages]}; non-field errors under "__all__"."""
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def full_clean_or_fail(instance: models.Model, *, exclude: Iterable[str] | None = None) -> None:
    """Run model validation; turn failures into ValidationFailed naming the fields."""
    try:
        instance.full_clean(exclude=list(exclude) if exclude else None, validate_unique=True)
    except ValidationError as exc:
        errors = field_errors_from(exc)
        first_field, messages = next(iter(errors.items()))
        where = "" if first_field == "__all__" else f"{first_field}: "
        raise ValidationFailed(f"{where}{messages[0]}", field_errors=errors) from exc


def apply_fields[M: models.Model](instance: M, data: Mapping[str, Any], *, allowed: Iterable[str]) -> list[str]:
    """Set the allowed keys of `data` on `instance`; returns the names actually changed."""
    allowed_set = set(allowed)
    unknown = sorted(set(data) - allowed_set)
    if unknown:
        raise ValidationFailed(
            f"{unknown[0]}: this field cannot be set.", field_errors={k: ["This field cannot be set."] for k in unknown}
        )
    changed = []
    for name, value in data.items():
        field = instance._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            # Compare ids: reading an unset relation on a new instance raises.
            current = getattr(instance, field.attname)
            new = getattr(value, "pk", value)
        else:
            if value is None and not field.null and field.get_internal_type() in ("CharField", "TextField", "EmailField"):
                value = ""  # text columns store "no value" as an empty string, never NULL
            current, new = getattr(instance, name), value
        if current != new:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def check_version(instance: models.Model, expected_version: int | None) -> None:
    """Refuse a write based on an old read (optimistic concurrency)."""
    current = getattr(instance, "version", None)
    if expected_version is not None and current != expected_version:
        raise StaleVersion(
            f"{str(instance._meta.verbose_name).capitalize()} was changed by someone else"
            f" (version {current}, you edited version {expected_version}). Reload and try again."
        )
