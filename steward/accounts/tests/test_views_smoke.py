import pytest
from django.urls import reverse
from django.utils import timezone

from steward.accounts import services
from steward.accounts.tests.factories import ContactFactory, TaskFactory


@pytest.mark.django_db
def test_every_page_renders_for_owner(client, personas):
    acc = personas.account
    boss = ContactFactory(account=acc, buying_role="decision_maker")
    ContactFactory(account=acc, buying_role="champion", reports_to=boss)
    TaskFactory(account=acc, assignee=personas.owner, due_date=timezone.localdate() - timezone.timedelta(days=2))
    services.interaction_create(actor=personas.owner, account=acc, data={"kind": "call", "occurred_at": timezone.now(), "subject": "Kick-off"}, contacts=[boss])
    client.force_login(personas.owner)
    urls = [
        reverse("dashboard"),
        reverse("accounts:list"),
        reverse("accounts:list") + "?overdue=1&sort=-acv",
        reverse("accounts:detail", args=[acc.public_id]),
        reverse("accounts:contacts", args=[acc.public_id]),
        reverse("accounts:timeline", args=[acc.public_id]),
        reverse("accounts:tasks", args=[acc.public_id]),
        reverse("accounts:edit", args=[acc.public_id]),
        reverse("accounts:create"),
        reverse("accounts:contact_create", args=[acc.public_id]),
        reverse("accounts:interaction_create", args=[acc.public_id]),
        reverse("accounts:contact", args=[boss.public_id]),
        reverse("accounts:my_tasks"),
        reverse("search") + "?q=Acme",
        reverse("api_tokens"),
        reverse("password_change"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
