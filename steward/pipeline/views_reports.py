"""Pipeline reports: the board, the weighted pipeline and quota attainment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from steward.core.errors import ApplicationError, NotFound
from steward.pipeline import selectors, services
from steward.pipeline.engine.periods import KINDS, period_label, period_start, shift

STAGE_COLORS = ["#93c5fd", "#60a5fa", "#3b82f6", "#1d4ed8", "#1e3a8a", "#6366f1", "#8b5cf6", "#a855f7"]


def _scope(request):
    return selectors.owner_scope(request.user, request.GET.get("owner") or request.POST.get("owner"))


def _board_context(request, scope) -> dict:
    board = selectors.pipeline_board(user=request.user, scope=scope)
    return {
        "nav": "pipeline", "pipe_tab": "board", "board": board, "scope": scope, "scopes": selectors.owner_scopes(request.user),
        "can_edit": not request.user.is_read_only, "today": timezone.localdate(),
        "move_stages": [c.stage for c in board.columns], "won_stage": next((s for s in board.stages if s.outcome == "won"), None),
    }


def board(request):
    """Kanban of open opportunities per stage, for the chosen owner or team."""
    scope = _scope(request)
    template = "pipeline/partials/board.html" if request.htmx and not request.htmx.boosted else "pipeline/board.html"
    return render(request, template, _board_context(request, scope))


@require_POST
def board_move(request, public_id):
    """Move a card: the board again (the partial for HTMX, a redirect otherwise)."""
    try:
        opportunity = selectors.opportunity_get(user=request.user, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    scope = _scope(request)
    error = None
    try:
        stage = selectors.stage_get(public_id=request.POST.get("stage", ""))
        opportunity = services.opportunity_move_stage(actor=request.user, opportunity=opportunity, stage=stage)
        note = f"“{opportunity.name}” moved to {opportunity.stage.name}."
    except NotFound:
        error = "Stage: pick a stage to move to."
    except ApplicationError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, note)
        return redirect(reverse("pipeline:board") + f"?owner={scope.key}")
    context = _board_context(request, scope)
    context["flash"] = error or note
    context["flash_bad"] = bool(error)
    return render(request, "pipeline/partials/board.html", context, status=422 if error else 200)


def weighted_report(request):
    """Open pipeline weighted by stage probability, by close period and by owner, in the reporting currency."""
    scope = _scope(request)
    group = request.GET.get("group") if request.GET.get("group") in ("month", "quarter") else "quarter"
    report = selectors.weighted_pipeline(user=request.user, scope=scope, group=group)
    chart = {
        "type": "bar", "stacked": True, "labels": [p.label for p in report.periods],
        "datasets": [
            {"label": f"{s.name} ({s.probability} %)", "backgroundColor": STAGE_COLORS[i % len(STAGE_COLORS)],
             "data": [float(round(p.by_stage.get(s.pk, Decimal(0)), 0)) for p in report.periods]}
            for i, s in enumerate(report.stages)
        ],
    }
    return render(request, "pipeline/weighted_report.html", {
        "nav": "pipeline", "pipe_tab": "pipeline_report", "report": report, "chart": chart, "scope": scope, "scopes": selectors.owner_scopes(request.user), "group": group,
    })


def _period_from(request) -> tuple[str, dt.date, list[str]]:
    errors = []
    kind = request.GET.get("kind", "quarter")
    if kind not in KINDS:
        errors.append(f"Period: “{kind[:20]}” is not month, quarter or year.")
        kind = "quarter"
    raw = request.GET.get("start", "")
    start = None
    if raw:
        try:
            start = dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(f"Start: “{raw[:20]}” is not a date; use YYYY-MM-DD.")
    return kind, period_start(kind, start or timezone.localdate()), errors


def attainment(request):
    """Quota attainment of each person and team in the user's scope, for a chosen period."""
    if request.user.is_read_only:
        raise Http404
    kind, start, errors = _period_from(request)
    report = selectors.quota_attainment(user=request.user, kind=kind, start=start)
    periods = [shift(kind, start, n) for n in range(-4, 3)]
    return render(request, "pipeline/attainment.html", {
        "nav": "pipeline", "pipe_tab": "attainment", "report": report, "kind": kind, "filter_errors": errors, "kinds": KINDS,
        "periods": [(p, period_label(kind, p)) for p in periods], "prev": shift(kind, start, -1), "next": shift(kind, start, 1),
        "can_set": services.can_configure_pipeline(request.user),
    })
