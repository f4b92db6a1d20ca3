import datetime as dt

import factory
from django.utils import timezone

from steward.accounts import choices
from steward.accounts.models import Account, AccountTeamMember, Contact, Interaction, Task, Tier
from steward.users.tests.factories import UserFactory


def ensure_default_tiers() -> None:
    """Transactional tests flush the data migration's tiers; put them back."""
    for name, rank, cadence, qbr, color in choices.DEFAULT_TIERS:
        Tier.objects.get_or_create(
            name=name, defaults={"rank": rank, "touchpoint_cadence_days": cadence, "qbr_every_months": qbr, "color": color}
        )


def tier(name: str = "Key") -> Tier:
    ensure_default_tiers()
    return Tier.objects.get(name=name)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n:04d}")
    domain = factory.LazyAttribute(lambda a: a.name.lower().replace(" ", "") + ".example")
    industry = "Manufacturing"
    country = "DE"
    time_zone = "Europe/Berlin"
    tier = factory.LazyFunction(lambda: tier("Key"))
    lifecycle_stage = choices.LifecycleStage.ACTIVE
    owner = factory.SubFactory(UserFactory)
    annual_contract_value = 120000
    currency = "EUR"


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = choices.TeamRole.ACCOUNT_EXECUTIVE


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    title = "Head of Operations"
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    buying_role = choices.BuyingRole.USER
    influence = 3
    sentiment = choices.Sentiment.NEUTRAL


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    kind = choices.InteractionKind.CALL
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    subject = factory.Sequence(lambda n: f"Check-in call {n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Follow up {n}")
    assignee = factory.SubFactory(UserFactory)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
