from django.urls import path

from steward.sla import views

app_name = "sla"
urlpatterns = [
    path("sla/calendars/", views.calendar_list, name="calendars"),
    path("sla/calendars/new/", views.calendar_create, name="calendar_create"),
    path("sla/calendars/<uuid:public_id>/", views.calendar_detail, name="calendar"),
    path("sla/calendars/<uuid:public_id>/edit/", views.calendar_edit, name="calendar_edit"),
    path("sla/calendars/<uuid:public_id>/delete/", views.calendar_delete, name="calendar_delete"),
    path("sla/calendars/<uuid:public_id>/closures/", views.closure_add, name="closure_add"),
    path("sla/calendars/<uuid:public_id>/closures/<uuid:closure_id>/remove/", views.closure_remove, name="closure_remove"),
]
