"""Receivables at scale: portfolio ageing (page, API, selector), per-account ageing, the invoice list, the dashboard card.

Run against a database seeded with `manage.py seed_demo` (or `--revenue-only` on a portfolio loaded earlier),
on SQLite or PostgreSQL:

    DATABASE_URL=sqlite:////tmp/bench/steward-50k.sqlite3 .venv/bin/python benchmarks/billing.py
    DATABASE_URL=postgres://steward@localhost/steward_50k .venv/bin/python benchmarks/billing.py
"""

from __future__ import annotations

import argparse

from django.db.models import Count
from django.utils import timezone
from harness import Client, connection, run_cases, time_call

from steward.accounts.models import Account
from steward.billing import selectors
from steward.billing.choices import OPEN_STATUSES
from steward.billing.models import Invoice, InvoiceLine, Payment
from steward.users.models import User
from steward.users.services import api_token_create


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    finance = User.objects.get(username="finance")
    manager = User.objects.get(username="manager")
    today = timezone.localdate()
    busiest = (
        Invoice.objects.filter(status__in=OPEN_STATUSES).values("account_id").annotate(n=Count("id")).order_by("-n").values_list("account_id", "n").first()
    )
    if busiest is None:
        raise SystemExit("No open invoices: seed the demo first (seed_demo, or seed_demo --revenue-only).")
    account = Account.objects.get(pk=busiest[0])
    _, key = api_token_create(user=finance, name="benchmark")
    finance_client, manager_client, api_client = Client(), Client(), Client()
    finance_client.force_login(finance)
    manager_client.force_login(manager)
    auth = {"Authorization": f"Bearer {key}"}
    cases = [
        ("receivables page, whole portfolio (finance)", finance_client, "/receivables/", None),
        ("receivables page, sorted by days to pay (finance)", finance_client, "/receivables/?sort=-days", None),
        ("receivables page, late payers only (finance)", finance_client, "/receivables/?late=1", None),
        ("receivables page (account manager)", manager_client, "/receivables/", None),
        (f"account 360, invoices tab ({busiest[1]} open invoices)", finance_client, f"/accounts/{account.public_id}/invoices/", None),
        ("invoice list, page 1 (finance)", finance_client, "/invoices/", None),
        ("invoice list, overdue, by balance (finance)", finance_client, "/invoices/?overdue=1&sort=-balance", None),
        ("invoice list, page 200 (finance)", finance_client, "/invoices/?page=200", None),
        ("dashboard with the overdue card (finance)", finance_client, "/", None),
        ("GET /api/v1/receivables/ageing (finance)", api_client, "/api/v1/receivables/ageing", auth),
        ("GET /api/v1/receivables/accounts?limit=50 (finance)", api_client, "/api/v1/receivables/accounts?limit=50", auth),
        ("GET /api/v1/accounts/{id}/receivables (finance)", api_client, f"/api/v1/accounts/{account.public_id}/receivables", auth),
        ("GET /api/v1/invoices?limit=50 (finance)", api_client, "/api/v1/invoices?limit=50", auth),
    ]
    print(
        f"database: {connection.vendor}; {Account.objects.count():,} accounts, {Invoice.objects.count():,} invoices "
        f"({Invoice.objects.filter(status__in=OPEN_STATUSES).count():,} open), {InvoiceLine.objects.count():,} lines, "
        f"{Payment.objects.count():,} payments; {args.runs} runs each"
    )
    run_cases(cases, args.runs)
    print()
    print(f"{'selector':<58} {'median ms':>10} {'p95 ms':>8}")
    time_call("portfolio_ageing (finance, every account)", lambda: selectors.portfolio_ageing(user=finance, as_of=today), args.runs)
    time_call("portfolio_ageing (account manager)", lambda: selectors.portfolio_ageing(user=manager, as_of=today), args.runs)
    time_call("receivables_by_account, first 25 by overdue (finance)", lambda: list(selectors.receivables_by_account(user=finance, as_of=today)[:25]), args.runs)
    time_call("receivables_by_account, count (finance)", lambda: selectors.receivables_by_account(user=finance, as_of=today).count(), args.runs)
    time_call("account_receivables (busiest account)", lambda: selectors.account_receivables(account=account, as_of=today), args.runs)
    time_call("overdue_panel (finance)", lambda: selectors.overdue_panel(user=finance, as_of=today), args.runs)
    finance.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
