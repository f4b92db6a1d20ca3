"""Contracts at scale: renewals due for a director across the portfolio, the account tab, the list, the job.

Run against a database seeded with `manage.py seed_demo` (or `--revenue-only` on a portfolio loaded earlier):

    STEWARD_DATA_DIR=/tmp/contracts-bench .venv/bin/python benchmarks/contracts.py --runs 20
"""

from __future__ import annotations

import argparse
import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from harness import Client, connection, run_cases, time_call

from steward.contracts import selectors, services
from steward.contracts.models import Contract, ContractServiceLevel
from steward.users.models import User
from steward.users.services import api_token_create


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--job-limit", type=int, default=5000, help="Contracts the timed renewal job handles, per kind (ended, due).")
    args = parser.parse_args()
    director = User.objects.get(username="director")
    manager = User.objects.get(username="manager")
    big = Contract.objects.values("account__public_id").annotate(n=Count("id")).order_by("-n").values_list("account__public_id", "n").first()
    _, key = api_token_create(user=director, name="benchmark")
    director_client, manager_client, api_client = Client(), Client(), Client()
    director_client.force_login(director)
    manager_client.force_login(manager)
    auth = {"Authorization": f"Bearer {key}"}
    today = timezone.localdate()
    due = selectors.renewals_due(user=director, today=today).count()
    cases = [
        (f"renewals due page ({due:,} contracts, director)", director_client, "/contracts/renewals/", None),
        ("renewals due, notice passed (director)", director_client, "/contracts/renewals/?band=notice", None),
        ("renewals due, mine (account manager)", manager_client, "/contracts/renewals/?owner=me", None),
        ("dashboard with the renewals card (director)", director_client, "/", None),
        ("dashboard with the renewals card (account manager)", manager_client, "/", None),
        (f"account 360, contracts tab ({big[1]} contracts)", director_client, f"/accounts/{big[0]}/contracts/", None),
        ("contract list, page 1 (director)", director_client, "/contracts/", None),
        ("contract list, ending within 90 days, by value (director)", director_client, "/contracts/?ending=90&sort=-value", None),
        ("GET /api/v1/renewals?limit=50 (director)", api_client, "/api/v1/renewals?limit=50", auth),
        ("GET /api/v1/contracts?limit=50 (director)", api_client, "/api/v1/contracts?limit=50", auth),
    ]
    print(
        f"database: {connection.vendor}; {Contract.objects.count():,} contracts, {ContractServiceLevel.objects.count():,} service levels;"
        f" {args.runs} runs each"
    )
    run_cases(cases, args.runs)
    time_call("renewal bands aggregate (director, selector)", lambda: selectors.renewal_bands(user=director, today=today), args.runs)
    time_call("renewal job candidates (set-based query)", lambda: services.renewal_candidates(today=today, lead_days=120), args.runs)

    # The renewal job itself, rolled back so the database is left as it was.
    with transaction.atomic():
        start = timezone.now()
        run = services.contracts_renewal_run(now=timezone.now(), limit=args.job_limit)
        took = (timezone.now() - start) / dt.timedelta(milliseconds=1)
        handled = max(run.opportunities + run.expired + run.auto_renewed, 1)
        print(
            f"renewal job: {run.opportunities} opportunities, {run.expired} expired, {run.auto_renewed} auto-renewed"
            f" in {took:.0f} ms, {took / handled:.1f} ms per contract (rolled back)"
        )
        transaction.set_rollback(True)
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
