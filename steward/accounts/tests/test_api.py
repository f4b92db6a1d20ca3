"""The accounts REST API as its clients see it: visibility, writes, ETags, validation, pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from steward.accounts.models import Account, Contact, Interaction, Task
from steward.accounts.tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    TaskFactory,
    TeamMemberFactory,
    tier,
)
from steward.api.tests.client import ApiClient
from steward.core.models import AuditEvent
from steward.users.tests.factories import RegionFactory, UserFactory

RESOURCES = ["accounts", "contacts", "interactions", "tasks"]
MODELS = {"accounts": Account, "contacts": Contact, "interactions": Interaction, "tasks": Task}
SEE_ACME = ["owner", "teammate", "manager", "director", "sponsor", "admin"]


@pytest.fixture
def api_as(client):
    return lambda user: ApiClient(client, user)


@pytest.fixture
def records(personas):
    """Acme with one record of each kind; the key is the resource's path."""
    acme = personas.account
    return {
        "accounts": acme,
        "contacts": ContactFactory(account=acme, first_name="Grace", last_name="Hopper"),
        "interactions": InteractionFactory(account=acme, subject="Kick-off"),
        "tasks": TaskFactory(account=acme, assignee=personas.owner, title="Send the renewal quote"),
    }


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def create_payload(resource: str, personas, records) -> dict:
    acme = str(personas.account.public_id)
    return {
        "accounts": {"name": "Globex", "tier": "strategic", "owner": "owner", "annual_contract_value": "250000.50"},
        "contacts": {"account": acme, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example",
                     "buying_role": "champion", "influence": 5},
        "interactions": {"account": acme, "kind": "meeting", "subject": "QBR prep",
                         "occurred_at": iso(timezone.now() - dt.timedelta(hours=2)),
                         "contacts": [str(records["contacts"].public_id)], "users": ["owner", "teammate"]},
        "tasks": {"account": acme, "title": "Book the QBR", "assignee": "teammate", "due_date": "2030-01-15",
                  "priority": "high"},
    }[resource]


UPDATES = {
    "accounts": ({"lifecycle_stage": "expanding"}, "lifecycle_stage", "expanding"),
    "contacts": ({"sentiment": "positive"}, "sentiment", "positive"),
    "interactions": ({"subject": "Kick-off, rescheduled"}, "subject", "Kick-off, rescheduled"),
    "tasks": ({"done": True}, "done", True),
}


# Visibility ----------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", SEE_ACME)
def test_everyone_on_the_account_sees_its_records_in_list_and_detail(api_as, personas, records, resource, persona):
    api = api_as(getattr(personas, persona))
    wanted = str(records[resource].public_id)

    listed = api.get(f"/{resource}")
    detail = api.get(f"/{resource}/{wanted}")

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [wanted]
    assert detail.status_code == 200
    assert detail.json()["id"] == wanted


@pytest.mark.parametrize("resource", RESOURCES)
def test_an_outsider_gets_404_on_every_method_and_nothing_changes(api_as, personas, records, resource):
    api = api_as(personas.outsider)
    record = records[resource]
    path = f"/{resource}/{record.public_id}"
    change, _, _ = UPDATES[resource]

    assert api.get(f"/{resource}").json() == {"count": 0, "next": None, "previous": None, "results": []}
    answers = [api.get(path), api.patch(path, change), api.delete(path)]

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert all(a.json()["detail"] for a in answers)
    record.refresh_from_db()
    assert record.version == 1


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_sponsor_reads_but_gets_403_on_every_write(api_as, personas, records, resource):
    api = api_as(personas.sponsor)
    record = records[resource]
    path = f"/{resource}/{record.public_id}"
    change, _, _ = UPDATES[resource]
    before = AuditEvent.objects.exclude(object_type="users.apitoken").count()

    answers = [api.post(f"/{resource}", create_payload(resource, personas, records)), api.patch(path, change), api.delete(path)]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert "read-only" in answers[1].json()["detail"]
    assert MODELS[resource].objects.filter(pk=record.pk, version=1).exists()
    assert AuditEvent.objects.exclude(object_type="users.apitoken").count() == before


