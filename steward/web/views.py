"""The portfolio dashboard and global search."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from steward.accounts import choices, selectors
from steward.core.extensions import dashboard_panels
from steward.core.models import Notification
from steward.core.notify import unread_count


def dashboard(request):
    """My portfolio: accounts by tier and stage, overdue touchpoints, single-threaded accounts, my overdue tasks."""
    now = timezone.now()
    summary = selectors.dashboard_summary(user=request.user, now=now)
    stage_colors = {"onboarding": "#60a5fa", "active": "#10b981", "expanding": "#8b5cf6", "at_risk": "#f59e0b", "churned": "#ef4444"}
    chart = {
        "type": "bar",
        "stacked": True,
        "labels": [row["tier"].name for row in summary.by_tier],
        "datasets": [
            {
                "label": label,
                "backgroundColor": stage_colors[value],
                "data": [summary.tier_stage.get((row["tier"].pk, value), 0) for row in summary.by_tier],
            }
            for value, label in choices.LifecycleStage.choices
        ],
    }
    matrix = [
        {"tier": row["tier"], "total": row["n"], "acv": row["acv"], "cells": [(value, summary.tier_stage.get((row["tier"].pk, value), 0)) for value, _ in choices.LifecycleStage.choices]}
        for row in summary.by_tier
    ]
    panels = []
    for panel in dashboard_panels():
        panel_context = panel.context(request.user, now)
        if panel_context is not None:
            panels.append({"key": panel.key, "template": panel.template, "context": panel_context, "wide": panel.wide})
    return render(
        request,
        "web/dashboard.html",
        {
            "nav": "dashboard",
            "summary": summary,
            "chart": chart,
            "matrix": matrix,
            "stages": choices.LifecycleStage.choices,
            "now": now,
            "today": now.date(),
            "panels": panels,
        },
    )


def search(request):
    """Accounts and contacts the user may see, matching the query; a dropdown for HTMX."""
    q = request.GET.get("q", "").strip()[:100]
    accounts = contacts = []
    if q:
        accounts = list(selectors.accounts_visible_to(request.user).filter(Q(name__icontains=q) | Q(domain__icontains=q)).select_related("tier").order_by("name")[:20])
        contacts = list(
            selectors.contacts_visible_to(request.user)
            .filter(Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q))
            .select_related("account")
            .order_by("last_name", "first_name")[:20]
        )
    context = {"q": q, "search_q": q, "accounts": accounts, "contacts": contacts}
    if request.htmx and request.GET.get("dropdown"):
        context.update(accounts=accounts[:6], contacts=contacts[:6])
        return render(request, "web/partials/search_dropdown.html", context)
    return render(request, "web/search.html", context)


def notifications(request):
    """The user's notifications, newest first; opening the page marks them read."""
    qs = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in page.object_list if n.read_at is None]
    response = render(request, "web/notifications.html", {"nav": "notifications", "page": page, "unread_ids": set(unread_ids)})
    if unread_ids:
        Notification.objects.filter(pk__in=unread_ids).update(read_at=timezone.now())
    return response


def unread_notifications(request) -> dict:
    """Context processor: the sidebar's unread count (one indexed COUNT per page)."""
    return {"unread_notifications": unread_count(getattr(request, "user", None))}
