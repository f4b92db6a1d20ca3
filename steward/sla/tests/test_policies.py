"""SLA policies: targets per priority on a calendar, scope, matching order, versions the clock reads."""

from __future__ import annotations

import datetime as dt

import pytest

from steward.accounts.tests.factories import AccountFactory
from steward.core.errors import PermissionDenied, StaleVersion, ValidationFailed
from steward.core.models import AuditEvent
from steward.sla import selectors, services
from steward.sla.engine import clock
from steward.sla.models import SlaPolicy
from steward.sla.services import Scope, TargetInput
from steward.users.choices import Role
from steward.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
T0 = dt.datetime(2026, 6, 1, 8, tzinfo=UTC)


@pytest.fixture
def ops(db):
    return UserFactory(username="olga", role=Role.ADMIN)


@pytest.fixture
def desk(ops):
    return services.calendar_create(actor=ops, data={"name": "Desk", "time_zone": "Europe/Berlin", "week": ["09:00-18:00"] * 5 + ["", ""]})


def targets(**minutes) -> list[TargetInput]:
    """resolution_high=480 -> TargetInput("high", "resolution", 480)."""
    out = []
    for key, value in minutes.items():
        kind, priority = key.rsplit("_", 1)
        out.append(TargetInput(priority=priority, kind=kind, minutes=value))
    return out


def policy(ops, desk, name="Standard", scope=None, **data):
    given_targets = data.pop("targets", None) or targets(first_response_high=60, resolution_high=480)
    return services.policy_create(actor=ops, data={"name": name, "calendar": desk, **data}, targets=given_targets, scope=scope or Scope(), now=T0)


def test_a_policy_keeps_its_targets_and_version_one_as_the_clock_reads_it(ops, desk):
    p = policy(ops, desk, targets=targets(first_response_critical=30, resolution_critical=240, first_response_low=480))
    version = p.versions.get()
    assert (p.current_version, version.number, version.effective_from) == (1, 1, T0)
    assert version.snapshot["targets"] == {
        "critical": {"first_response": [1800, "business"], "resolution": [14400, "business"]},
        "low": {"first_response": [28800, "business"]},
    }
    engine = selectors.engine_policy(version, years=[2026])
    assert engine.target_for("critical", clock.RESOLUTION) == clock.Target(14400, "business")
    assert engine.target_for("high", clock.RESOLUTION) is None and engine.pause_statuses == {"waiting_on_customer"}
    assert [row["priority"].value for row in selectors.target_matrix(p)] == ["critical", "high", "moderate", "low"]
    assert AuditEvent.objects.filter(object_type="sla.slapolicy", action="create").count() == 1


def test_only_a_change_the_clock_reads_starts_a_new_version(ops, desk):
    p = policy(ops, desk)
    p = services.policy_update(actor=ops, policy=p, data={"description": "For everyone"}, expected_version=1, now=T0 + dt.timedelta(days=1))
    assert p.current_version == 1 and p.version == 2  # edited, but the clock reads nothing new
    later = T0 + dt.timedelta(days=2)
    p = services.policy_update(actor=ops, policy=p, data={}, targets=targets(first_response_high=30, resolution_high=480), expected_version=2, now=later)
    assert p.current_version == 2 and list(p.versions.values_list("number", "effective_from")) == [(2, later), (1, T0)]
    assert p.versions.get(number=1).snapshot["targets"]["high"]["first_response"] == [3600, "business"]  # kept as it was
    with pytest.raises(StaleVersion):
        services.policy_update(actor=ops, policy=p, data={"name": "Late"}, expected_version=1)


