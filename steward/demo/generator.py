"""Deterministic demo and scale data: a company of users and a portfolio of accounts.

The same seed, `now` and options (chunk size included) always give the same data, ids too. Accounts are generated and loaded in
chunks with bulk inserts (one transaction per chunk), so 50,000 accounts with 500,000 contacts
and 2,000,000 interactions load in minutes; every created record gets its audit event.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from steward.accounts import choices
from steward.accounts.engine.stakeholders import SENIOR_ROLES
from steward.accounts.models import (
    Account,
    AccountTeamMember,
    Contact,
    ExchangeRate,
    Interaction,
    Task,
    Tier,
)
from steward.accounts.services import account_refresh_coverage
from steward.catalogue.models import Product
from steward.core import audit
from steward.core.bulk import insert_rows
from steward.demo import names
from steward.users.choices import Role
from steward.users.models import Region, Team, User

DEMO_PASSWORD = "steward-demo-2026"  # noqa: S105 - a published demo login, not a secret
DEMO_LOGINS = [
    ("admin", "Admin", "everything, plus configuration"),
    ("director", "Account director", "every account of everyone below them"),
    ("manager", "Account manager", "own, account-team and their reports' accounts"),
    ("ops", "Account operations manager", "accounts where assigned"),
    ("exec", "Account executive", "own accounts"),
    ("sponsor", "Executive sponsor", "sponsored accounts, read-only"),
    ("finance", "Finance", "every account; approves quotes that need finance, records payments"),
]

TIER_SHARE = [("Strategic", 0.05), ("Key", 0.15), ("Growth", 0.35), ("Maintain", 0.45)]
TIER_WEIGHT = {"Strategic": 2.5, "Key": 1.6, "Growth": 0.9, "Maintain": 0.6}  # contacts and interactions
STAGE_SHARE = [("onboarding", 0.08), ("active", 0.58), ("expanding", 0.12), ("at_risk", 0.14), ("churned", 0.08)]
KIND_SHARE = [("email", 0.34), ("call", 0.28), ("meeting", 0.18), ("note", 0.1), ("visit", 0.04), ("review", 0.06)]
ACV_MEDIAN = {"Strategic": 900_000, "Key": 250_000, "Growth": 80_000, "Maintain": 20_000}
CURRENCY = {"EMEA": "EUR", "NA": "USD", "APAC": "USD", "LATAM": "USD"}


@dataclass(frozen=True)
class SeedOptions:
    """What to generate."""

    accounts: int = 300
    seed: int = 1
    contacts_per_account: float = 10.0
    interactions_per_account: float = 40.0
    tasks_per_account: float = 2.0
    order_lines_per_account: float = 40.0  # 2,000,000 order lines for 50,000 accounts
    chunk_size: int = 2000
    now: dt.datetime | None = None


@dataclass
class SeedReport:
    """Rows written per table and the time each phase took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


def _uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from the seeded generator, so public ids repeat too."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _pick(rng: random.Random, shares: list[tuple[str, float]]) -> str:
    x = rng.random()
    for value, share in shares:
        x -= share
        if x < 0:
            return value
    return shares[-1][0]


def _around(rng: random.Random, mean: float) -> int:
    """A non-negative count around `mean` (mean kept over many draws)."""
    return max(0, round(rng.gauss(mean, mean * 0.35)))


@dataclass
class Company:
    """The users the portfolio is spread over."""

    admin: User
    director: User
    managers: list[User]
    executives: list[User]
    operations: list[User]
    sponsors: list[User]
    regions: list[Region]
    executives_by_manager: dict[int, list[User]]
    finance: list[User]


