from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "steward.contracts"
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from steward.contracts import panels
        from steward.core.extensions import (
            AccountTab,
            DashboardPanel,
            register_account_tab,
            register_dashboard_panel,
        )

        register_account_tab(AccountTab(key="contracts", label="Contracts", url_name="contracts:account", order=35, count=panels.active_contract_count, count_means="active"))
        register_dashboard_panel(DashboardPanel(key="renewals", template="contracts/panel_renewals.html", context=panels.renewals_panel, order=25))
