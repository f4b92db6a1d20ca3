from django.urls import path

from steward.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("products/", views.product_list, name="list"),
    path("products/new/", views.product_create, name="create"),
    path("products/<uuid:public_id>/", views.product_detail, name="detail"),
    path("products/<uuid:public_id>/edit/", views.product_edit, name="edit"),
    path("products/<uuid:public_id>/delete/", views.product_delete, name="delete"),
]
