"""Quote pages and API at scale: the list, the approvals queue, the account 360 quotes tab.

Run against a database seeded with `manage.py seed_demo` (or `--revenue-only` on a portfolio loaded earlier):

    DATABASE_URL=sqlite:////tmp/bench/steward-50k.sqlite3 .venv/bin/python benchmarks/quotes.py
"""

from __future__ import annotations

import argparse

from django.db.models import Count
from harness import Client, connection, run_cases

from steward.quotes.models import ApprovalStep, Quote, QuoteLine
from steward.users.models import User
from steward.users.services import api_token_create


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    director = User.objects.get(username="director")
    busiest_approver = (
        ApprovalStep.objects.filter(status="pending").values("approvers").annotate(n=Count("id")).order_by("-n").values_list("approvers", "n").first()
    )
    approver = User.objects.get(pk=busiest_approver[0])
    big = Quote.objects.values("account__public_id").annotate(n=Count("id")).order_by("-n").values_list("account__public_id", "n").first()
    _, key = api_token_create(user=director, name="benchmark")
    director_client, approver_client, api_client = Client(), Client(), Client()
    director_client.force_login(director)
    approver_client.force_login(approver)
    auth = {"Authorization": f"Bearer {key}"}
    cases = [
        ("quote list, page 1 (director)", director_client, "/quotes/", None),
        ("quote list, pending, sorted by total (director)", director_client, "/quotes/?status=pending&sort=-total", None),
        ("quote list, search (director)", director_client, "/quotes/?q=pharma", None),
        (f"approvals queue ({busiest_approver[1]} waiting)", approver_client, "/quotes/approvals/", None),
        (f"account 360, quotes tab (account with {big[1]} quotes)", director_client, f"/accounts/{big[0]}/quotes/", None),
        ("dashboard with the approvals card (busiest approver)", approver_client, "/", None),
        ("GET /api/v1/quotes?limit=50 (director)", api_client, "/api/v1/quotes?limit=50", auth),
    ]
    print(f"database: {connection.vendor}; {Quote.objects.count():,} quotes, {QuoteLine.objects.count():,} lines; {args.runs} runs each")
    run_cases(cases, args.runs)
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
