from django.urls import path

from steward.sla import import_views, views

app_name = "sla"
urlpatterns = [
    path("sla/calendars/", views.calendar_list, name="calendars"),
    path("sla/calendars/new/", views.calendar_create, name="calendar_create"),
    path("sla/calendars/<uuid:public_id>/", views.calendar_detail, name="calendar"),
    path("sla/calendars/<uuid:public_id>/edit/", views.calendar_edit, name="calendar_edit"),
    path("sla/calendars/<uuid:public_id>/delete/", views.calendar_delete, name="calendar_delete"),
    path("sla/calendars/<uuid:public_id>/closures/", views.closure_add, name="closure_add"),
    path("sla/calendars/<uuid:public_id>/closures/<uuid:closure_id>/remove/", views.closure_remove, name="closure_remove"),
    path("sla/policies/", views.policy_list, name="policies"),
    path("sla/policies/new/", views.policy_create, name="policy_create"),
    path("sla/policies/<uuid:public_id>/", views.policy_detail, name="policy"),
    path("sla/policies/<uuid:public_id>/edit/", views.policy_edit, name="policy_edit"),
    path("sla/policies/<uuid:public_id>/move/", views.policy_move, name="policy_move"),
    path("sla/policies/<uuid:public_id>/delete/", views.policy_delete, name="policy_delete"),
    path("sla/policies/<uuid:public_id>/reevaluate/", views.policy_reevaluate, name="policy_reevaluate"),
    path("sla/escalation-levels/", views.escalation_levels, name="escalations"),
    path("sla/delivery-goals/", views.delivery_goals, name="delivery_goals"),
    path("cases/", views.case_list, name="cases"),
    path("sla/attainment/", views.attainment, name="attainment"),
    path("sla/imports/servicenow/", import_views.servicenow_import, name="servicenow_import"),
    path("sla/imports/servicenow/confirm/", import_views.servicenow_import_confirm, name="servicenow_import_confirm"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case"),
    path("cases/<uuid:public_id>/<slug:action>/", views.case_action, name="case_action"),
    path("accounts/<uuid:account_id>/cases/new/", views.case_create, name="case_create"),
    path("accounts/<uuid:public_id>/cases/", views.account_cases, name="account_cases"),
]
