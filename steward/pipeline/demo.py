"""Demo pipeline: three years of opportunities per account and quarterly quotas that look real.

Per account, about 8 opportunities: closed history (won and lost, with loss reasons), renewals
around the account's anniversary, and open pipeline in every stage. Accounts are read in chunks;
opportunities go in with bulk inserts, lines with plain multi-row inserts, and every record gets
its audit event. Quotas are sized from what each person actually booked, so attainment spreads
over roughly 50 to 130 %.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncQuarter

from steward.accounts.models import Account, ExchangeRate
from steward.catalogue.models import Product
from steward.core import audit
from steward.core.bulk import insert_rows
from steward.pipeline.choices import LossReason, OpportunityType, StageOutcome
from steward.pipeline.engine.periods import period_start, shift
from steward.pipeline.models import Opportunity, OpportunityLine, OpportunityStage, Quota

THEMES = [
    "Cold-chain sensors", "Pallet pooling", "Analytics add-on", "Platform seats", "Premium support", "Packaging refresh",
    "Onboarding workshops", "GPS tracking pilot", "Site expansion", "Returnable packaging", "Training programme", "Fleet telemetry",
]
NEXT_STEPS = [
    "Send the revised proposal", "Book the technical workshop", "Confirm budget with the CFO", "Run the pilot review",
    "Agree commercial terms", "Introduce our solutions engineer", "Share the ROI model", "Legal review of the MSA",
]
LOSS_WEIGHTS = [(LossReason.PRICE, 30), (LossReason.COMPETITOR, 25), (LossReason.NO_DECISION, 20), (LossReason.TIMING, 12),
                (LossReason.PRODUCT_FIT, 8), (LossReason.RELATIONSHIP, 3), (LossReason.OTHER, 2)]
TYPE_SHARE = {"upsell": 0.45, "cross_sell": 0.3, "new_business": 0.25}
TIER_OPPS = {"Strategic": 1.8, "Key": 1.3, "Growth": 0.9, "Maintain": 0.7}
CENT = Decimal("0.01")


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def has_data() -> bool:
    """Whether opportunities are already loaded."""
    return Opportunity.objects.exists()


def seed_demo(ctx) -> None:
    """Opportunities for every account, then quotas for every account owner; deterministic from ctx.rng."""
    rng, now = ctx.rng, ctx.now
    stages = list(OpportunityStage.objects.filter(is_active=True).order_by("position"))
    open_stages = [s for s in stages if s.outcome == StageOutcome.OPEN]
    won = next(s for s in stages if s.outcome == StageOutcome.WON)
    lost = next(s for s in stages if s.outcome == StageOutcome.LOST)
    products = list(Product.objects.filter(is_active=True).order_by("sku"))
    tiers = dict(Account.objects.values_list("tier_id", "tier__name").distinct())
    per_account = 8.0
    last_id, total = 0, 0
    chunk = ctx.options.chunk_size
    while True:
        rows = list(
            Account.objects.filter(id__gt=last_id).order_by("id")
            .values_list("id", "owner_id", "currency", "annual_contract_value", "tier_id", "lifecycle_stage", "customer_since")[:chunk]
        )
        if not rows:
            break
        last_id = rows[-1][0]
        with transaction.atomic():
            total += _load_chunk(rng, now, rows, tiers, per_account, open_stages, won, lost, products, ctx.report)
        ctx.progress(f"  pipeline: {total:,} opportunities")
    with transaction.atomic():
        _seed_quotas(rng, now, ctx)


def _plan(rng: random.Random, now: dt.datetime, acv: Decimal, tier: str, stage_name: str, since: dt.date | None, per_account: float) -> list[dict]:
    today = now.date()
    start = today - dt.timedelta(days=3 * 365)
    plans: list[dict] = []
    n = max(1, round(rng.gauss(per_account * TIER_OPPS.get(tier, 1.0), 2)))
    churned = stage_name == "churned"
    # Renewals: one a year on the anniversary; the last one may still be open.
    anniversary = dt.date(today.year, since.month, min(since.day, 28)) if since else dt.date(today.year, 6, 28)
    for years_back in (2, 1, 0):
        close = anniversary.replace(year=anniversary.year - years_back)
        if close < start:
            continue
        if close > today + dt.timedelta(days=120):
            continue
        amount = (acv * Decimal(rng.uniform(0.9, 1.12))).quantize(CENT)
        plans.append({"type": OpportunityType.RENEWAL, "close": close, "amount": amount, "open": close > today, "won_rate": 0.35 if churned else 0.88})
    for _ in range(max(0, n - len(plans))):
        kind = _weighted(rng, [(k, int(v * 100)) for k, v in TYPE_SHARE.items()])
        share = {"upsell": (0.05, 0.25), "cross_sell": (0.05, 0.2), "new_business": (0.1, 0.35)}[kind]
        amount = (acv * Decimal(rng.uniform(*share))).quantize(Decimal(100)) or Decimal(1000)
        is_open = rng.random() < (0.12 if churned else 0.3)
        close = today + dt.timedelta(days=rng.randint(-20, 270)) if is_open else start + dt.timedelta(days=rng.randint(0, (today - start).days))
        plans.append({"type": kind, "close": close, "amount": amount, "open": is_open, "won_rate": 0.2 if churned else 0.42})
    return plans


def _load_chunk(rng, now, rows, tiers, per_account, open_stages, won, lost, products, report) -> int:
    opportunities: list[Opportunity] = []
    lines_plan: list[list[tuple[Product, Decimal, Decimal]]] = []
    for account_id, owner_id, currency, acv, tier_id, stage_name, since in rows:
        acv = Decimal(acv or 20000)
        for plan in _plan(rng, now, acv, tiers.get(tier_id, "Growth"), stage_name, since, per_account):
            close: dt.date = plan["close"]
            lines: list[tuple[Product, Decimal, Decimal]] = []
            amount: Decimal = plan["amount"]
            if products and plan["type"] != OpportunityType.RENEWAL and rng.random() < 0.55:
                picks = rng.sample(products, k=min(len(products), rng.randint(1, 3)))
                for product in picks:
                    price = (product.list_price * Decimal(rng.uniform(0.85, 1.0))).quantize(CENT)
                    qty = max(Decimal(1), (amount / len(picks) / price).quantize(Decimal(1)))
                    lines.append((product, qty, price))
                amount = sum((q * p for _, q, p in lines), Decimal(0)).quantize(CENT)
            theme = rng.choice(THEMES)
            name = f"Renewal {close.year}" if plan["type"] == OpportunityType.RENEWAL else f"{theme} {close.year}"
            opp = Opportunity(
                public_id=_uuid(rng), account_id=account_id, name=name, type=plan["type"], amount=amount, currency=currency,
                close_date=close, owner_id=owner_id, created_by_id=owner_id, version=1,
            )
            if plan["open"]:
                # Later stages close sooner: pick by how far away the close date is.
                days = (close - now.date()).days
                weights = [max(1, 40 - i * 8 + (i * 12 if days < 60 else 0)) for i in range(len(open_stages))]
                opp.stage = rng.choices(open_stages, weights=weights)[0]
                opp.next_step = rng.choice(NEXT_STEPS)
            elif rng.random() < plan["won_rate"]:
                opp.stage, opp.closed_at = won, _closed_at(rng, close)
            else:
                opp.stage, opp.closed_at = lost, _closed_at(rng, close)
                opp.loss_reason = _weighted(rng, LOSS_WEIGHTS)
                opp.close_note = {"price": "Competitor undercut us on price.", "competitor": "Went with the incumbent supplier.",
                                  "no_decision": "Project shelved after a reorganisation."}.get(opp.loss_reason, "")
            opportunities.append(opp)
            lines_plan.append(lines)
    Opportunity.objects.bulk_create(opportunities, batch_size=2000)
    line_rows = [
        (_uuid(rng), opp.pk, product.pk, qty, price, now, now)
        for opp, lines in zip(opportunities, lines_plan, strict=True)
        for product, qty, price in lines
    ]
    insert_rows(OpportunityLine, ["public_id", "opportunity", "product", "quantity", "unit_price", "created_at", "updated_at"], line_rows)
    changes = []
    for opp, lines in zip(opportunities, lines_plan, strict=True):
        after = {**audit.snapshot(opp), "lines": [[p.sku, str(q), str(pr)] for p, q, pr in lines]}
        changes.append(audit.Change("create", "pipeline.opportunity", str(opp.public_id), opp.name, opp.account_id, None, after))
    audit.record_changes(actor=None, changes=changes)
    report.add("opportunities", len(opportunities))
    report.add("opportunity lines", len(line_rows))
    report.add("audit events", len(changes))
    return len(opportunities)


def _closed_at(rng: random.Random, close: dt.date) -> dt.datetime:
    return dt.datetime.combine(close, dt.time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=dt.UTC)


def _uuid(rng: random.Random):
    import uuid

    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _seed_quotas(rng: random.Random, now: dt.datetime, ctx) -> None:
    """A quota per account owner per quarter: the last 12 quarters, this one and the next."""
    rates = dict(ExchangeRate.objects.values_list("currency", "rate"))
    target = settings.REPORTING_CURRENCY
    this_quarter = period_start("quarter", now.date())
    first = shift("quarter", this_quarter, -12)
    booked: dict[tuple[int, dt.date], Decimal] = {}
    rows = (
        Opportunity.objects.filter(stage__outcome=StageOutcome.WON, closed_at__date__gte=first)
        .annotate(q=TruncQuarter("closed_at")).values("owner_id", "q", "currency").annotate(total=Sum("amount")).order_by()
    )
    for row in rows:
        quarter = row["q"].date() if isinstance(row["q"], dt.datetime) else row["q"]
        rate = Decimal(1) if row["currency"] == target else rates.get(row["currency"])
        if rate is None:
            continue
        key = (row["owner_id"], quarter)
        booked[key] = booked.get(key, Decimal(0)) + row["total"] * rate
    owners = sorted({u.pk for u in ctx.company.managers + ctx.company.executives})
    quarters = [shift("quarter", first, i) for i in range(14)]
    quotas: list[Quota] = []
    for owner in owners:
        history = [booked.get((owner, q), Decimal(0)) for q in quarters[:12]]
        typical = (sum(history, Decimal(0)) / 12) if any(history) else Decimal(50000)
        for quarter in quarters:
            actual = booked.get((owner, quarter), Decimal(0))
            if quarter >= this_quarter or not actual:
                base = typical * Decimal(rng.uniform(0.95, 1.15))  # the current quarter is still being booked
            else:
                base = actual / Decimal(rng.uniform(0.5, 1.3))
            amount = max(Decimal(1000), base.quantize(Decimal(1000)))
            quotas.append(Quota(public_id=_uuid(rng), user_id=owner, kind="quarter", period_start=quarter, amount=amount, currency=target))
    Quota.objects.bulk_create(quotas, batch_size=2000)
    audit.record_changes(actor=None, changes=[
        audit.Change("create", "pipeline.quota", str(q.public_id), f"quota {q.period_start}", None, None, audit.snapshot(q)) for q in quotas
    ])
    ctx.report.add("quotas", len(quotas))
    ctx.report.add("audit events", len(quotas))
