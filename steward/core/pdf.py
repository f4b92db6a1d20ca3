"""Documents as PDF: a Django template rendered by WeasyPrint, with nothing fetched from the network."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string


class _NoFetch(Exception):
    pass


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # Documents carry their styles inline; a stray <img src="http://..."> in user text must not make the server fetch it.
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    raise _NoFetch(f"PDF rendering does not fetch {url[:80]}")


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template (extending pdf/base.html) to PDF bytes."""
    from weasyprint import HTML  # imported late: it loads pango, which only document requests need

    html = render_to_string(template_name, context)
    return HTML(string=html, url_fetcher=_refuse_fetch, base_url="about:blank").write_pdf()


def pdf_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """An HTTP response carrying a PDF, shown in the browser (inline) or downloaded."""
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    response["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    return response
