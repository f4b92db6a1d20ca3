"""The attainment cells (counts per account and quarter) agree with the target states after every way
states are written, and attainment read from them equals attainment counted from the states."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.paginator import Paginator
from django.db import transaction

from steward.accounts.models import Account
from steward.demo.generator import SeedOptions, generate
from steward.orders.models import Order
from steward.sla import rollup, selectors, services
from steward.sla.models import AttainmentCell, Case, CaseTarget
from steward.sla.tests.test_cases import open_case
from steward.users.choices import Role
from steward.users.models import User
from steward.users.tests.factories import UserFactory

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)


def stored_cells() -> list[tuple[object, ...]]:
    return sorted(
        (account, str(quarter)[:10], *counts)
        for account, quarter, *counts in AttainmentCell.objects.values_list(*rollup.CELL_COLUMNS)
    )


def counted_cells() -> list[tuple[object, ...]]:
    """The cells counted afresh from the target states and orders, the way a simple reader would: a loop."""
    found: dict[tuple[int, str], list[int]] = {}

    def cell(account: int, day: dt.date) -> list[int]:
        return found.setdefault((account, dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1).isoformat()), [0] * 8)

    for account, name, status, day in CaseTarget.objects.filter(decided_on__isnull=False).values_list("account_id", "name", "status", "decided_on"):
        if status in ("met", "breached"):
            cell(account, day)[rollup.COUNT_COLUMNS.index(f"{name}_{status}")] += 1
    for account, status, day, on_time, in_full in Order.objects.values_list("account_id", "status", "delivered_on", "is_on_time", "is_in_full"):
        if status == "delivered" and day is not None:
            counts = cell(account, day)
            counts[6] += 1
            counts[7] += bool(on_time and in_full)
    return sorted((account, quarter, *counts) for (account, quarter), counts in found.items())


def as_figures(rows) -> list[tuple[object, ...]]:
    return [(r.key, r.label, sorted((k, a.met, a.breached, a.goal) for k, a in r.by_kind.items())) for r in rows]


@pytest.fixture
def portfolio(db):
    generate(SeedOptions(accounts=30, seed=5, now=NOW, chunk_size=30, interactions_per_account=2, order_lines_per_account=1))
    return User.objects.get(username="director")


def test_the_demo_recompute_and_rebuild_leave_cells_equal_to_the_states(portfolio):
    assert AttainmentCell.objects.exists() and stored_cells() == counted_cells()
    services.cases_recompute(now=LATER, open_only=False, notify_people=False, chunk=7)
    assert stored_cells() == counted_cells()
    before = stored_cells()
    with transaction.atomic():
        AttainmentCell.objects.all().delete()
        assert rollup.rebuild() == len(before)
    assert stored_cells() == before


def test_one_case_or_order_written_by_the_services_recounts_its_accounts_cells(setup_with_cells):
    from types import SimpleNamespace

    from steward.orders import services as order_services
    from steward.orders.tests.factories import order, product

    owner, account, case = setup_with_cells
    assert stored_cells() == counted_cells() == []  # nothing decided yet
    services.case_reply(actor=owner, case=case, body="On it", now=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    ((_account, quarter, fr_met, *_rest),) = stored_cells()
    assert (quarter, fr_met) == ("2026-10-01", 1) and stored_cells() == counted_cells()
    shipped = order(SimpleNamespace(account=account, owner=owner), product("PAL-1"), actor=owner)
    order_services.shipment_record(
        actor=owner, order=shipped, quantities={shipped.lines.get(): "10"}, shipped_on=dt.date(2025, 3, 20),
        delivered_on=dt.date(2025, 3, 21), now=dt.datetime(2025, 3, 21, 12, tzinfo=dt.UTC),
    )
    assert ("2025-01-01", 1, 1) in {(c[1], c[-2], c[-1]) for c in stored_cells()}  # the delivery is counted in its quarter
    assert stored_cells() == counted_cells()
    late = open_case(owner, account, subject="Nobody answered")
    services.case_recompute(late, now=dt.datetime(2026, 11, 24, tzinfo=dt.UTC))  # first response breached
    services.case_change_status(actor=owner, case=case, status="resolved", now=dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC))
    assert stored_cells() == counted_cells()
    (*_earlier, (_a, _q, fr_met, fr_breached, _nm, _nb, res_met, res_breached, _n, _otif)) = stored_cells()
    assert (fr_met, fr_breached, res_met, res_breached) == (1, 1, 1, 0)


@pytest.fixture
def setup_with_cells(db):
    from steward.sla.tests.test_cases import make_setup

    _admin, owner, account, _policy = make_setup()
    return owner, account, open_case(owner, account)


def test_attainment_from_cells_equals_attainment_counted_from_states(portfolio):
    services.cases_recompute(now=LATER, open_only=False, notify_people=False, chunk=7)
    quarter = dt.date(2026, 7, 1)
    for user in (portfolio, User.objects.get(username="manager")):
        for group in ("quarter", "account", "tier"):
            for start, end in ((None, None), (quarter, None), (dt.date(2026, 1, 1), quarter)):
                from_cells = selectors.attainment_by(user=user, group=group, start=start, end=end)
                counted: dict = {}
                selectors._count_live(counted, user=user, group=group, start=start, end=end, account=None)
                read = {str(r.key)[:10]: {k: (a.met, a.breached) for k, a in r.by_kind.items()} for r in from_cells}
                expected = {str(k)[:10]: {n: (a.met, a.breached) for n, a in kinds.items()} for k, kinds in counted.items() if k is not None}
                assert read == expected, (user.username, group, start, end)
    account = Account.objects.filter(pk__in=CaseTarget.objects.values("account_id")).first()
    one = selectors.attainment_by(user=portfolio, group="quarter", account=account)
    odd_start = selectors.attainment_by(user=portfolio, group="quarter", account=account, start=dt.date(2000, 1, 2))  # counted from states
    assert as_figures(one) == as_figures(odd_start) and one


def test_ranked_by_account_is_worst_first_pages_in_the_database_and_shows_only_whats_visible(portfolio):
    services.cases_recompute(now=LATER, open_only=False, notify_people=False, chunk=7)
    ranked = selectors.ranked_by_account(user=portfolio)
    everything = ranked[0:None]
    assert len(everything) == ranked.count() == len(ranked) > 10
    # Counted from the states (a start off a quarter's first day) and ordered in Python: the same rows.
    counted = selectors.attainment_by(user=portfolio, group="account", start=dt.date(2000, 1, 2))
    assert as_figures(everything) == as_figures(counted)
    ratios = [r.cases.met / r.cases.decided if r.cases.decided else 2.0 for r in everything]
    assert ratios == sorted(ratios)
    assert as_figures(ranked[3:8]) == as_figures(everything[3:8]) and as_figures([ranked[4]]) == as_figures([everything[4]])
    page = Paginator(selectors.ranked_by_account(user=portfolio), 10).get_page(2)
    assert as_figures(page.object_list) == as_figures(everything[10:20]) and page.paginator.count == len(everything)
    manager = User.objects.get(username="manager")
    mine = set(Account.objects.filter(owner=manager).values_list("pk", flat=True))
    theirs = selectors.ranked_by_account(user=manager)[0:None]
    assert theirs and {r.key for r in theirs} <= set(selectors.accounts_visible_to(manager).values_list("pk", flat=True))
    assert mine & {r.key for r in theirs}
    assert selectors.ranked_by_account(user=UserFactory(role=Role.MANAGER)).count() == 0
    with pytest.raises(IndexError):
        ranked[10_000]


def test_the_attainment_page_by_account_pages_worst_first(client, portfolio):
    from django.urls import reverse

    services.cases_recompute(now=LATER, open_only=False, notify_people=False, chunk=7)
    client.force_login(portfolio)
    everything = selectors.ranked_by_account(user=portfolio, start=dt.date(2024, 1, 1))[0:None]
    response = client.get(reverse("sla:attainment"), {"group": "account", "quarters": "12"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == len(everything)
    assert [r.label for r in page.object_list] == [r.label for r in everything[:50]]
    assert Case.objects.exists()


def test_the_rebuild_command_recounts_cells_changed_by_hand(portfolio):
    import io

    from django.core.management import call_command

    AttainmentCell.objects.filter(pk__in=AttainmentCell.objects.values("pk")[:5]).delete()
    assert stored_cells() != counted_cells()
    out = io.StringIO()
    call_command("sla_attainment_rebuild", stdout=out)
    assert "attainment cells recounted" in out.getvalue() and stored_cells() == counted_cells()


def test_the_api_pages_attainment_by_account_worst_first(portfolio):
    from django.test import Client

    from steward.api.tests.client import ApiClient

    services.cases_recompute(now=LATER, open_only=False, notify_people=False, chunk=7)
    everything = selectors.ranked_by_account(user=portfolio)[0:None]
    api = ApiClient(Client(), portfolio)
    first = api.get("/sla/attainment", group="account", limit=5).json()
    assert first["count"] == len(everything) and first["next"] and first["previous"] is None
    assert [r["label"] for r in first["results"]] == [r.label for r in everything[:5]]
    second = api.get("/sla/attainment", group="account", limit=5, offset=5).json()
    assert [r["label"] for r in second["results"]] == [r.label for r in everything[5:10]]
    # A period off the quarters is counted from the states: the same figures for the same period.
    odd = api.get("/sla/attainment", group="account", start="2000-01-02", limit=200).json()["results"]
    assert [(r["label"], r["cases"]) for r in odd] == [(r["label"], r["cases"]) for r in api.get("/sla/attainment", group="account", limit=200).json()["results"]]
    assert api.get("/sla/attainment", group="quarter").json()["count"] >= 4


def test_the_migration_counts_the_cells_of_data_stored_before_it(portfolio):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    expected = counted_cells()
    assert expected
    AttainmentCell.objects.all().delete()
    migration = importlib.import_module("steward.sla.migrations.0008_attainment_cells")
    with connection.cursor() as cursor:  # the editor's parts the fill uses (SQLite refuses an editor in a test's transaction)
        migration.count_cells(apps, SimpleNamespace(execute=cursor.execute, connection=connection))
    assert stored_cells() == expected
