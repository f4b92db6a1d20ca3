"""When a contract needs renewal work: its alert band, the days left and the notice deadline.

Pure: no Django, today is passed in. The rules, in one place:

* days left = end date - today (the end date is the contract's last day).
* notice deadline = end date - notice period. Notice (to terminate, or to renegotiate before an
  auto-renewal) must be given on or before that day.
* band: the smallest of 30 / 60 / 90 / 120 days that the days left fit in (30 means 0 to 30
  days left, 60 means 31 to 60, and so on); no band beyond 120 days; ``ended`` once the end date
  has passed.
* notice passed: the notice deadline is behind us while the contract still runs. On an
  auto-renewing contract that means it renews whether or not anyone wanted it to, so that alert
  outranks every band.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

BANDS: tuple[int, ...] = (30, 60, 90, 120)


class Band(StrEnum):
    """The alert band of a contract, most urgent first."""

    NOTICE_PASSED = "notice"
    DAYS_30 = "30"
    DAYS_60 = "60"
    DAYS_90 = "90"
    DAYS_120 = "120"
    ENDED = "ended"
    NONE = "none"


BAND_OF_DAYS = {30: Band.DAYS_30, 60: Band.DAYS_60, 90: Band.DAYS_90, 120: Band.DAYS_120}


@dataclass(frozen=True)
class RenewalTerms:
    """What the alert depends on."""

    end_on: dt.date
    notice_period_days: int
    auto_renew: bool


@dataclass(frozen=True)
class RenewalAlert:
    """Where a contract stands on `today`."""

    band: Band  # the alert shown: notice passed first, then the day band
    day_band: Band  # the band by days left alone (30/60/90/120, ended or none)
    days_left: int
    notice_deadline: dt.date
    days_to_notice: int  # negative once the deadline has passed
    notice_passed: bool
    auto_renew: bool

    @property
    def is_alert(self) -> bool:
        """True when the contract belongs on the renewals card."""
        return self.band not in (Band.NONE, Band.ENDED)


def notice_deadline(end_on: dt.date, notice_period_days: int) -> dt.date:
    """The last day notice can be given: the end date less the notice period."""
    if notice_period_days < 0:
        raise ValueError("notice period cannot be negative")
    return end_on - dt.timedelta(days=notice_period_days)


def day_band(days_left: int, bands: tuple[int, ...] = BANDS) -> Band:
    """The 30/60/90/120-day band that `days_left` falls in; ENDED below zero, NONE beyond the last."""
    if days_left < 0:
        return Band.ENDED
    for limit in sorted(bands):
        if days_left <= limit:
            return BAND_OF_DAYS[limit]
    return Band.NONE


def renewal_alert(terms: RenewalTerms, *, today: dt.date) -> RenewalAlert:
    """The alert band, days left and notice deadline of a contract on `today`."""
    days_left = (terms.end_on - today).days
    deadline = notice_deadline(terms.end_on, terms.notice_period_days)
    days_to_notice = (deadline - today).days
    by_days = day_band(days_left)
    passed = terms.notice_period_days > 0 and days_to_notice < 0 and days_left >= 0
    return RenewalAlert(
        band=Band.NOTICE_PASSED if passed else by_days,
        day_band=by_days,
        days_left=days_left,
        notice_deadline=deadline,
        days_to_notice=days_to_notice,
        notice_passed=passed,
        auto_renew=terms.auto_renew,
    )


def renewal_opportunity_due(end_on: dt.date, *, today: dt.date, lead_days: int) -> bool:
    """True when a running contract is close enough to its end to open the renewal opportunity."""
    return 0 <= (end_on - today).days <= lead_days
