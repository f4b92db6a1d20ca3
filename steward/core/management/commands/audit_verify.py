from django.core.management.base import BaseCommand, CommandError

from steward.core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero if any event was edited or deleted."

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            where = f" at event {result.broken_at}" if result.broken_at else ""
            raise CommandError(f"Audit trail broken{where}: {result.reason} ({result.checked} events verified before it).")
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {result.checked} events verified."))
