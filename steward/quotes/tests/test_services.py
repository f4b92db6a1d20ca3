"""Quote services: totals, routing to approvers, decisions, and every way around approval refused."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from steward.core.errors import PermissionDenied, ValidationFailed
from steward.core.models import AuditEvent
from steward.quotes import services
from steward.quotes.choices import ApprovalState, QuoteStatus, RequestStatus, StepStatus
from steward.quotes.models import ApprovalRule, Delegation, Quote
from steward.quotes.tests.factories import finance_user, line, product, quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def pallet():
    return product()


def submit_25_net_90(personas, pallet):
    q = quote(personas, pallet, discount="25", terms=90)
    return services.quote_submit(actor=personas.owner, quote=q)


def test_totals_are_decimal_and_measure_discount_against_list_price(personas, pallet):
    q = services.quote_create(
        actor=personas.owner, account=personas.account, data={"title": "T"},
        lines=[line(pallet, quantity="3", unit_price="90.00", discount="10")],
    )
    assert q.list_total == Decimal("300.00")
    assert q.total == Decimal("243.00")  # 3 x 90 less 10 %
    assert q.max_line_discount_pct == Decimal("19.00")  # against the 100.00 list price
    assert q.margin_pct == Decimal("50.62")  # (243 - 120) / 243
    assert q.number.startswith(f"Q-{timezone.localdate().year}-") and q.revision == 1
    assert q.status == QuoteStatus.DRAFT


def test_a_quote_within_the_rules_is_approved_on_submission(personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="5"))
    assert q.status == QuoteStatus.APPROVED and q.approval_state == ApprovalState.NOT_REQUIRED
    assert services.quote_send(actor=personas.owner, quote=q).status == QuoteStatus.SENT


def test_25_percent_and_net_90_route_to_the_manager_then_the_director(personas, pallet):
    q = submit_25_net_90(personas, pallet)
    assert q.status == QuoteStatus.PENDING
    request = q.approval_requests.get()
    steps = list(request.steps.order_by("index"))
    assert [(s.approver_role, s.status) for s in steps] == [("owner_manager", StepStatus.PENDING), ("director", StepStatus.WAITING)]
    assert [u.username for u in steps[0].approvers.all()] == ["manager"]
    assert [u.username for u in steps[1].approvers.all()] == ["director"]
    assert any("Payment terms beyond Net 45" in r for r in steps[1].reasons)


def test_a_quote_pending_approval_cannot_be_sent_accepted_or_decided_by_its_owner(personas, pallet):
    q = submit_25_net_90(personas, pallet)
    with pytest.raises(services.QuoteStateError, match="not approved"):
        services.quote_send(actor=personas.owner, quote=q)
    with pytest.raises(services.QuoteStateError):
        services.quote_accept(actor=personas.owner, quote=q)
    with pytest.raises(PermissionDenied):
        services.quote_decide(actor=personas.owner, quote=q, approve=True)


def test_steps_are_decided_in_order_by_the_right_people(personas, pallet):
    q = submit_25_net_90(personas, pallet)
    with pytest.raises(PermissionDenied, match="owner manager"):
        services.quote_decide(actor=personas.director, quote=q, approve=True)  # the director's turn comes second
    with pytest.raises(PermissionDenied):
        services.quote_decide(actor=personas.outsider, quote=q, approve=True)
    q = services.quote_decide(actor=personas.manager, quote=q, approve=True, comment="ok for a 3-year deal")
    assert q.status == QuoteStatus.PENDING
    with pytest.raises(PermissionDenied):
        services.quote_decide(actor=personas.manager, quote=q, approve=True)  # not the director
    q = services.quote_decide(actor=personas.director, quote=q, approve=True)
    assert q.status == QuoteStatus.APPROVED and q.approval_state == ApprovalState.APPROVED
    assert q.approved_fingerprint == services.current_fingerprint(q)
    assert services.quote_send(actor=personas.owner, quote=q).status == QuoteStatus.SENT


def test_a_rejection_needs_a_comment_and_ends_the_request(personas, pallet):
    q = submit_25_net_90(personas, pallet)
    with pytest.raises(ValidationFailed, match="comment"):
        services.quote_decide(actor=personas.manager, quote=q, approve=False)
    q = services.quote_decide(actor=personas.manager, quote=q, approve=False, comment="25 % is too much")
    assert q.status == QuoteStatus.REJECTED and q.rejection_reason == "25 % is too much"
    request = q.approval_requests.get()
    assert request.status == RequestStatus.REJECTED
    assert request.steps.get(index=1).status == StepStatus.CLOSED
    with pytest.raises(services.QuoteStateError):
        services.quote_send(actor=personas.owner, quote=q)
    # The owner lowers the discount and resubmits: a new request.
    q = services.quote_update(actor=personas.owner, quote=q, lines=[line(pallet, discount="18")])
    assert q.status == QuoteStatus.DRAFT
    q = services.quote_submit(actor=personas.owner, quote=q)
    assert q.approval_requests.count() == 2 and q.status == QuoteStatus.PENDING


@pytest.mark.parametrize(
    "change",
    [
        {"lines": "discount"},
        {"lines": "price"},
        {"lines": "quantity"},
        {"data": {"payment_terms_days": 60}},
        {"data": {"extra_discount_pct": Decimal("2")}},
        {"data": {"liability_cap": Decimal("50000")}},
        {"data": {"delivery_terms": "Deliver to three sites"}},
        {"clauses": ["Termination for convenience on 30 days' notice"]},
    ],
)
def test_any_edit_to_approved_content_voids_the_approval(personas, pallet, change):
    q = submit_25_net_90(personas, pallet)
    q = services.quote_decide(actor=personas.manager, quote=q, approve=True)
    q = services.quote_decide(actor=personas.director, quote=q, approve=True)
    kwargs = {}
    if "lines" in change:
        kwargs["lines"] = [{
            "discount": line(pallet, discount="26"), "price": line(pallet, discount="25", unit_price="99.00"), "quantity": line(pallet, quantity="11", discount="25"),
        }[change["lines"]]]
    kwargs.update({k: v for k, v in change.items() if k != "lines"})
    q = services.quote_update(actor=personas.owner, quote=q, **kwargs)
    assert q.status == QuoteStatus.DRAFT and q.approval_state == ApprovalState.NONE and q.approved_fingerprint == ""
    assert q.approval_requests.get().status == RequestStatus.VOIDED
    with pytest.raises(services.QuoteStateError, match="not approved"):
        services.quote_send(actor=personas.owner, quote=q)
    event = AuditEvent.objects.filter(object_id=str(q.public_id)).order_by("-id").first()
    assert event.after["approval"] == "voided by this change"


def test_edits_outside_the_approved_content_keep_the_approval(personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="5"))
    q = services.quote_update(actor=personas.owner, quote=q, data={"title": "Pallets for 2027", "internal_note": "call Friday"})
    assert q.status == QuoteStatus.APPROVED


def test_content_changed_behind_the_services_back_cannot_be_sent(personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="5"))
    q.lines.update(discount_pct=Decimal("60"))  # e.g. a direct database edit
    with pytest.raises(services.QuoteStateError, match="changed after it was approved"):
        services.quote_send(actor=personas.owner, quote=q)


def test_a_duplicate_and_a_new_revision_start_unapproved(personas, pallet):
    q = submit_25_net_90(personas, pallet)
    q = services.quote_decide(actor=personas.manager, quote=q, approve=True)
    q = services.quote_decide(actor=personas.director, quote=q, approve=True)
    copy = services.quote_duplicate(actor=personas.owner, quote=q)
    assert copy.number != q.number and copy.status == QuoteStatus.DRAFT and copy.approved_fingerprint == ""
    with pytest.raises(services.QuoteStateError):
        services.quote_send(actor=personas.owner, quote=copy)
    services.quote_send(actor=personas.owner, quote=q)
    revision = services.quote_revise(actor=personas.owner, quote=q)
    assert (revision.number, revision.revision, revision.status) == (q.number, 2, QuoteStatus.DRAFT)
    assert services.quote_submit(actor=personas.owner, quote=revision).status == QuoteStatus.PENDING


def test_a_sent_quote_cannot_be_changed_in_place(personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet))
    q = services.quote_send(actor=personas.owner, quote=q)
    with pytest.raises(services.QuoteStateError, match="new revision"):
        services.quote_update(actor=personas.owner, quote=q, lines=[line(pallet, discount="30")])


def test_lifecycle_accept_and_decline(personas, pallet):
    q = services.quote_send(actor=personas.owner, quote=services.quote_submit(actor=personas.owner, quote=quote(personas, pallet)))
    assert services.quote_accept(actor=personas.owner, quote=q, note="PO to follow").status == QuoteStatus.ACCEPTED
    other = services.quote_send(actor=personas.owner, quote=services.quote_submit(actor=personas.owner, quote=quote(personas, pallet)))
    with pytest.raises(ValidationFailed, match="reason"):
        services.quote_decline(actor=personas.owner, quote=other, reason=" ")
    other = services.quote_decline(actor=personas.owner, quote=other, reason="Went with a competitor")
    assert other.status == QuoteStatus.REJECTED and other.rejected_by == "customer"
    with pytest.raises(services.QuoteStateError):
        services.quote_update(actor=personas.owner, quote=other, data={"title": "x"})


def test_expired_quotes_cannot_be_sent_and_the_job_marks_them(personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, valid_until=timezone.localdate() + dt.timedelta(days=1)))
    later = timezone.now() + dt.timedelta(days=3)
    with pytest.raises(services.QuoteStateError, match="expired"):
        services.quote_send(actor=personas.owner, quote=q, now=later)
    assert services.quotes_expire(now=later) == 1
    assert services.quotes_expire(now=later) == 0
    q.refresh_from_db()
    assert q.status == QuoteStatus.EXPIRED


def test_a_delegate_decides_while_the_approver_is_away(personas, pallet):
    q = submit_25_net_90(personas, pallet)
    now = timezone.now()
    Delegation.objects.create(from_user=personas.manager, to_user=personas.outsider, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=7))
    q = services.quote_decide(actor=personas.outsider, quote=q, approve=True, comment="for the manager")
    step = q.approval_requests.get().steps.get(index=0)
    assert step.decided_by == personas.outsider and step.on_behalf_of == personas.manager
    expired = Delegation.objects.create(from_user=personas.director, to_user=personas.teammate, starts_at=now - dt.timedelta(days=9), ends_at=now - dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        services.quote_decide(actor=personas.teammate, quote=q, approve=True)
    assert expired.pk


def test_finance_steps_need_a_finance_user(personas, pallet):
    q = quote(personas, pallet, discount="45")
    with pytest.raises(ValidationFailed, match="finance"):
        services.quote_submit(actor=personas.owner, quote=q)
    finance = finance_user()
    q = services.quote_submit(actor=personas.owner, quote=q)
    roles = list(q.approval_requests.get().steps.values_list("approver_role", flat=True))
    assert roles == ["owner_manager", "director", "finance"]
    assert [u.pk for u in q.approval_requests.get().steps.get(index=2).approvers.all()] == [finance.pk]


def test_rules_are_data_an_inactive_rule_does_not_apply(personas, pallet):
    ApprovalRule.objects.update(is_active=False)
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, discount="25", terms=90))
    assert q.approval_state == ApprovalState.NOT_REQUIRED


def test_the_sponsor_and_outsiders_cannot_write_quotes(personas, pallet):
    with pytest.raises(PermissionDenied):
        quote(personas, pallet, actor=personas.sponsor)
    with pytest.raises(PermissionDenied):
        quote(personas, pallet, actor=personas.outsider)


def test_bad_lines_name_the_row_and_save_nothing(personas, pallet):
    inactive = product("OLD-1", is_active=False)
    before = Quote.objects.count()
    with pytest.raises(ValidationFailed, match="Line 2: quantity"):
        services.quote_create(actor=personas.owner, account=personas.account, data={"title": "T"}, lines=[line(pallet), line(pallet, quantity="0")])
    with pytest.raises(ValidationFailed, match="Line 1: OLD-1 is inactive"):
        services.quote_create(actor=personas.owner, account=personas.account, data={"title": "T"}, lines=[line(inactive)])
    with pytest.raises(ValidationFailed, match="Line 1: discount"):
        services.quote_create(actor=personas.owner, account=personas.account, data={"title": "T"}, lines=[line(pallet, discount="120")])
    assert Quote.objects.count() == before


def test_a_product_in_another_currency_needs_an_exchange_rate(personas):
    usd = product("USD-1", currency="USD")
    with pytest.raises(ValidationFailed, match="no exchange rate"):
        services.quote_create(actor=personas.owner, account=personas.account, data={"title": "T", "currency": "EUR"}, lines=[line(usd)])


def test_every_step_is_on_the_audit_trail(personas, pallet):
    q = submit_25_net_90(personas, pallet)
    q = services.quote_decide(actor=personas.manager, quote=q, approve=True)
    q = services.quote_decide(actor=personas.director, quote=q, approve=True)
    services.quote_send(actor=personas.owner, quote=q)
    events = [e.after.get("event") for e in AuditEvent.objects.filter(object_id=str(q.public_id)).order_by("id") if e.after]
    assert events[1:] == ["submitted for approval", "step approved", "approved", "sent to the customer"]
    assert all(e.account_id == personas.account.pk for e in AuditEvent.objects.filter(object_id=str(q.public_id)))


@pytest.mark.django_db(transaction=True)
def test_two_approvers_acting_at_once_cannot_both_decide_the_same_step(personas, pallet):
    """A delegate and the manager press Approve at the same moment: one wins, the other is told."""
    q = submit_25_net_90(personas, pallet)
    now = timezone.now()
    Delegation.objects.create(from_user=personas.manager, to_user=personas.outsider, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def act(user):
        try:
            barrier.wait(timeout=10)
            services.quote_decide(actor=user, quote=Quote.objects.get(pk=q.pk), approve=True)
            results.append("decided")
        except Exception as exc:
            results.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(u,)) for u in (personas.manager, personas.outsider)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results.count("decided") == 1, results
    step = Quote.objects.get(pk=q.pk).approval_requests.get().steps.get(index=0)
    assert step.status == StepStatus.APPROVED
    assert Quote.objects.get(pk=q.pk).approval_requests.get().steps.get(index=1).status == StepStatus.PENDING


def test_a_manager_who_is_also_the_director_decides_once(personas, pallet):
    from steward.users.tests.factories import UserFactory

    rep = UserFactory(username="rep", role="executive", manager=personas.director)  # reports straight to the director
    personas.account.owner = rep
    personas.account.save()
    q = services.quote_submit(actor=rep, quote=quote(personas, pallet, discount="25", terms=90, actor=rep))
    steps = list(q.approval_requests.get().steps.order_by("index"))
    assert len(steps) == 1 and [u.username for u in steps[0].approvers.all()] == ["director"]
    assert any("Payment terms beyond Net 45" in r for r in steps[0].reasons)
    assert services.quote_decide(actor=personas.director, quote=q, approve=True).status == QuoteStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_sending_by_email_attaches_the_pdf_and_logs_it_on_the_timeline(personas, pallet, mailoutbox):
    from steward.accounts.models import Interaction
    from steward.accounts.tests.factories import ContactFactory

    buyer = ContactFactory(account=personas.account, email="buyer@acme.example")
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet, contact=buyer))
    q = services.quote_send(actor=personas.owner, quote=q, email=True)
    assert q.status == QuoteStatus.SENT
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["buyer@acme.example"]
    name, content, mime = mailoutbox[0].attachments[0]
    assert name == f"{q.label}.pdf" and mime == "application/pdf" and content.startswith(b"%PDF-")
    logged = Interaction.objects.get(account=personas.account, kind="email")
    assert q.label in logged.subject and list(logged.contacts.all()) == [buyer]


def test_emailing_needs_a_contact_with_an_address(personas, pallet):
    q = services.quote_submit(actor=personas.owner, quote=quote(personas, pallet))
    with pytest.raises(ValidationFailed, match="contact"):
        services.quote_send(actor=personas.owner, quote=q, email=True)
    q.refresh_from_db()
    assert q.status == QuoteStatus.APPROVED


def test_an_account_with_quotes_cannot_be_deleted_and_says_why(personas, pallet):
    from steward.accounts.models import Account
    from steward.accounts.services import account_delete

    quote(personas, pallet)
    with pytest.raises(ValidationFailed, match="quotes, which are kept for the record"):
        account_delete(actor=personas.owner, account=personas.account)
    assert Account.objects.filter(pk=personas.account.pk).exists()
