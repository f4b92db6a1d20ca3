from django.urls import path

from steward.billing import views

app_name = "billing"
urlpatterns = [
    path("invoices/", views.invoice_list, name="list"),
    path("invoices/import/", views.invoice_import, name="import"),
    path("invoices/from-order/", views.invoice_from_order, name="from_order"),
    path("receivables/", views.receivables, name="receivables"),
    path("accounts/<uuid:account_id>/invoices/new/", views.invoice_create, name="create"),
    path("accounts/<uuid:public_id>/invoices/", views.account_invoices, name="account"),
    path("invoices/<uuid:public_id>/", views.invoice_detail, name="detail"),
    path("invoices/<uuid:public_id>/pdf/", views.invoice_pdf, name="pdf"),
    path("invoices/<uuid:public_id>/payments/", views.payment_create, name="payment_create"),
    path("payments/<uuid:public_id>/reverse/", views.payment_reverse, name="payment_reverse"),
    path("invoices/<uuid:public_id>/<slug:action>/", views.invoice_action, name="action"),
]
