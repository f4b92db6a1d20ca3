"""Service levels: the business calendars SLA clocks run on.

A calendar's weekly hours are stored as seven lists of windows written like "09:00-12:00" (Monday
first), the form people read and type; the pure engine (`engine/calendar.py`) parses and checks
them, so a rule about hours lives once. Public holidays come from the `holidays` package for the
calendar's country (and subdivision) when the clock runs; custom closures are rows of their own.
"""

from __future__ import annotations

from django.db import models

from steward.core.models import TimeStampedModel, VersionedModel


def default_week() -> list[list[str]]:
    """Monday to Friday, 09:00-17:00."""
    return [["09:00-17:00"]] * 5 + [[], []]


class BusinessCalendar(VersionedModel):
    """When working time runs for an SLA: a time zone, hours per weekday, holidays; or 24/7."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="An IANA time zone, e.g. Europe/Berlin."
    )
    always_open = models.BooleanField(
        default=False, help_text="24/7: every hour of every day counts, holidays included."
    )
    week = models.JSONField(default=default_week, help_text="Seven lists of windows, Monday first.")
    holiday_country = models.CharField(
        max_length=3, blank=True, help_text="Public holidays of this country (ISO code), e.g. DE."
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="And of this state or region, e.g. BY for Bavaria."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarClosure(TimeStampedModel):
    """A custom day or span of days the calendar does not work (both ends included)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closures"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["first_day", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="closure_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["calendar", "first_day"], name="closure_calendar_day_idx")]

    def __str__(self) -> str:
        return self.name
