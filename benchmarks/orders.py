"""Orders at scale: portfolio OTIF by quarter, revenue by account and quarter, the account 360 orders tab, the order list.

Run against a database seeded with `manage.py seed_demo` (or `--revenue-only` on a portfolio loaded earlier);
DATABASE_URL or STEWARD_DATA_DIR picks the database. Requests go through Django's full stack in-process:

    STEWARD_DATA_DIR=/tmp/orders-bench .venv/bin/python benchmarks/orders.py --runs 20
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/steward .venv/bin/python benchmarks/orders.py --runs 20 --accounts 20

`--accounts N` times the account 360 orders tab on the N accounts with the most orders (p50/p95 over all of them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from django.db.models import Count
from django.utils import timezone
from harness import Client, connection, fetch, run_cases, time_call

from steward.orders import selectors
from steward.orders.models import Order, OrderLine, Shipment
from steward.users.models import User
from steward.users.services import api_token_create


def tab_figures(client: Client, account_ids: list, runs: int) -> None:
    """p50/p95 of the account 360 orders tab over several accounts (the largest ones)."""
    samples = []
    for public_id in account_ids:
        url = f"/accounts/{public_id}/orders/"
        response = fetch(client, url, None)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        for _ in range(runs):
            start = time.perf_counter()
            fetch(client, url, None)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    label = f"account 360 orders tab, {len(account_ids)} largest accounts"
    print(f"{label:<58} {statistics.median(samples):>10.1f} {p95:>8.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--accounts",
        type=int,
        default=10,
        help="How many of the largest accounts to time the orders tab on.",
    )
    args = parser.parse_args()
    director = User.objects.get(username="director")
    ops = (
        User.objects.filter(role="operations", is_active=True)
        .annotate(n=Count("orders"))
        .order_by("-n")
        .first()
    )
    biggest = list(
        Order.objects.values("account__public_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("account__public_id", "n")[: args.accounts]
    )
    today = timezone.localdate()
    start = dt.date(today.year - 2, 1, 1)
    _, key = api_token_create(user=director, name="benchmark")
    auth = {"Authorization": f"Bearer {key}"}
    director_client, ops_client, api_client = Client(), Client(), Client()
    director_client.force_login(director)
    if ops is not None:
        ops_client.force_login(ops)
    print(
        f"database: {connection.vendor}; {Order.objects.count():,} orders, {OrderLine.objects.count():,} lines, "
        f"{Shipment.objects.count():,} shipments; {args.runs} runs each"
    )
    print(f"{'aggregate (selector call, director)':<58} {'median ms':>10} {'p95 ms':>8}")
    time_call(
        "portfolio OTIF by quarter, 3 years",
        lambda: selectors.otif_by_quarter(user=director, start=start),
        args.runs,
    )
    time_call(
        "portfolio OTIF total, 3 years",
        lambda: selectors.otif_total(user=director, start=start),
        args.runs,
    )
    time_call(
        "OTIF by account, worst 25",
        lambda: list(selectors.otif_by_account(user=director, start=start)[:25]),
        args.runs,
    )
    time_call(
        "revenue by account and quarter, whole portfolio",
        lambda: selectors.revenue_by_account_and_quarter(user=director, start=start),
        max(3, args.runs // 4),
    )
    time_call(
        "late and at-risk lists (director)",
        lambda: selectors.late_and_at_risk(user=director, today=today),
        args.runs,
    )
    tab_figures(director_client, [a for a, _ in biggest], max(3, args.runs // 2))
    cases = [
        ("OTIF report page (director)", director_client, "/orders/otif/", None),
        (
            f"account 360, orders tab (account with {biggest[0][1]} orders)",
            director_client,
            f"/accounts/{biggest[0][0]}/orders/",
            None,
        ),
        ("order list, page 1 (director)", director_client, "/orders/", None),
        (
            "order list, late, sorted by promised date (director)",
            director_client,
            "/orders/?flag=late&sort=promised",
            None,
        ),
        ("order list, search (director)", director_client, "/orders/?q=PO-5", None),
        ("late and at-risk page (director)", director_client, "/orders/late/?mine=0", None),
        ("dashboard with the late-orders card (director)", director_client, "/", None),
        ("GET /api/v1/orders?limit=50 (director)", api_client, "/api/v1/orders?limit=50", auth),
        ("GET /api/v1/otif (director)", api_client, "/api/v1/otif", auth),
        ("GET /api/v1/otif/accounts?limit=50", api_client, "/api/v1/otif/accounts?limit=50", auth),
        (
            "GET /api/v1/revenue/accounts-by-quarter?limit=100",
            api_client,
            "/api/v1/revenue/accounts-by-quarter?limit=100",
            auth,
        ),
        (
            "same, offset=40000 (a deep page)",
            api_client,
            "/api/v1/revenue/accounts-by-quarter?limit=100&offset=40000",
            auth,
        ),
        (
            f"progress report (account with {biggest[0][1]} orders)",
            director_client,
            f"/accounts/{biggest[0][0]}/orders/progress/",
            None,
        ),
    ]
    if ops is not None:
        cases.append(
            ("late and at-risk page, own (operations manager)", ops_client, "/orders/late/", None)
        )
    run_cases(cases, args.runs)
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
