from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "steward.improvement"
    label = "improvement"
    verbose_name = "Improvement plans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from steward.core.extensions import DashboardPanel, register_dashboard_panel
        from steward.improvement import panels

        register_dashboard_panel(
            DashboardPanel(key="improvement_actions", template="improvement/panel_actions.html", context=panels.overdue_actions_panel, order=29)
        )