def test_someone_elses_account_referenced_in_a_payload_answers_422_naming_the_field(api_as, personas, records):
    hidden = AccountFactory(name="Hidden Corp")
    api = api_as(personas.owner)

    contact = api.post("/contacts", {"account": str(hidden.public_id), "first_name": "A", "last_name": "B"})
    child = api.patch(f"/accounts/{personas.account.public_id}", {"parent": str(hidden.public_id)})

    assert contact.status_code == 422 and list(contact.json()["errors"]) == ["account"]
    assert child.status_code == 422 and list(child.json()["errors"]) == ["parent"]
    assert not Contact.objects.filter(account=hidden).exists()


# Writes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_create_update_delete_through_the_api_each_write_an_audit_event(api_as, personas, records, resource):
    api = api_as(personas.manager)
    object_type = f"accounts.{MODELS[resource]._meta.model_name}"
    change, field, value = UPDATES[resource]

    created = api.post(f"/{resource}", create_payload(resource, personas, records))
    assert created.status_code == 201, created.json()
    new_id = created.json()["id"]
    assert created["ETag"] == '"1"'
    assert created["Location"] == f"/api/v1/{resource}/{new_id}"
    assert api.get(f"/{resource}/{new_id}").json() == created.json()

    records_of_new = {"object_type": object_type, "object_id": new_id, "actor": personas.manager}
    assert AuditEvent.objects.filter(action="create", **records_of_new).count() == 1

    updated = api.patch(f"/{resource}/{new_id}", change, if_match='"1"')
    assert updated.status_code == 200, updated.json()
    assert updated.json()[field] == value
    assert updated["ETag"] == '"2"'
    assert updated.json()["version"] == 2
    event = AuditEvent.objects.get(action="update", **records_of_new)
    assert field in {name for name, _, _ in event.changed_fields()}

    deleted = api.delete(f"/{resource}/{new_id}", if_match='"2"')
    assert deleted.status_code == 204
    assert api.get(f"/{resource}/{new_id}").status_code == 404
    assert AuditEvent.objects.filter(action="delete", **records_of_new).count() == 1


def test_a_created_account_answers_with_the_fields_a_client_needs(api_as, personas):
    region = RegionFactory(code="EMEA", name="Europe")
    api = api_as(personas.manager)

    created = api.post("/accounts", {
        "name": "  Globex  ", "tier": "Strategic", "lifecycle_stage": "onboarding", "region": "emea",
        "parent": str(personas.account.public_id), "owner": "owner", "operations_manager": "teammate",
        "executive_sponsor": "sponsor", "annual_contract_value": 1234.5, "currency": "usd",
        "customer_since": "2024-02-01",
    })

    body = created.json()
    assert created.status_code == 201, body
    assert {k: body[k] for k in ("name", "tier", "lifecycle_stage", "region", "parent", "owner",
                                 "operations_manager", "executive_sponsor", "annual_contract_value",
                                 "currency", "customer_since", "version", "is_single_threaded")} == {
        "name": "Globex", "tier": "Strategic", "lifecycle_stage": "onboarding", "region": region.code,
        "parent": str(personas.account.public_id), "owner": "owner", "operations_manager": "teammate",
        "executive_sponsor": "sponsor", "annual_contract_value": "1234.50", "currency": "USD",
        "customer_since": "2024-02-01", "version": 1, "is_single_threaded": True,
    }
    assert body["url"] == f"/accounts/{body['id']}/"
    assert body["last_touchpoint_at"] is None


def test_logging_a_touchpoint_shows_on_the_account(api_as, personas, records):
    api = api_as(personas.owner)
    when = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)

    api.post("/interactions", {"account": str(personas.account.public_id), "kind": "call", "subject": "Hi",
                               "occurred_at": iso(when)})

    account = api.get(f"/accounts/{personas.account.public_id}").json()
    assert dt.datetime.fromisoformat(account["last_touchpoint_at"]) == when


def test_patching_interaction_participants_replaces_them(api_as, personas, records):
    other = ContactFactory(account=personas.account)
    interaction = records["interactions"]
    api = api_as(personas.owner)

    answer = api.patch(f"/interactions/{interaction.public_id}", {"contacts": [str(other.public_id)], "users": ["teammate"]})

    assert answer.status_code == 200, answer.json()
    assert answer.json()["contacts"] == [str(other.public_id)]
    assert answer.json()["users"] == ["teammate"]


