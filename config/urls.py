from django.contrib import admin
from django.urls import include, path

from steward.api.urls import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("steward.users.urls")),
    path("", include("steward.web.urls")),
    path("", include("steward.accounts.urls")),
    path("", include("steward.catalogue.urls")),
    path("", include("steward.quotes.urls")),
    path("", include("steward.pipeline.urls")),
    path("", include("steward.orders.urls")),
    path("", include("steward.contracts.urls")),
    path("", include("steward.billing.urls")),
    path("", include("steward.sla.urls")),
    path("", include("steward.improvement.urls")),
]
