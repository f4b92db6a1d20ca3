from django.apps import AppConfig


class QuotesConfig(AppConfig):
    name = "steward.quotes"
    label = "quotes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from steward.core.extensions import (
            AccountTab,
            DashboardPanel,
            register_account_tab,
            register_dashboard_panel,
        )
        from steward.quotes import panels

        register_account_tab(AccountTab(key="quotes", label="Quotes", url_name="quotes:account", order=30, count=panels.open_quote_count))
        register_dashboard_panel(DashboardPanel(key="approvals", template="quotes/panel_approvals.html", context=panels.approvals_panel, order=20))
