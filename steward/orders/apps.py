from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "steward.orders"
    label = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from steward.core.extensions import (
            AccountTab,
            DashboardPanel,
            register_account_tab,
            register_dashboard_panel,
        )
        from steward.orders import panels

        register_account_tab(
            AccountTab(
                key="orders",
                label="Orders",
                url_name="orders:account",
                order=35,
                count=panels.open_order_count,
            )
        )
        register_dashboard_panel(
            DashboardPanel(
                key="late_orders",
                template="orders/panel_late_orders.html",
                context=panels.late_orders_panel,
                order=25,
            )
        )
