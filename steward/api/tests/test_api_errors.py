"""The API's wiring as a client sees it: authentication, the error body, the schema and docs."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.accounts.tests.factories import ContactFactory, InteractionFactory, TaskFactory
from steward.api.tests.client import ApiClient
from steward.users.models import ApiToken
from steward.users.services import api_token_create, api_token_revoke


@pytest.fixture
def owner_api(client, personas):
    return ApiClient(client, personas.owner)


@pytest.fixture
def targets(personas):
    acme = personas.account
    return {
        "accounts": acme,
        "contacts": ContactFactory(account=acme),
        "interactions": InteractionFactory(account=acme),
        "tasks": TaskFactory(account=acme, assignee=personas.owner),
    }


def assert_error(answer, status: int) -> dict:
    """The error body every failure shares: a message and the fields at fault."""
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(isinstance(m, list) and all(isinstance(x, str) for x in m) for m in body["errors"].values())
    return body


# Authentication ------------------------------------------------------------------------------


def test_without_credentials_every_operation_answers_401_not_a_login_redirect(client, personas):
    anonymous = ApiClient(client, None)
    acme = f"/accounts/{personas.account.public_id}"

    answers = [anonymous.get("/accounts"), anonymous.get(acme), anonymous.patch(acme, {"name": "X"}),
               anonymous.post("/tasks", {}), anonymous.delete(acme), anonymous.get("/me")]

    for answer in answers:
        assert_error(answer, 401)
        assert answer["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(client, personas):
    token, key = api_token_create(user=personas.owner, name="laptop")
    api = ApiClient(client, None, key=key)
    assert api.get("/me").status_code == 200

    api_token_revoke(user=personas.owner, token_public_id=str(token.public_id))

    assert_error(api.get("/me"), 401)
    assert_error(api.post("/tasks", {"account": str(personas.account.public_id), "title": "T"}), 401)


@pytest.mark.parametrize("header", ["Bearer stw_not-a-real-key", "Bearer ", "Basic b3duZXI6cHc=", "stw_raw", "Bearer stw_\u00e9"])
def test_unknown_or_malformed_credentials_are_refused(client, personas, header):
    answer = client.get("/api/v1/me", headers={"Authorization": header})

    assert_error(answer, 401)


def test_an_expired_token_and_a_deactivated_user_are_refused(client, personas):
    token, key = api_token_create(user=personas.owner, name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _, teammate_key = api_token_create(user=personas.teammate, name="ok")
    personas.teammate.is_active = False
    personas.teammate.save()

    assert_error(ApiClient(client, None, key=key).get("/me"), 401)
    assert_error(ApiClient(client, None, key=teammate_key).get("/me"), 401)


def test_me_names_the_caller(owner_api, personas):
    personas.owner.first_name, personas.owner.last_name = "Olive", "Owner"
    personas.owner.save()

    answer = owner_api.get("/me")

    assert answer.status_code == 200
    assert answer.json() == {"username": "owner", "role": "executive", "name": "Olive Owner"}


def test_a_logged_in_session_works_and_needs_the_csrf_token_to_write(personas):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.owner)
    browser.get("/api/v1/docs")  # sets the csrftoken cookie, as the docs page does
    token = browser.cookies["csrftoken"].value
    body = json.dumps({"account": str(personas.account.public_id), "title": "From the docs page"})

    read = browser.get("/api/v1/me")
    forged = browser.post("/api/v1/tasks", body, content_type="application/json")
    sent = browser.post("/api/v1/tasks", body, content_type="application/json", headers={"X-CSRFToken": token})

    assert read.status_code == 200 and read.json()["username"] == "owner"
    assert "CSRF" in assert_error(forged, 403)["detail"]
    assert sent.status_code == 201 and sent.json()["title"] == "From the docs page"


def test_a_bad_token_is_refused_even_without_a_session(client, personas):
    """A client with a wrong key learns it is unauthenticated, not that CSRF failed."""
    answer = client.post("/api/v1/tasks", "{}", content_type="application/json",
                         headers={"Authorization": "Bearer stw_wrong"})

    assert_error(answer, 401)


# Schema and docs -----------------------------------------------------------------------------


def test_the_openapi_schema_is_served_and_describes_the_api(client, db):
    answer = client.get("/api/v1/openapi.json")

    assert answer.status_code == 200
    schema = answer.json()
    assert schema["info"]["title"] == "Steward API" and schema["info"]["version"] == "1"
    assert {"/api/v1/me", "/api/v1/accounts", "/api/v1/accounts/{public_id}", "/api/v1/contacts",
            "/api/v1/contacts/{public_id}", "/api/v1/interactions", "/api/v1/interactions/{public_id}",
            "/api/v1/tasks", "/api/v1/tasks/{public_id}"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/accounts/{public_id}"]) == {"get", "patch", "delete"}
    assert {"bearer", "apiKey"} <= {s.get("scheme", s["type"]) for s in schema["components"]["securitySchemes"].values()}
    patch = schema["paths"]["/api/v1/tasks/{public_id}"]["patch"]
    assert "If-Match" in {p["name"] for p in patch["parameters"]}
    assert {"200", "403", "404", "412", "422"} <= set(patch["responses"])


def test_the_docs_page_is_for_logged_in_users_and_loads_nothing_from_a_cdn(client, personas):
    assert client.get("/api/v1/docs").status_code == 302

    client.force_login(personas.owner)
    page = client.get("/api/v1/docs")
    script = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html and "/api/v1/openapi.json" in html
    assert "cdn" not in html.lower() and "<script>" not in html
    assert script.status_code == 200 and script["Content-Type"] in {"text/javascript", "application/javascript"}
    assert client.get("/api/v1/docs/assets/settings.py").status_code == 404


# The error body ------------------------------------------------------------------------------


def test_every_service_error_answers_the_same_json_shape(client, personas):
    owner, sponsor = ApiClient(client, personas.owner), ApiClient(client, personas.sponsor)
    acme = f"/accounts/{personas.account.public_id}"

    missing = assert_error(owner.get("/accounts/00000000-0000-0000-0000-000000000000"), 404)
    forbidden = assert_error(sponsor.patch(acme, {"name": "Mine"}), 403)
    stale = assert_error(owner.patch(acme, {"name": "Acme"}, if_match='"7"'), 412)
    invalid = assert_error(owner.patch(acme, {"country": "Germany"}), 422)

    assert missing["detail"] == "No such account."
    assert "read-only" in forbidden["detail"]
    assert "version 1" in stale["detail"]
    assert list(invalid["errors"]) == ["country"] and invalid["detail"].startswith("country: ")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": ', "body"),
        ("[1, 2]", "body"),
        ('"just a string"', "body"),
        ("name=Globex", "body"),
        ("\xff\xfe", "body"),
        ('{"name": "x\\u0000y"}', "name"),
        ('{"name": "X", "annual_contract_value": "NaN"}', "annual_contract_value"),
        ('{"name": "X", "annual_contract_value": 1e400}', "annual_contract_value"),
        ('{"name": "X", "annual_contract_value": "12345678901234567890"}', "annual_contract_value"),
        ('{"name": "X", "customer_since": "2024-02-30"}', "customer_since"),
        ('{"name": "' + "x" * 500 + '"}', "name"),
    ],
)
def test_unexpected_bodies_answer_422_naming_the_field(owner_api, raw, field):
    answer = owner_api.post("/accounts", raw=raw)

    assert field in assert_error(answer, 422)["errors"]


def test_an_empty_body_answers_422(owner_api):
    assert list(assert_error(owner_api.post("/accounts", raw=""), 422)["errors"]) == ["body"]


def test_out_of_range_input_answers_422_not_500(owner_api, personas):
    acme = str(personas.account.public_id)
    interaction = {"account": acme, "kind": "call", "subject": "S"}

    early = owner_api.post("/interactions", {**interaction, "occurred_at": "0001-01-01T00:00:00+05:00"})
    late = owner_api.get("/interactions", until="9999-12-31T23:59:59-05:00")
    offset = owner_api.get("/accounts", offset=10**20)
    influence = owner_api.post("/contacts", {"account": acme, "first_name": "A", "last_name": "B", "influence": 10**30})

    assert "occurred_at" in assert_error(early, 422)["errors"]
    assert "until" in assert_error(late, 422)["errors"]
    assert "offset" in assert_error(offset, 422)["errors"]
    assert "influence" in assert_error(influence, 422)["errors"]


@pytest.mark.parametrize("if_match", ["abc", '"1', "W/\"x\"", "\u0661", "9" * 40, '"1", "2"'])
def test_an_if_match_naming_no_version_answers_412(owner_api, personas, if_match):
    answer = owner_api.patch(f"/accounts/{personas.account.public_id}", {"industry": "Rail"}, if_match=if_match)

    assert_error(answer, 412)
    personas.account.refresh_from_db()
    assert personas.account.industry == "Manufacturing"


def test_a_weak_or_starred_if_match_is_accepted(owner_api, personas):
    path = f"/accounts/{personas.account.public_id}"

    assert owner_api.patch(path, {"industry": "Rail"}, if_match='W/"1"')["ETag"] == '"2"'
    assert owner_api.patch(path, {"industry": "Sea"}, if_match="*")["ETag"] == '"3"'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
FIELDS = ["account", "name", "tier", "parent", "owner", "kind", "occurred_at", "subject", "contacts",
          "users", "first_name", "last_name", "influence", "email", "reports_to", "title", "assignee",
          "due_date", "done", "annual_contract_value", "lifecycle_stage", "region", "status"]


@pytest.mark.parametrize("resource", ["accounts", "contacts", "interactions", "tasks"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
def test_arbitrary_json_never_causes_a_server_error(owner_api, targets, resource, body):
    record = f"/{resource}/{targets[resource].public_id}"

    answers = [owner_api.post(f"/{resource}", body), owner_api.patch(record, body)]

    for answer in answers:
        assert answer.status_code < 500
        assert answer["Content-Type"].startswith("application/json")
