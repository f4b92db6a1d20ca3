from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "steward.users"
    label = "users"
    verbose_name = "People"
