"""The REST API under /api/v1: one NinjaAPI with token or session auth and JSON errors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, path
from ninja import NinjaAPI, Schema

from steward.accounts.api import router as accounts_router
from steward.api import errors
from steward.api.auth import auth_methods, current_user
from steward.api.docs import LocalSwagger, docs_asset
from steward.billing.api import router as billing_router
from steward.catalogue.api import router as catalogue_router
from steward.contracts.api import router as contracts_router
from steward.improvement.api import router as improvement_router
from steward.orders.api import router as orders_router
from steward.pipeline.api import router as pipeline_router
from steward.quotes.api import router as quotes_router
from steward.sla.api import router as sla_router


class StewardAPI(NinjaAPI):
    """NinjaAPI whose operations authenticate themselves instead of redirecting to the login page."""

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            # The docs page stays behind the login page; operations answer 401 themselves.
            if isinstance(pattern, URLPattern) and pattern.name != "openapi-view":
                pattern.callback = login_not_required(pattern.callback)
        urls.append(path("docs/assets/<str:name>", docs_asset, name="docs-asset"))
        return urls


api = StewardAPI(
    title="Steward API",
    version="1",
    description=(
        "Accounts, contacts, interactions, tasks and the product catalogue."
        " Opportunities move through configurable stages; quotas and their attainment roll up the reporting line."
        " Invoices come from orders (never billing a quantity twice), by hand or by import; payments may be partial, never more than the balance; receivables age in 30-day buckets."
        " Quotes carry nonstandard terms and cannot be sent until approved. Orders carry lines and partial shipments; a changed promised date or line needs a reason and the customer is told; OTIF and an account progress report (JSON and PDF) come from them. Contracts carry their term, value, notice deadline and service levels; renewals due come in 30/60/90/120-day bands. SLA calendars (time zone, working windows, public holidays, closures, or 24/7) answer when a target falls due. Improvement plans (CAPA) carry a root cause with five whys, corrective and preventive actions, linked cases and orders, and an effectiveness check before and after a change date. Authenticate with `Authorization: Bearer stw_...`"
        " (tokens are created in the web UI) or a logged-in session with the CSRF token."
        " Single records carry an `ETag`; send it back in `If-Match` to refuse lost updates (412)."
    ),
    urls_namespace="api",
    auth=auth_methods,
    docs=LocalSwagger(),
)
errors.install(api)
api.add_router("", accounts_router)
api.add_router("", catalogue_router)
api.add_router("", pipeline_router)
api.add_router("", quotes_router)
api.add_router("", orders_router)
api.add_router("", billing_router)
api.add_router("", contracts_router)
api.add_router("", sla_router)
api.add_router("", improvement_router)


class MeOut(Schema):
    """The caller."""

    username: str
    role: str
    name: str


@api.get("/me", response={200: MeOut, 401: errors.ErrorOut}, tags=["me"])
def me(request: HttpRequest) -> MeOut:
    """Who the token or session belongs to."""
    user = current_user(request)
    return MeOut(username=user.username, role=user.role, name=user.get_full_name() or user.username)
