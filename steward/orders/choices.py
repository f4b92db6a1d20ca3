from django.db import models


class OrderStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    IN_FULFILMENT = "in_fulfilment", "In fulfilment"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    ON_HOLD = "on_hold", "On hold"
    BACKORDERED = "backordered", "Backordered"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = frozenset(
    {
        OrderStatus.BOOKED,
        OrderStatus.IN_FULFILMENT,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.ON_HOLD,
        OrderStatus.BACKORDERED,
    }
)


class LineStatus(models.TextChoices):
    OPEN = "open", "Open"
    BACKORDERED = "backordered", "Backordered"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class ChangeKind(models.TextChoices):
    PROMISED_DATE = "promised_date", "Promised date changed"
    REQUESTED_DATE = "requested_date", "Requested date changed"
    LINE_ADDED = "line_added", "Line added"
    LINE_CHANGED = "line_changed", "Line changed"
    LINE_CANCELLED = "line_cancelled", "Line cancelled"
    BACKORDERED = "backordered", "Line backordered"
    BACKORDER_RELEASED = "backorder_released", "Backorder released"
    HOLD = "hold", "Put on hold"
    RELEASE = "release", "Released from hold"
    CANCELLED = "cancelled", "Order cancelled"
    SHIPPED = "shipped", "Shipment sent"
    DELIVERED = "delivered", "Shipment delivered"
