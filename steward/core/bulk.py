"""Plain multi-row inserts for the bulk paths (seeding, imports) where the ORM's per-object
work dominates: values go to the driver's executemany, prepared only where a type needs it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], *, batch_size: int = 5000) -> int:
    """INSERT `rows` (tuples in `columns` order) into `model`'s table; returns the row count.

    Values of date/time, JSON and UUID fields are converted for the database backend; others
    are passed as they are. No model instances, no returned ids, no signals.
    """
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    column_names = [str(getattr(f, "column", f.name)) for f in fields]
    quote = connection.ops.quote_name
    # Names come from the model's metadata and are quoted; values travel as parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(c) for c in column_names),
        ", ".join(["%s"] * len(fields)),
    )
    needs_prep = [
        i for i, f in enumerate(fields)
        if isinstance(f, models.DateTimeField | models.DateField | models.JSONField | models.UUIDField | models.DecimalField)
    ]
    written = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, batch_size)):
            if needs_prep:
                prepared = []
                for row in batch:
                    values = list(row)
                    for i in needs_prep:
                        values[i] = fields[i].get_db_prep_save(values[i], connection)  # type: ignore[union-attr]
                    prepared.append(values)
                cursor.executemany(sql, prepared)
            else:
                cursor.executemany(sql, batch)
            written += len(batch)
    return written
