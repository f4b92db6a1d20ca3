"""After a migration adds an index to an analysed SQLite table, the table is analysed again."""

from __future__ import annotations

import pytest
from django.db import connection

from steward.core.dbstats import analyse_new_indexes

pytestmark = pytest.mark.django_db


def _stat_rows(index: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = %s", [index])
        return cursor.fetchone()[0]


def test_an_index_without_statistics_gets_them():
    if connection.vendor != "sqlite":
        assert analyse_new_indexes() == []  # PostgreSQL needs no per-index statistics
        return
    with connection.cursor() as cursor:
        cursor.execute('INSERT INTO "django_content_type" ("app_label", "model") VALUES (%s, %s)', ["x", "y"])
        cursor.execute('ANALYZE "django_content_type"')
        cursor.execute('CREATE INDEX "test_ct_model_idx" ON "django_content_type" ("model")')
    assert _stat_rows("test_ct_model_idx") == 0
    assert "django_content_type" in analyse_new_indexes()
    assert _stat_rows("test_ct_model_idx") == 1
    assert analyse_new_indexes() == []  # nothing left to do: a second migrate costs nothing
