"""Record visibility through the HTML channels: pages, search, autocomplete, dashboard counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Account, Interaction
from steward.accounts.tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    TaskFactory,
)
from steward.core.models import AuditEvent

SEES = ["owner", "teammate", "manager", "director", "sponsor", "admin"]


def account_urls(acc, contact, interaction, task):
    return [
        reverse("accounts:detail", args=[acc.public_id]),
        reverse("accounts:contacts", args=[acc.public_id]),
        reverse("accounts:timeline", args=[acc.public_id]),
        reverse("accounts:tasks", args=[acc.public_id]),
        reverse("accounts:contact", args=[contact.public_id]),
        reverse("accounts:interaction_edit", args=[interaction.public_id]),
        reverse("accounts:task_edit", args=[task.public_id]),
    ]


@pytest.fixture
def records(personas):
    acc = personas.account
    return acc, ContactFactory(account=acc, last_name="Zebrowski"), InteractionFactory(account=acc), TaskFactory(account=acc, assignee=personas.owner)


@pytest.mark.django_db
@pytest.mark.parametrize("who", SEES)
def test_people_in_scope_open_every_page_of_the_account(client, personas, records, who):
    client.force_login(getattr(personas, who))
    for url in account_urls(*records)[:5]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_outsider_gets_404_on_every_page_and_action(client, personas, records):
    client.force_login(personas.outsider)
    acc, contact, interaction, task = records
    for url in account_urls(*records):
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("accounts:delete", args=[acc.public_id]),
        reverse("accounts:contact_delete", args=[contact.public_id]),
        reverse("accounts:interaction_delete", args=[interaction.public_id]),
        reverse("accounts:task_toggle", args=[task.public_id]),
        reverse("accounts:task_delete", args=[task.public_id]),
        reverse("accounts:team_add", args=[acc.public_id]),
    ]
    for url in posts:
        assert client.post(url).status_code == 404, url
    assert Account.objects.filter(pk=acc.pk).exists()
    task.refresh_from_db()
    assert task.done is False


@pytest.mark.django_db
def test_outsider_finds_nothing_in_search_autocomplete_list_or_dashboard(client, personas, records):
    client.force_login(personas.outsider)
    assert client.get(reverse("search") + "?q=Acme").context["accounts"] == []
    assert client.get(reverse("search") + "?q=Zebrowski").context["contacts"] == []
    dropdown = client.get(reverse("search") + "?q=Acme&dropdown=1", headers={"HX-Request": "true"}).content.decode()
    assert "Acme Logistics" not in dropdown
    assert "Acme" not in client.get(reverse("accounts:autocomplete") + "?q=Acme").content.decode()
    assert "Acme Logistics" not in client.get(reverse("accounts:list")).content.decode()
    assert client.get(reverse("dashboard")).context["summary"].total_accounts == 0


@pytest.mark.django_db
def test_director_sees_account_in_search_and_dashboard(client, personas, records):
    client.force_login(personas.director)
    assert [a.name for a in client.get(reverse("search") + "?q=Acme").context["accounts"]] == ["Acme Logistics"]
    assert [c.last_name for c in client.get(reverse("search") + "?q=Zebrowski").context["contacts"]] == ["Zebrowski"]
    assert client.get(reverse("dashboard")).context["summary"].total_accounts == 1


@pytest.mark.django_db
def test_sponsor_is_read_only(client, personas, records):
    acc = records[0]
    client.force_login(personas.sponsor)
    page = client.get(reverse("accounts:detail", args=[acc.public_id])).content.decode()
    assert "Log interaction" not in page and "Edit" not in page
    response = client.post(reverse("accounts:interaction_create", args=[acc.public_id]), {"kind": "call", "occurred_at": "2026-01-05T10:00", "subject": "x"})
    assert response.status_code == 422
    assert "read-only" in response.content.decode()
    assert not Interaction.objects.filter(subject="x").exists()
    client.post(reverse("accounts:delete", args=[acc.public_id]))
    assert Account.objects.filter(pk=acc.pk).exists()


@pytest.mark.django_db
def test_account_form_names_the_bad_fields_and_saves_nothing(client, personas):
    client.force_login(personas.manager)
    before = Account.objects.count()
    response = client.post(
        reverse("accounts:create"),
        {"name": "", "tier": "999", "lifecycle_stage": "active", "owner": personas.manager.pk, "time_zone": "Mars/Base",
         "annual_contract_value": "-5", "currency": "EURO", "country": "Germany"},
    )
    assert response.status_code == 422
    form = response.context["form"]
    for field in ("name", "tier", "time_zone", "annual_contract_value", "currency", "country"):
        assert field in form.errors, field
    assert Account.objects.count() == before


@pytest.mark.django_db
def test_owner_outside_scope_is_refused_on_the_form(client, personas):
    client.force_login(personas.manager)
    response = client.post(
        reverse("accounts:create"),
        {"name": "Nova", "tier": personas.account.tier_id, "lifecycle_stage": "active", "owner": personas.outsider.pk,
         "time_zone": "UTC", "annual_contract_value": "10", "currency": "EUR"},
    )
    assert response.status_code == 422
    assert "owner" in response.context["form"].errors
    assert not Account.objects.filter(name="Nova").exists()


@pytest.mark.django_db
def test_stale_edit_is_refused_and_loses_nothing(client, personas):
    acc = personas.account
    client.force_login(personas.owner)
    data = {"name": "Acme Renamed", "tier": acc.tier_id, "lifecycle_stage": "active", "owner": personas.owner.pk,
            "time_zone": "UTC", "annual_contract_value": "10", "currency": "EUR", "version": acc.version}
    Account.objects.filter(pk=acc.pk).update(name="Acme (edited elsewhere)", version=acc.version + 1)
    response = client.post(reverse("accounts:edit", args=[acc.public_id]), data)
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    acc.refresh_from_db()
    assert acc.name == "Acme (edited elsewhere)"


@pytest.mark.django_db
def test_edit_writes_audit_event_shown_on_timeline(client, personas):
    acc = personas.account
    client.force_login(personas.owner)
    data = {"name": "Acme Group", "tier": acc.tier_id, "lifecycle_stage": "expanding", "owner": personas.owner.pk,
            "time_zone": "Europe/Berlin", "annual_contract_value": "150000", "currency": "EUR", "country": "DE", "version": acc.version}
    assert client.post(reverse("accounts:edit", args=[acc.public_id]), data).status_code == 302
    event = AuditEvent.objects.get(object_id=str(acc.public_id), action="update")
    assert event.before["name"] == "Acme Logistics" and event.after["name"] == "Acme Group"
    timeline = client.get(reverse("accounts:timeline", args=[acc.public_id])).content.decode()
    assert "Acme Logistics" in timeline and "Acme Group" in timeline


@pytest.mark.django_db
def test_interaction_in_future_is_refused_with_field_message(client, personas):
    client.force_login(personas.owner)
    future = (timezone.localtime() + timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("accounts:interaction_create", args=[personas.account.public_id]), {"kind": "call", "occurred_at": future, "subject": "Later"})
    assert response.status_code == 422
    assert "occurred_at" in response.context["form"].errors


@pytest.mark.django_db
def test_account_list_query_count_does_not_grow_with_rows(client, personas):
    client.force_login(personas.director)
    AccountFactory.create_batch(3, owner=personas.owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("accounts:list")).status_code == 200
    AccountFactory.create_batch(30, owner=personas.owner)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("accounts:list")).status_code == 200
    assert len(many) == len(few)


@pytest.mark.django_db
def test_filters_narrow_the_list(client, personas):
    AccountFactory(name="Borealis Foods", owner=personas.owner, lifecycle_stage="at_risk")
    client.force_login(personas.manager)
    body = client.get(reverse("accounts:list") + "?stage=at_risk").content.decode()
    assert "Borealis Foods" in body and "Acme Logistics" not in body
    body = client.get(reverse("accounts:list") + "?q=acme").content.decode()
    assert "Acme Logistics" in body and "Borealis Foods" not in body


@pytest.mark.django_db
def test_bulk_change_applies_to_selected_visible_accounts_only(client, personas):
    mine = AccountFactory(name="Borealis Foods", owner=personas.owner)
    foreign = AccountFactory(name="Foreign Co", owner=personas.outsider)
    client.force_login(personas.manager)
    url = reverse("accounts:bulk")
    response = client.post(url, {"accounts": [str(personas.account.public_id), str(mine.public_id)], "lifecycle_stage": "at_risk"})
    assert response.status_code == 302
    assert set(Account.objects.filter(lifecycle_stage="at_risk").values_list("name", flat=True)) == {"Acme Logistics", "Borealis Foods"}
    assert AuditEvent.objects.filter(action="update", object_type="accounts.account").count() == 2
    client.post(url, {"accounts": [str(mine.public_id), str(foreign.public_id)], "lifecycle_stage": "churned"})
    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert mine.lifecycle_stage == "at_risk" and foreign.lifecycle_stage == "active"


@pytest.fixture
def hidden_parent(personas):
    """Acme sits below a group account only the outsider can see."""
    group = AccountFactory(name="Hidden Holdings", owner=personas.outsider)
    Account.objects.filter(pk=personas.account.pk).update(parent=group)
    personas.account.refresh_from_db()
    return group


@pytest.mark.django_db
def test_a_parent_outside_the_portfolio_is_not_named(client, personas, hidden_parent):
    client.force_login(personas.teammate)
    for url in (reverse("accounts:detail", args=[personas.account.public_id]), reverse("accounts:edit", args=[personas.account.public_id])):
        page = client.get(url).content.decode()
        assert "Hidden Holdings" not in page, url
        assert "outside your portfolio" in page, url
    client.force_login(personas.outsider)
    assert "Hidden Holdings" in client.get(reverse("accounts:detail", args=[hidden_parent.public_id])).content.decode()


@pytest.mark.django_db
def test_a_teammate_edits_an_account_whose_parent_and_owner_lie_outside_their_portfolio(client, personas, hidden_parent):
    acc = personas.account
    client.force_login(personas.teammate)
    form = client.get(reverse("accounts:edit", args=[acc.public_id])).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(lifecycle_stage="expanding")
    response = client.post(reverse("accounts:edit", args=[acc.public_id]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    acc.refresh_from_db()
    assert (acc.lifecycle_stage, acc.parent_id, acc.owner_id) == ("expanding", hidden_parent.pk, personas.owner.pk)


def _csv(response):
    import csv
    import io

    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.mark.django_db
def test_the_export_holds_every_visible_account_matching_the_filters_and_nothing_else(client, personas, records):
    AccountFactory(name="Zeta Outsider Corp", owner=personas.outsider)
    AccountFactory(name="Beta Churned", owner=personas.owner, lifecycle_stage="churned")
    AccountFactory(name="=HYPERLINK(\"http://x\")", owner=personas.owner)
    client.force_login(personas.manager)
    rows = _csv(client.get(reverse("accounts:export")))
    assert rows[0][:3] == ["Account id", "Name", "Domain"]
    names = [r[1] for r in rows[1:]]
    assert "Zeta Outsider Corp" not in names
    assert {"Acme Logistics", "Beta Churned", "'=HYPERLINK(\"http://x\")"} <= set(names)
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    churned = _csv(client.get(reverse("accounts:export"), {"stage": "churned"}))
    assert [r[1] for r in churned[1:]] == ["Beta Churned"]
    assert churned[1][5] == "Churned"
    client.force_login(personas.outsider)
    assert [r[1] for r in _csv(client.get(reverse("accounts:export")))[1:]] == ["Zeta Outsider Corp"]


@pytest.mark.django_db
def test_the_export_reads_in_a_fixed_number_of_queries(client, personas, django_assert_max_num_queries):
    AccountFactory.create_batch(60, owner=personas.owner)
    client.force_login(personas.owner)
    with django_assert_max_num_queries(8):
        rows = _csv(client.get(reverse("accounts:export")))
    assert len(rows) == 62


@pytest.mark.django_db
def test_the_list_links_to_the_export_with_its_filters(client, personas):
    client.force_login(personas.owner)
    page = client.get(reverse("accounts:list"), {"tier": "Key", "sort": "-acv"}).content.decode()
    assert 'href="/accounts/export.csv?tier=Key&amp;sort=-acv"' in page
