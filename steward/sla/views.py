"""SLA set-up pages: business calendars (list, detail with a due-time calculator, edit, closures)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from steward.core.errors import ApplicationError, NotFound
from steward.core.htmx import form_errors_from
from steward.sla import selectors, services
from steward.sla.forms import CalendarForm, ClosureForm, PreviewForm
from steward.sla.models import BusinessCalendar, CalendarClosure


def _calendar_or_404(public_id) -> BusinessCalendar:
    try:
        return selectors.calendar_get(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _require_configurer(request) -> None:
    if not services.can_configure_sla(request.user):
        raise Http404


def calendar_list(request):
    """Every calendar with its zone, hours and holidays; configurers add and edit them."""
    rows = [
        {"calendar": c, "hours": selectors.week_summary(c)}
        for c in selectors.calendars()
    ]
    return render(request, "sla/calendar_list.html", {
        "nav": "sla", "rows": rows, "can_configure": services.can_configure_sla(request.user),
    })


def calendar_detail(request, public_id):
    """A calendar's week, its days off this year and next, and a calculator for due times."""
    calendar = _calendar_or_404(public_id)
    zone = ZoneInfo(calendar.time_zone)
    now_local = timezone.now().astimezone(zone)
    preview = None
    form = PreviewForm(request.GET or None, initial={"start": now_local.strftime("%Y-%m-%dT%H:%M")})
    if request.GET and form.is_valid():
        # The typed time is the calendar's wall clock, whatever the server's or the viewer's zone.
        wall = timezone.make_naive(form.cleaned_data["start"]) if timezone.is_aware(form.cleaned_data["start"]) else form.cleaned_data["start"]
        start = wall.replace(tzinfo=zone)
        preview = selectors.due_preview(calendar, start=start, hours=float(form.cleaned_data["hours"]))
    years = (now_local.year, now_local.year + 1)
    return render(request, "sla/calendar_detail.html", {
        "nav": "sla", "calendar": calendar, "week": selectors.week_rows(calendar), "hours": selectors.week_summary(calendar),
        "days_off": [d for d in selectors.days_off(calendar, years) if d.day >= now_local.date() - dt.timedelta(days=31)],
        "years": years, "closures": calendar.closures.all(), "form": form, "preview": preview,
        "closure_form": ClosureForm(), "can_configure": services.can_configure_sla(request.user), "now_local": now_local,
    }, status=422 if request.GET and form.errors else 200)


@require_http_methods(["GET", "POST"])
def calendar_create(request):
    _require_configurer(request)
    form = CalendarForm(request.POST or None) if request.method == "POST" else CalendarForm(initial={
        "time_zone": "UTC", "is_active": True, **{f"day_{n}": "09:00-17:00" for n in range(5)},
    })
    if request.method == "POST" and form.is_valid():
        try:
            calendar = services.calendar_create(actor=request.user, data=form.data_for_service())
            messages.success(request, f"Calendar “{calendar.name}” added.")
            return redirect("sla:calendar", calendar.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "sla/calendar_form.html", {"nav": "sla", "form": form, "calendar": None}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def calendar_edit(request, public_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    form = CalendarForm(request.POST) if request.method == "POST" else CalendarForm.for_calendar(calendar)
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_update(
                actor=request.user, calendar=calendar, data=form.data_for_service(),
                expected_version=form.cleaned_data.get("version"),
            )
            messages.success(request, f"Calendar “{form.cleaned_data['name']}” saved.")
            return redirect("sla:calendar", calendar.public_id)
        except ApplicationError as exc:
            form_errors_from(form, exc)
    return render(request, "sla/calendar_form.html", {"nav": "sla", "form": form, "calendar": calendar}, status=422 if form.errors else 200)


@require_POST
def calendar_delete(request, public_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    try:
        services.calendar_delete(actor=request.user, calendar=calendar)
        messages.success(request, f"Calendar “{calendar.name}” deleted.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("sla:calendar", calendar.public_id)
    return redirect("sla:calendars")


@require_POST
def closure_add(request, public_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            services.closure_add(actor=request.user, calendar=calendar, **form.cleaned_data)
            messages.success(request, f"Closure “{form.cleaned_data['name']}” added.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {e[0]}" for f, e in form.errors.items()))
    return redirect("sla:calendar", calendar.public_id)


@require_POST
def closure_remove(request, public_id, closure_id):
    _require_configurer(request)
    calendar = _calendar_or_404(public_id)
    closure = CalendarClosure.objects.filter(calendar=calendar, public_id=closure_id).first()
    if closure is None:
        raise Http404("No such closure.")
    services.closure_remove(actor=request.user, closure=closure)
    messages.success(request, f"Closure “{closure.name}” removed.")
    return redirect("sla:calendar", calendar.public_id)
