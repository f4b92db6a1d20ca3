"""Demo quotes: three years of quotes per account, some with nonstandard terms and their approvals.

Old quotes were accepted, declined or let expire; recent ones are drafts, pending approval,
approved or sent, so every page and the approvals queue have something to show. Totals, the
approval steps and the approved fingerprint are computed with the same engine and functions the
services use, so the demo data is what the services would have written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import transaction

from steward.accounts.models import Account
from steward.accounts.selectors import exchange_rates
from steward.catalogue.models import Product
from steward.core import audit
from steward.core.bulk import insert_rows
from steward.quotes import approvals
from steward.quotes.choices import ApprovalState, QuoteStatus, RejectedBy, RequestStatus, StepStatus
from steward.quotes.engine import approval as engine
from steward.quotes.engine import pricing
from steward.quotes.models import ApprovalRequest, ApprovalStep, Quote, QuoteClause, QuoteLine
from steward.quotes.services import content_of, convert_amount
from steward.users.choices import Role
from steward.users.models import User

CHUNK = 2000
CLAUSES = [
    "Either party may terminate for convenience on 90 days' written notice.",
    "Prices are fixed for 24 months from the order date.",
    "Most-favoured-customer pricing applies to the products quoted.",
    "Delivery to three regional warehouses at no extra charge.",
]
DISCOUNTS = [Decimal(0), Decimal(0), Decimal(5), Decimal(8), Decimal(10), Decimal(12), Decimal(15), Decimal(18), Decimal(22), Decimal(25), Decimal(30)]


def _uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def has_data() -> bool:
    """Whether quotes are already loaded."""
    return Quote.objects.exists()


def seed_demo(ctx: Any) -> None:
    """Load demo quotes for every account, in chunks, with their approval history; audited."""
    rng, now = ctx.rng, ctx.now
    products = list(Product.objects.filter(is_active=True).order_by("sku"))
    if not products:
        return
    people = {u.pk: u for u in User.objects.all()}
    directors = [u.pk for u in people.values() if u.role == Role.DIRECTOR]
    finance = [u.pk for u in people.values() if u.role == Role.FINANCE]
    rules = approvals.active_rules()
    rates = exchange_rates()
    per_account = max(0.2, ctx.options.order_lines_per_account / 20)
    today = now.date()
    serial = {}
    accounts = Account.objects.order_by("pk").values_list("pk", "owner_id", "currency", "name")
    last = 0
    while True:
        chunk = list(accounts.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        with transaction.atomic():
            _load(rng, now, today, chunk, products, people, directors, finance, rules, rates, per_account, serial, ctx.report)


@contextmanager
def _keeping_created_at():
    """Demo quotes carry their historical creation time; the model would stamp 'now' on insert."""
    field = Quote._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _approvers(role: engine.ApproverRole, owner_id: int, people: dict, directors: list[int], finance: list[int]) -> list[int]:
    owner = people[owner_id]
    if role == engine.ApproverRole.FINANCE:
        return finance
    boss = people.get(owner.manager_id) if owner.manager_id else None
    if role == engine.ApproverRole.OWNER_MANAGER and boss is not None:
        return [boss.pk]
    seen = set()
    while boss is not None and boss.pk not in seen:
        seen.add(boss.pk)
        if boss.role == Role.DIRECTOR:
            return [boss.pk]
        boss = people.get(boss.manager_id) if boss.manager_id else None
    return [d for d in directors if d != owner_id][:1]


def _load(rng, now, today, chunk, products, people, directors, finance, rules, rates, per_account, serial, report) -> None:
    planned: list[dict] = []
    for account_id, owner_id, currency, name in chunk:
        n = int(per_account) + (1 if rng.random() < per_account % 1 else 0)
        for _ in range(n):
            planned.append(_plan(rng, now, today, account_id, owner_id, currency, name, products, rates, serial))
    # Settle each quote's status from its content before inserting: one INSERT per table, no UPDATE pass.
    for p in planned:
        q = p["quote"]
        facts = engine.QuoteFacts(totals=p["totals"], payment_term_days=q.payment_terms_days, nonstandard_terms=tuple(q.nonstandard_terms + p["clauses"]))
        found = engine.required_steps(facts, rules)
        ids = [[i for i in _approvers(s.approver, q.owner_id, people, directors, finance) if i != q.owner_id] or directors[:1] for s in found]
        p["steps"], p["step_people"] = approvals.merge_same_approvers(found, ids)
        p["fingerprint"] = engine.fingerprint(content_of(q, p["lines"], p["clauses"]))
        _settle(q, p, p["steps"], p["fingerprint"], now)
        q.created_at = p["created"]
    quotes = [p["quote"] for p in planned]
    with _keeping_created_at():
        Quote.objects.bulk_create(quotes, batch_size=1000)
    lines, clauses, requests, step_plans = [], [], [], []
    changes = []
    for p in planned:
        q = p["quote"]
        for line in p["lines"]:
            line.quote_id = q.pk
        lines += p["lines"]
        clauses += [QuoteClause(quote_id=q.pk, position=i, text=t) for i, t in enumerate(p["clauses"], start=1)]
        if p["steps"] and q.status != QuoteStatus.DRAFT:
            request = ApprovalRequest(public_id=_uuid(rng), quote_id=q.pk, fingerprint=p["fingerprint"], submitted_by_id=q.owner_id,
                                      status=p["request_status"], closed_at=None if p["request_status"] == RequestStatus.PENDING else q.submitted_at + dt.timedelta(hours=rng.randint(2, 60)))
            requests.append(request)
            step_plans.append((request, list(zip(p["steps"], p["step_people"], strict=True)), q))
        changes.append(audit.Change("create", "quotes.quote", str(q.public_id), q.label, q.account_id, None, {"status": q.status, "total": str(q.total), "currency": q.currency}))
    line_columns = ["quote", "position", "product", "description", "quantity", "unit_price", "discount_pct", "list_price", "unit_cost", "net_amount", "effective_discount_pct"]
    insert_rows(QuoteLine, line_columns, ((ln.quote_id, ln.position, ln.product_id, ln.description, ln.quantity, ln.unit_price, ln.discount_pct, ln.list_price,
                                           ln.unit_cost, ln.net_amount, ln.effective_discount_pct) for ln in lines))
    insert_rows(QuoteClause, ["quote", "position", "text"], ((c.quote_id, c.position, c.text) for c in clauses))
    ApprovalRequest.objects.bulk_create(requests, batch_size=1000)
    step_rows, approver_rows = [], []
    for request, steps, _quote in step_plans:
        for index, (step, ids) in enumerate(steps):
            decided = request.status == RequestStatus.APPROVED or (request.status == RequestStatus.REJECTED and index == 0)
            if request.status == RequestStatus.PENDING:
                status = StepStatus.PENDING if index == 0 else StepStatus.WAITING
            elif request.status == RequestStatus.REJECTED:
                status = StepStatus.REJECTED if index == 0 else StepStatus.CLOSED
            else:
                status = StepStatus.APPROVED
            step_rows.append((ApprovalStep(request_id=request.pk, index=index, level=step.level, approver_role=step.approver.value, reasons=list(step.reasons), status=status,
                                           decided_by_id=ids[0] if decided else None, decided_at=request.closed_at if decided else None,
                                           comment="Too deep a discount for this volume." if status == StepStatus.REJECTED else ""), ids))
    ApprovalStep.objects.bulk_create([s for s, _ in step_rows], batch_size=2000)
    for step, ids in step_rows:
        approver_rows += [(step.pk, uid) for uid in ids]
    insert_rows(ApprovalStep.approvers.through, ["approvalstep", "user"], approver_rows)
    audit.record_changes(actor=None, changes=changes, now=now)
    report.add("quotes", len(quotes))
    report.add("quote lines", len(lines))
    report.add("approval steps", len(step_rows))


def _plan(rng, now, today, account_id, owner_id, currency, name, products, rates, serial) -> dict:
    # A fifth of the quotes are recent (still in play), the rest spread over three years.
    days = rng.randint(0, 44) if rng.random() < 0.2 else int(rng.triangular(0, 3 * 365, 30))
    created = now - dt.timedelta(days=days)
    year = created.year
    serial[year] = serial.get(year, 0) + 1
    terms = rng.choices([30, 30, 30, 45, 60, 90], k=1)[0]
    q = Quote(
        public_id=_uuid(rng), number=f"Q-{year}-{serial[year]:05d}", account_id=account_id, owner_id=owner_id, created_by_id=owner_id,
        title=rng.choice(["Annual supply", "Expansion", "Renewal pricing", "New site roll-out", "Pilot", "Framework agreement"]) + f" · {name}",
        currency=currency, valid_until=(created + dt.timedelta(days=30)).date(), payment_terms_days=terms,
    )
    if rng.random() < 0.12:
        q.extra_discount_pct = Decimal(rng.choice([2, 3, 5]))
    if rng.random() < 0.08:
        q.liability_cap = Decimal(rng.choice([50_000, 100_000, 250_000]))
    if rng.random() < 0.06:
        q.sla_credit_pct = Decimal(rng.choice([5, 10]))
    clauses = [rng.choice(CLAUSES)] if rng.random() < 0.1 else []
    lines = []
    for position, product in enumerate(rng.sample(products, k=min(len(products), rng.randint(1, 4))), start=1):
        list_price = convert_amount(product.list_price, product.currency, currency, rates)
        if list_price is None:
            continue  # no rate between the two currencies: the services would refuse this line too
        unit_cost = None if product.unit_cost is None else convert_amount(product.unit_cost, product.currency, currency, rates)
        lines.append(QuoteLine(position=position, product_id=product.pk, quantity=Decimal(rng.choice([1, 2, 5, 10, 20, 50, 100, 250])),
                               unit_price=list_price, discount_pct=rng.choice(DISCOUNTS), list_price=list_price, unit_cost=unit_cost))
    totals = pricing.quote_totals([pricing.Line(quantity=ln.quantity, list_price=ln.list_price, unit_price=ln.unit_price, discount_pct=ln.discount_pct, unit_cost=ln.unit_cost) for ln in lines],
                                  extra_discount_pct=q.extra_discount_pct or Decimal(0))
    for ln, figures in zip(lines, totals.lines, strict=True):
        ln.net_amount, ln.effective_discount_pct = figures.net_amount, figures.discount_pct
    q.list_total, q.lines_total, q.extra_discount_amount, q.total = totals.list_total, totals.lines_total, totals.extra_discount_amount, totals.total
    q.overall_discount_pct, q.max_line_discount_pct, q.margin_pct = totals.overall_discount_pct, totals.max_line_discount_pct, totals.margin_pct
    age = (today - created.date()).days
    if age > 45:
        outcome = rng.choices(["accepted", "declined", "expired", "rejected"], weights=[62, 16, 16, 6])[0]
    else:
        outcome = rng.choices(["draft", "pending", "approved", "sent", "accepted"], weights=[20, 25, 15, 30, 10])[0]
    return {"quote": q, "lines": lines, "clauses": clauses, "totals": totals, "outcome": outcome, "created": created, "rng": rng}


def _settle(q: Quote, p: dict, steps, fingerprint: str, now: dt.datetime) -> None:
    """Set the status fields for the planned outcome, consistent with whether approval was needed."""
    outcome, created, rng = p["outcome"], p["created"], p["rng"]
    submitted = created + dt.timedelta(hours=rng.randint(1, 48))
    decided = submitted + dt.timedelta(hours=rng.randint(2, 60))
    p["request_status"] = RequestStatus.APPROVED
    if outcome == "draft":
        return
    q.submitted_at = submitted
    if outcome == "pending" and steps:
        q.status, q.approval_state = QuoteStatus.PENDING, ApprovalState.PENDING
        p["request_status"] = RequestStatus.PENDING
        return
    if outcome == "rejected" and steps:
        q.status, q.approval_state, q.rejected_by = QuoteStatus.REJECTED, ApprovalState.REJECTED, RejectedBy.APPROVER
        q.rejected_at, q.rejection_reason = decided, "Too deep a discount for this volume."
        p["request_status"] = RequestStatus.REJECTED
        return
    q.approval_state = ApprovalState.APPROVED if steps else ApprovalState.NOT_REQUIRED
    q.approved_fingerprint, q.approved_at = fingerprint, decided if steps else submitted
    q.status = QuoteStatus.APPROVED
    if outcome in ("approved", "pending", "rejected"):
        return
    q.status, q.sent_at = QuoteStatus.SENT, q.approved_at + dt.timedelta(hours=2)
    if outcome == "accepted":
        q.status, q.accepted_at = QuoteStatus.ACCEPTED, q.sent_at + dt.timedelta(days=rng.randint(1, 20))
    elif outcome == "declined":
        q.status, q.rejected_by, q.rejected_at = QuoteStatus.REJECTED, RejectedBy.CUSTOMER, q.sent_at + dt.timedelta(days=rng.randint(2, 25))
        q.rejection_reason = rng.choice(["Went with a competitor", "Budget frozen", "Price too high", "Project postponed"])
    elif outcome == "expired":
        q.status, q.expired_at = QuoteStatus.EXPIRED, dt.datetime.combine(q.valid_until + dt.timedelta(days=1), dt.time(2), tzinfo=dt.UTC)
