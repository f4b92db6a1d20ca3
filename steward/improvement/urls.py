from django.urls import path

from steward.improvement import views

app_name = "improvement"
urlpatterns = [
    path("improvement/", views.plan_list, name="list"),
    path("improvement/new/", views.plan_create, name="create"),
    path("improvement/<uuid:public_id>/", views.plan_detail, name="detail"),
    path("improvement/<uuid:public_id>/edit/", views.plan_edit, name="edit"),
    path("improvement/<uuid:public_id>/root-cause/", views.plan_rca, name="rca"),
    path("improvement/<uuid:public_id>/status/", views.plan_status, name="status"),
    path("improvement/<uuid:public_id>/effectiveness/", views.plan_effectiveness, name="effectiveness"),
    path("improvement/<uuid:public_id>/link/", views.plan_link, {"what": "link"}, name="link"),
    path("improvement/<uuid:public_id>/unlink/", views.plan_link, {"what": "unlink"}, name="unlink"),
    path("improvement/<uuid:public_id>/actions/", views.action_add, name="action_add"),
    path("improvement/<uuid:public_id>/actions/<uuid:action_id>/", views.action_edit, name="action_edit"),
    path("improvement/<uuid:public_id>/actions/<uuid:action_id>/done/", views.action_complete, name="action_complete"),
    path("accounts/<uuid:account_id>/improvement-plans/", views.account_plans, name="account_plans"),
]
