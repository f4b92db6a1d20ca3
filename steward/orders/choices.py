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


OPEN_STATUSES = frozenset({
    OrderStatus.BOOKED, OrderStatus.IN_FULFILMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
    OrderStatus.ON_HOLD, OrderStatus.BACKORDERED,
})


class LineStatus(models.TextChoices):
    OPEN = "open", "Open"
    BACKORDERED = "backordered", "Backordered"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
