"""Portfolio page and API latency at scale, one user at a time.

Run against a database seeded with `manage.py seed_demo` (DATABASE_URL picks SQLite or
PostgreSQL). Requests go through Django's full stack in-process (middleware, views, templates,
ORM), without a network hop, so the figures are server time:

    DATABASE_URL=sqlite:////tmp/bench/steward-50k.sqlite3 .venv/bin/python benchmarks/portfolio.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("STEWARD_TESTING", "1")  # plain http, no HTTPS redirect, in-process client
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from steward.accounts.models import Account, Contact, Interaction  # noqa: E402
from steward.users.models import User  # noqa: E402
from steward.users.services import api_token_create  # noqa: E402


def fetch(client: Client, url: str, headers: dict | None):
    """One request, its body read to the end (a streamed export is produced while it is read)."""
    response = client.get(url, headers=headers or {})
    if response.streaming:
        response.body_bytes = b"".join(response.streaming_content)
    else:
        response.body_bytes = response.content
    return response


def measure(client: Client, url: str, runs: int, headers: dict | None = None) -> tuple[float, float, int, int]:
    """Median and p95 in ms over `runs` requests after warm-up, the status and the query count."""
    for _ in range(min(3, runs)):
        response = fetch(client, url, headers)
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fetch(client, url, headers)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = fetch(client, url, headers)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, response.status_code, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    director = User.objects.get(username="director")
    manager = User.objects.get(username="manager")
    big = (
        Account.objects.annotate(n=Count("interactions")).order_by("-n").values_list("public_id", "n").first()
    )
    sizes = (Account.objects.count(), Contact.objects.count(), Interaction.objects.count())
    _, key = api_token_create(user=director, name="benchmark")
    director_client, manager_client, api_client = Client(), Client(), Client()
    director_client.force_login(director)
    manager_client.force_login(manager)
    cases: list[tuple[str, Client, str, dict | None] | tuple[str, Client, str, dict | None, int]] = [
        ("account list, filtered, page 1 (director)", director_client, "/accounts/?tier=Key&stage=active&region=EMEA&sort=name", None),
        ("account list, search, page 1 (director)", director_client, "/accounts/?q=logistics", None),
        ("account list, deep page 500 (director)", director_client, "/accounts/?page=500", None),
        ("account list, page 1 (account manager)", manager_client, "/accounts/", None),
        (f"account 360, largest account ({big[1]} interactions)", director_client, f"/accounts/{big[0]}/", None),
        ("account 360, timeline tab (largest account)", director_client, f"/accounts/{big[0]}/timeline/", None),
        ("account 360, stakeholder map (largest account)", director_client, f"/accounts/{big[0]}/contacts/", None),
        ("portfolio dashboard (director, sees all)", director_client, "/", None),
        ("portfolio dashboard (account manager)", manager_client, "/", None),
        ("GET /api/v1/accounts?limit=50 (director)", api_client, "/api/v1/accounts?limit=50", {"Authorization": f"Bearer {key}"}),
        ("GET /api/v1/accounts?limit=50&offset=25000", api_client, "/api/v1/accounts?limit=50&offset=25000", {"Authorization": f"Bearer {key}"}),
        ("CSV export, Key tier (director)", director_client, "/accounts/export.csv?tier=Key", None, 5),
        ("CSV export, whole portfolio (director)", director_client, "/accounts/export.csv", None, 5),
    ]
    vendor = connection.vendor
    print(f"database: {vendor}; {sizes[0]:,} accounts, {sizes[1]:,} contacts, {sizes[2]:,} interactions; {args.runs} runs each")
    print(f"{'case':<58} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'status':>7}")
    for label, client, url, headers, *runs in cases:
        median, p95, status, n_queries = measure(client, url, runs[0] if runs else args.runs, headers)
        print(f"{label:<58} {median:>10.1f} {p95:>8.1f} {n_queries:>8} {status:>7}", flush=True)
        if status != 200:
            raise SystemExit(f"{url} answered {status}: the figures above are not valid")
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
