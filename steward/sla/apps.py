from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "steward.sla"
    label = "sla"
    verbose_name = "Service levels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from steward.core.extensions import (
            AccountTab,
            DashboardPanel,
            register_account_tab,
            register_dashboard_panel,
        )
        from steward.orders.signals import delivery_changed
        from steward.sla import panels, rollup

        delivery_changed.connect(rollup.delivery_changed, dispatch_uid="sla.rollup.delivery_changed")

        register_account_tab(AccountTab(key="cases", label="Cases", url_name="sla:account_cases", order=45, count=panels.open_case_count))
        register_dashboard_panel(DashboardPanel(key="sla", template="sla/panel_attainment.html", context=panels.attainment_panel, order=28))