# ETag / If-Match -----------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_stale_if_match_answers_412_and_writes_nothing(api_as, personas, records, resource):
    api = api_as(personas.owner)
    path = f"/{resource}/{records[resource].public_id}"
    change, _, _ = UPDATES[resource]
    assert api.get(path)["ETag"] == '"1"'
    first = api.patch(path, change, if_match='"1"')
    assert first.status_code == 200 and first["ETag"] == '"2"'
    audit_count = AuditEvent.objects.count()

    stale_patch = api.patch(path, {**change, **({"title": "Other"} if resource == "tasks" else {})}, if_match='"1"')
    stale_delete = api.delete(path, if_match='"1"')

    assert [stale_patch.status_code, stale_delete.status_code] == [412, 412]
    assert "changed by someone else" in stale_patch.json()["detail"]
    assert stale_patch["Content-Type"].startswith("application/json")
    assert AuditEvent.objects.count() == audit_count
    now = api.get(path)
    assert now.status_code == 200 and now["ETag"] == '"2"'
    if resource == "tasks":
        assert now.json()["title"] == "Send the renewal quote"


def test_without_if_match_the_last_write_wins(api_as, personas):
    api = api_as(personas.owner)
    path = f"/accounts/{personas.account.public_id}"

    api.patch(path, {"industry": "Logistics"})
    answer = api.patch(path, {"industry": "Shipping"})

    assert answer.status_code == 200 and answer.json()["industry"] == "Shipping" and answer["ETag"] == '"3"'


# Validation ----------------------------------------------------------------------------------


def _errors(answer) -> dict:
    assert answer.status_code == 422, answer.content
    body = answer.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body["errors"]


def test_bad_input_answers_422_naming_the_field(api_as, personas, records):
    api = api_as(personas.owner)
    acme = str(personas.account.public_id)
    contact = f"/contacts/{records['contacts'].public_id}"
    future = iso(timezone.now() + dt.timedelta(days=2))

    assert "email" in _errors(api.post("/contacts", {"account": acme, "first_name": "A", "last_name": "B", "email": "not-an-email"}))
    assert "influence" in _errors(api.patch(contact, {"influence": 9}))
    assert "influence" in _errors(api.patch(contact, {"influence": "high"}))
    assert "tier" in _errors(api.post("/accounts", {"name": "X", "tier": "Platinum"}))
    assert "parent" in _errors(api.post("/accounts", {"name": "X", "parent": "not-a-uuid"}))
    assert "public_id" in _errors(api.get("/accounts/not-a-uuid"))
    assert "body" in _errors(api.post("/accounts", raw='{"name": "X",'))
    assert "name" in _errors(api.post("/accounts", {"name": ["X"]}))
    assert "name" in _errors(api.patch(f"/accounts/{acme}", {"name": None}))
    assert "nickname" in _errors(api.patch(contact, {"nickname": "Amazing Grace"}))
    assert "done" in _errors(api.post("/tasks", {"account": acme, "title": "T", "done": "perhaps"}))
    assert "assignee" in _errors(api.post("/tasks", {"account": acme, "title": "T", "assignee": "ghost"}))
    assert "occurred_at" in _errors(api.post("/interactions", {"account": acme, "kind": "call", "subject": "S", "occurred_at": future}))
    assert "occurred_at" in _errors(api.post("/interactions", {"account": acme, "kind": "call", "subject": "S", "occurred_at": "2024-01-01T10:00:00"}))
    assert "kind" in _errors(api.post("/interactions", {"account": acme, "kind": "carrier pigeon", "subject": "S", "occurred_at": "2024-01-01T10:00:00Z"}))
    assert "contacts" in _errors(api.post("/interactions", {"account": acme, "kind": "call", "subject": "S", "occurred_at": "2024-01-01T10:00:00Z", "contacts": ["0" * 32]}))
    assert "account" in _errors(api.patch(contact, {"account": str(AccountFactory(owner=personas.owner).public_id)}))
    assert Contact.objects.get(pk=records["contacts"].pk).version == 1
    assert not Account.objects.filter(name="X").exists()


