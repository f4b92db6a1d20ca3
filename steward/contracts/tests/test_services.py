"""Contract services: derived values, refusals, renewal, the idempotent renewal job and visibility."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from steward.contracts import selectors, services
from steward.contracts.choices import ContractStatus
from steward.contracts.models import Contract
from steward.contracts.tests.factories import contract
from steward.core.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from steward.core.models import AuditEvent
from steward.pipeline.models import Opportunity
from steward.pipeline.tests.factories import ensure_default_stages
from steward.quotes.tests.factories import product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stages():
    ensure_default_stages()


def test_a_new_contract_computes_its_total_and_notice_deadline(personas):
    c = services.contract_create(
        actor=personas.owner, account=personas.account,
        data={"start_on": dt.date(2026, 1, 1), "end_on": dt.date(2028, 12, 31), "annual_value": Decimal("100000"), "notice_period_days": 90},
    )
    assert c.status == ContractStatus.DRAFT and c.number.startswith(f"C-{timezone.localdate().year}-")
    assert c.total_value == Decimal("300000.00") and not c.total_value_given
    assert c.notice_deadline == dt.date(2028, 10, 2)
    assert c.currency == "EUR" and c.owner == personas.owner and c.name == "Agreement with Acme Logistics"
    assert AuditEvent.objects.filter(object_type="contracts.contract", action="create").count() == 1


def test_a_negotiated_total_is_kept_and_clearing_it_computes_again(personas):
    c = contract(personas, total_value=Decimal("99999"))
    assert c.total_value == Decimal("99999.00") and c.total_value_given
    c = services.contract_update(actor=personas.owner, contract=c, data={"total_value": None})
    assert not c.total_value_given and c.total_value != Decimal("99999.00")


def test_refusals_name_the_field_and_save_nothing(personas):
    with pytest.raises(ValidationFailed) as exc:
        services.contract_create(actor=personas.owner, account=personas.account, data={"start_on": dt.date(2026, 5, 1), "end_on": dt.date(2026, 4, 1)})
    assert "end_on" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.contract_create(actor=personas.owner, account=personas.account, data={"end_on": dt.date(2026, 4, 1)})
    assert "start_on" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        contract(personas, annual="-5")
    assert "annual_value" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        services.contract_create(
            actor=personas.owner, account=personas.account, data={"start_on": dt.date(2026, 1, 1), "end_on": dt.date(2026, 12, 31)},
            service_levels=[services.ServiceLevelInput(metric="On-time delivery", target=Decimal("120"))],
        )
    assert "service_levels" in exc.value.field_errors
    assert not Contract.objects.exists()


def test_outsiders_and_read_only_roles_cannot_write(personas):
    with pytest.raises(PermissionDenied):
        contract(personas, actor=personas.outsider)
    with pytest.raises(PermissionDenied):
        contract(personas, actor=personas.sponsor)
    c = contract(personas)
    with pytest.raises(PermissionDenied):
        services.contract_terminate(actor=personas.outsider, contract=c, reason="x")


def test_a_stale_version_is_refused(personas):
    c = contract(personas)
    services.contract_update(actor=personas.owner, contract=c, data={"name": "New name"}, expected_version=c.version)
    with pytest.raises(StaleVersion):
        services.contract_update(actor=personas.owner, contract=c, data={"name": "Other"}, expected_version=c.version)


def test_products_and_service_levels_are_stored_and_replaced(personas):
    pallet, sensor = product("PAL-1"), product("SEN-1")
    c = contract(personas)
    c = services.contract_update(
        actor=personas.owner, contract=c, products=[pallet, sensor],
        service_levels=[
            services.ServiceLevelInput(metric="On-time delivery", target=Decimal("98"), kind="on_time_delivery"),
            services.ServiceLevelInput(metric="First response", target=Decimal("4"), unit="business_hours", kind="first_response"),
        ],
    )
    assert sorted(c.products.values_list("sku", flat=True)) == ["PAL-1", "SEN-1"]
    assert [(s.metric, s.target, s.unit) for s in c.service_levels.all()] == [("On-time delivery", Decimal("98.00"), "percent"), ("First response", Decimal("4.00"), "business_hours")]
    c = services.contract_update(actor=personas.owner, contract=c, service_levels=[])
    assert not c.service_levels.exists()


def test_status_rules(personas):
    c = contract(personas, activate=False)
    with pytest.raises(services.ContractStateError):
        services.contract_renew(actor=personas.owner, contract=c)  # a draft cannot be renewed
    c = services.contract_activate(actor=personas.owner, contract=c)
    with pytest.raises(services.ContractStateError):
        services.contract_activate(actor=personas.owner, contract=c)
    with pytest.raises(ValidationFailed):
        services.contract_terminate(actor=personas.owner, contract=c, reason=" ")
    c = services.contract_terminate(actor=personas.owner, contract=c, reason="Customer went bankrupt")
    assert c.status == ContractStatus.TERMINATED and c.termination_reason == "Customer went bankrupt"
    with pytest.raises(services.ContractStateError):
        services.contract_update(actor=personas.owner, contract=c, data={"name": "x"})
    with pytest.raises(services.ContractStateError):
        services.contract_terminate(actor=personas.owner, contract=c, reason="again")


def test_an_ended_draft_cannot_be_activated(personas):
    c = contract(personas, ends_in=-1, activate=False)
    with pytest.raises(ValidationFailed) as exc:
        services.contract_activate(actor=personas.owner, contract=c)
    assert "end_on" in exc.value.field_errors


def test_renew_makes_the_follow_on_and_marks_this_one_renewed(personas):
    pallet = product("PAL-1")
    c = contract(personas, renewal_term_months=24)
    services.contract_update(actor=personas.owner, contract=c, products=[pallet],
                             service_levels=[services.ServiceLevelInput(metric="On-time delivery", target=Decimal("98"))])
    follow = services.contract_renew(actor=personas.owner, contract=c, data={"annual_value": Decimal("130000")})
    c.refresh_from_db()
    assert c.status == ContractStatus.RENEWED and follow.status == ContractStatus.DRAFT and follow.previous == c
    assert follow.start_on == c.end_on + dt.timedelta(days=1) and follow.annual_value == Decimal("130000")
    assert follow.total_value == Decimal("260000.00")
    assert list(follow.products.values_list("sku", flat=True)) == ["PAL-1"] and follow.service_levels.count() == 1
    with pytest.raises(services.ContractStateError):
        services.contract_renew(actor=personas.owner, contract=c)


def test_the_button_opens_one_renewal_opportunity(personas):
    c = contract(personas, ends_in=200)
    opp = services.contract_create_renewal_opportunity(actor=personas.owner, contract=c)
    assert opp.type == "renewal" and opp.name == "Renewal: Pallet pooling" and opp.amount == Decimal("120000.00")
    assert opp.close_date == c.end_on and opp.owner == personas.owner and opp.account == personas.account
    with pytest.raises(services.ContractStateError):
        services.contract_create_renewal_opportunity(actor=personas.owner, contract=c)


def test_the_renewal_job_is_idempotent_and_respects_the_lead_time(personas, settings):
    settings.STEWARD_RENEWAL_LEAD_DAYS = 120
    due = contract(personas, ends_in=100)
    edge = contract(personas, ends_in=120)
    later = contract(personas, ends_in=121)
    draft = contract(personas, ends_in=50, activate=False)
    now = timezone.now()
    first = services.contracts_renewal_run(now=now)
    second = services.contracts_renewal_run(now=now)
    assert first.opportunities == 2 and second.opportunities == 0
    assert Opportunity.objects.filter(type="renewal").count() == 2
    for c, linked in ((due, True), (edge, True), (later, False), (draft, False)):
        c.refresh_from_db()
        assert (c.renewal_opportunity_id is not None) is linked
    assert services.renewal_candidates(today=timezone.localdate(now), lead_days=120) == []


def test_the_renewal_job_expires_ended_contracts_and_renews_automatic_ones(personas):
    ended = contract(personas, ends_in=5)
    auto = contract(personas, ends_in=5, auto_renew=True)
    later = timezone.now() + dt.timedelta(days=10)
    run = services.contracts_renewal_run(now=later)
    ended.refresh_from_db()
    auto.refresh_from_db()
    assert ended.status == ContractStatus.EXPIRED and auto.status == ContractStatus.RENEWED
    follow = Contract.objects.get(previous=auto)
    assert follow.status == ContractStatus.ACTIVE and follow.start_on == auto.end_on + dt.timedelta(days=1)
    assert run.expired == 1 and run.auto_renewed == 1
    again = services.contracts_renewal_run(now=later)
    assert again.expired == 0 and again.auto_renewed == 0


def test_visibility_follows_the_account(personas):
    c = contract(personas)
    for who in ("owner", "teammate", "manager", "director", "admin", "sponsor"):
        assert selectors.contract_get(user=getattr(personas, who), public_id=c.public_id) == c
    with pytest.raises(NotFound):
        selectors.contract_get(user=personas.outsider, public_id=c.public_id)
    assert not selectors.renewals_due(user=personas.outsider, today=timezone.localdate()).exists()


def test_renewals_due_bands_and_notice_first(personas):
    today = timezone.localdate()
    contract(personas, ends_in=100, notice_period_days=30)  # 120 band, notice in 70 days
    contract(personas, ends_in=20, notice_period_days=0)  # 30 band
    late = contract(personas, ends_in=80, notice_period_days=90)  # notice passed 10 days ago
    rows = list(selectors.renewals_due(user=personas.manager, today=today))
    assert rows[0] == late and rows[0].notice_passed and rows[0].band == "90"  # in its day band, flagged
    bands = {b.band: b.count for b in selectors.renewal_bands(user=personas.owner, today=today, owner=personas.owner)}
    assert bands == {"notice": 1, "30": 1, "60": 0, "90": 1, "120": 1}
    assert list(selectors.renewals_due(user=personas.manager, today=today, band="notice")) == [late]
    assert sum(b.count for b in selectors.renewal_bands(user=personas.owner, today=today, owner=personas.manager)) == 0