def build_company(rng: random.Random, n_accounts: int, password_hash: str) -> tuple[Company, int]:
    """Regions, teams and users in reporting lines, scaled to the portfolio; audited."""
    regions = []
    for code, label, _ in names.REGIONS:
        region, _ = Region.objects.get_or_create(code=code, defaults={"name": label, "public_id": _uuid(rng)})
        regions.append(region)
    n_managers = max(2, min(250, n_accounts // 80))
    n_directors = max(1, min(12, n_managers // 6))
    used: set[str] = set()

    def person(username: str | None, role: str, manager: User | None, region: Region | None, title: str) -> User:
        while True:
            first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
            handle = username or f"{first}.{last}".lower().replace("'", "").replace("ü", "ue")
            if handle not in used:
                break
            handle = f"{handle}{len(used)}" if not username else handle
            if handle not in used:
                break
        used.add(handle)
        return User(
            public_id=_uuid(rng), username=handle, first_name=first, last_name=last, email=f"{handle}@steward.example", role=role,
            title=title, manager=manager, region=region, password=password_hash, is_active=True,
        )

    admin = person("admin", Role.ADMIN, None, None, "Steward administrator")
    admin.is_staff = admin.is_superuser = True
    director = person("director", Role.DIRECTOR, None, None, "VP Account Management")
    User.objects.bulk_create([admin, director])
    directors = [director]
    sub_directors = [person(None, Role.DIRECTOR, director, regions[i % len(regions)], "Account Director") for i in range(n_directors)]
    User.objects.bulk_create(sub_directors)
    teams = [Team(public_id=_uuid(rng), name=f"{d.region.code} Accounts {i + 1}", region=d.region, lead=d) for i, d in enumerate(sub_directors)]
    Team.objects.bulk_create(teams)
    directors += sub_directors
    managers = []
    for i in range(n_managers):
        boss = sub_directors[i % len(sub_directors)]
        managers.append(person("manager" if i == 0 else None, Role.MANAGER, boss, boss.region, "Account Manager"))
    for m, boss_index in zip(managers, range(n_managers), strict=True):
        m.team = teams[boss_index % len(teams)]
    User.objects.bulk_create(managers)
    executives, by_manager = [], {}
    for i, m in enumerate(managers):
        mine = [person("exec" if i == 0 and j == 0 else None, Role.EXECUTIVE, m, m.region, "Account Executive") for j in range(rng.randint(1, 2))]
        for e in mine:
            e.team = m.team
        executives += mine
    User.objects.bulk_create(executives)
    for e in executives:
        by_manager.setdefault(e.manager_id, []).append(e)
    operations = []
    for i in range(max(1, n_managers // 2)):
        boss = sub_directors[i % len(sub_directors)]
        operations.append(person("ops" if i == 0 else None, Role.OPERATIONS, boss, boss.region, "Account Operations Manager"))
    User.objects.bulk_create(operations)
    sponsors = [person("sponsor", Role.SPONSOR, None, None, "Chief Revenue Officer")]
    sponsors += [person(None, Role.SPONSOR, None, None, rng.choice(["CFO", "COO", "Chief Customer Officer"])) for _ in range(max(1, n_directors // 2))]
    User.objects.bulk_create(sponsors)
    finance = [person("finance", Role.FINANCE, None, None, "Finance Controller")]
    User.objects.bulk_create(finance)
    people = [admin, *directors, *managers, *executives, *operations, *sponsors, *finance]
    changes = [audit.Change("create", "users.region", str(r.public_id), str(r), None, None, audit.snapshot(r)) for r in regions]
    changes += [audit.Change("create", "users.team", str(t.public_id), str(t), None, None, audit.snapshot(t)) for t in teams]
    changes += [audit.Change("create", "users.user", str(u.public_id), str(u), None, None, audit.snapshot(u, exclude=("password", "last_login"))) for u in people]
    audit.record_changes(actor=None, changes=changes)
    company = Company(admin, director, managers, executives, operations, sponsors, regions, by_manager, finance)
    return company, len(people)


@dataclass(frozen=True)
class DemoContext:
    """What an app's demo loader gets: its own random stream, the reference time, the people, the options."""

    rng: random.Random
    now: dt.datetime
    company: Company
    options: SeedOptions
    report: SeedReport
    progress: Callable[[str], None]


# Modules that add revenue-cycle data once the portfolio is loaded, in this order; each has
# `seed_demo(ctx: DemoContext) -> None`, which reads the accounts it needs in chunks and bulk-inserts,
# and `has_data() -> bool` (whether its tables are already filled, for `seed_demo --revenue-only`).
DEMO_LOADERS: list[str] = [
    "steward.pipeline.demo",
    "steward.quotes.demo",
    "steward.orders.demo",
    "steward.billing.demo",
    "steward.contracts.demo",
    "steward.sla.demo",
    "steward.improvement.demo",
]


def _account_name(rng: random.Random, country: str, used: set[str]) -> str:
    for attempt in range(1000):
        base = f"{rng.choice(names.COMPANY_FIRST)} {rng.choice(names.COMPANY_SECOND)}"
        if attempt > 3:
            base = f"{base} {rng.choice(['Group', 'Holdings', 'Partners', 'Industries', 'International', 'Solutions', 'Systems', 'Works'])}"
        if attempt > 10:
            base = f"{base} {rng.randint(2, 9999)}"
        name = f"{base} {names.LEGAL_FORMS.get(country, 'Ltd')}"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("could not find a free account name")


# Round demo figures (US dollars per unit) for the demo's currencies; a real deployment keeps
# its own rates in the admin.
DEMO_USD_VALUE = {"EUR": Decimal("1.08"), "USD": Decimal(1), "GBP": Decimal("1.27")}


def _demo_exchange_rates(now: dt.datetime) -> None:
    """Rates into the reporting currency for the demo's currencies, so its totals convert."""
    target = settings.REPORTING_CURRENCY
    if target not in DEMO_USD_VALUE:
        return  # no demo rates: the dashboard shows each currency apart
    changes = []
    for currency in sorted(set(DEMO_USD_VALUE) - {target}):
        rate = (DEMO_USD_VALUE[currency] / DEMO_USD_VALUE[target]).quantize(Decimal("0.0001"))
        row, created = ExchangeRate.objects.get_or_create(currency=currency, defaults={"rate": rate, "as_of": now.date()})
        if created:
            changes.append(audit.Change("create", "accounts.exchangerate", str(row.public_id), str(row), None, None, audit.snapshot(row)))
    audit.record_changes(actor=None, changes=changes)


# The demo catalogue: (sku, name, family, unit, list price, unit cost, substitutes).
DEMO_PRODUCTS = [
    ("PAL-1200", "Euro pallet 1200x800", "Pallets", "each", "12.50", "7.10", ["PAL-1200-R"]),
    ("PAL-1200-R", "Recycled euro pallet 1200x800", "Pallets", "each", "9.80", "5.20", []),
    ("PAL-1000", "Industrial pallet 1200x1000", "Pallets", "each", "15.90", "9.40", ["PAL-1000-R"]),
    ("PAL-1000-R", "Recycled industrial pallet", "Pallets", "each", "12.20", "6.90", []),
    ("BOX-S", "Shipping box, small", "Packaging", "pack of 50", "38.00", "21.00", ["BOX-M"]),
    ("BOX-M", "Shipping box, medium", "Packaging", "pack of 50", "46.00", "25.50", ["BOX-L"]),
    ("BOX-L", "Shipping box, large", "Packaging", "pack of 50", "58.00", "31.00", []),
    ("WRAP-500", "Stretch wrap 500 mm", "Packaging", "roll", "21.40", "12.80", ["WRAP-450"]),
    ("WRAP-450", "Stretch wrap 450 mm", "Packaging", "roll", "19.90", "11.60", []),
    ("SNS-TEMP", "Cold-chain temperature logger", "Sensors", "each", "89.00", "41.00", ["SNS-TEMP-2"]),
    ("SNS-TEMP-2", "Temperature logger, 2nd generation", "Sensors", "each", "99.00", "44.00", []),
    ("SNS-GPS", "GPS tracker with cellular", "Sensors", "each", "149.00", "73.00", []),
    ("SW-PLAT", "Platform subscription", "Software", "seat / month", "45.00", "6.00", []),
    ("SW-ANL", "Analytics add-on", "Software", "seat / month", "18.00", "2.50", []),
    ("SVC-ONB", "Onboarding workshop", "Services", "day", "1450.00", "700.00", []),
    ("SVC-TRN", "On-site training", "Services", "day", "1200.00", "620.00", ["SVC-ONB"]),
    ("SVC-SUP", "Premium support", "Services", "month", "900.00", "350.00", []),
]


def _demo_catalogue() -> None:
    """A small catalogue with substitutes, audited like any other change."""
    if Product.objects.exists():
        return
    products = [
        Product(public_id=uuid.uuid5(uuid.NAMESPACE_URL, f"steward-demo-product-{sku}"), sku=sku, name=name, family=family,
                unit=unit, list_price=Decimal(price), unit_cost=Decimal(cost), currency="EUR")
        for sku, name, family, unit, price, cost, _ in DEMO_PRODUCTS
    ]
    Product.objects.bulk_create(products)
    by_sku = {p.sku: p for p in Product.objects.all()}
    through = Product.substitutes.through
    through.objects.bulk_create(
        [through(from_product_id=by_sku[sku].pk, to_product_id=by_sku[sub].pk) for sku, *_, subs in DEMO_PRODUCTS for sub in subs]
    )
    changes = [
        audit.Change("create", "catalogue.product", str(p.public_id), str(p), None, None, {**audit.snapshot(p), "substitutes": subs})
        for (sku, *_, subs), p in ((row, by_sku[row[0]]) for row in DEMO_PRODUCTS)
    ]
    audit.record_changes(actor=None, changes=changes)


def _refresh_statistics() -> None:
    """After a bulk load the planner's statistics are stale: refresh them (outside a transaction)."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def generate(options: SeedOptions, *, progress: Callable[[str], None] = lambda _: None) -> SeedReport:
    """Load the demo portfolio into an empty database; deterministic for a seed and `now`."""
    started = time.perf_counter()
    report = SeedReport()
    rng = random.Random(options.seed)
    now = options.now or dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    password_hash = make_password(DEMO_PASSWORD)
    tiers = {t.name: t for t in Tier.objects.all()}
    with transaction.atomic():
        company, n_users = build_company(rng, options.accounts, password_hash)
        _demo_exchange_rates(now)
        _demo_catalogue()
    report.add("users", n_users)
    report.seconds["users"] = time.perf_counter() - started
    owners = company.managers + company.executives
    used_names: set[str] = set()
    group_roots: list[tuple[Account, int]] = []  # (account, depth) of accounts that may get subsidiaries
    done = 0
    while done < options.accounts:
        size = min(options.chunk_size, options.accounts - done)
        with transaction.atomic():
            _load_chunk(rng, options, now, tiers, company, owners, used_names, group_roots, size, report)
        done += size
        progress(f"  {done:>9,} / {options.accounts:,} accounts  {time.perf_counter() - started:7.1f}s  " + ", ".join(f"{k} {v:,}" for k, v in report.rows.items()))
    t0 = time.perf_counter()
    account_refresh_coverage(account_ids=None, now=now)
    report.seconds["coverage"] = time.perf_counter() - t0
    _run_loaders(options, now, company, report, progress)
    t0 = time.perf_counter()
    _refresh_statistics()
    report.seconds["statistics"] = time.perf_counter() - t0
    report.seconds["total"] = time.perf_counter() - started
    return report


def _run_loaders(
    options: SeedOptions, now: dt.datetime, company: Company, report: SeedReport, progress: Callable[[str], None], *, skip_loaded: bool = False
) -> None:
    for path in DEMO_LOADERS:
        t0 = time.perf_counter()
        loader = importlib.import_module(path)
        if skip_loaded and loader.has_data():
            progress(f"  {path}: already loaded, skipped")
            continue
        loader.seed_demo(DemoContext(random.Random(f"{options.seed}:{path}"), now, company, options, report, progress))
        report.seconds[path] = time.perf_counter() - t0
        progress(f"  {path}: {report.seconds[path]:.1f}s")


def company_from_database() -> Company:
    """The people of an already loaded portfolio, grouped as the generator made them."""
    users = list(User.objects.filter(is_active=True).order_by("pk"))
    by_role: dict[str, list[User]] = {}
    for u in users:
        by_role.setdefault(u.role, []).append(u)
    directors = by_role.get(Role.DIRECTOR, [])
    executives = by_role.get(Role.EXECUTIVE, [])
    by_manager: dict[int, list[User]] = {}
    for e in executives:
        if e.manager_id:
            by_manager.setdefault(e.manager_id, []).append(e)
    admin = next((u for u in by_role.get(Role.ADMIN, [])), users[0])
    return Company(
        admin, directors[0] if directors else admin, by_role.get(Role.MANAGER, []), executives, by_role.get(Role.OPERATIONS, []),
        by_role.get(Role.SPONSOR, []), list(Region.objects.all()), by_manager, by_role.get(Role.FINANCE, []),
    )


def generate_revenue(options: SeedOptions, *, progress: Callable[[str], None] = lambda _: None) -> SeedReport:
    """Add the revenue-cycle demo data (DEMO_LOADERS) to a portfolio loaded earlier, e.g. a large benchmark database.

    Loaders whose tables already hold rows are skipped, so it can be run again after an app adds its loader."""
    started = time.perf_counter()
    report = SeedReport()
    now = options.now or dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        _demo_catalogue()
    _run_loaders(options, now, company_from_database(), report, progress, skip_loaded=True)
    t0 = time.perf_counter()
    _refresh_statistics()
    report.seconds["statistics"] = time.perf_counter() - t0
    report.seconds["total"] = time.perf_counter() - started
    return report


def _load_chunk(rng, options, now, tiers, company, owners, used_names, group_roots, size, report) -> None:
    region_info = {code: countries for code, _, countries in names.REGIONS}
    regions = {r.code: r for r in company.regions}
    # Accounts, in hierarchy levels so a subsidiary's parent already has its id.
    planned: list[tuple[Account, int, tuple[Account, int] | None]] = []
    for _ in range(size):
        tier_name = _pick(rng, TIER_SHARE)
        region_code = rng.choice(list(regions))
        country, tz = rng.choice(region_info[region_code])
        owner = rng.choice(owners)
        parent = None
        if group_roots and rng.random() < 0.12:
            parent = rng.choice(group_roots)
        stage = _pick(rng, STAGE_SHARE)
        since = now.date() - dt.timedelta(days=rng.randint(60, 365 * 9))
        acv = Decimal(round(ACV_MEDIAN[tier_name] * rng.lognormvariate(0, 0.5), -2))
        name = _account_name(rng, country, used_names)
        account = Account(
            public_id=_uuid(rng), name=name, domain=name.split(" ")[0].lower() + "-" + name.split(" ")[1].lower() + ".example",
            industry=rng.choice(names.INDUSTRIES), region=regions[region_code], territory=rng.choice(names.TERRITORIES[region_code]),
            country=country, time_zone=tz, tier=tiers[tier_name], lifecycle_stage=stage, owner=owner,
            operations_manager=rng.choice(company.operations) if rng.random() < 0.7 else None,
            executive_sponsor=rng.choice(company.sponsors) if tier_name in ("Strategic", "Key") and rng.random() < 0.6 else None,
            customer_since=since, annual_contract_value=acv, currency=CURRENCY[region_code],
            preferred_channel=rng.choice(choices.Channel.values), meeting_cadence=rng.choice(choices.MeetingCadence.values),
            salesforce_id=f"001{rng.getrandbits(60):015X}"[:18] if rng.random() < 0.8 else "",
        )
        depth = (parent[1] + 1) if parent else 0
        planned.append((account, depth, parent))
        if depth < 2 and tier_name in ("Strategic", "Key") and rng.random() < 0.5:
            group_roots.append((account, depth))
    # Interactions per account decide the derived last-touch fields before the rows are written.
    contact_plan, interaction_plan, task_plan, team_plan = [], [], [], []
    for index, (account, _, _) in enumerate(planned):
        weight = TIER_WEIGHT[account.tier.name]
        n_contacts = max(1, _around(rng, options.contacts_per_account * weight / 0.95))
        contact_plan.append(_plan_contacts(rng, n_contacts, now))
        n_interactions = _around(rng, options.interactions_per_account * weight / 0.899)
        if account.lifecycle_stage == "churned":
            n_interactions //= 3
        seniors = [i for i, spec in enumerate(contact_plan[-1]) if spec["fields"]["buying_role"] in SENIOR_ROLES and spec["fields"]["status"] == "active"]
        interaction_plan.append(_plan_interactions(rng, n_interactions, n_contacts, account, now, seniors))
        task_plan.append([_plan_task(rng, now) for _ in range(_around(rng, options.tasks_per_account))])
        team_plan.append(rng.sample(company.executives_by_manager.get(account.owner.manager_id or 0, []) or company.executives, k=1) if rng.random() < 0.5 else [])
        touches = [when for kind, when, _, _ in interaction_plan[index] if kind in choices.TOUCHPOINT_KINDS]
        account.last_touchpoint_at = max(touches) if touches else None
    changes: list[audit.Change] = []
    for level in range(0, 4):
        batch = [a for a, depth, _ in planned if depth == level]
        for account, depth, parent in planned:
            if depth == level and parent:
                account.parent_id = parent[0].pk  # inserted with an earlier level or chunk
        if batch:
            Account.objects.bulk_create(batch, batch_size=1000)
    for account, _, _ in planned:
        changes.append(audit.Change("create", "accounts.account", str(account.public_id), account.name, account.pk, None, audit.snapshot(account)))
    report.add("accounts", len(planned))
    # Account team members.
    members = [
        AccountTeamMember(public_id=_uuid(rng), account=account, user=user, role=choices.TeamRole.ACCOUNT_EXECUTIVE)
        for (account, _, _), users in zip(planned, team_plan, strict=True)
        for user in users
        if user.pk != account.owner_id
    ]
    AccountTeamMember.objects.bulk_create(members, batch_size=2000)
    changes += [audit.Change("create", "accounts.accountteammember", str(m.public_id), str(m.user_id), m.account_id, None, audit.snapshot(m)) for m in members]
    report.add("team members", len(members))
    # Contacts, level by level so reports_to points at an inserted row.
    account_contacts: list[list[Contact]] = []
    for (account, _, _), plan in zip(planned, contact_plan, strict=True):
        rows = []
        for spec in plan:
            rows.append(Contact(public_id=_uuid(rng), account=account, **spec["fields"]))
        account_contacts.append(rows)
    # last_touched_at from the interactions the contact took part in
    for contacts, plan in zip(account_contacts, interaction_plan, strict=True):
        for kind, when, participants, _ in plan:
            if kind in choices.TOUCHPOINT_KINDS:
                for i in participants:
                    c = contacts[i]
                    if c.last_touched_at is None or when > c.last_touched_at:
                        c.last_touched_at = when
    for level in range(0, 5):
        batch = []
        for contacts, plan in zip(account_contacts, contact_plan, strict=True):
            for contact, spec in zip(contacts, plan, strict=True):
                if spec["level"] == level:
                    if spec["boss"] is not None:
                        contact.reports_to_id = contacts[spec["boss"]].pk
                    batch.append(contact)
        if batch:
            Contact.objects.bulk_create(batch, batch_size=2000)
    all_contacts = [c for contacts in account_contacts for c in contacts]
    changes += [audit.Change("create", "accounts.contact", str(c.public_id), str(c), c.account_id, None, audit.snapshot(c)) for c in all_contacts]
    report.add("contacts", len(all_contacts))
    # Interactions and their participants.
    interactions: list[Interaction] = []
    participants: list[tuple[int, list[int], int]] = []
    for (account, _, _), contacts, plan in zip(planned, account_contacts, interaction_plan, strict=True):
        for kind, when, who, text in plan:
            interactions.append(Interaction(public_id=_uuid(rng), account=account, kind=kind, occurred_at=when, created_by_id=account.owner_id, **text))
            participants.append((len(interactions) - 1, [contacts[i].pk for i in who], account.owner_id))
    Interaction.objects.bulk_create(interactions, batch_size=2000)
    through_c = Interaction.contacts.through
    through_u = Interaction.users.through
    insert_rows(through_c, ["interaction", "contact"], ((interactions[i].pk, cid) for i, cids, _ in participants for cid in cids))
    insert_rows(through_u, ["interaction", "user"], ((interactions[i].pk, uid) for i, _, uid in participants))
    changes += [audit.Change("create", "accounts.interaction", str(x.public_id), x.subject, x.account_id, None, audit.snapshot(x)) for x in interactions]
    report.add("interactions", len(interactions))
    report.add("interaction participants", sum(len(c) + 1 for _, c, _ in participants))
    # Tasks.
    tasks = []
    for (account, _, _), plan in zip(planned, task_plan, strict=True):
        for spec in plan:
            task = Task(public_id=_uuid(rng), account=account, assignee_id=account.owner_id, created_by_id=account.owner_id, **spec)
            tasks.append(task)
    Task.objects.bulk_create(tasks, batch_size=2000)
    changes += [audit.Change("create", "accounts.task", str(t.public_id), t.title, t.account_id, None, audit.snapshot(t)) for t in tasks]
    report.add("tasks", len(tasks))
    audit.record_changes(actor=None, changes=changes)
    report.add("audit events", len(changes))


def _plan_contacts(rng: random.Random, n: int, now: dt.datetime) -> list[dict]:
    """An org chart: a decision maker on top, seniors below, then the rest."""
    plan = []
    for i in range(n):
        if i == 0:
            role, level, boss, title = "decision_maker", 0, None, rng.choice(names.SENIOR_TITLES)
        elif i < 3:
            role = rng.choices(["economic_buyer", "champion", "influencer"], weights=[35, 45, 20])[0]
            level, boss, title = 1, 0, rng.choice(names.SENIOR_TITLES + names.MID_TITLES)
        else:
            boss = rng.randrange(0, min(i, 6))
            level = plan[boss]["level"] + 1
            if level > 4:
                boss, level = 0, 1
            role = rng.choices(["champion", "influencer", "technical_evaluator", "user", "blocker"], weights=[12, 25, 20, 38, 5])[0]
            title = rng.choice(names.MID_TITLES if level <= 2 else names.JUNIOR_TITLES)
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        left = i > 0 and rng.random() < 0.06
        plan.append(
            {
                "level": level,
                "boss": boss,
                "fields": {
                    "first_name": first, "last_name": last, "title": title,
                    "email": f"{first}.{last}.{i}@customer.example".lower().replace("'", "").replace("ü", "ue"),
                    "phone": f"+{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                    "department": rng.choice(names.DEPARTMENTS), "buying_role": role,
                    "influence": 5 if i == 0 else rng.randint(1, 5), "sentiment": rng.choices(choices.Sentiment.values, weights=[40, 35, 10, 15])[0],
                    "is_primary": i == 1 or (n == 1 and i == 0),
                    "status": "left" if left else "active",
                    "left_at": (now - dt.timedelta(days=rng.randint(5, 400))).date() if left else None,
                },
            }
        )
    return plan


def _plan_interactions(
    rng: random.Random, n: int, n_contacts: int, account: Account, now: dt.datetime, seniors: list[int]
) -> list[tuple]:
    """Two years of interactions; some accounts went quiet lately (overdue for a touchpoint).

    In most accounts the latest touchpoint was a meeting with two senior contacts, as a
    well-run account has; the rest depend on who happened to take part.
    """
    quiet_days = rng.choice([0, 0, 0, 0, 5, 12, 20, 45, 120])
    latest = now - dt.timedelta(days=quiet_days, hours=rng.randint(1, 20))
    span = 730 * 24 * 3600
    plan = []
    for _ in range(n):
        kind = _pick(rng, KIND_SHARE)
        # More interactions lately than two years ago; the senior contacts (the first three)
        # take part more often than the rest.
        when = latest - dt.timedelta(seconds=int(span * rng.random() ** 2))
        k = min(n_contacts, rng.choice([1, 1, 2, 2, 3]))
        who = []
        while len(who) < k:
            pick = rng.randrange(min(3, n_contacts)) if rng.random() < 0.5 else rng.randrange(n_contacts)
            if pick not in who:
                who.append(pick)
        text = {
            "subject": rng.choice(names.SUBJECTS[kind]),
            "summary": f"{rng.choice(names.SUBJECTS[kind])} with {account.name.split(' ')[0]}.",
            "outcome": rng.choice(names.OUTCOMES),
            "next_steps": rng.choice(names.NEXT_STEPS),
        }
        plan.append((kind, when, who, text))
    if plan and len(seniors) >= 2 and rng.random() < 0.8:
        kind, _, _, text = plan[0]
        plan[0] = ("meeting", latest, rng.sample(seniors, 2), {**text, "subject": rng.choice(names.SUBJECTS["meeting"])})
    return plan


def _plan_task(rng: random.Random, now: dt.datetime) -> dict:
    due = (now + dt.timedelta(days=rng.randint(-30, 45))).date()
    done = due < now.date() and rng.random() < 0.6
    return {
        "title": rng.choice(names.TASK_TITLES), "due_date": due, "priority": rng.choices(choices.Priority.values, weights=[15, 55, 22, 8])[0],
        "done": done, "done_at": dt.datetime.combine(due, dt.time(15), tzinfo=dt.UTC) if done else None,
    }
