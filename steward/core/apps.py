from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "steward.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from steward.core.dbstats import analyse_new_indexes

        post_migrate.connect(analyse_new_indexes, sender=self, dispatch_uid="steward.analyse_new_indexes")
