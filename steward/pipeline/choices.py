from django.db import models


class OpportunityType(models.TextChoices):
    NEW_BUSINESS = "new_business", "New business"
    UPSELL = "upsell", "Upsell"
    CROSS_SELL = "cross_sell", "Cross-sell"
    RENEWAL = "renewal", "Renewal"


class StageOutcome(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Closed won"
    LOST = "lost", "Closed lost"


class LossReason(models.TextChoices):
    PRICE = "price", "Price"
    COMPETITOR = "competitor", "Lost to a competitor"
    NO_DECISION = "no_decision", "No decision / stalled"
    TIMING = "timing", "Timing or budget"
    PRODUCT_FIT = "product_fit", "Product fit"
    RELATIONSHIP = "relationship", "Relationship"
    OTHER = "other", "Other"
