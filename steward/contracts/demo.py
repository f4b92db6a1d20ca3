"""Demo contracts: three years of agreements per account, renewed on the account's anniversary.

Each account gets a chain of contracts ending on its anniversary (the day pipeline's demo closes
its renewals): earlier ones renewed, the current one active, so some end within the next 120
days and the renewals card has work to show. Churned accounts' last contract expired or was
terminated. Where pipeline's demo opened a renewal for the current contract's end, the contract
links it. Totals and notice deadlines come from the same engine the services use.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction

from steward.accounts.models import Account
from steward.catalogue.models import Product
from steward.contracts.choices import ContractStatus, ServiceLevelKind, ServiceLevelUnit
from steward.contracts.engine import renewal, term
from steward.contracts.models import Contract, ContractServiceLevel
from steward.core import audit
from steward.core.bulk import insert_rows
from steward.pipeline.choices import OpportunityType
from steward.pipeline.models import Opportunity

NAMES = ["Supply agreement", "Master services agreement", "Pallet pooling", "Cold-chain monitoring", "Platform subscription", "Managed logistics"]
WARRANTY = [
    "", "", "Parts and labour for 24 months from delivery.", "Defects repaired or replaced within 10 business days.",
    "Sensors: 36 months; batteries: 12 months.",
]
LEVELS = [
    (ServiceLevelKind.ON_TIME_DELIVERY, "On-time delivery", Decimal(98), ServiceLevelUnit.PERCENT),
    (ServiceLevelKind.IN_FULL_DELIVERY, "In-full delivery", Decimal("99.5"), ServiceLevelUnit.PERCENT),
    (ServiceLevelKind.FIRST_RESPONSE, "First response", Decimal(4), ServiceLevelUnit.BUSINESS_HOURS),
    (ServiceLevelKind.RESOLUTION, "Resolution of priority-1 issues", Decimal(2), ServiceLevelUnit.BUSINESS_DAYS),
    (ServiceLevelKind.AVAILABILITY, "Platform availability", Decimal("99.9"), ServiceLevelUnit.PERCENT),
]
CENT = Decimal("0.01")


def has_data() -> bool:
    """Whether contracts are already loaded."""
    return Contract.objects.exists()


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def seed_demo(ctx: Any) -> None:
    """Contracts for every account, in chunks (one transaction each), with products, service levels and audit events."""
    rng, now = ctx.rng, ctx.now
    products = list(Product.objects.filter(is_active=True).order_by("sku").values_list("pk", flat=True))
    tiers = dict(Account.objects.values_list("tier_id", "tier__name").distinct())
    serial: dict[int, int] = {}
    last, total = 0, 0
    while True:
        rows = list(
            Account.objects.filter(pk__gt=last).order_by("pk")
            .values_list("pk", "owner_id", "currency", "annual_contract_value", "tier_id", "lifecycle_stage", "customer_since")[: ctx.options.chunk_size]
        )
        if not rows:
            break
        last = rows[-1][0]
        with transaction.atomic():
            total += _load(rng, now, rows, tiers, products, serial, ctx.report)
        ctx.progress(f"  contracts: {total:,}")


def _anniversary(since: dt.date | None, year: int) -> dt.date:
    return dt.date(year, since.month, min(since.day, 28)) if since else dt.date(year, 6, 28)


def _chain(rng: random.Random, today: dt.date, since: dt.date | None, churned: bool) -> list[tuple[dt.date, dt.date]]:
    """Terms from about three years back to the current one, each ending on an anniversary."""
    end = _anniversary(since, today.year)
    if end < today:
        end = _anniversary(since, today.year + 1)
    if churned:
        end = _anniversary(since, end.year - 1)
    horizon = today - dt.timedelta(days=3 * 365)
    terms = []
    while end >= horizon and len(terms) < 4:
        months = 24 if rng.random() < 0.2 else 12
        start = term.add_months(end + dt.timedelta(days=1), -months)
        terms.append((start, end))
        end = start - dt.timedelta(days=1)
    return list(reversed(terms))


def _load(rng, now, rows, tiers, products, serial, report) -> int:
    today = now.date()
    account_ids = [r[0] for r in rows]
    # Open renewals pipeline's demo made, by (account, close date): the current contract links its own.
    renewals = {
        (a, d): pk
        for pk, a, d in Opportunity.objects.filter(account_id__in=account_ids, type=OpportunityType.RENEWAL, closed_at__isnull=True, close_date__gte=today)
        .values_list("pk", "account_id", "close_date")
    }
    contracts: list[Contract] = []
    links: list[tuple[int, list[int]]] = []
    levels_plan: list[list[tuple]] = []
    for account_id, owner_id, currency, acv, tier_id, stage, since in rows:
        tier = tiers.get(tier_id, "Growth")
        churned = stage == "churned"
        chain = _chain(rng, today, since, churned)
        value = Decimal(acv or 20000) * Decimal(rng.uniform(0.8, 0.95))
        name = rng.choice(NAMES)
        auto = rng.random() < 0.4
        notice = rng.choice([30, 60, 90, 90])
        picks = rng.sample(products, k=min(len(products), rng.randint(1, 3))) if products else []
        levels = rng.sample(LEVELS, k=rng.randint(1, 3)) if tier in ("Strategic", "Key") or rng.random() < 0.25 else []
        warranty = rng.choice(WARRANTY)
        for index, (start, end) in enumerate(chain):
            current = index == len(chain) - 1
            value = (value * Decimal(rng.uniform(1.0, 1.08))).quantize(CENT)
            if current and churned:
                status = ContractStatus.TERMINATED if rng.random() < 0.4 else ContractStatus.EXPIRED
            elif current:
                status = ContractStatus.ACTIVE if end >= today else ContractStatus.EXPIRED
            else:
                status = ContractStatus.RENEWED
            serial[start.year] = serial.get(start.year, 0) + 1
            c = Contract(
                public_id=_uuid(rng), number=f"C-{start.year}-{serial[start.year]:06d}", name=f"{name} {start.year}", account_id=account_id,
                owner_id=owner_id, created_by_id=owner_id, status=status, start_on=start, end_on=end, currency=currency, annual_value=value,
                total_value=term.total_value(value, start, end), auto_renew=auto, renewal_term_months=12, notice_period_days=notice,
                notice_deadline=renewal.notice_deadline(end, notice), warranty_terms=warranty,
                activated_at=dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC),
            )
            if status == ContractStatus.TERMINATED:
                c.terminated_at = dt.datetime.combine(min(end, today) - dt.timedelta(days=rng.randint(10, 120)), dt.time(11), tzinfo=dt.UTC)
                c.termination_reason = rng.choice(["Customer consolidated suppliers", "Site closed", "Moved to a competitor"])
            if current and status == ContractStatus.ACTIVE:
                c.renewal_opportunity_id = renewals.get((account_id, end))
            c.previous = contracts[-1] if index else None
            c._generation = index  # type: ignore[attr-defined]
            contracts.append(c)
            links.append((len(contracts) - 1, picks))
            levels_plan.append(levels)
    # One bulk insert per generation, so each contract's predecessor already has its id.
    generation = 0
    while True:
        batch = [c for c in contracts if getattr(c, "_generation", 0) == generation]
        if not batch:
            break
        for c in batch:
            if c.previous is not None:
                c.previous_id = c.previous.pk
        Contract.objects.bulk_create(batch, batch_size=2000)
        generation += 1
    return _children(rng, now, contracts, links, levels_plan, report)


def _children(rng, now, contracts, links, levels_plan, report) -> int:
    through = Contract.products.through
    insert_rows(through, ["contract", "product"], [(contracts[i].pk, p) for i, picks in links for p in picks])
    level_rows = [
        (_uuid(rng), c.pk, position, kind, metric, target, unit, "", now, now)
        for c, levels in zip(contracts, levels_plan, strict=True)
        for position, (kind, metric, target, unit) in enumerate(levels, start=1)
    ]
    insert_rows(ContractServiceLevel, ["public_id", "contract", "position", "kind", "metric", "target", "unit", "notes", "created_at", "updated_at"], level_rows)
    changes = [
        audit.Change("create", "contracts.contract", str(c.public_id), str(c), c.account_id, None,
                     {"status": c.status, "start_on": c.start_on, "end_on": c.end_on, "annual_value": str(c.annual_value), "currency": c.currency})
        for c in contracts
    ]
    audit.record_changes(actor=None, changes=changes, now=now)
    report.add("contracts", len(contracts))
    report.add("contract service levels", len(level_rows))
    report.add("audit events", len(changes))
    return len(contracts)
