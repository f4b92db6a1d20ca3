from django.urls import path

from steward.orders import views

app_name = "orders"
urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/otif/", views.otif_report, name="otif"),
    path("orders/late/", views.late_orders, name="late"),
    path("accounts/<uuid:account_id>/orders/new/", views.order_create, name="create"),
    path("accounts/<uuid:public_id>/orders/", views.account_orders, name="account"),
    path("accounts/<uuid:public_id>/orders/progress/", views.progress_report, name="progress"),
    path(
        "accounts/<uuid:public_id>/orders/progress.pdf",
        views.progress_report_pdf,
        name="progress_pdf",
    ),
    path(
        "accounts/<uuid:public_id>/orders/progress/email/",
        views.progress_report_email,
        name="progress_email",
    ),
    path("orders/<uuid:public_id>/", views.order_detail, name="detail"),
    path("orders/<uuid:public_id>/edit/", views.order_edit, name="edit"),
    path("orders/<uuid:public_id>/lines/", views.line_add, name="line_add"),
    path("orders/<uuid:public_id>/lines/<uuid:line_id>/", views.line_change, name="line_change"),
    path(
        "orders/<uuid:public_id>/lines/<uuid:line_id>/<slug:action>/",
        views.line_action,
        name="line_action",
    ),
    path("orders/<uuid:public_id>/shipments/new/", views.shipment_create, name="ship"),
    path(
        "orders/<uuid:public_id>/shipments/<uuid:shipment_id>/delivered/",
        views.shipment_delivered,
        name="delivered",
    ),
    path("orders/<uuid:public_id>/<slug:action>/", views.order_action, name="action"),
]
