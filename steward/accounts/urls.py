from django.urls import path

from steward.accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/", views.account_list, name="list"),
    path("accounts/export.csv", views.account_list_export, name="export"),
    path("accounts/new/", views.account_create, name="create"),
    path("accounts/bulk/", views.account_bulk_update, name="bulk"),
    path("accounts/autocomplete/", views.account_autocomplete, name="autocomplete"),
    path("accounts/<uuid:public_id>/", views.account_detail, name="detail"),
    path("accounts/<uuid:public_id>/contacts/", views.account_contacts, name="contacts"),
    path("accounts/<uuid:public_id>/timeline/", views.account_timeline, name="timeline"),
    path("accounts/<uuid:public_id>/tasks/", views.account_tasks, name="tasks"),
    path("accounts/<uuid:public_id>/edit/", views.account_edit, name="edit"),
    path("accounts/<uuid:public_id>/delete/", views.account_delete, name="delete"),
    path("accounts/<uuid:public_id>/team/", views.team_member_add, name="team_add"),
    path("accounts/<uuid:public_id>/team/<uuid:user_public_id>/remove/", views.team_member_remove, name="team_remove"),
    path("accounts/<uuid:public_id>/contacts/new/", views.contact_create, name="contact_create"),
    path("accounts/<uuid:public_id>/interactions/new/", views.interaction_create, name="interaction_create"),
    path("accounts/<uuid:public_id>/tasks/new/", views.task_create, name="task_create"),
    path("contacts/<uuid:public_id>/", views.contact_detail, name="contact"),
    path("contacts/<uuid:public_id>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<uuid:public_id>/delete/", views.contact_delete, name="contact_delete"),
    path("interactions/<uuid:public_id>/edit/", views.interaction_edit, name="interaction_edit"),
    path("interactions/<uuid:public_id>/delete/", views.interaction_delete, name="interaction_delete"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<uuid:public_id>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<uuid:public_id>/toggle/", views.task_toggle, name="task_toggle"),
    path("tasks/<uuid:public_id>/delete/", views.task_delete, name="task_delete"),
]
