"""Pipeline pages: what each persona sees and can do, bad input, and fixed query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from steward.accounts.tests.factories import AccountFactory
from steward.catalogue.models import Product
from steward.pipeline import services
from steward.pipeline.models import Opportunity, OpportunityStage, Quota
from steward.pipeline.tests.factories import OpportunityFactory, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(personas):
    return OpportunityFactory(account=personas.account, name="Sensors for Hamburg", amount=Decimal("40000"), next_step="Send the proposal")


@pytest.mark.parametrize("who", ["owner", "teammate", "manager", "director", "admin", "sponsor"])
def test_people_who_see_the_account_see_its_opportunity_everywhere(client, personas, opp, who):
    client.force_login(getattr(personas, who))
    assert "Sensors for Hamburg" in client.get(reverse("pipeline:detail", args=[opp.public_id])).content.decode()
    assert "Sensors for Hamburg" in client.get(reverse("pipeline:list")).content.decode()
    assert "Sensors for Hamburg" in client.get(reverse("pipeline:account_tab", args=[personas.account.public_id])).content.decode()


def test_outsider_gets_404_and_sees_nothing_in_lists_and_board(client, personas, opp):
    client.force_login(personas.outsider)
    assert client.get(reverse("pipeline:detail", args=[opp.public_id])).status_code == 404
    assert client.get(reverse("pipeline:account_tab", args=[personas.account.public_id])).status_code == 404
    assert client.post(reverse("pipeline:close_won", args=[opp.public_id])).status_code == 404
    assert client.post(reverse("pipeline:board_move", args=[opp.public_id]), {"stage": str(stage("Negotiation").public_id)}).status_code == 404
    assert "Sensors for Hamburg" not in client.get(reverse("pipeline:list")).content.decode()
    assert "Sensors for Hamburg" not in client.get(reverse("pipeline:board") + "?owner=mine").content.decode()
    assert Opportunity.objects.get(pk=opp.pk).stage.name == "Proposal"


def test_sponsor_sees_no_write_buttons_and_cannot_close(client, personas, opp):
    client.force_login(personas.sponsor)
    html = client.get(reverse("pipeline:detail", args=[opp.public_id])).content.decode()
    assert "Close won" not in html and "Edit" not in html
    client.post(reverse("pipeline:close_won", args=[opp.public_id]))
    assert Opportunity.objects.get(pk=opp.pk).closed_at is None
    assert client.get(reverse("pipeline:create_for_account", args=[personas.account.public_id])).status_code == 404


def test_owner_creates_an_opportunity_with_lines_from_the_account_tab(client, personas):
    product = Product.objects.create(sku="SNS-TEMP", name="Temperature logger", list_price=Decimal("89.00"))
    client.force_login(personas.owner)
    tab = client.get(reverse("pipeline:account_tab", args=[personas.account.public_id])).content.decode()
    assert "New opportunity" in tab and "No open opportunities" in tab
    url = reverse("pipeline:create_for_account", args=[personas.account.public_id])
    body = {
        "name": "Cold chain Q1", "type": "cross_sell", "stage": "", "amount": "", "currency": "EUR", "close_date": "2027-02-15",
        "owner": personas.owner.pk, "next_step": "Pilot", "description": "",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "50",
        "lines-0-product": product.pk, "lines-0-quantity": "100", "lines-0-unit_price": "",
        "lines-1-product": "", "lines-1-quantity": "", "lines-1-unit_price": "",
    }
    response = client.post(url, body)
    assert response.status_code == 302
    opportunity = Opportunity.objects.get(name="Cold chain Q1")
    assert opportunity.amount == Decimal("8900.00") and opportunity.stage.name == "Prospecting"
    page = client.get(response["Location"]).content.decode()
    assert "SNS-TEMP" in page and "8,900.00 EUR" in page


def test_bad_input_names_the_field_and_saves_nothing(client, personas):
    client.force_login(personas.owner)
    url = reverse("pipeline:create_for_account", args=[personas.account.public_id])
    body = {"name": "", "type": "upsell", "amount": "-5", "currency": "euro", "close_date": "31/12/2026", "owner": personas.owner.pk,
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-product": "", "lines-0-quantity": "3"}
    response = client.post(url, body)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Pick a product for this line" in html and "Enter a valid date" in html and "at most 3 characters" in html
    assert not Opportunity.objects.exists()
    assert client.post(reverse("pipeline:create"), {**body, "name": "x", "amount": "1", "currency": "EUR", "close_date": "2026-12-31", "lines-0-quantity": ""}).status_code == 422


def test_close_lost_without_a_reason_says_so(client, personas, opp):
    client.force_login(personas.owner)
    response = client.post(reverse("pipeline:close_lost", args=[opp.public_id]), {"loss_reason": "", "note": ""})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    client.post(reverse("pipeline:close_lost", args=[opp.public_id]), {"loss_reason": "competitor", "note": "Went with the incumbent"})
    opp.refresh_from_db()
    assert opp.stage.outcome == "lost" and opp.loss_reason == "competitor"
    html = client.get(reverse("pipeline:detail", args=[opp.public_id])).content.decode()
    assert "Lost to a competitor" in html and "Reopen" in html and "Proposal</strong> → <strong>Closed lost" in html


def test_board_moves_a_card_with_htmx_and_without(client, personas, opp):
    client.force_login(personas.manager)
    board = client.get(reverse("pipeline:board")).content.decode()
    assert "Sensors for Hamburg" in board and "Move" in board
    negotiation = stage("Negotiation")
    response = client.post(reverse("pipeline:board_move", args=[opp.public_id]), {"stage": str(negotiation.public_id), "owner": "team"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "moved to Negotiation" in response.content.decode()
    assert Opportunity.objects.get(pk=opp.pk).stage == negotiation
    response = client.post(reverse("pipeline:board_move", args=[opp.public_id]), {"stage": str(stage("Closed won").public_id)})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=opp.pk).closed_at is not None
    response = client.post(reverse("pipeline:board_move", args=[opp.public_id]), {"stage": "nonsense"}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Stage: pick a stage" in response.content.decode()


def test_list_filters_sort_and_bad_dates_never_500(client, personas, opp):
    OpportunityFactory(account=personas.account, name="Renewal 2027", type="renewal", stage=stage("Negotiation"), close_date=dt.date.today() + dt.timedelta(days=400))
    client.force_login(personas.owner)
    url = reverse("pipeline:list")
    html = client.get(url, {"type": "renewal"}).content.decode()
    assert "Renewal 2027" in html and "Sensors for Hamburg" not in html
    later = (dt.date.today() + dt.timedelta(days=200)).isoformat()  # the other opportunity closes in 30 days
    html = client.get(url, {"close_from": later, "sort": "-amount"}).content.decode()
    assert "Renewal 2027" in html and "Sensors for Hamburg" not in html
    response = client.get(url, {"close_from": "yesterday", "stage": "zzz", "sort": "bogus", "page": "x"})
    assert response.status_code == 200 and "Close from: “yesterday” is not a date" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, personas, django_assert_max_num_queries):
    for _ in range(30):
        OpportunityFactory(account=personas.account)
    client.force_login(personas.manager)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("pipeline:list"))
    assert response.content.decode().count('class="row-title"') == 25


def test_board_query_count_is_fixed(client, personas, django_assert_max_num_queries):
    for s in ("Prospecting", "Proposal", "Negotiation"):
        for _ in range(8):
            OpportunityFactory(account=personas.account, stage=stage(s))
    client.force_login(personas.director)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("pipeline:board"))
    assert response.content.decode().count('class="board-card"') == 24


def test_weighted_report_and_attainment_pages(client, personas, opp):
    services.quota_set(actor=personas.admin, user=personas.owner, kind="quarter", period_start_day=dt.date.today(), amount=Decimal(80000), currency="EUR")
    services.opportunity_close_won(actor=personas.owner, opportunity=opp)
    OpportunityFactory(account=personas.account, stage=stage("Proposal"), amount=Decimal(1000))
    client.force_login(personas.director)
    html = client.get(reverse("pipeline:report")).content.decode()
    assert 'data-chart="weighted-data"' in html and "500 EUR" in html
    html = client.get(reverse("pipeline:attainment")).content.decode()
    assert "50.0 %" in html and 'data-testid="row-manager"' in html
    assert client.get(reverse("pipeline:attainment"), {"kind": "week", "start": "bad"}).status_code == 200
    client.force_login(personas.outsider)
    assert "row-owner" not in client.get(reverse("pipeline:attainment")).content.decode()


def test_admin_configures_stages_and_a_manager_cannot(client, personas, opp):
    client.force_login(personas.manager)
    assert client.get(reverse("pipeline:stages")).status_code == 404
    client.force_login(personas.admin)
    assert "Closed won" in client.get(reverse("pipeline:stages")).content.decode()
    response = client.post(reverse("pipeline:stages"), {"new-name": "Demo", "new-probability": "30", "new-outcome": "open", "new-is_active": "on"})
    assert response.status_code == 302 and OpportunityStage.objects.filter(name="Demo").exists()
    won = stage("Closed won")
    response = client.post(reverse("pipeline:stage_edit", args=[won.public_id]), {f"{won.public_id}-name": "Won", f"{won.public_id}-probability": "100", f"{won.public_id}-outcome": "won"})
    assert response.status_code == 422 and "Exactly one active stage" in response.content.decode()
    response = client.post(reverse("pipeline:stage_edit", args=[won.public_id]), {f"{won.public_id}-name": "Won", f"{won.public_id}-probability": "250", f"{won.public_id}-outcome": "won", f"{won.public_id}-is_active": "on"})
    assert response.status_code == 422 and "Probability" in response.content.decode()
    client.post(reverse("pipeline:stage_delete", args=[stage("Proposal").public_id]))
    assert OpportunityStage.objects.filter(name="Proposal").exists()


def test_director_sets_quotas_for_their_line_only(client, personas):
    client.force_login(personas.director)
    url = reverse("pipeline:quotas")
    response = client.post(url, {"user": personas.manager.pk, "kind": "quarter", "period_start": "2026-11-20", "amount": "250000", "currency": "EUR"})
    assert response.status_code == 302
    assert Quota.objects.get().period_start == dt.date(2026, 10, 1)
    response = client.post(url, {"user": personas.outsider.pk, "kind": "quarter", "period_start": "2026-11-20", "amount": "1", "currency": "EUR"})
    assert response.status_code == 422 and Quota.objects.count() == 1
    client.force_login(personas.manager)
    assert client.get(url).status_code == 404


def test_account_tab_and_dashboard_panels(client, personas, opp):
    client.force_login(personas.owner)
    html = client.get(reverse("accounts:detail", args=[personas.account.public_id])).content.decode()
    assert "Opportunities" in html and '<span class="count" title="1 open">1</span>' in html
    dash = client.get(reverse("dashboard")).content.decode()
    assert 'data-panel="pipeline"' in dash and 'data-panel="quota"' in dash
    client.force_login(personas.sponsor)
    dash = client.get(reverse("dashboard")).content.decode()
    assert 'data-panel="pipeline"' not in dash and 'data-panel="quota"' not in dash


def test_other_accounts_do_not_leak_into_the_tab(client, personas, opp):
    other = AccountFactory(owner=personas.outsider)
    OpportunityFactory(account=other, name="Secret deal")
    client.force_login(personas.director)
    assert "Secret deal" not in client.get(reverse("pipeline:account_tab", args=[personas.account.public_id])).content.decode()
