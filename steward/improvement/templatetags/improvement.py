"""Template tags other apps' pages use to link into improvement plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()

# Attainment kinds that map to a plan metric ("delivery" is OTIF).
KIND_METRICS = {"first_response": "first_response", "next_response": "next_response", "resolution": "resolution", "delivery": "otif"}


def _goal(figures: Any, goal: Any) -> Decimal:
    """The figures' own goal when they carry one (the policy's), else the page's."""
    own = getattr(figures, "goal", None)
    return Decimal(own if own is not None else goal)


@register.simple_tag
def plan_link_for(row: Any, group: str, goal: Any, account: Any = None, start: Any = None) -> str:
    """The new-plan link for an attainment row below goal (the worst kind decides the metric), or "".

    Quarter rows link that quarter (on `account` when given, else the portfolio); account rows link the
    account and the report's first quarter (`start`). Other groupings have no plan scope: no link."""
    if group not in ("quarter", "account") or goal is None:
        return ""
    below = [
        (figures.pct, kind) for kind, figures in getattr(row, "by_kind", {}).items()
        if kind in KIND_METRICS and figures.pct is not None and figures.pct < _goal(figures, goal)
    ]
    if not below:
        return ""
    metric = KIND_METRICS[min(below)[1]]
    if group == "quarter":
        quarter, ref = row.key, getattr(account, "public_id", account)
    else:
        quarter, ref = start, row.key
    if not isinstance(quarter, dt.date):
        try:
            quarter = dt.date.fromisoformat(str(quarter)[:10])
        except ValueError:
            return ""
    query = {"quarter": quarter.isoformat(), "metric": metric, **({"account": str(ref)} if ref else {})}
    return f"{reverse('improvement:create')}?{urlencode(query)}"