@pytest.mark.parametrize(
    ("data", "given_targets", "field", "words"),
    [
        ({"warning_thresholds": [50, 120]}, None, "warning_thresholds", "between 1 and 99"),
        ({"pause_statuses": ["resolved"]}, None, "pause_statuses", "waiting_on_customer"),
        ({"priorities": ["urgent"]}, None, "priorities", "critical"),
        ({"categories": [""]}, None, "categories", "category names"),
        ({}, [TargetInput("high", "resolution", 0)], "targets", "High resolution"),
        ({}, [TargetInput("high", "resolution", 60), TargetInput("high", "resolution", 90)], "targets", "given twice"),
        ({}, [TargetInput("high", "resolution", 60, "wall")], "targets", "mode"),
        ({"is_default": True, "priorities": ["high"]}, None, "is_default", "scope empty"),
        ({"calendar": None}, None, "calendar", "Choose the calendar"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(ops, desk, data, given_targets, field, words):
    with pytest.raises(ValidationFailed) as caught:
        services.policy_create(actor=ops, data={"name": "Bad", "calendar": desk, **data}, targets=given_targets or targets(resolution_high=60))
    assert field in caught.value.field_errors and words in caught.value.message, caught.value.message
    assert not SlaPolicy.objects.exists()


def test_the_first_matching_policy_applies_then_the_default_else_no_sla(ops, desk):
    strategic_account = AccountFactory(owner=ops)
    assert selectors.matching_version(clock.CaseFacts(priority="high"), at=T0) is None  # no policy: no SLA
    default = policy(ops, desk, name="Everyone else", is_default=True)
    critical = policy(ops, desk, name="Critical cases", priorities=["critical"], targets=targets(resolution_critical=240))
    named = policy(ops, desk, name="Key account", scope=Scope(accounts=[strategic_account]))
    facts = clock.CaseFacts(account_id=strategic_account.pk, priority="critical")
    assert selectors.matching_version(facts, at=T0).policy == critical  # earlier in the order
    services.policy_move(actor=ops, policy=named, direction=-1)
    assert selectors.matching_version(facts, at=T0).policy == named
    assert selectors.matching_version(clock.CaseFacts(priority="low"), at=T0).policy == default
    services.policy_update(actor=ops, policy=default, data={"is_active": False})
    assert selectors.matching_version(clock.CaseFacts(priority="low"), at=T0) is None
    policy(ops, desk, name="New default", is_default=True)  # the old default is inactive now
    with pytest.raises(ValidationFailed, match="one default"):
        policy(ops, desk, name="Another default", is_default=True)


def test_scope_is_limited_to_what_the_configurer_sees_and_only_configurers_write(ops, desk):
    director = UserFactory(role=Role.DIRECTOR)
    theirs = AccountFactory(owner=UserFactory(role=Role.MANAGER))
    with pytest.raises(ValidationFailed, match="your portfolio"):
        services.policy_create(actor=director, data={"name": "X", "calendar": desk}, targets=targets(resolution_high=60), scope=Scope(accounts=[theirs]))
    for role in (Role.MANAGER, Role.EXECUTIVE, Role.FINANCE, Role.SPONSOR):
        with pytest.raises(PermissionDenied):
            services.policy_create(actor=UserFactory(role=role), data={"name": "Y", "calendar": desk}, targets=targets(resolution_high=60))


def test_a_calendar_in_use_cannot_be_deleted(ops, desk):
    policy(ops, desk)
    with pytest.raises(services.CalendarInUse, match="Standard"):
        services.calendar_delete(actor=ops, calendar=desk)


def test_pages_create_edit_and_show_versions(client, ops, desk):
    from django.urls import reverse

    from steward.accounts.models import Tier

    key = AccountFactory(owner=ops, name="Acme Logistics")
    strategic = Tier.objects.get_or_create(name="Strategic", defaults={"rank": 0})[0]
    client.force_login(ops)
    form = {
        "name": "Strategic accounts", "calendar": desk.pk, "is_active": "on", "priorities": ["critical", "high"],
        "tiers": [strategic.pk], "accounts": "acme logistics", "pause_statuses": ["waiting_on_customer"],
        "warning_thresholds": "50, 80", "attainment_goal": "97.5", "notify_in_business_hours": "on",
        "t_critical_first_response": "30m", "m_critical_first_response": "calendar",
        "t_critical_resolution": "4h", "m_critical_resolution": "business",
        "t_high_resolution": "1d 2h", "m_high_resolution": "business",
    }
    bad = client.post(reverse("sla:policy_create"), {**form, "t_high_resolution": "soon", "accounts": "Nobody Ltd"})
    page = bad.content.decode()
    assert bad.status_code == 422 and "“soon” is not a duration" in page
    assert not SlaPolicy.objects.exists()
    made = client.post(reverse("sla:policy_create"), form)
    assert made.status_code == 302, made.content.decode()[:2000]
    p = SlaPolicy.objects.get()
    assert {(t.priority, t.kind, t.minutes, t.mode) for t in p.targets.all()} == {
        ("critical", "first_response", 30, "calendar"), ("critical", "resolution", 240, "business"), ("high", "resolution", 1560, "business"),
    }
    assert list(p.accounts.all()) == [key] and list(p.tiers.all()) == [strategic] and p.warning_thresholds == [50, 80]
    detail = client.get(reverse("sla:policy", args=[p.public_id])).content.decode()
    assert "26 h" in detail and "30 min" in detail and "around the clock" in detail and "Acme Logistics" in detail
    edit = client.get(reverse("sla:policy_edit", args=[p.public_id])).content.decode()
    assert 'value="26h"' in edit and 'value="30m"' in edit and "Acme Logistics" in edit  # the name as stored
    changed = client.post(reverse("sla:policy_edit", args=[p.public_id]), {**form, "version": 1, "accounts": "Acme Logistics", "t_high_resolution": "8h"})
    assert changed.status_code == 302
    p.refresh_from_db()
    assert p.current_version == 2
    listing = client.get(reverse("sla:policies")).content.decode()
    assert "Strategic accounts" in listing and "v2" in listing


def test_the_api_takes_and_gives_policies_with_targets_and_scope(client, ops, desk):
    from steward.api.tests.client import ApiClient

    api = ApiClient(client, ops)
    body = {
        "name": "Default", "calendar_id": str(desk.public_id), "is_default": True,
        "targets": [{"priority": "high", "kind": "resolution", "minutes": 480}, {"priority": "low", "kind": "resolution", "minutes": 2400, "mode": "calendar"}],
    }
    made = api.post("/sla/policies", body)
    assert made.status_code == 201, made.content
    p = made.json()
    assert (p["current_version"], p["is_default"], len(p["targets"])) == (1, True, 2)
    path = f"/sla/policies/{p['id']}"
    assert api.post("/sla/policies", {**body, "name": "Other", "calendar_id": "00000000-0000-4000-8000-000000000000"}).json()["errors"]["calendar_id"]
    assert api.post("/sla/policies", {**body, "name": "Other", "is_default": False, "targets": [{"priority": "urgent", "kind": "resolution", "minutes": 5}]}).status_code == 422
    assert api.patch(path, {"warning_thresholds": [60]}, if_match='"9"').status_code == 412
    patched = api.patch(path, {"warning_thresholds": [60]}, if_match='"1"').json()
    assert patched["warning_thresholds"] == [60] and patched["current_version"] == 2
    versions = api.get(f"{path}/versions").json()
    assert [v["number"] for v in versions] == [2, 1] and versions[1]["snapshot"]["warning_thresholds"] == [50, 75, 90]
    assert api.get("/sla/policies").json()["count"] == 1
    reader = ApiClient(client, UserFactory(role=Role.MANAGER))
    assert reader.get(path).status_code == 200 and reader.patch(path, {"name": "Mine"}).status_code == 403
    assert api.delete(path).status_code == 204 and api.get(path).status_code == 404
