"""Template helpers for badges, money and relative dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """1234567.5 -> '1.23M EUR'; compact figures for tables and cards."""
    if value in (None, ""):
        return "—"
    amount = Decimal(value)
    for limit, suffix in ((Decimal(1_000_000_000), "B"), (Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if abs(amount) >= limit:
            text = f"{amount / limit:.1f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        text = f"{amount:,.0f}"
    return f"{text} {currency}".strip()


@register.filter
def money_total(converted) -> str:
    """A converted total: '38.2M EUR', plus what had no exchange rate: '+ 1.2M JPY without a rate'."""
    text = money(converted.total, converted.currency)
    if converted.unconverted:
        text += " + " + ", ".join(money(v, c) for c, v in converted.unconverted.items()) + " without a rate"
    return text


@register.filter
def slug_class(value) -> str:
    """A CSS-safe lower-case class fragment."""
    return str(value or "").lower().replace(" ", "-")


@register.filter
def days_ago(value) -> str:
    """'today', '3 days ago', 'in 2 days' for dates and datetimes; '—' for none."""
    if not value:
        return "never"
    today = timezone.localdate()
    day = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if delta == -1:
        return "tomorrow"
    return f"{delta} days ago" if delta > 0 else f"in {-delta} days"


@register.filter
def initials(name) -> str:
    parts = [p for p in str(name).split() if p]
    return "".join(p[0] for p in parts[:2]).upper()


@register.filter
def stars(value) -> str:
    n = int(value or 0)
    return "★" * n + "☆" * (5 - n)


@register.simple_tag(takes_context=True)
def sort_link(context, key: str) -> str:
    """The query string that sorts by `key`, flipping direction when already sorted by it."""
    current = context.get("sort", "name")
    target = f"-{key}" if current == key else key
    base = context.get("base_query", "")
    return f"?{base}&sort={target}" if base else f"?sort={target}"


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def field_label(name: str) -> str:
    """A snake_case field name as words, for audit diffs."""
    return str(name).removesuffix("_id").replace("_", " ").capitalize()
