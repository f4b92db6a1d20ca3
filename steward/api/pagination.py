"""Limit/offset pages: `count`, `next`, `previous` and `results`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from steward.core.paging import page_rows

DEFAULT_LIMIT = 50
# Beyond this an offset is a mistake; capping it keeps it inside every database's integer range.
MAX_OFFSET = 2**31 - 1


class LimitOffset(PaginationBase):
    """Pages of at most settings.API_PAGE_SIZE_MAX records with links to the neighbours."""

    items_attribute = "results"

    class Input(Schema):
        limit: int = Field(
            min(DEFAULT_LIMIT, settings.API_PAGE_SIZE_MAX), ge=1, le=settings.API_PAGE_SIZE_MAX,
            description="Records per page.",
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Records to skip.")

    class Output(Schema):
        count: int
        next: str | None
        previous: str | None
        results: list[Any]

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        """One page of `queryset` and the links around it."""
        limit, offset = pagination.limit, pagination.offset
        count = queryset.count()
        results = page_rows(queryset, offset, offset + limit)
        return {
            "count": count,
            "next": _page_url(request, limit, offset + limit) if offset + limit < count else None,
            "previous": _page_url(request, limit, max(offset - limit, 0)) if offset > 0 else None,
            "results": results,
        }


def _page_url(request: HttpRequest, limit: int, offset: int) -> str:
    query = request.GET.copy()
    query["limit"], query["offset"] = str(limit), str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class MappedPages:
    """A list that reads its own pages (`count()` and slices, like `AccountRows`), or a plain list,
    with each row reshaped for the response schema: lets `@paginate(LimitOffset)` page grouped reports."""

    def __init__(self, pages: Any, shape: Callable[[Any], dict[str, Any]]) -> None:
        self.pages, self.shape = pages, shape

    def count(self) -> int:
        return len(self.pages) if isinstance(self.pages, list) else int(self.pages.count())

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        return [self.shape(row) for row in self.pages[index]]
