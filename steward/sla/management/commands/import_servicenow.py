"""`manage.py import_servicenow <csv> --account <name or id> [--dry-run]`: import a ServiceNow incident log.

Prints what importing the log into the account gives (incidents, events by kind, dates, cases per
policy, SLA outcomes) and every row that cannot be read, by row and column; then, without
`--dry-run` and when no row has an error, imports it and prints what was saved (cases created,
incidents already imported and skipped, events, met and breached). The same services as the page
and the API (`steward.sla.imports`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from steward.core.errors import ApplicationError
from steward.sla import imports
from steward.users.models import User


class Command(BaseCommand):
    help = "Import a ServiceNow incident log (CSV) into an account, or check it (--dry-run): counts, dates, SLA outcomes, row errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", type=Path, help="The incident log, as exported from ServiceNow.")
        parser.add_argument("--account", required=True, help="The account's exact name or id.")
        parser.add_argument("--dry-run", action="store_true", help="Check the log and print what an import would give; save nothing.")
        parser.add_argument("--time-zone", default="UTC", help="The IANA zone the log's times were written in (default UTC).")
        parser.add_argument("--policy", default="", help="Put every case under this SLA policy (name or id); default: each case's match.")
        parser.add_argument("--as-user", default="", help="Act as this username (default: the first active admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["as_user"])
        path: Path = options["csv"]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from error
        try:
            account = imports.import_account(actor=actor, reference=options["account"])
            policy = imports.import_policy(reference=options["policy"])
            preview = imports.servicenow_preview(actor=actor, account=account, content=content, time_zone=options["time_zone"], policy=policy)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self._print(preview)
        if not preview.can_import:
            raise CommandError(f"{len(preview.errors)} row error(s): this log cannot be imported as it is.")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was saved.")
            return
        try:
            saved = imports.servicenow_import(
                actor=actor, account=account, content=content, time_zone=options["time_zone"], policy=policy, file_name=path.name
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Imported: {saved.created} cases created, {saved.skipped} already imported (skipped), {saved.events} events; "
            f"{saved.met} met, {saved.breached} breached (nobody notified)."
        )

    def _actor(self, username: str) -> User:
        users = User.objects.filter(is_active=True)
        actor = users.filter(username=username).first() if username else users.filter(role="admin").order_by("pk").first()
        if actor is None:
            raise CommandError(f"No active user {username!r}." if username else "No active admin to act as: give --as-user.")
        return actor

    def _print(self, preview: imports.ServiceNowPreview) -> None:
        write = self.stdout.write
        write(f"Account: {preview.account.name} ({preview.account.public_id}); times read in {preview.time_zone}")
        write(f"Rows: {preview.rows}")
        write(f"Incidents: {preview.incidents}")
        kinds = ", ".join(f"{n} {kind}" for kind, n in preview.events_by_kind.items())
        write(f"Events: {preview.events}" + (f" ({kinds})" if kinds else ""))
        if preview.first_at and preview.last_at:
            write(f"From {preview.first_at:%Y-%m-%d %H:%M} to {preview.last_at:%Y-%m-%d %H:%M} UTC")
        for label, n in preview.by_policy.items():
            write(f"Policy {label}: {n} cases")
        write("SLA: " + (", ".join(f"{n} {outcome}" for outcome, n in preview.outcomes.items()) or "no cases"))
        write(f"Warnings: {len(preview.warnings)}")
        for problem in preview.warnings[: imports.MAX_PROBLEMS_SHOWN]:
            write(f"  {problem}")
        write(f"Errors: {len(preview.errors)}")
        for problem in preview.errors[: imports.MAX_PROBLEMS_SHOWN]:
            self.stderr.write(f"  {problem}")
        if preview.already_imported:
            write(f"Already imported into the account: {len(preview.already_imported)} incidents (skipped by an import)")
