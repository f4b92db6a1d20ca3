"""The pure engines: touchpoint cadence and stakeholder coverage (no database, time passed in)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.accounts.engine.cadence import overdue_cutoff, touchpoint_status
from steward.accounts.engine.stakeholders import (
    ContactFacts,
    coverage,
    is_engaged_senior,
    org_chart,
)

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
moments = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC)
)
cadences = st.integers(min_value=1, max_value=400)


def test_never_touched_is_overdue():
    status = touchpoint_status(last_touch=None, cadence_days=7, now=NOW)
    assert status.overdue and status.due_at is None


def test_a_touch_exactly_at_the_due_moment_is_on_time():
    status = touchpoint_status(last_touch=NOW - dt.timedelta(days=7), cadence_days=7, now=NOW)
    assert not status.overdue and status.due_at == NOW


def test_days_overdue_count_whole_days_past_due():
    status = touchpoint_status(last_touch=NOW - dt.timedelta(days=10, hours=5), cadence_days=7, now=NOW)
    assert status.overdue and status.days_overdue == 3


def test_a_cadence_below_one_day_is_refused():
    with pytest.raises(ValueError, match="cadence_days"):
        touchpoint_status(last_touch=NOW, cadence_days=0, now=NOW)


@given(last=moments, now=moments, cadence=cadences)
def test_the_query_cutoff_agrees_with_the_status(last, now, cadence):
    """The database filter (last touch before the cutoff) and the engine give the same answer."""
    status = touchpoint_status(last_touch=last, cadence_days=cadence, now=now)
    assert status.overdue == (last < overdue_cutoff(cadence_days=cadence, now=now))
    assert status.days_overdue >= 0
    assert (status.days_overdue > 0) <= status.overdue


@given(last=moments, cadence=cadences, later=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=800)))
def test_once_overdue_an_account_stays_overdue_as_time_passes(last, cadence, later):
    now = last + dt.timedelta(days=cadence, seconds=1)
    assert touchpoint_status(last_touch=last, cadence_days=cadence, now=now).overdue
    assert touchpoint_status(last_touch=last, cadence_days=cadence, now=now + later).overdue


def _contact(cid, role="champion", *, active=True, days_ago=1, reports_to=None):
    touched = None if days_ago is None else NOW - dt.timedelta(days=days_ago)
    return ContactFacts(id=cid, buying_role=role, active=active, last_touched_at=touched, reports_to_id=reports_to)


def test_two_engaged_senior_contacts_are_enough():
    result = coverage([_contact(1, "decision_maker"), _contact(2, "champion"), _contact(3, "user")], cadence_days=30, now=NOW)
    assert not result.single_threaded
    assert result.engaged_senior_ids == (1, 2)


@pytest.mark.parametrize(
    ("second", "why"),
    [
        (_contact(2, "champion", active=False), "left the company"),
        (_contact(2, "champion", days_ago=31), "not touched within the cadence"),
        (_contact(2, "champion", days_ago=None), "never touched"),
        (_contact(2, "influencer"), "not senior"),
    ],
)
def test_single_threaded_when_the_second_senior_contact_does_not_count(second, why):
    result = coverage([_contact(1, "economic_buyer"), second], cadence_days=30, now=NOW)
    assert result.single_threaded, why


def test_no_contacts_is_single_threaded():
    assert coverage([], cadence_days=30, now=NOW).single_threaded


contact_facts = st.builds(
    ContactFacts,
    id=st.integers(1, 40),
    buying_role=st.sampled_from(["decision_maker", "economic_buyer", "champion", "influencer", "technical_evaluator", "user", "blocker"]),
    active=st.booleans(),
    last_touched_at=st.none() | moments,
    reports_to_id=st.none() | st.integers(1, 40),
)


@given(contacts=st.lists(contact_facts, max_size=30, unique_by=lambda c: c.id), cadence=cadences, now=moments)
def test_coverage_counts_exactly_the_engaged_seniors(contacts, cadence, now):
    result = coverage(contacts, cadence_days=cadence, now=now)
    engaged = [c.id for c in contacts if is_engaged_senior(c, cadence_days=cadence, now=now)]
    assert list(result.engaged_senior_ids) == engaged
    assert set(result.engaged_senior_ids) <= set(result.senior_ids)
    assert result.single_threaded == (len(engaged) < 2)


@given(contacts=st.lists(contact_facts, max_size=30, unique_by=lambda c: c.id))
def test_the_org_chart_shows_every_contact_exactly_once(contacts):
    seen: list[int] = []

    def walk(nodes):
        for node in nodes:
            seen.append(node.id)
            walk(node.children)

    walk(org_chart(contacts))
    assert sorted(seen) == sorted(c.id for c in contacts)


def test_the_org_chart_nests_reports_under_their_manager():
    contacts = [_contact(1), _contact(2, reports_to=1), _contact(3, reports_to=2), _contact(4, reports_to=99)]
    roots = org_chart(contacts)
    assert [r.id for r in roots] == [1, 4]
    assert roots[0].children[0].id == 2 and roots[0].children[0].children[0].id == 3
