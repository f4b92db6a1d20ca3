from django.urls import path

from steward.pipeline import views, views_reports, views_settings

app_name = "pipeline"
urlpatterns = [
    path("opportunities/", views.opportunity_list, name="list"),
    path("opportunities/new/", views.opportunity_create, name="create"),
    path("opportunities/<uuid:public_id>/", views.opportunity_detail, name="detail"),
    path("opportunities/<uuid:public_id>/edit/", views.opportunity_edit, name="edit"),
    path("opportunities/<uuid:public_id>/move/", views.opportunity_move, name="move"),
    path("opportunities/<uuid:public_id>/close-won/", views.opportunity_close_won, name="close_won"),
    path("opportunities/<uuid:public_id>/close-lost/", views.opportunity_close_lost, name="close_lost"),
    path("opportunities/<uuid:public_id>/delete/", views.opportunity_delete, name="delete"),
    path("accounts/<uuid:public_id>/opportunities/", views.account_tab, name="account_tab"),
    path("accounts/<uuid:account_id>/opportunities/new/", views.opportunity_create, name="create_for_account"),
    path("pipeline/", views_reports.board, name="board"),
    path("pipeline/move/<uuid:public_id>/", views_reports.board_move, name="board_move"),
    path("pipeline/weighted/", views_reports.weighted_report, name="report"),
    path("pipeline/attainment/", views_reports.attainment, name="attainment"),
    path("pipeline/stages/", views_settings.stages, name="stages"),
    path("pipeline/stages/<uuid:public_id>/", views_settings.stage_edit, name="stage_edit"),
    path("pipeline/stages/<uuid:public_id>/move/", views_settings.stage_move, name="stage_move"),
    path("pipeline/stages/<uuid:public_id>/delete/", views_settings.stage_delete, name="stage_delete"),
    path("pipeline/quotas/", views_settings.quotas, name="quotas"),
    path("pipeline/quotas/<uuid:public_id>/delete/", views_settings.quota_delete, name="quota_delete"),
]
