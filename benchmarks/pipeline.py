"""Pipeline pages and API latency at scale, one user at a time.

Run against a database seeded with `manage.py seed_demo` (DATABASE_URL or STEWARD_DATA_DIR picks
the database). Requests go through Django's full stack in-process, so the figures are server time:

    STEWARD_DATA_DIR=/tmp/pipeline-bench .venv/bin/python benchmarks/pipeline.py
    DATABASE_URL=sqlite:////tmp/bench/steward-50k.sqlite3 .venv/bin/python benchmarks/pipeline.py --runs 20
"""

from __future__ import annotations

import argparse
import os
import sys
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
from django.utils import timezone  # noqa: E402

from benchmarks.portfolio import measure  # noqa: E402
from steward.accounts.models import Account  # noqa: E402
from steward.pipeline.engine.periods import period_start  # noqa: E402
from steward.pipeline.models import Opportunity, Quota  # noqa: E402
from steward.users.models import User  # noqa: E402
from steward.users.services import api_token_create  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    director = User.objects.get(username="director")
    manager = User.objects.get(username="manager")
    busiest = Opportunity.objects.values("account_id").annotate(n=Count("id")).order_by("-n").first()
    big = Account.objects.get(pk=busiest["account_id"])
    quarter = period_start("quarter", timezone.localdate()).isoformat()
    _, key = api_token_create(user=director, name="benchmark")
    auth = {"Authorization": f"Bearer {key}"}
    director_client, manager_client, api_client = Client(), Client(), Client()
    director_client.force_login(director)
    manager_client.force_login(manager)
    cases = [
        (f"quota attainment roll-up, {quarter[:7]} quarter (director)", director_client, f"/pipeline/attainment/?kind=quarter&start={quarter}", None),
        ("GET /api/v1/quota-attainment?kind=quarter (director)", api_client, f"/api/v1/quota-attainment?kind=quarter&start={quarter}", auth),
        ("quota attainment, year (director)", director_client, "/pipeline/attainment/?kind=year", None),
        ("pipeline board, whole team (director)", director_client, "/pipeline/?owner=team", None),
        ("pipeline board, own team (account manager)", manager_client, "/pipeline/", None),
        ("weighted pipeline by quarter (director)", director_client, "/pipeline/weighted/?owner=team", None),
        ("weighted pipeline by month (account manager)", manager_client, "/pipeline/weighted/?group=month", None),
        (f"account 360 opportunities tab ({busiest['n']} opportunities)", director_client, f"/accounts/{big.public_id}/opportunities/", None),
        ("opportunity list, open, page 1 (director)", director_client, "/opportunities/?status=open", None),
        ("GET /api/v1/opportunities?status=open&limit=50", api_client, "/api/v1/opportunities?status=open&limit=50", auth),
        ("dashboard with pipeline and quota panels (director)", director_client, "/", None),
    ]
    sizes = (Account.objects.count(), Opportunity.objects.count(), Quota.objects.count(), User.objects.count())
    print(f"database: {connection.vendor}; {sizes[0]:,} accounts, {sizes[1]:,} opportunities, {sizes[2]:,} quotas, {sizes[3]:,} users; {args.runs} runs each")
    print(f"{'case':<58} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'status':>7}")
    for label, client, url, headers in cases:
        median, p95, status, n_queries = measure(client, url, args.runs, headers)
        print(f"{label:<58} {median:>10.1f} {p95:>8.1f} {n_queries:>8} {status:>7}", flush=True)
        if status != 200:
            raise SystemExit(f"{url} answered {status}: the figures above are not valid")
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
