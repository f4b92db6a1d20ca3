from django.db import models


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    EXPANDING = "expanding", "Expanding"
    AT_RISK = "at_risk", "At risk"
    CHURNED = "churned", "Churned"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    IN_PERSON = "in_person", "In person"
    CHAT = "chat", "Chat"


class MeetingCadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    AD_HOC = "ad_hoc", "As needed"


class TeamRole(models.TextChoices):
    ACCOUNT_EXECUTIVE = "account_executive", "Account executive"
    OPERATIONS = "operations", "Operations"
    SOLUTIONS = "solutions", "Solutions engineer"
    SUPPORT = "support", "Support lead"
    SPONSOR = "sponsor", "Executive sponsor"
    OTHER = "other", "Other"


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    CHAMPION = "champion", "Champion"
    INFLUENCER = "influencer", "Influencer"
    TECHNICAL_EVALUATOR = "technical_evaluator", "Technical evaluator"
    USER = "user", "User"
    BLOCKER = "blocker", "Blocker"


SENIOR_BUYING_ROLES = frozenset(
    {BuyingRole.DECISION_MAKER.value, BuyingRole.ECONOMIC_BUYER.value, BuyingRole.CHAMPION.value}
)


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"
    UNKNOWN = "unknown", "Unknown"


class ContactStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LEFT = "left", "Left the company"


class InteractionKind(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    VISIT = "visit", "Visit"
    EMAIL = "email", "Email"
    NOTE = "note", "Note"
    REVIEW = "review", "Review"


# A note is written down, not exchanged with the customer: it is not a touchpoint.
TOUCHPOINT_KINDS = frozenset(k.value for k in InteractionKind if k != InteractionKind.NOTE)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


# The tiers a new installation starts with: (name, rank, touchpoint cadence days, QBR every
# N months, color). The initial data migration keeps its own frozen copy.
DEFAULT_TIERS = [
    ("Strategic", 0, 7, 3, "#7c3aed"),
    ("Key", 1, 14, 3, "#2563eb"),
    ("Growth", 2, 30, 6, "#059669"),
    ("Maintain", 3, 90, 12, "#64748b"),
]
