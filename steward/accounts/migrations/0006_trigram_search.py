"""Substring search on account names and domains from a trigram index (PostgreSQL only).

The account list's search is a case-insensitive substring match; on PostgreSQL a GIN trigram
index answers it without reading every account. pg_trgm is a trusted extension (PostgreSQL 13+),
so the database owner may create it; where that is refused, search still works, unindexed.
"""

from django.db import migrations

INDEXES = [
    ("account_name_trgm_idx", "name"),
    ("account_domain_trgm_idx", "domain"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SAVEPOINT steward_trgm")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # noqa: BLE001 - no privilege: keep the plain (unindexed) search
            cursor.execute("ROLLBACK TO SAVEPOINT steward_trgm")
            return
        cursor.execute("RELEASE SAVEPOINT steward_trgm")
        for name, column in INDEXES:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON accounts_account USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _ in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_dashboard_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
