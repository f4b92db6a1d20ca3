from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "steward.pipeline"
    label = "pipeline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from steward.core.extensions import (
            AccountTab,
            DashboardPanel,
            register_account_tab,
            register_dashboard_panel,
        )
        from steward.pipeline import panels, selectors

        register_account_tab(AccountTab(key="opportunities", label="Opportunities", url_name="pipeline:account_tab", order=30, count=selectors.account_opportunity_count))
        register_dashboard_panel(DashboardPanel(key="pipeline", template="pipeline/panels/pipeline.html", context=panels.pipeline_panel, order=30))
        register_dashboard_panel(DashboardPanel(key="quota", template="pipeline/panels/quota.html", context=panels.quota_panel, order=31))
