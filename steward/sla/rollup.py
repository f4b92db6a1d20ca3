"""Attainment counts per account and quarter (`AttainmentCell`), kept beside what they count.

Attainment of a whole portfolio by account would otherwise count every decided target state (over a
million at 500,000 cases) and every delivered order, and rank 50,000 accounts in Python. The cells
hold, per account and quarter, how many targets of each kind were met and breached and how many orders
were delivered, on time and in full or not; pages and the API sum and rank them in the database.

They are kept by recounting: whenever the decided targets of some accounts change (a case recompute,
the bulk recompute, an import) or an order's delivery outcome changes (`steward.orders.signals.
delivery_changed`), `refresh` replaces those accounts' cells with a fresh count, in the same
transaction. There is no arithmetic on stored counts to drift, and `rebuild` recounts everything
(`manage.py sla_attainment_rebuild`, the demo loader, the migration that added them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Value

from steward.accounts.models import Account
from steward.core.dbfunctions import QuarterStart
from steward.orders.models import Order
from steward.sla.engine import clock
from steward.sla.models import AttainmentCell, CaseTarget

#: The cell's columns for each target kind: (met, breached).
KIND_COLUMNS: dict[str, tuple[str, str]] = {
    kind: (f"{kind}_met", f"{kind}_breached") for kind in (clock.FIRST_RESPONSE, clock.NEXT_RESPONSE, clock.RESOLUTION)
}
COUNT_COLUMNS = [column for pair in KIND_COLUMNS.values() for column in pair]
CELL_COLUMNS = ["account_id", "quarter", *COUNT_COLUMNS, "delivered", "delivered_otif"]
BATCH = 500


def decided(rows: Iterable[tuple[Any, ...]]) -> frozenset[tuple[Any, ...]]:
    """What the cells count of some target rows (`services.TARGET_COLUMNS` order): name, status and
    decided date of each decided one. Two sets of rows with the same value leave the cells as they are."""
    return frozenset((r[1], r[2], r[14]) for r in rows if r[14] is not None and r[2] in (clock.MET, clock.BREACHED))


def cells_select(targets: QuerySet[Any], orders: QuerySet[Any]) -> tuple[str, list[Any]]:
    """One SELECT giving the cells of these target states and orders: account, quarter, then
    `COUNT_COLUMNS` and the delivered counts. Targets are counted by the day they were decided, orders by
    the day they were delivered. Takes any manager's querysets (the migration passes its own models)."""
    zero = Value(0)
    kinds = {
        column: Count("status", filter=Q(name=kind, status=status))
        for kind, pair in KIND_COLUMNS.items()
        for column, status in zip(pair, (clock.MET, clock.BREACHED), strict=True)
    }
    decided = (
        targets.filter(decided_on__isnull=False, status__in=[clock.MET, clock.BREACHED])
        .annotate(q=QuarterStart("decided_on")).values("account_id", "q").annotate(**kinds, n=zero, otif=zero).order_by()
    )
    delivered = (
        orders.filter(status="delivered", delivered_on__isnull=False)
        .annotate(q=QuarterStart("delivered_on")).values("account_id", "q")
        .annotate(**{column: zero for column in kinds}, n=Count("*"), otif=Count("status", filter=Q(is_on_time=True, is_in_full=True)))
        .order_by()
    )
    decided_sql, decided_params = decided.query.sql_with_params()
    delivered_sql, delivered_params = delivered.query.sql_with_params()
    sums = ", ".join(f"SUM({c})" for c in [*kinds, "n", "otif"])
    sql = f"SELECT account_id, q, {sums} FROM ({decided_sql} UNION ALL {delivered_sql}) counted GROUP BY account_id, q"  # noqa: S608  (names from the code, values as parameters)
    return sql, [*decided_params, *delivered_params]


def _insert_counted(account_ids: Sequence[int] | None) -> None:
    """INSERT … SELECT: the database counts and writes the cells without a round trip per row."""
    targets, orders = CaseTarget.objects.all(), Order.objects.all()
    if account_ids is not None:
        targets, orders = targets.filter(account_id__in=account_ids), orders.filter(account_id__in=account_ids)
    select, params = cells_select(targets, orders)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in CELL_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(AttainmentCell._meta.db_table)} ({columns}) {select}", params)


@transaction.atomic
def refresh(account_ids: Iterable[int]) -> int:
    """Recount the cells of these accounts from their target states; call inside the transaction that
    wrote the states. The accounts' rows are locked first (in id order, so concurrent writers queue
    rather than deadlock): two transactions recounting one account would otherwise both insert its
    cells. Returns how many accounts were recounted."""
    ids = sorted(set(account_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        list(Account.objects.select_for_update(no_key=True).filter(pk__in=batch).order_by("pk").values_list("pk", flat=True))
        AttainmentCell.objects.filter(account_id__in=batch).delete()
        _insert_counted(batch)
    return len(ids)


def delivery_changed(sender: Any, *, account_id: int, **kwargs: Any) -> None:
    """Receiver of `steward.orders.signals.delivery_changed`: an order's delivery outcome changed."""
    refresh([account_id])


@transaction.atomic
def rebuild() -> int:
    """Recount every cell from the target states and orders; returns the cells written."""
    AttainmentCell.objects.all().delete()
    _insert_counted(None)
    return AttainmentCell.objects.count()
