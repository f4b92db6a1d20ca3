"""The large-portfolio paths (deep pages, per-tier dashboard lists) answer what the simple ones do."""

import pytest
from django.utils import timezone

from steward.accounts import selectors
from steward.accounts.tests.factories import AccountFactory, tier
from steward.core import paging

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(personas):
    for n in range(40):
        AccountFactory(
            name=f"Acct {n % 7:02d}-{n:02d}", owner=personas.owner, tier=tier(["Strategic", "Key", "Growth", "Maintain"][n % 4]),
            annual_contract_value=1000 * (n % 9), is_single_threaded=n % 3 == 0, last_touchpoint_at=None if n % 5 == 0 else timezone.now() - timezone.timedelta(days=n * 9),
        )
    return personas


@pytest.mark.parametrize("sort", ["name", "-acv", "owner", "last_touch"])
def test_deep_pages_hold_the_same_rows_in_the_same_order(portfolio, monkeypatch, sort):
    qs = selectors.account_list(user=portfolio.director, filters=selectors.AccountFilters(), sort=sort, now=timezone.now())
    expected = [a.pk for a in qs]
    monkeypatch.setattr(paging, "DEEP", 0)
    got = [a.pk for start in range(0, len(expected), 7) for a in paging.page_rows(qs, start, start + 7)]
    assert got == expected
    assert paging.page_rows(qs, 1000, 1007) == []


def test_dashboard_lists_per_tier_match_the_single_sorted_query(portfolio, monkeypatch):
    now = timezone.now()
    small = selectors.dashboard_summary(user=portfolio.director, now=now, list_size=9)
    monkeypatch.setattr(selectors, "SMALL_SET", 0)
    large = selectors.dashboard_summary(user=portfolio.director, now=now, list_size=9)
    assert [a.pk for a in large.overdue_accounts] == [a.pk for a in small.overdue_accounts]
    assert [a.pk for a in large.single_threaded_accounts] == [a.pk for a in small.single_threaded_accounts]
    assert len(small.overdue_accounts) == 9


def test_a_director_over_every_owner_sees_all_and_one_outside_owner_narrows_it(portfolio):
    from steward.users.tests.factories import UserFactory

    UserFactory.create_batch(5, manager=portfolio.manager)  # the director's tree outnumbers the rest
    everything = selectors.accounts_visible_to(portfolio.director)
    assert not everything.query.where  # no filter: every owner reports to the director
    assert everything.count() == 41
    # Not when some account belongs to someone outside the reporting line.
    assert selectors.accounts_visible_to(portfolio.manager).count() == 41
    AccountFactory(owner=portfolio.outsider)
    narrowed = selectors.accounts_visible_to(portfolio.director)
    assert narrowed.query.where
    assert narrowed.count() == 41
