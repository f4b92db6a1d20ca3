"""The demo generator: deterministic, consistent, audited, and safe to call on every start."""

import datetime as dt
import hashlib

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Max, Q

from steward.accounts import choices
from steward.accounts.models import Account, Contact, ExchangeRate, Interaction
from steward.core.audit import verify_chain
from steward.core.models import AuditEvent
from steward.demo.generator import DEMO_LOGINS, DEMO_PASSWORD, SeedOptions, generate

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def digest() -> str:
    rows = Account.objects.order_by("public_id").values_list("public_id", "name", "tier__name", "owner__username", "last_touchpoint_at")
    contacts = Contact.objects.order_by("public_id").values_list("public_id", "last_name", "reports_to__public_id")
    return hashlib.sha256(repr((list(rows), list(contacts), Interaction.objects.count())).encode()).hexdigest()


def test_same_seed_gives_the_same_portfolio():
    generate(SeedOptions(accounts=25, seed=3, now=NOW, chunk_size=10))
    first = digest()
    from steward.pipeline.models import Opportunity

    Opportunity.objects.all().delete()  # revenue-cycle loaders' records protect the accounts and users
    for model in (Interaction, Contact, Account, ExchangeRate):
        model.objects.all().delete()
    from steward.users.models import Region, Team, User

    Team.objects.all().delete()
    User.objects.all().delete()
    Region.objects.all().delete()
    generate(SeedOptions(accounts=25, seed=3, now=NOW, chunk_size=10))
    assert digest() == first


def test_derived_fields_match_the_interactions():
    generate(SeedOptions(accounts=30, seed=5, now=NOW))
    touch = Q(interactions__kind__in=choices.TOUCHPOINT_KINDS)
    for account in Account.objects.annotate(latest=Max("interactions__occurred_at", filter=touch)):
        assert account.last_touchpoint_at == account.latest
    for contact in Contact.objects.annotate(latest=Max("interactions__occurred_at", filter=touch))[:200]:
        assert contact.last_touched_at == contact.latest
    assert not Interaction.objects.filter(occurred_at__gt=NOW).exists()
    assert Contact.objects.filter(reports_to__isnull=False).exclude(reports_to__account=models_f_account()).count() == 0


def models_f_account():
    from django.db.models import F

    return F("account")


def test_portfolio_has_what_the_demo_needs():
    generate(SeedOptions(accounts=60, seed=1, now=NOW))
    assert set(Account.objects.values_list("tier__name", flat=True)) >= {"Key", "Growth", "Maintain"}
    assert Account.objects.filter(parent__isnull=False).exists() or Account.objects.count() < 60
    assert Account.objects.filter(is_single_threaded=True).exists()
    assert Contact.objects.filter(status="left").exists()
    from steward.catalogue.models import Product

    assert Product.objects.count() >= 15
    assert Product.objects.get(sku="PAL-1200").substitutes.get().sku == "PAL-1200-R"


def test_every_demo_login_authenticates():
    generate(SeedOptions(accounts=10, seed=1, now=NOW))
    for username, _, _ in DEMO_LOGINS:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username


def test_audit_chain_covers_the_load_and_verifies():
    generate(SeedOptions(accounts=12, seed=2, now=NOW))
    created = Account.objects.count() + Contact.objects.count() + Interaction.objects.count()
    assert AuditEvent.objects.filter(action="create").count() >= created
    assert verify_chain().ok


def test_if_empty_leaves_a_populated_database_alone(capsys):
    call_command("seed_demo", "--accounts", "5", "--now", "2026-11-22T00:00:00")
    count = Account.objects.count()
    call_command("seed_demo", "--accounts", "5", "--if-empty")
    assert Account.objects.count() == count
    assert "already holds accounts" in capsys.readouterr().out
