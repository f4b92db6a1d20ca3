from django.urls import path

from steward.contracts import views

app_name = "contracts"
urlpatterns = [
    path("contracts/", views.contract_list, name="list"),
    path("contracts/renewals/", views.renewals, name="renewals"),
    path("accounts/<uuid:account_id>/contracts/new/", views.contract_create, name="create"),
    path("accounts/<uuid:public_id>/contracts/", views.account_contracts, name="account"),
    path("contracts/<uuid:public_id>/", views.contract_detail, name="detail"),
    path("contracts/<uuid:public_id>/edit/", views.contract_edit, name="edit"),
    path("contracts/<uuid:public_id>/<slug:action>/", views.contract_action, name="action"),
]