def test_an_account_cannot_sit_below_its_own_subsidiary(api_as, personas):
    api = api_as(personas.owner)
    acme = f"/accounts/{personas.account.public_id}"
    child = api.post("/accounts", {"name": "Acme Subsidiary", "parent": str(personas.account.public_id)}).json()

    loop = api.patch(acme, {"parent": child["id"]})
    itself = api.patch(acme, {"parent": str(personas.account.public_id)})

    assert "parent" in _errors(loop)
    assert "parent" in _errors(itself)
    assert api.get(acme).json()["parent"] is None


def test_a_contact_reports_to_someone_at_the_same_account(api_as, personas, records):
    elsewhere = ContactFactory(account=AccountFactory(owner=personas.owner))
    api = api_as(personas.owner)

    answer = api.patch(f"/contacts/{records['contacts'].public_id}", {"reports_to": str(elsewhere.public_id)})

    assert "reports_to" in _errors(answer)


def test_an_account_can_only_be_given_to_someone_in_your_reporting_line(api_as, personas):
    api = api_as(personas.manager)

    answer = api.patch(f"/accounts/{personas.account.public_id}", {"owner": "outsider"})

    assert "owner" in _errors(answer)
    assert Account.objects.get(pk=personas.account.pk).owner == personas.owner


# Lists: filters, pages, query counts ---------------------------------------------------------


def test_account_filters_and_sort(api_as, personas):
    owner = personas.owner
    AccountFactory(name="Zeta Strategic", owner=owner, tier=tier("Strategic"), annual_contract_value=900)
    AccountFactory(name="Beta Churned", owner=owner, lifecycle_stage="churned", annual_contract_value=5)
    AccountFactory(name="Gamma Teammate", owner=personas.teammate)
    api = api_as(personas.owner)

    def names(**params):
        answer = api.get("/accounts", **params)
        assert answer.status_code == 200, answer.json()
        return [row["name"] for row in answer.json()["results"]]

    assert names() == ["Acme Logistics", "Beta Churned", "Zeta Strategic"]
    assert names(tier="Strategic") == ["Zeta Strategic"]
    assert names(tier="9" * 30) == names(tier="²") == []
    assert names(stage="churned") == ["Beta Churned"]
    assert names(q="acme") == ["Acme Logistics"]
    assert names(sort="-acv") == ["Acme Logistics", "Zeta Strategic", "Beta Churned"]
    assert names(owner="me", sort="-name") == ["Zeta Strategic", "Beta Churned", "Acme Logistics"]
    assert names(overdue="true") == ["Acme Logistics", "Zeta Strategic"]
    assert "sort" in _errors(api.get("/accounts", sort="shoe_size"))
    assert "stage" in _errors(api.get("/accounts", stage="dormant"))


def test_contact_interaction_and_task_filters(api_as, personas, records):
    acme = personas.account
    other = AccountFactory(owner=personas.owner)
    ContactFactory(account=acme, buying_role="champion", last_name="Champ")
    ContactFactory(account=other, status="left", left_at=dt.date(2024, 1, 1))
    InteractionFactory(account=other, kind="note", occurred_at=timezone.now() - dt.timedelta(days=30))
    TaskFactory(account=acme, assignee=personas.teammate, title="Overdue", due_date=dt.date(2020, 1, 1))
    TaskFactory(account=acme, assignee=personas.owner, title="Finished", done=True)
    api = api_as(personas.owner)

    def count(path, **params):
        answer = api.get(path, **params)
        assert answer.status_code == 200, answer.json()
        return answer.json()["count"]

    assert count("/contacts") == 3
    assert count("/contacts", account=str(acme.public_id)) == 2
    assert count("/contacts", buying_role="champion") == 1
    assert count("/contacts", status="left") == 1
    assert count("/contacts", q="champ") == 1
    assert count("/interactions", kind="note") == 1
    assert count("/interactions", since=iso(timezone.now() - dt.timedelta(days=7))) == 1
    assert count("/interactions", until=iso(timezone.now() - dt.timedelta(days=7))) == 1
    assert count("/tasks", assignee="me") == 2
    assert count("/tasks", assignee="teammate") == 1
    assert count("/tasks", done="true") == 1
    assert count("/tasks", overdue="true") == 1
    assert "since" in _errors(api.get("/interactions", since="last tuesday"))


