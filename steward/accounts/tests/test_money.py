"""Portfolio totals in one reporting currency: converted at the admin's rates, never mixed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from steward.accounts.engine.money import convert_sum
from steward.accounts.models import ExchangeRate
from steward.accounts.tests.factories import AccountFactory

RATES = {"USD": Decimal("0.9"), "GBP": Decimal("1.2")}


def test_amounts_are_converted_and_added():
    result = convert_sum({"EUR": Decimal(100), "USD": Decimal(100), "GBP": 50}, rates=RATES, target="EUR")
    assert result.total == Decimal("250.00")
    assert result.unconverted == {}


def test_a_currency_without_a_rate_is_kept_apart():
    result = convert_sum({"EUR": Decimal(100), "JPY": Decimal(1_000_000), "USD": None}, rates=RATES, target="EUR")
    assert result.total == Decimal("100.00")
    assert result.unconverted == {"JPY": Decimal(1_000_000)}


amounts = st.dictionaries(
    st.sampled_from(["EUR", "USD", "GBP", "JPY", "CHF"]),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
)


@given(amounts)
def test_every_amount_lands_in_the_total_or_apart_exactly_once(values):
    result = convert_sum(values, rates=RATES, target="EUR")
    expected = sum((v * (RATES.get(c, Decimal(1))) for c, v in values.items() if c == "EUR" or c in RATES), Decimal(0))
    assert result.total == expected.quantize(Decimal("0.01"))
    assert set(result.unconverted) == {c for c, v in values.items() if v and c not in RATES and c != "EUR"}


@pytest.mark.django_db
def test_the_dashboard_converts_and_names_what_has_no_rate(client, personas, settings):
    settings.REPORTING_CURRENCY = "EUR"
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), as_of=dt.date(2026, 11, 1))
    AccountFactory(owner=personas.owner, annual_contract_value=1_000_000, currency="USD")
    AccountFactory(owner=personas.owner, annual_contract_value=2_000_000, currency="JPY")
    client.force_login(personas.owner)
    page = client.get(reverse("dashboard")).content.decode()
    # Acme's 120k EUR + 1M USD at 0.5 = 620k EUR; the yen are shown apart, not added.
    assert "620k EUR + 2M JPY without a rate annual contract value" in page
