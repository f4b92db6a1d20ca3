from django.db import models


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"
    RENEWED = "renewed", "Renewed"


# Statuses whose terms may still change in place.
EDITABLE = frozenset({ContractStatus.DRAFT, ContractStatus.ACTIVE})
# Statuses a follow-on contract can be made from.
RENEWABLE = frozenset({ContractStatus.ACTIVE, ContractStatus.EXPIRED})


class ServiceLevelKind(models.TextChoices):
    """What a service level measures; the SLA policies read these."""

    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"
    ON_TIME_DELIVERY = "on_time_delivery", "On-time delivery"
    IN_FULL_DELIVERY = "in_full_delivery", "In-full delivery"
    AVAILABILITY = "availability", "Availability"
    OTHER = "other", "Other"


class ServiceLevelUnit(models.TextChoices):
    PERCENT = "percent", "%"
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    BUSINESS_HOURS = "business_hours", "business hours"
    DAYS = "days", "days"
    BUSINESS_DAYS = "business_days", "business days"


BAND_CHOICES = [
    ("notice", "Notice deadline passed"),
    ("30", "Within 30 days"),
    ("60", "31 to 60 days"),
    ("90", "61 to 90 days"),
    ("120", "91 to 120 days"),
]