def test_pages_carry_count_next_and_previous(api_as, personas):
    for n in range(6):
        AccountFactory(name=f"Portfolio {n}", owner=personas.owner)
    api = api_as(personas.director)

    first = api.get("/accounts", limit=3).json()
    last = api.get("/accounts", limit=3, offset=6, q="").json()

    assert first["count"] == 7
    assert [r["name"] for r in first["results"]] == ["Acme Logistics", "Portfolio 0", "Portfolio 1"]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/accounts?limit=3&offset=3"
    second = api.client.get(first["next"], headers=api.headers).json()
    assert [r["name"] for r in second["results"]] == ["Portfolio 2", "Portfolio 3", "Portfolio 4"]
    assert second["previous"] == "http://testserver/api/v1/accounts?limit=3&offset=0"
    assert [r["name"] for r in last["results"]] == ["Portfolio 5"]
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/accounts?limit=3&offset=3&q="


def test_page_size_is_capped(api_as, personas, settings):
    api = api_as(personas.owner)

    assert "limit" in _errors(api.get("/accounts", limit=settings.API_PAGE_SIZE_MAX + 1))
    assert "limit" in _errors(api.get("/accounts", limit=0))
    assert "offset" in _errors(api.get("/accounts", offset=-1))
    assert api.get("/accounts", limit=settings.API_PAGE_SIZE_MAX).status_code == 200


def _sixty_of_each(personas) -> None:
    owner, teammate = personas.owner, personas.teammate
    region = RegionFactory(code="NA")
    for n in range(60):
        account = AccountFactory(
            name=f"Bulk {n:02d}", owner=owner, parent=personas.account, region=region,
            operations_manager=teammate, executive_sponsor=personas.sponsor,
        )
        TeamMemberFactory(account=account, user=personas.manager)
        contact = ContactFactory(account=account, reports_to=None)
        interaction = InteractionFactory(account=account, created_by=owner)
        interaction.contacts.set([contact])
        interaction.users.set([owner, teammate])
        TaskFactory(account=account, assignee=teammate, created_by=owner)


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_queries_do_not_grow_with_the_page_size(api_as, personas, resource):
    _sixty_of_each(personas)
    api = api_as(personas.director)
    api.get(f"/{resource}")  # the first call records the token's use

    with CaptureQueriesContext(connection) as small:
        assert len(api.get(f"/{resource}", limit=5).json()["results"]) == 5
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(f"/{resource}", limit=50).json()["results"]) == 50

    assert len(large) == len(small)
    assert len(large) <= 8


def test_sixty_accounts_list_within_a_fixed_query_budget(api_as, personas, django_assert_max_num_queries):
    _sixty_of_each(personas)
    api = api_as(personas.manager)
    api.get("/accounts")

    with django_assert_max_num_queries(6):
        page = api.get("/accounts", limit=50, overdue="true", sort="-acv").json()

    assert page["count"] == 61 and len(page["results"]) == 50
    assert {row["executive_sponsor"] for row in page["results"]} == {"sponsor"}


def test_a_deactivated_colleague_cannot_be_named(api_as, personas):
    UserFactory(username="gone", is_active=False, manager=personas.manager)
    api = api_as(personas.manager)

    answer = api.patch(f"/accounts/{personas.account.public_id}", {"operations_manager": "gone"})

    assert "operations_manager" in _errors(answer)


def test_a_record_sent_back_as_read_keeps_a_parent_the_caller_cannot_see(api_as, personas):
    group = AccountFactory(name="Hidden Holdings", owner=personas.outsider)
    Account.objects.filter(pk=personas.account.pk).update(parent=group)
    api = api_as(personas.teammate)
    path = f"/accounts/{personas.account.public_id}"
    body = api.get(path).json()
    assert api.get(f"/accounts/{body['parent']}").status_code == 404
    writable = {k: v for k, v in body.items() if k not in ("id", "version", "created_at", "updated_at", "last_touchpoint_at", "is_single_threaded", "url")}
    writable["lifecycle_stage"] = "expanding"
    response = api.patch(path, writable, if_match=f'"{body["version"]}"')
    assert response.status_code == 200, response.json()
    assert response.json()["parent"] == str(group.public_id)
    assert api.patch(path, {"parent": str(group.public_id), "name": "x"}, if_match=f'"{body["version"] + 1}"').status_code == 200
