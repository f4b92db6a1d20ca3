"""Pipeline pages and API latency at scale, one user at a time.

Run against a database seeded with `manage.py seed_demo` (DATABASE_URL or STEWARD_DATA_DIR picks
the database). Requests go through Django's full stack in-process, so the figures are server time:

    STEWARD_DATA_DIR=/tmp/pipeline-bench .venv/bin/python benchmarks/pipeline.py
    DATABASE_URL=sqlite:////tmp/bench/steward-50k.sqlite3 .venv/bin/python benchmarks/pipeline.py --runs 20
"""

from __future__ import annotations

import argparse

from django.db.models import Count
from django.utils import timezone
from harness import Client, connection, run_cases

from steward.accounts.models import Account
from steward.pipeline.engine.periods import period_start
from steward.pipeline.models import Opportunity, Quota
from steward.users.models import User
from steward.users.services import api_token_create


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
    run_cases(cases, args.runs)
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
