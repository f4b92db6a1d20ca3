from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "steward.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from steward.billing import panels
        from steward.core.extensions import (
            AccountTab,
            DashboardPanel,
            register_account_tab,
            register_dashboard_panel,
        )

        register_account_tab(AccountTab(key="invoices", label="Invoices", url_name="billing:account", order=50, count=panels.open_invoice_count))
        register_dashboard_panel(DashboardPanel(key="overdue_receivables", template="billing/panel_overdue.html", context=panels.overdue_panel, order=40))
