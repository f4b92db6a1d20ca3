"""Portfolio page and API latency at scale, one user at a time.

Run against a database seeded with `manage.py seed_demo` (DATABASE_URL picks SQLite or
PostgreSQL). Requests go through Django's full stack in-process (middleware, views, templates,
ORM), without a network hop, so the figures are server time:

    DATABASE_URL=sqlite:////tmp/bench/steward-50k.sqlite3 .venv/bin/python benchmarks/portfolio.py
"""

from __future__ import annotations

import argparse

from django.db.models import Count
from harness import Client, connection, run_cases

from steward.accounts.models import Account, Contact, Interaction
from steward.users.models import User
from steward.users.services import api_token_create


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
    print(f"database: {connection.vendor}; {sizes[0]:,} accounts, {sizes[1]:,} contacts, {sizes[2]:,} interactions; {args.runs} runs each")
    run_cases(cases, args.runs)
    director.api_tokens.filter(name="benchmark").delete()


if __name__ == "__main__":
    main()
