"""Improvement plans at the portfolio's size: the effectiveness check (before and after the change
date) and the plan page.

Run against a seeded database (DATABASE_URL picks it; SQLite or PostgreSQL):

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/steward .venv/bin/python benchmarks/improvement.py --runs 10

Everything runs in one transaction that is rolled back, so the data stay as they were. In it,
plans are opened through `services.plan_create`, as the user `director` (or `admin` when there is
none): portfolio-wide (no account) and on one account (`--account`, by name or id; default: the
account with the most resolution targets decided in the plans' windows), each once with resolution
attainment and once with delivery OTIF. The change date is 90 days before the newest decided case
target, the windows are the plan's defaults (90 days before, 90 after). With `--manager`, an account
manager (the first by id) opens two portfolio-wide plans too: theirs count only what they see, so
the counts join the cases to the accounts in their scope.

Printed, median and p95 ms over `--runs`: `selectors.effectiveness` for each plan (the per-day met
and breached counts in the database over both windows, then the verdict and the weekly points in
Python), and the plan page (`/improvement/<id>/`) through Django's test client for the plan's owner,
with its query count.
"""

from __future__ import annotations

import argparse
import datetime as dt

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from harness import Client, connection, run_cases, time_call

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to, sees_every_account
from steward.improvement import selectors, services
from steward.improvement.choices import Metric
from steward.improvement.engine import effectiveness as engine
from steward.improvement.models import ImprovementPlan
from steward.orders.choices import OrderStatus
from steward.orders.models import Order
from steward.sla.engine import clock
from steward.sla.models import Case, CaseTarget
from steward.users.choices import Role
from steward.users.models import User

METRICS = (Metric.RESOLUTION, Metric.OTIF)
SHORT = {Metric.RESOLUTION: "resolution", Metric.OTIF: "OTIF"}


def busiest_account(user: User, start: dt.date, end: dt.date) -> Account:
    """The account (among those the user sees) with the most resolution targets decided in [start, end)."""
    row = (
        CaseTarget.objects.filter(name=Metric.RESOLUTION, decided_on__gte=start, decided_on__lt=end, status__in=[clock.MET, clock.BREACHED])
        .filter(account__in=accounts_visible_to(user))
        .values("account").annotate(n=Count("id")).order_by("-n", "account").first()
    )
    if row is None:
        raise SystemExit("No resolution target was decided in the plans' windows.")
    return Account.objects.get(pk=row["account"])


def open_plans(actor: User, account: Account | None, change: dt.date) -> list[ImprovementPlan]:
    where = account.name if account is not None else "the portfolio"
    return [
        services.plan_create(actor=actor, data={
            "title": f"Benchmark: {Metric(metric).label.lower()} at {where}", "problem": "Benchmark plan, rolled back.",
            "account": account, "metric": metric, "change_date": change,
        })
        for metric in METRICS
    ]


def measure(args: argparse.Namespace) -> None:
    director = User.objects.filter(username="director", is_active=True).first() or User.objects.get(username="admin")
    newest = CaseTarget.objects.filter(decided_on__isnull=False).aggregate(m=Max("decided_on"))["m"]
    if newest is None:
        raise SystemExit("No case target is decided: seed the database with manage.py seed_demo first.")
    change = newest - dt.timedelta(days=90)
    today = timezone.localdate()
    plans: list[tuple[User, ImprovementPlan, str]] = []
    portfolio = open_plans(director, None, change)
    windows = engine.Windows.around(change, before_days=portfolio[0].before_days, after_days=portfolio[0].after_days)
    if args.account:
        account = accounts_visible_to(director).filter(name=args.account).first() or Account.objects.get(public_id=args.account)
    else:
        account = busiest_account(director, windows.before_start, windows.after_end)
    on_account = open_plans(director, account, change)
    plans += [(director, p, "portfolio") for p in portfolio] + [(director, p, "account") for p in on_account]
    if args.manager:
        manager = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
        if manager is not None:
            plans += [(manager, p, "portfolio") for p in open_plans(manager, None, change)]
    decided = CaseTarget.objects.filter(
        name=Metric.RESOLUTION, decided_on__gte=windows.before_start, decided_on__lt=windows.after_end
    ).count()
    delivered = Order.objects.filter(
        status=OrderStatus.DELIVERED, delivered_on__gte=windows.before_start, delivered_on__lt=windows.after_end
    ).count()
    print(
        f"database: {connection.vendor}; {Case.objects.count():,} cases; newest decided target {newest};"
        f" change date {change}, windows {windows.before_start} .. {windows.after_end} (90 + 90 days):"
        f" {decided:,} resolution targets decided, {delivered:,} orders delivered; account plans on"
        f" {account.name!r} ({CaseTarget.objects.filter(account=account).count():,} case targets)"
    )
    print(f"{'effectiveness check (selectors.effectiveness)':<58} {'median ms':>10} {'p95 ms':>8}")
    for user, plan, scope in plans:
        result = selectors.effectiveness(plan, user=user, today=today)
        a = result.assessment
        sees = "sees all" if sees_every_account(user) else "sees part"
        label = f"{SHORT[plan.metric]}, {scope} plan ({user.username}, {sees})"
        time_call(label, lambda plan=plan, user=user: selectors.effectiveness(plan, user=user, today=today), args.runs)
        print(f"{'':<4}before {a.before.met:,} met / {a.before.decided:,}, after {a.after.met:,} met / {a.after.decided:,}:"
              f" {a.verdict_label.lower()}", flush=True)
    clients: dict[int, Client] = {}
    cases = []
    for user, plan, scope in plans:
        if user.pk not in clients:
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
        label = f"/improvement/<id>/, {SHORT[plan.metric]}, {scope} plan ({user.username})"
        cases.append((label, clients[user.pk], f"/improvement/{plan.public_id}/", None))
    run_cases(cases, args.runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10, help="Selector calls and page requests timed per plan.")
    parser.add_argument("--account", default="", help="The account plans' account, by name or id; default: the busiest in the windows.")
    parser.add_argument("--manager", action="store_true", help="Also an account manager's portfolio-wide plans.")
    args = parser.parse_args()
    with transaction.atomic():
        measure(args)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
