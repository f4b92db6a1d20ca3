from django.urls import path

from steward.quotes import views

app_name = "quotes"
urlpatterns = [
    path("quotes/", views.quote_list, name="list"),
    path("quotes/approvals/", views.approvals_queue, name="approvals"),
    path("quotes/rules/", views.rule_list, name="rules"),
    path("quotes/rules/new/", views.rule_edit, name="rule_create"),
    path("quotes/rules/<uuid:rule_id>/", views.rule_edit, name="rule_edit"),
    path("quotes/rules/<uuid:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("quotes/delegations/", views.delegations, name="delegations"),
    path("quotes/delegations/<uuid:delegation_id>/delete/", views.delegation_delete, name="delegation_delete"),
    path("accounts/<uuid:account_id>/quotes/new/", views.quote_create, name="create"),
    path("accounts/<uuid:public_id>/quotes/", views.account_quotes, name="account"),
    path("quotes/<uuid:public_id>/", views.quote_detail, name="detail"),
    path("quotes/<uuid:public_id>/edit/", views.quote_edit, name="edit"),
    path("quotes/<uuid:public_id>/decide/", views.quote_decide, name="decide"),
    path("quotes/<uuid:public_id>/pdf/", views.quote_pdf, name="pdf"),
    path("quotes/<uuid:public_id>/<slug:action>/", views.quote_action, name="action"),
]
