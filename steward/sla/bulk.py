"""Writing many SLA rows at once (demo cases and their logs, recomputed target states).

`steward.core.bulk.insert_rows` converts every date/time value through its model field, which costs
more than the insert itself at millions of rows. Here each column's conversion is picked once, and
PostgreSQL receives the rows with COPY, which it loads several times faster than INSERTs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, models

Adapter = Callable[[Any], Any] | None


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """The text Django's SQLite backend stores for an aware datetime (UTC, no offset)."""
    if value is None:
        return None
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _adapters(fields: Sequence[models.Field[Any, Any]], *, native: bool) -> list[Adapter]:
    """One conversion per column, or None where the driver takes the Python value as it is. With
    `native` (PostgreSQL), datetimes, dates and UUIDs go as they are."""
    utc_db = settings.USE_TZ and connection.timezone_name == "UTC"
    adapters: list[Adapter] = []
    for field in fields:
        if native and isinstance(field, models.DateTimeField | models.DateField | models.UUIDField):
            adapters.append(None)
        elif isinstance(field, models.DateTimeField) and utc_db:
            adapters.append(_sqlite_datetime)
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            adapters.append(lambda v: None if v is None else v.isoformat())
        elif isinstance(field, models.DateTimeField | models.JSONField | models.UUIDField | models.DecimalField):
            adapters.append(partial(field.get_db_prep_save, connection=connection))
        else:
            adapters.append(None)
    return adapters


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], *, batch_size: int = 5000) -> int:
    """INSERT `rows` (tuples in `columns` order) into `model`'s table; returns the row count.

    COPY on PostgreSQL, multi-row `executemany` elsewhere. No model instances, no returned ids,
    no signals: the caller gives every column a default would fill (`services.bulk_defaults`).
    """
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    column_names = [str(getattr(f, "column", f.name)) for f in fields]
    quote = connection.ops.quote_name
    native = connection.vendor == "postgresql"
    adapters = _adapters(fields, native=native)  # type: ignore[arg-type]
    convert = [(i, a) for i, a in enumerate(adapters) if a is not None]
    written = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        if native:
            # Names come from the model's metadata and are quoted; values travel in the COPY stream.
            sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in column_names)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in iterator:
                    if convert:
                        row = list(row)
                        for i, adapt in convert:
                            row[i] = adapt(row[i])
                    copy.write_row(row)
                    written += 1
            return written
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(meta.db_table), ", ".join(quote(c) for c in column_names), ", ".join(["%s"] * len(fields))
        )
        while batch := list(islice(iterator, batch_size)):
            if convert:
                prepared = []
                for row in batch:
                    values = list(row)
                    for i, adapt in convert:
                        values[i] = adapt(values[i])
                    prepared.append(values)
                cursor.executemany(sql, prepared)
            else:
                cursor.executemany(sql, batch)
            written += len(batch)
    return written
