"""Factories and helpers for pipeline tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from steward.accounts.tests.factories import AccountFactory
from steward.pipeline.choices import DEFAULT_STAGES
from steward.pipeline.models import Opportunity, OpportunityStage


def ensure_default_stages() -> None:
    """Transactional tests flush the data migration's stages; put them back."""
    for position, (name, probability, outcome) in enumerate(DEFAULT_STAGES, start=1):
        OpportunityStage.objects.get_or_create(name=name, defaults={"position": position * 10, "probability": probability, "outcome": outcome})


def stage(name: str = "Prospecting") -> OpportunityStage:
    ensure_default_stages()
    return OpportunityStage.objects.get(name=name)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Opportunity {n:04d}")
    type = "upsell"
    stage = factory.LazyFunction(lambda: stage("Proposal"))
    amount = Decimal("10000.00")
    currency = "EUR"
    close_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=30))
    owner = factory.LazyAttribute(lambda o: o.account.owner)
