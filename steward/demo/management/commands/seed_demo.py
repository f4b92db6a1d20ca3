import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from steward.accounts.models import Account
from steward.demo.generator import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    SeedOptions,
    generate,
    generate_revenue,
)


class Command(BaseCommand):
    help = "Load a deterministic demo portfolio (users in teams, accounts, contacts, interactions, tasks)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=300)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--contacts-per-account", type=float, default=10.0)
        parser.add_argument("--interactions-per-account", type=float, default=40.0)
        parser.add_argument("--tasks-per-account", type=float, default=2.0)
        parser.add_argument("--order-lines-per-account", type=float, default=40.0, help="Scales orders, quotes, invoices (40: 2M lines for 50k accounts).")
        parser.add_argument("--chunk-size", type=int, default=2000)
        parser.add_argument("--now", help="Reference time (ISO 8601, UTC); default: today 00:00 UTC.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any account exists.")
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins.")
        parser.add_argument(
            "--revenue-only", action="store_true",
            help="Add the revenue-cycle data (quotes, orders, invoices...) to a portfolio loaded earlier; parts already loaded are skipped.",
        )

    def handle(self, *args, **o):
        if o["print_logins"]:
            self._print_logins()
            return
        if o["revenue_only"]:
            self._revenue_only(o)
            return
        if Account.objects.exists():
            if o["if_empty"]:
                self.stdout.write("The database already holds accounts: demo data not loaded.")
                return
            raise CommandError("The database already holds accounts; seed_demo loads into an empty database only.")
        if o["accounts"] < 1:
            raise CommandError("--accounts must be at least 1.")
        now = self._now(o)
        options = SeedOptions(
            accounts=o["accounts"], seed=o["seed"], contacts_per_account=o["contacts_per_account"],
            interactions_per_account=o["interactions_per_account"], tasks_per_account=o["tasks_per_account"],
            order_lines_per_account=o["order_lines_per_account"],
            chunk_size=o["chunk_size"], now=now,
        )
        self.stdout.write(f"Loading a demo portfolio of {options.accounts:,} accounts (seed {options.seed})…")
        report = generate(options, progress=self.stdout.write)
        for table, n in report.rows.items():
            self.stdout.write(f"  {table:<26} {n:>12,}")
        self.stdout.write(f"  loaded in {report.seconds['total']:.1f}s")
        self._print_logins()

    def _revenue_only(self, o):
        if not Account.objects.exists():
            raise CommandError("--revenue-only adds to a loaded portfolio: load one first (seed_demo without it).")
        options = SeedOptions(accounts=Account.objects.count(), seed=o["seed"], order_lines_per_account=o["order_lines_per_account"], now=self._now(o))
        self.stdout.write(f"Adding revenue-cycle data to {options.accounts:,} accounts (seed {options.seed})…")
        report = generate_revenue(options, progress=self.stdout.write)
        for table, n in report.rows.items():
            self.stdout.write(f"  {table:<26} {n:>12,}")
        self.stdout.write(f"  loaded in {report.seconds['total']:.1f}s")

    @staticmethod
    def _now(o):
        if not o["now"]:
            return None
        now = dt.datetime.fromisoformat(o["now"])
        return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)

    def _print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, sees in DEMO_LOGINS:
            self.stdout.write(f"  {username:<9} {role:<28} sees {sees}")
