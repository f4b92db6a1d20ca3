"""Pages of ordered querysets that stay fast deep into a large list."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

# Below this offset a plain LIMIT/OFFSET is as fast as anything.
DEEP = 200


def page_rows(queryset: QuerySet, start: int, stop: int) -> list[Any]:
    """Rows `start`..`stop` of an ordered queryset.

    Deep pages take the ids first (a walk along the ordering's index, no joins), then load just
    those rows with their joins and prefetches: the database no longer joins every skipped row.
    """
    if start < DEEP or not isinstance(queryset, QuerySet):
        # Shallow, or a grouped list that reads its own pages (they have no rows to fetch by id).
        return list(queryset[start:stop])
    ids = list(queryset.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    by_pk = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [by_pk[pk] for pk in ids if pk in by_pk]


class DeepPaginator(Paginator):
    """A Paginator whose pages are read with `page_rows`."""

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(page_rows(self.object_list, bottom, top), number, self)
