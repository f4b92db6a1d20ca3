"""SLA calendars as people set them up: services, pages and the API share one set of rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from steward.api.tests.client import ApiClient
from steward.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from steward.core.models import AuditEvent
from steward.sla import selectors, services
from steward.sla.models import BusinessCalendar
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BERLIN_HOURS = ["09:00-12:00, 13:00-18:00"] * 5 + ["", ""]


@pytest.fixture
def ops(db):
    return UserFactory(username="olga", role=Role.OPERATIONS)


def berlin(ops, **extra) -> BusinessCalendar:
    data = {"name": "Berlin support", "time_zone": "Europe/Berlin", "week": BERLIN_HOURS, "holiday_country": "DE", "holiday_subdivision": "BE", **extra}
    return services.calendar_create(actor=ops, data=data)


def test_hours_are_checked_sorted_merged_and_stored_as_written(ops):
    calendar = berlin(ops, week=["13:00-18:00, 09:00-12:00", "09:00-12:00,11:00-13:00", "", "", "", "", "00:00-24:00"])
    assert calendar.week[:2] == [["09:00-12:00", "13:00-18:00"], ["09:00-13:00"]]
    assert calendar.week[6] == ["00:00-24:00"]
    assert selectors.week_summary(calendar) == "Mon 09:00\u201312:00, 13:00\u201318:00; Tue 09:00\u201313:00; Sun 00:00\u201324:00"
    assert AuditEvent.objects.filter(object_type="sla.businesscalendar", action="create").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"time_zone": "Europe/Berlln"}, "time_zone", "not a time zone"),
        ({"week": ["9-5"] + [""] * 6}, "week", "Monday"),
        ({"week": ["", "17:00-09:00"] + [""] * 5}, "week", "Tuesday"),
        ({"week": ["09:00-25:00"] + [""] * 6}, "week", "Monday"),
        ({"week": [""] * 7}, "week", "at least one working window"),
        ({"week": ["09:00-17:00"] * 6}, "week", "seven days"),
        ({"holiday_country": "XX"}, "holiday_country", "XX"),
        ({"holiday_subdivision": "ZZ"}, "holiday_subdivision", "ZZ"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(ops, data, field, words):
    with pytest.raises(ValidationFailed) as caught:
        berlin(ops, **data)
    assert field in caught.value.field_errors and words in caught.value.message
    assert not BusinessCalendar.objects.exists()


def test_only_configurers_change_calendars_and_stale_edits_are_refused(ops):
    calendar = berlin(ops)
    for role in (Role.MANAGER, Role.EXECUTIVE, Role.FINANCE, Role.SPONSOR):
        with pytest.raises(PermissionDenied):
            services.calendar_update(actor=UserFactory(role=role), calendar=calendar, data={"name": "Mine"})
    updated = services.calendar_update(actor=ops, calendar=calendar, data={"always_open": True}, expected_version=1)
    assert updated.version == 2 and selectors.week_summary(updated) == "24/7"
    with pytest.raises(StaleVersion):
        services.calendar_update(actor=ops, calendar=calendar, data={"name": "Late"}, expected_version=1)


def test_days_off_are_public_holidays_and_closures_and_the_clock_skips_them(ops):
    calendar = berlin(ops)
    services.closure_add(actor=ops, calendar=calendar, first_day=dt.date(2026, 12, 28), last_day=dt.date(2026, 12, 30), name="Winter closure")
    off = {d.day: d for d in selectors.days_off(calendar, [2026])}
    assert off[dt.date(2026, 3, 8)].name == "Women's Day" and not off[dt.date(2026, 3, 8)].custom  # Berlin only
    assert [d.day.day for d in off.values() if d.custom] == [28, 29, 30]
    # Wednesday 23 Dec 2026 17:00 Berlin (16:00 UTC) + 4 working hours: 1 h on the 23rd; the 24th is
    # a working Thursday 09-12 + 13-18 (Christmas Eve is no public holiday in Berlin), so due 24 Dec
    # 12:00 Berlin = 11:00 UTC.
    preview = selectors.due_preview(calendar, start=dt.datetime(2026, 12, 23, 16, tzinfo=UTC), hours=4)
    assert preview.due == dt.datetime(2026, 12, 24, 11, tzinfo=UTC)
    # Thursday 24 Dec 17:00 Berlin + 2 h: 1 h that day; 25/26 Dec holidays, 27 Dec Sunday, 28-30 Dec
    # closed, so the next working hour is Thursday 31 Dec 09:00-10:00 Berlin = 09:00 UTC.
    preview = selectors.due_preview(calendar, start=dt.datetime(2026, 12, 24, 16, tzinfo=UTC), hours=2)
    assert preview.due == dt.datetime(2026, 12, 31, 9, tzinfo=UTC)
    with pytest.raises(ValidationFailed, match="last day"):
        services.closure_add(actor=ops, calendar=calendar, first_day=dt.date(2026, 5, 2), last_day=dt.date(2026, 5, 1), name="Backwards")


def test_pages_list_show_edit_and_compute_a_due_time(client, ops):
    calendar = berlin(ops)
    client.force_login(UserFactory(role=Role.MANAGER))
    page = client.get(reverse("sla:calendars")).content.decode()
    assert "Berlin support" in page and "New calendar" not in page  # read-only for an account manager
    assert client.get(reverse("sla:calendar_edit", args=[calendar.public_id])).status_code == 404
    detail = client.get(reverse("sla:calendar", args=[calendar.public_id]), {"start": "2026-11-20T17:30", "hours": "4"})
    assert detail.status_code == 200
    # Friday 20 Nov 2026 17:30 Berlin: 30 min on Friday, then Monday 09:00-12:00 and 13:00-13:30.
    assert "Monday 23 November 2026, 13:30" in detail.content.decode()

    client.force_login(ops)
    form = {f"day_{n}": v for n, v in enumerate(["08:00-16:00"] * 5 + ["", ""])}
    bad = client.post(reverse("sla:calendar_edit", args=[calendar.public_id]), {**form, "version": 1, "name": "Berlin support", "time_zone": "Europe/Berlin", "day_2": "8 to 4", "is_active": "on"})
    assert bad.status_code == 422 and "Wednesday" in bad.content.decode()
    ok = client.post(reverse("sla:calendar_edit", args=[calendar.public_id]), {**form, "version": 1, "name": "Berlin support", "time_zone": "Europe/Berlin", "holiday_country": "DE", "is_active": "on"})
    assert ok.status_code == 302
    calendar.refresh_from_db()
    assert calendar.week[0] == ["08:00-16:00"] and calendar.version == 2
    client.post(reverse("sla:closure_add", args=[calendar.public_id]), {"first_day": "2026-12-24", "name": "Christmas Eve"})
    assert "Christmas Eve" in client.get(reverse("sla:calendar", args=[calendar.public_id])).content.decode()


def test_the_api_does_what_the_pages_do(client, ops):
    api = ApiClient(client, ops)
    made = api.post("/sla/calendars", {"name": "NY desk", "time_zone": "America/New_York", "holiday_country": "US", "holiday_subdivision": "NY"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["week"][0] == ["09:00-17:00"] and made["ETag"] == '"1"'
    path = f"/sla/calendars/{body['id']}"
    assert api.post("/sla/calendars", {"name": "Bad", "week": [["9-5"]] * 7}).json()["errors"]["week"]
    assert api.post("/sla/calendars", {"name": "Typo", "timezone": "UTC"}).status_code == 422  # unknown field
    assert api.patch(path, {"name": "NY"}, if_match='"7"').status_code == 412
    assert api.patch(path, {"name": "NY"}, if_match='"1"').json()["name"] == "NY"
    assert api.post(f"{path}/closures", {"first_day": "2026-11-27", "name": "Day after Thanksgiving"}).status_code == 201
    off = api.get(f"{path}/days-off", year=2026).json()
    assert {"day": "2026-11-26", "name": "Thanksgiving Day", "custom": False} in off
    assert {"day": "2026-11-27", "name": "Day after Thanksgiving", "custom": True} in off
    # Wednesday 25 Nov 2026 16:00 New York (21:00 UTC) + 3 working hours: 1 h that day, Thursday a
    # holiday, Friday closed, weekend, so Monday 30 Nov 09:00-11:00 New York = 16:00 UTC.
    due = api.post(f"{path}/due", {"start": "2026-11-25T21:00:00Z", "hours": 3}).json()
    assert due["due"] == "2026-11-30T16:00:00Z" and due["due_local"] == "2026-11-30T11:00:00-05:00"
    reader = ApiClient(client, UserFactory(role=Role.MANAGER))
    assert reader.get(path).status_code == 200
    assert reader.patch(path, {"name": "Mine"}).status_code == 403
    assert reader.delete(path).status_code == 403
    assert api.delete(path).status_code == 204 and api.get(path).status_code == 404


def test_the_demo_loads_three_calendars_through_the_services():
    from types import SimpleNamespace

    from steward.demo.generator import SeedReport
    from steward.sla import demo

    UserFactory(role=Role.ADMIN)
    assert not demo.has_data()
    report = SeedReport()
    demo.seed_demo(SimpleNamespace(now=dt.datetime(2026, 11, 22, tzinfo=UTC), report=report, progress=lambda _: None))
    assert demo.has_data() and report.rows["sla_businesscalendar"] == 3
    europe = BusinessCalendar.objects.get(name="Europe support desk")
    assert europe.closures.get().last_day == dt.date(2026, 12, 30)
    assert selectors.week_summary(BusinessCalendar.objects.get(name="24/7 operations")) == "24/7"
    assert AuditEvent.objects.filter(object_type="sla.businesscalendar").count() == 3
    from steward.sla.engine.clock import CaseFacts

    at = dt.datetime(2026, 11, 22, tzinfo=UTC)
    assert report.rows["sla_slapolicy"] == 3
    assert selectors.matching_version(CaseFacts(priority="critical", account_tier="Strategic"), at=at).policy.name == "Critical incidents"
    assert selectors.matching_version(CaseFacts(priority="high", account_tier="Strategic"), at=at).policy.name == "Strategic accounts"
    assert selectors.matching_version(CaseFacts(priority="low", account_tier="Growth"), at=at).policy.name == "Standard"
