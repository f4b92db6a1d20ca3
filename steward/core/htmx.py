"""Small helpers for views that answer both full-page and HTMX requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.core.errors import ApplicationError


def render_page_or_partial(
    request: HttpRequest, page: str, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The partial template for an HTMX request that targets it, the whole page otherwise."""
    is_htmx = getattr(request, "htmx", False)
    template = partial if is_htmx and not getattr(request.htmx, "boosted", False) else page
    return render(request, template, context, status=status)


def form_errors_from(form: forms.BaseForm, exc: ApplicationError) -> None:
    """Show a service's refusal on the form, on the fields it names."""
    placed = False
    for field, messages in exc.field_errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
