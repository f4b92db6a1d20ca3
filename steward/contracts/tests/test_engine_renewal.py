"""The renewal engine: every band edge, the notice deadline and when the renewal opportunity is due."""

from __future__ import annotations

import datetime as dt

import pytest

from steward.contracts.engine.renewal import (
    Band,
    RenewalTerms,
    day_band,
    notice_deadline,
    renewal_alert,
    renewal_opportunity_due,
)

TODAY = dt.date(2026, 3, 1)


def alert(days_left: int, notice: int = 0, auto: bool = False):
    return renewal_alert(RenewalTerms(end_on=TODAY + dt.timedelta(days=days_left), notice_period_days=notice, auto_renew=auto), today=TODAY)


@pytest.mark.parametrize(
    "days_left,band",
    [
        (-1, Band.ENDED), (0, Band.DAYS_30), (1, Band.DAYS_30), (30, Band.DAYS_30), (31, Band.DAYS_60), (60, Band.DAYS_60),
        (61, Band.DAYS_90), (90, Band.DAYS_90), (91, Band.DAYS_120), (120, Band.DAYS_120), (121, Band.NONE), (400, Band.NONE),
    ],
)
def test_every_band_edge(days_left, band):
    assert day_band(days_left) == band
    result = alert(days_left)
    assert result.band == band and result.days_left == days_left
    assert result.is_alert == (band not in (Band.ENDED, Band.NONE))


def test_the_notice_deadline_is_the_end_less_the_notice_period():
    assert notice_deadline(dt.date(2026, 12, 31), 90) == dt.date(2026, 10, 2)
    assert notice_deadline(dt.date(2026, 12, 31), 0) == dt.date(2026, 12, 31)
    with pytest.raises(ValueError):
        notice_deadline(dt.date(2026, 12, 31), -1)


def test_on_the_deadline_notice_can_still_be_given():
    on_the_day = alert(90, notice=90)
    assert on_the_day.days_to_notice == 0 and not on_the_day.notice_passed and on_the_day.band == Band.DAYS_90


def test_a_day_past_the_deadline_outranks_the_day_band():
    late = alert(89, notice=90, auto=True)
    assert late.notice_passed and late.band == Band.NOTICE_PASSED and late.day_band == Band.DAYS_90
    assert late.days_to_notice == -1 and late.is_alert and late.auto_renew


def test_a_passed_deadline_far_from_the_end_still_alerts():
    # 180 days' notice on a contract ending in 150 days: the deadline passed a month ago.
    result = alert(150, notice=180)
    assert result.band == Band.NOTICE_PASSED and result.day_band == Band.NONE


def test_no_notice_period_never_raises_the_notice_alert():
    assert alert(10, notice=0).band == Band.DAYS_30


def test_an_ended_contract_has_no_notice_alert():
    ended = alert(-5, notice=30)
    assert ended.band == Band.ENDED and not ended.notice_passed and not ended.is_alert


@pytest.mark.parametrize("days_left,due", [(-1, False), (0, True), (120, True), (121, False)])
def test_the_renewal_opportunity_is_due_within_the_lead_time(days_left, due):
    assert renewal_opportunity_due(TODAY + dt.timedelta(days=days_left), today=TODAY, lead_days=120) is due
