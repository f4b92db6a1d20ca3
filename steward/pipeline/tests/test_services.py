"""Opportunity, stage and quota writes: rules, access and the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from steward.catalogue.models import Product
from steward.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from steward.core.models import AuditEvent
from steward.pipeline import selectors, services
from steward.pipeline.models import Opportunity, OpportunityStage, Quota
from steward.pipeline.tests.factories import OpportunityFactory, stage

pytestmark = pytest.mark.django_db


def _data(**extra):
    return {"name": "Cold-chain sensors for Hamburg", "amount": Decimal("50000"), "close_date": dt.date(2026, 12, 15), **extra}


def test_the_data_migration_installs_the_default_stages():
    got = [(s.name, s.probability, s.outcome) for s in selectors.stages()]
    assert got == [("Prospecting", 10, "open"), ("Qualification", 25, "open"), ("Proposal", 50, "open"),
                   ("Negotiation", 75, "open"), ("Closed won", 100, "won"), ("Closed lost", 0, "lost")]


def test_owner_creates_an_opportunity_in_the_first_stage_audited_on_the_account(personas):
    opp = services.opportunity_create(actor=personas.owner, account=personas.account, data=_data())
    assert opp.stage.name == "Prospecting" and opp.owner == personas.owner and opp.currency == "EUR"
    event = AuditEvent.objects.get(object_type="pipeline.opportunity", action="create")
    assert event.account_id == personas.account.pk and event.actor == personas.owner


def test_lines_set_the_amount_from_quantity_times_price():
    from steward.accounts.tests.factories import AccountFactory

    account = AccountFactory()
    product = Product.objects.create(sku="SNS-GPS", name="GPS tracker", list_price=Decimal("149.00"))
    opp = services.opportunity_create(actor=account.owner, account=account, data=_data(), lines=[
        services.LineInput(product, Decimal(10)), services.LineInput(product, Decimal(2), Decimal("100.00")),
    ])
    assert opp.amount == Decimal("1690.00") and opp.lines.count() == 2
    with pytest.raises(ValidationFailed, match="row 1: quantity"):
        services.opportunity_update(actor=account.owner, opportunity=opp, data={}, lines=[services.LineInput(product, Decimal(0))])
    assert Opportunity.objects.get(pk=opp.pk).lines.count() == 2  # nothing saved halfway


@pytest.mark.parametrize("who", ["owner", "teammate", "manager", "director", "admin"])
def test_people_who_see_the_account_may_write(personas, who):
    opp = services.opportunity_create(actor=getattr(personas, who), account=personas.account, data=_data())
    services.opportunity_update(actor=getattr(personas, who), opportunity=opp, data={"next_step": "Send proposal"})


def test_outsider_gets_not_found_and_sponsor_is_read_only(personas):
    with pytest.raises(NotFound):
        services.opportunity_create(actor=personas.outsider, account=personas.account, data=_data())
    with pytest.raises(PermissionDenied):
        services.opportunity_create(actor=personas.sponsor, account=personas.account, data=_data())
    assert not Opportunity.objects.exists()


def test_move_close_won_and_reopen_are_audited_with_the_close_facts(personas):
    opp = services.opportunity_create(actor=personas.owner, account=personas.account, data=_data())
    opp = services.opportunity_move_stage(actor=personas.owner, opportunity=opp, stage=stage("Negotiation"), expected_version=1)
    assert opp.stage.name == "Negotiation" and opp.version == 2
    now = timezone.now()
    opp = services.opportunity_close_won(actor=personas.owner, opportunity=opp, now=now)
    assert opp.stage.outcome == "won" and opp.closed_at == now and opp.close_date == now.date()
    opp = services.opportunity_move_stage(actor=personas.manager, opportunity=opp, stage=stage("Proposal"))
    assert opp.closed_at is None and opp.stage.name == "Proposal"
    stage_ids = [(e.before or {}).get("stage_id") for e in AuditEvent.objects.filter(object_type="pipeline.opportunity").order_by("id")]
    assert len(stage_ids) == 4


def test_close_lost_needs_a_known_reason(personas):
    opp = services.opportunity_create(actor=personas.owner, account=personas.account, data=_data())
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_close_lost(actor=personas.owner, opportunity=opp, loss_reason="")
    assert "loss_reason" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        services.opportunity_close_lost(actor=personas.owner, opportunity=opp, loss_reason="bad luck")
    opp = services.opportunity_close_lost(actor=personas.owner, opportunity=opp, loss_reason="price", note="20 % above the incumbent")
    assert opp.stage.outcome == "lost" and opp.loss_reason == "price" and opp.close_note == "20 % above the incumbent"


def test_a_stale_version_writes_nothing(personas):
    opp = services.opportunity_create(actor=personas.owner, account=personas.account, data=_data())
    with pytest.raises(StaleVersion):
        services.opportunity_update(actor=personas.owner, opportunity=opp, data={"name": "x"}, expected_version=7)
    assert Opportunity.objects.get(pk=opp.pk).name == "Cold-chain sensors for Hamburg"


def test_update_refuses_a_closing_stage_and_bad_values_name_the_field(personas):
    opp = services.opportunity_create(actor=personas.owner, account=personas.account, data=_data())
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_update(actor=personas.owner, opportunity=opp, data={"stage": stage("Closed won")})
    assert "stage" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.opportunity_update(actor=personas.owner, opportunity=opp, data={"currency": "euro"})
    assert "currency" in exc.value.field_errors


def test_renewal_for_other_apps_starts_in_the_first_open_stage_audited_as_the_system(personas):
    OpportunityStage.objects.filter(name="Prospecting").update(position=99)
    opp = services.opportunity_create_renewal(
        account=personas.account, name="Renewal 2027", amount=Decimal("120000"), currency="EUR",
        close_date=dt.date(2027, 1, 31), owner=personas.owner,
    )
    assert opp.type == "renewal" and opp.stage.name == "Qualification" and opp.owner == personas.owner
    event = AuditEvent.objects.get(object_type="pipeline.opportunity")
    assert event.actor is None and event.actor_label == "system" and event.account_id == personas.account.pk


def test_stages_keep_exactly_one_won_and_a_lost_stage(personas):
    won = stage("Closed won")
    with pytest.raises(ValidationFailed, match="Exactly one active stage"):
        services.stage_update(actor=personas.admin, stage=won, data={"is_active": False})
    with pytest.raises(ValidationFailed, match="Exactly one"):
        services.stage_create(actor=personas.director, data={"name": "Won again", "outcome": "won", "probability": 100})
    with pytest.raises(ValidationFailed, match="Closed lost"):
        services.stage_update(actor=personas.admin, stage=stage("Closed lost"), data={"is_active": False})
    assert OpportunityStage.objects.filter(is_active=True).count() == 6
    with pytest.raises(PermissionDenied):
        services.stage_create(actor=personas.manager, data={"name": "Demo", "probability": 30})


def test_a_stage_in_use_is_deactivated_not_deleted_and_can_be_reordered(personas):
    OpportunityFactory(account=personas.account, stage=stage("Proposal"))
    with pytest.raises(ValidationFailed, match="deactivate it instead"):
        services.stage_delete(actor=personas.admin, stage=stage("Proposal"))
    services.stage_update(actor=personas.admin, stage=stage("Proposal"), data={"is_active": False, "name": "Proposal sent"})
    assert not OpportunityStage.objects.get(name="Proposal sent").is_active
    new = services.stage_create(actor=personas.admin, data={"name": "Demo", "probability": 30})
    services.stage_move(actor=personas.admin, stage=new, direction=-1)
    names = [s.name for s in selectors.stages()]
    assert names.index("Demo") < names.index("Negotiation")
    services.stage_delete(actor=personas.admin, stage=new)
    assert not OpportunityStage.objects.filter(name="Demo").exists()


def test_quotas_are_set_by_directors_for_their_line_and_normalised_to_the_period(personas):
    quota = services.quota_set(actor=personas.director, user=personas.manager, kind="quarter", period_start_day=dt.date(2026, 11, 23), amount=Decimal(1000), currency="eur")
    assert quota.period_start == dt.date(2026, 10, 1) and quota.currency == "EUR"
    again = services.quota_set(actor=personas.director, user=personas.manager, kind="quarter", period_start_day=dt.date(2026, 10, 5), amount=Decimal(2000), currency="EUR")
    assert again.pk == quota.pk and Quota.objects.get().amount == 2000
    with pytest.raises(ValidationFailed, match="user"):
        services.quota_set(actor=personas.director, user=personas.outsider, kind="quarter", period_start_day=dt.date(2026, 10, 1), amount=Decimal(1), currency="EUR")
    with pytest.raises(PermissionDenied):
        services.quota_set(actor=personas.manager, user=personas.owner, kind="quarter", period_start_day=dt.date(2026, 10, 1), amount=Decimal(1), currency="EUR")


def test_attainment_rolls_bookings_up_the_line_with_one_grouped_query(personas, django_assert_max_num_queries):
    start = dt.date(2026, 10, 1)
    for user, amount in ((personas.owner, 1000), (personas.manager, 2000)):
        services.quota_set(actor=personas.admin, user=user, kind="quarter", period_start_day=start, amount=Decimal(amount), currency="EUR")
    closed = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    for amount in (600, 300):
        opp = OpportunityFactory(account=personas.account, owner=personas.owner, amount=Decimal(amount))
        services.opportunity_close_won(actor=personas.owner, opportunity=opp, now=closed)
    outside = OpportunityFactory(account=personas.account, owner=personas.owner, amount=Decimal(5000))
    services.opportunity_close_won(actor=personas.owner, opportunity=outside, now=dt.datetime(2026, 9, 30, 23, tzinfo=dt.UTC))
    with django_assert_max_num_queries(6):
        report = selectors.quota_attainment(user=personas.director, kind="quarter", start=dt.date(2026, 11, 15))
    rows = {r.person.username: r.figures for r in report.rows}
    assert next(r.person.username for r in report.rows) == "director"
    assert rows["owner"].own_booked == Decimal(900) and rows["owner"].own_pct == Decimal("90.0")
    assert rows["manager"].team_booked == Decimal(900) and rows["manager"].team_quota == Decimal(3000)
    assert rows["director"].team_pct == Decimal("30.0")
    assert "outsider" not in rows
    mine = selectors.quota_attainment(user=personas.owner, kind="quarter", start=start)
    assert [r.person.username for r in mine.rows] == ["owner"]


def test_quotas_in_another_currency_convert_for_attainment(personas):
    from steward.accounts.models import ExchangeRate

    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), as_of=dt.date(2026, 1, 1))
    services.quota_set(actor=personas.admin, user=personas.owner, kind="year", period_start_day=dt.date(2026, 3, 1), amount=Decimal(2000), currency="USD")
    opp = OpportunityFactory(account=personas.account, owner=personas.owner, amount=Decimal(500), currency="EUR")
    services.opportunity_close_won(actor=personas.owner, opportunity=opp, now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    report = selectors.quota_attainment(user=personas.owner, kind="year", start=dt.date(2026, 1, 1))
    assert report.rows[0].figures.own_pct == Decimal("50.0")  # 500 EUR of a 2000 USD (= 1000 EUR) quota


def test_board_counts_and_weights_open_opportunities_of_visible_accounts(personas):
    from steward.accounts.tests.factories import AccountFactory

    OpportunityFactory(account=personas.account, stage=stage("Proposal"), amount=Decimal(1000))
    OpportunityFactory(account=personas.account, stage=stage("Negotiation"), amount=Decimal(2000))
    OpportunityFactory(account=AccountFactory(owner=personas.outsider), stage=stage("Proposal"), amount=Decimal(9999))
    board = selectors.pipeline_board(user=personas.manager, scope=selectors.owner_scope(personas.manager, "team"))
    columns = {c.stage.name: c for c in board.columns}
    assert columns["Proposal"].count == 1 and columns["Proposal"].weighted.total == Decimal(500)
    assert board.weighted.total == Decimal(2000) and board.total.total == Decimal(3000)
    assert selectors.pipeline_board(user=personas.outsider, scope=selectors.owner_scope(personas.outsider, None)).count == 1


def test_weighted_report_groups_by_quarter_and_owner(personas):
    OpportunityFactory(account=personas.account, stage=stage("Proposal"), amount=Decimal(1000), close_date=dt.date(2026, 11, 1))
    OpportunityFactory(account=personas.account, stage=stage("Prospecting"), amount=Decimal(1000), close_date=dt.date(2027, 2, 1))
    report = selectors.weighted_pipeline(user=personas.director, scope=selectors.owner_scope(personas.director, None))
    assert [(p.label, p.weighted) for p in report.periods] == [("Q4 2026", Decimal(500)), ("Q1 2027", Decimal(100))]
    assert report.owners[0].label == str(personas.owner) and report.total.weighted == Decimal(600)


def test_sponsor_may_not_write_even_on_a_sponsored_account(personas):
    assert not services.can_edit_opportunity(personas.sponsor, personas.account)
    assert services.can_edit_opportunity(personas.teammate, personas.account)
