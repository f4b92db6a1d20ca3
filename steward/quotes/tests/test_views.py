"""Quote pages: who sees what, the editor, the workflow buttons, and refusals shown to the user."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from steward.quotes import services
from steward.quotes.choices import QuoteStatus
from steward.quotes.models import ApprovalRule, Quote
from steward.quotes.tests.factories import product, quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def pallet():
    return product()


def form_data(item, *, discount="25", terms="90", title="Pallets 2027", **extra):
    data = {
        "title": title, "currency": "EUR", "valid_until": "", "payment_terms_days": terms, "extra_discount_pct": "", "sla_credit_pct": "",
        "liability_cap": "", "delivery_terms": "", "customer_note": "", "internal_note": "", "clauses": "", "contact": "",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "200",
        "lines-0-product": str(item.pk), "lines-0-quantity": "10", "lines-0-unit_price": "", "lines-0-discount_pct": discount, "lines-0-description": "",
        "lines-1-product": "", "lines-1-quantity": "", "lines-1-unit_price": "", "lines-1-discount_pct": "", "lines-1-description": "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("who,status", [("owner", 200), ("teammate", 200), ("manager", 200), ("director", 200), ("admin", 200), ("sponsor", 200), ("outsider", 404)])
def test_who_sees_a_quote(client, personas, pallet, who, status):
    q = quote(personas, pallet)
    client.force_login(getattr(personas, who))
    assert client.get(reverse("quotes:detail", args=[q.public_id])).status_code == status
    assert client.get(reverse("quotes:pdf", args=[q.public_id])).status_code == status
    listed = client.get(reverse("quotes:list")).content.decode()
    assert (q.number in listed) == (status == 200)


def test_the_account_tab_lists_quotes_and_offers_a_new_one(client, personas, pallet):
    q = quote(personas, pallet)
    client.force_login(personas.owner)
    html = client.get(reverse("quotes:account", args=[personas.account.public_id])).content.decode()
    assert q.number in html and "New quote" in html
    client.force_login(personas.outsider)
    assert client.get(reverse("quotes:account", args=[personas.account.public_id])).status_code == 404


def test_build_submit_and_the_send_button_is_refused_until_approved(client, personas, pallet):
    client.force_login(personas.owner)
    response = client.post(reverse("quotes:create", args=[personas.account.public_id]), form_data(pallet))
    q = Quote.objects.get()
    assert response.status_code == 302 and q.total == Decimal("750.00") and q.payment_terms_days == 90
    client.post(reverse("quotes:action", args=[q.public_id, "submit"]))
    q.refresh_from_db()
    assert q.status == QuoteStatus.PENDING
    html = client.get(reverse("quotes:detail", args=[q.public_id])).content.decode()
    assert 'data-testid="send-disabled"' in html and "Waiting for approval" in html
    response = client.post(reverse("quotes:action", args=[q.public_id, "send"]), follow=True)
    assert "not approved" in response.content.decode()
    q.refresh_from_db()
    assert q.status == QuoteStatus.PENDING


def test_approvers_decide_from_the_page_and_an_edit_voids(client, personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="25", terms=90))
    client.force_login(personas.director)
    html = client.get(reverse("quotes:detail", args=[q.public_id])).content.decode()
    assert 'data-testid="approve"' not in html  # not the director's turn yet
    client.force_login(personas.manager)
    assert 'data-testid="approve"' in client.get(reverse("quotes:detail", args=[q.public_id])).content.decode()
    assert q.number in client.get(reverse("quotes:approvals")).content.decode()
    client.post(reverse("quotes:decide", args=[q.public_id]), {"decision": "approve", "comment": "fine"})
    client.force_login(personas.director)
    client.post(reverse("quotes:decide", args=[q.public_id]), {"decision": "approve"})
    q.refresh_from_db()
    assert q.status == QuoteStatus.APPROVED
    client.force_login(personas.owner)
    data = form_data(pallet, discount="26", version=str(q.version))
    response = client.post(reverse("quotes:edit", args=[q.public_id]), data, follow=True)
    assert "voided the approval" in response.content.decode()
    q.refresh_from_db()
    assert q.status == QuoteStatus.DRAFT


def test_a_rejection_without_a_comment_is_refused_with_a_message(client, personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="25", terms=90))
    client.force_login(personas.manager)
    response = client.post(reverse("quotes:decide", args=[q.public_id]), {"decision": "reject", "comment": ""}, follow=True)
    assert "say why you reject it" in response.content.decode()
    q.refresh_from_db()
    assert q.status == QuoteStatus.PENDING


def test_bad_lines_are_shown_on_the_form_and_nothing_is_saved(client, personas, pallet):
    client.force_login(personas.owner)
    response = client.post(reverse("quotes:create", args=[personas.account.public_id]), form_data(pallet, **{"lines-0-discount_pct": "150"}))
    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 100" in response.content.decode()
    response = client.post(reverse("quotes:create", args=[personas.account.public_id]), form_data(pallet, **{"lines-1-quantity": "3"}))
    assert response.status_code == 422 and "Choose a product." in response.content.decode()
    assert not Quote.objects.exists()


def test_the_sponsor_cannot_create_or_act(client, personas, pallet):
    q = quote(personas, pallet)
    client.force_login(personas.sponsor)
    assert client.get(reverse("quotes:create", args=[personas.account.public_id])).status_code == 404
    response = client.post(reverse("quotes:action", args=[q.public_id, "submit"]), follow=True)
    assert "read-only" in response.content.decode()


def test_only_admins_edit_the_rules_through_the_page(client, personas):
    client.force_login(personas.director)
    assert client.get(reverse("quotes:rules")).status_code == 200
    assert client.get(reverse("quotes:rule_create")).status_code == 404
    client.force_login(personas.admin)
    response = client.post(reverse("quotes:rule_create"), {"name": "Big deals", "metric": "total", "operator": "gt", "threshold": "5000", "approver": "director", "level": "2", "is_active": "on"})
    assert response.status_code == 302
    assert ApprovalRule.objects.filter(name="Big deals", threshold=Decimal("5000")).exists()
    response = client.post(reverse("quotes:rule_create"), {"name": "Bad", "metric": "total", "operator": "gt", "threshold": "x", "approver": "director", "level": "2"})
    assert response.status_code == 422 and "Enter a number." in response.content.decode()


def test_a_delegation_lets_a_colleague_decide(client, personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="25", terms=90))
    client.force_login(personas.manager)
    today = __import__("django.utils.timezone", fromlist=["localdate"]).localdate()
    response = client.post(reverse("quotes:delegations"), {"to_user": personas.outsider.pk, "starts_at": today.isoformat(), "ends_at": today.isoformat(), "reason": "leave"})
    assert response.status_code == 302
    client.force_login(personas.outsider)
    assert client.get(reverse("quotes:detail", args=[q.public_id])).status_code == 200  # the delegate sees what awaits them
    client.post(reverse("quotes:decide", args=[q.public_id]), {"decision": "approve", "comment": "for the manager"})
    step = q.approval_requests.get().steps.get(index=0)
    assert step.decided_by == personas.outsider and step.on_behalf_of == personas.manager


def test_the_dashboard_shows_pending_approvals_to_the_approver(client, personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="25", terms=90))
    client.force_login(personas.manager)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-panel="approvals"' in html and q.number in html


def test_the_pdf_is_a_pdf(client, personas, pallet):
    q = quote(personas, pallet)
    client.force_login(personas.owner)
    response = client.get(reverse("quotes:pdf", args=[q.public_id]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")


def test_the_quote_list_reads_in_a_fixed_number_of_queries(client, personas, pallet, django_assert_max_num_queries):
    for _ in range(30):
        quote(personas, pallet)
    client.force_login(personas.owner)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("quotes:list"))
    assert response.status_code == 200 and response.content.decode().count('class="row-title"') == 25


def test_a_quote_made_from_an_opportunity_is_linked_to_it(client, personas, pallet):
    from steward.pipeline.models import Opportunity, OpportunityStage

    stage = OpportunityStage.objects.filter(outcome="open").order_by("position").first()
    opp = Opportunity.objects.create(account=personas.account, name="Pallet roll-out", stage=stage, amount=Decimal(1000), close_date="2027-01-31", owner=personas.owner)
    client.force_login(personas.owner)
    page = client.get(reverse("pipeline:detail", args=[opp.public_id])).content.decode()
    assert "opportunity-new-quote" in page
    url = reverse("quotes:create", args=[personas.account.public_id]) + f"?opportunity={opp.public_id}"
    assert client.post(url, form_data(pallet)).status_code == 302
    q = Quote.objects.get()
    assert q.opportunity == opp
    assert q.label in client.get(reverse("pipeline:detail", args=[opp.public_id])).content.decode()
