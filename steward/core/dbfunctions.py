"""SQL building blocks that keep portfolio-wide queries fast on SQLite as well as PostgreSQL.

Django's ``TruncQuarter`` and ``TruncMonth`` call a Python function per row on SQLite, which dominates a
portfolio-wide GROUP BY over hundreds of thousands of rows. On a ``DateField`` these versions use SQLite's
own string and date functions instead; every other database (and datetime columns) gets Django's SQL
unchanged.

``InLiteral`` writes a fixed set of status values into the SQL rather than binding them, so SQLite can
use a partial index whose ``WHERE`` names the same values (a bound parameter never matches one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import DateField, DateTimeField, F, Lookup
from django.db.models.functions import TruncMonth, TruncQuarter


def _is_plain_date(expression: Any) -> bool:
    field = expression.lhs.output_field
    return isinstance(field, DateField) and not isinstance(field, DateTimeField)


class QuarterStart(TruncQuarter):
    """The first day of the date's quarter, as a date."""

    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        if not _is_plain_date(self):
            return super().as_sqlite(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        # A date is stored as 'YYYY-MM-DD': keep 'YYYY-' and pick the quarter's first month from MM.
        # String slicing is about twice as fast as date() with a computed modifier over 600,000 rows.
        return (
            f"(substr({sql}, 1, 5) || CASE (CAST(substr({sql}, 6, 2) AS INTEGER) - 1) / 3"
            " WHEN 0 THEN '01-01' WHEN 1 THEN '04-01' WHEN 2 THEN '07-01' ELSE '10-01' END)",
            [*params, *params],
        )


class MonthStart(TruncMonth):
    """The first day of the date's month, as a date."""

    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        if not _is_plain_date(self):
            return super().as_sqlite(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", list(params)


_PLAIN_VALUE = re.compile(r"[a-z0-9_]+")


class InLiteral(Lookup):
    """``column IN ('a', 'b')`` with the values written into the SQL, sorted.

    Only for fixed code values (statuses): each must be lower-case letters, digits and underscores, so
    nothing needs quoting. Django binds ``__in`` values as parameters, and SQLite's planner then cannot
    prove the query's condition implies a partial index's ``WHERE status IN (...)``; with the literals
    it can. Sorted, because Django writes a partial index's condition from a sorted list too.
    """

    lookup_name = "in_literal"
    prepare_rhs = False

    def __init__(self, lhs: Any, rhs: Iterable[str]) -> None:
        values = tuple(sorted({str(v) for v in rhs}))
        bad = [v for v in values if not _PLAIN_VALUE.fullmatch(v)]
        if not values or bad:
            raise ValueError(f"InLiteral takes plain code values, got {bad or 'none'}")
        super().__init__(F(lhs) if isinstance(lhs, str) else lhs, values)

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs_sql, params = self.process_lhs(compiler, connection)
        listed = ", ".join(f"'{v}'" for v in self.rhs)
        return f"{lhs_sql} IN ({listed})", tuple(params)
