"""Forms for the SLA set-up pages: they parse; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from steward.sla.models import BusinessCalendar
from steward.sla.services import WEEKDAYS, country_names, holiday_countries, time_zones

DAY_FIELDS = tuple(f"day_{n}" for n in range(7))


class CalendarForm(forms.Form):
    """A calendar's name, zone, hours per weekday (one text field a day) and holiday country."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=300, required=False)
    time_zone = forms.ChoiceField(help_text="Deadlines are computed in this zone, whatever the server's or the viewer's.")
    always_open = forms.BooleanField(required=False, label="24/7", help_text="Every hour of every day counts; hours and holidays are ignored.")
    holiday_country = forms.ChoiceField(required=False, label="Public holidays of", help_text="Leave empty for no public holidays.")
    holiday_subdivision = forms.CharField(max_length=10, required=False, label="State or region", help_text="A code such as BY (Bavaria) or CA (California); empty for the national holidays.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in time_zones()]
        names = country_names()
        self.fields["holiday_country"].choices = [("", "None"), *sorted(((c, f"{names.get(c, c)} ({c})") for c in holiday_countries()), key=lambda choice: choice[1])]
        for n, field in enumerate(DAY_FIELDS):
            self.fields[field] = forms.CharField(
                required=False, label=WEEKDAYS[n],
                widget=forms.TextInput(attrs={"placeholder": "e.g. 09:00-12:00, 13:00-17:00" if n < 5 else "closed"}),
            )

    @classmethod
    def for_calendar(cls, calendar: BusinessCalendar) -> CalendarForm:
        initial = {
            "version": calendar.version, "name": calendar.name, "description": calendar.description,
            "time_zone": calendar.time_zone, "always_open": calendar.always_open,
            "holiday_country": calendar.holiday_country, "holiday_subdivision": calendar.holiday_subdivision,
            "is_active": calendar.is_active,
        }
        initial.update({field: ", ".join(calendar.week[n]) for n, field in enumerate(DAY_FIELDS)})
        return cls(initial=initial)

    def data_for_service(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version" and k not in DAY_FIELDS}
        data["week"] = [self.cleaned_data[field] or "" for field in DAY_FIELDS]
        return data

    def week_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in DAY_FIELDS]


class ClosureForm(forms.Form):
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    last_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="To", required=False, help_text="Empty for a single day.")
    name = forms.CharField(max_length=120, label="Why", widget=forms.TextInput(attrs={"placeholder": "e.g. Winter closure"}))


class PreviewForm(forms.Form):
    """Try the calendar: a start (local to the calendar) and a target in working hours."""

    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), input_formats=["%Y-%m-%dT%H:%M"])
    hours = forms.DecimalField(min_value=Decimal("0"), max_value=Decimal("10000"), max_digits=8, decimal_places=2, initial=Decimal(4), label="Working hours")
