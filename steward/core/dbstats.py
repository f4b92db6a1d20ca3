"""Planner statistics for indexes added by a migration, on SQLite.

SQLite plans with the statistics `ANALYZE` leaves in `sqlite_stat1`. Once a database has them, an
index created later has none, and the planner guesses it is very selective: at 50,000 accounts an
account's OTIF then scanned tens of thousands of delivered orders through the new OTIF index instead
of reading the account's fourteen orders. After migrating, tables with an unanalysed index are
analysed (about a second per million rows). PostgreSQL keeps per-column statistics, which a new
index does not need, and its autovacuum refreshes them.
"""

from __future__ import annotations

from typing import Any

from django.db import connections


def analyse_new_indexes(using: str = "default", **_: Any) -> list[str]:
    """ANALYZE each table that has an index without statistics, if the database has statistics at all."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return []  # never analysed: the planner's defaults apply to every index alike
        cursor.execute(
            "SELECT DISTINCT m.tbl_name FROM sqlite_master m"
            " WHERE m.type = 'index' AND m.sql IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = m.name)"
            " AND EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = m.tbl_name)"
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables
