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


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


# Stages a new installation starts with: (name, probability %, outcome).
DEFAULT_STAGES = [
    ("Prospecting", 10, StageOutcome.OPEN),
    ("Qualification", 25, StageOutcome.OPEN),
    ("Proposal", 50, StageOutcome.OPEN),
    ("Negotiation", 75, StageOutcome.OPEN),
    ("Closed won", 100, StageOutcome.WON),
    ("Closed lost", 0, StageOutcome.LOST),
]
