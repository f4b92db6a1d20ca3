"""Pipeline settings for admins and directors: the stages and the quotas."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from
from steward.pipeline import selectors, services
from steward.pipeline.engine.periods import KINDS, period_label, period_start, shift
from steward.pipeline.forms import QuotaForm, StageForm
from steward.pipeline.models import OpportunityStage


def _require_configurer(request) -> None:
    if not services.can_configure_pipeline(request.user):
        raise Http404


def _stage_or_404(public_id) -> OpportunityStage:
    try:
        return selectors.stage_get(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _stages_page(request, form=None, edit_errors=None, status=200):
    counts = dict(
        OpportunityStage.objects.filter(opportunities__isnull=False).values_list("pk").annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("opportunities"))
    )
    rows = [{"stage": s, "form": StageForm(instance=s, prefix=str(s.public_id)), "used": counts.get(s.pk, 0)} for s in selectors.stages()]
    if edit_errors:
        for row in rows:
            if row["stage"].pk == edit_errors[0].pk:
                row["form"] = edit_errors[1]
    return render(request, "pipeline/stages.html", {"nav": "pipeline", "pipe_tab": "stages", "rows": rows, "form": form or StageForm(prefix="new")}, status=status)


@require_http_methods(["GET", "POST"])
def stages(request):
    """The stage list with an inline form per stage and one to add a stage."""
    _require_configurer(request)
    if request.method == "POST":
        form = StageForm(request.POST, prefix="new")
        if form.is_valid():
            try:
                stage = services.stage_create(actor=request.user, data=form.cleaned_data)
                messages.success(request, f"Stage “{stage.name}” added.")
                return redirect("pipeline:stages")
            except ApplicationError as exc:
                form_errors_from(form, exc)
        return _stages_page(request, form=form, status=422)
    return _stages_page(request)


@require_POST
def stage_edit(request, public_id):
    _require_configurer(request)
    stage = _stage_or_404(public_id)
    form = StageForm(request.POST, instance=OpportunityStage.objects.get(pk=stage.pk), prefix=str(stage.public_id))
    if form.is_valid():
        try:
            services.stage_update(actor=request.user, stage=stage, data=form.cleaned_data)
            messages.success(request, f"Stage “{form.cleaned_data['name']}” saved.")
            return redirect("pipeline:stages")
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return _stages_page(request, edit_errors=(stage, form), status=422)


@require_POST
def stage_move(request, public_id):
    _require_configurer(request)
    services.stage_move(actor=request.user, stage=_stage_or_404(public_id), direction=-1 if request.POST.get("direction") == "left" else 1)
    return redirect("pipeline:stages")


@require_POST
def stage_delete(request, public_id):
    _require_configurer(request)
    stage = _stage_or_404(public_id)
    try:
        services.stage_delete(actor=request.user, stage=stage)
        messages.success(request, f"Stage “{stage.name}” deleted.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("pipeline:stages")


@require_http_methods(["GET", "POST"])
def quotas(request):
    """Quotas of the people in the user's scope for one period, and a form to set one."""
    _require_configurer(request)
    kind = request.GET.get("kind") if request.GET.get("kind") in KINDS else "quarter"
    try:
        start = period_start(kind, dt.date.fromisoformat(request.GET.get("start", "")))
    except ValueError:
        start = period_start(kind, timezone.localdate())
    form = QuotaForm(request.POST or None, actor=request.user, initial={"kind": kind, "period_start": start})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            quota = services.quota_set(actor=request.user, user=data["user"], kind=data["kind"], period_start_day=data["period_start"], amount=data["amount"], currency=data["currency"])
            messages.success(request, f"Quota saved: {quota.user}, {period_label(quota.kind, quota.period_start)}.")
            return redirect(f"{request.path}?kind={quota.kind}&start={quota.period_start}")
        except ApplicationError as exc:
            form_errors_from(form, exc)
    rows = selectors.quotas_visible_to(request.user).filter(kind=kind, period_start=start).select_related("user").order_by("user__first_name", "user__last_name")
    return render(request, "pipeline/quotas.html", {
        "nav": "pipeline", "pipe_tab": "quotas", "form": form, "rows": rows, "kind": kind, "start": start, "label": period_label(kind, start), "kinds": KINDS,
        "prev": shift(kind, start, -1), "next": shift(kind, start, 1),
    }, status=422 if form.errors else 200)


@require_POST
def quota_delete(request, public_id):
    _require_configurer(request)
    try:
        quota = selectors.quota_get(user=request.user, public_id=public_id)
        services.quota_delete(actor=request.user, quota=quota)
        messages.success(request, "Quota removed.")
        return redirect(f"/pipeline/quotas/?kind={quota.kind}&start={quota.period_start}")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("pipeline:quotas")
