import pytest
from django.urls import reverse

from steward.accounts.models import Tier
from steward.core.models import AuditEvent
from steward.users.tests.factories import UserFactory


@pytest.mark.django_db
def test_changing_a_tier_cadence_in_the_admin_is_audited(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role="admin")
    client.force_login(admin)
    tier = Tier.objects.get(name="Key")
    response = client.post(
        reverse("admin:accounts_tier_change", args=[tier.pk]),
        {"name": "Key", "rank": 1, "touchpoint_cadence_days": 10, "qbr_every_months": 3, "color": "#2563eb"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="accounts.tier")
    assert event.before["touchpoint_cadence_days"] == 14 and event.after["touchpoint_cadence_days"] == 10
    assert event.actor == admin


@pytest.mark.django_db
def test_accounts_are_read_only_in_the_admin(client, personas):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role="admin")
    client.force_login(admin)
    assert client.get(reverse("admin:accounts_account_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_account_add")).status_code == 403
