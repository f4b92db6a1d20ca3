"""Loading a ServiceNow incident log for an account: what the user is shown before anything is saved.

The real sample log (shared/data beside the repository) is read for an account under a default
policy equal to the replay test's example policy, so the figures must be the replay's: 890
incidents, 3,559 events, 554 met and 336 breached, and the incidents worked out on paper.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from steward.accounts.tests.factories import AccountFactory
from steward.core.errors import NotFound, PermissionDenied, ValidationFailed
from steward.sla import imports, services
from steward.sla.choices import PAUSABLE_STATUSES, CaseStatus
from steward.sla.engine import clock
from steward.sla.models import Case, CaseEvent
from steward.sla.services import TargetInput
from steward.sla.tests.test_servicenow_replay import LOG, MISSING_LOG, PAPER, as_expected
from steward.users.choices import Role
from steward.users.services import api_token_create
from steward.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,opened_by,opened_at,"
    "sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,contact_type,location,category,subcategory,u_symptom,"
    "cmdb_ci,impact,urgency,priority,assignment_group,assigned_to,knowledge,u_priority_confirmation,notify,problem_id,"
    "rfc,vendor,caused_by,closed_code,resolved_by,resolved_at,closed_at"
)


def row(number: str, state: str, updated: str, *, opened: str = "07-03-2016 09:00", priority: str = "3 - Moderate", reopens: str = "0") -> str:
    cells = dict.fromkeys(HEADER.split(","), "?")
    cells.update(
        number=number, incident_state=state, reopen_count=reopens, made_sla="TRUE", opened_at=opened, sys_updated_at=updated,
        category="Category 9", priority=priority,
    )
    return ",".join(cells.values())


def log(*rows: str) -> str:
    return "\n".join((HEADER, *rows)) + "\n"


@pytest.fixture
def people(db):
    admin = UserFactory(role=Role.ADMIN)
    owner = UserFactory(role=Role.MANAGER)
    account = AccountFactory(owner=owner, name="Acme Service Desk")
    return admin, owner, account


@pytest.fixture
def policy(people):
    """The replay's example policy: Mon-Fri 08:00-18:00 UTC, resolution 4/8/24/40 business hours, waits paused."""
    admin, _owner, _account = people
    desk = services.calendar_create(actor=admin, data={"name": "Desk", "time_zone": "UTC", "week": ["08:00-18:00"] * 5 + ["", ""]})
    hours = {"critical": 4, "high": 8, "moderate": 24, "low": 40}
    return services.policy_create(
        actor=admin, data={"name": "Example", "calendar": desk, "is_default": True, "pause_statuses": list(PAUSABLE_STATUSES)},
        targets=[TargetInput(priority, "resolution", h * 60) for priority, h in hours.items()], now=NOW - dt.timedelta(days=1),
    )


@pytest.fixture
def real_log() -> bytes:
    if not LOG.exists():
        pytest.skip(MISSING_LOG)
    return LOG.read_bytes()


def test_the_real_log_previews_as_the_replay_counts_it(people, policy, real_log):
    _admin, owner, account = people
    preview = imports.servicenow_preview(actor=owner, account=account, content=real_log, now=NOW)
    assert (preview.rows, preview.incidents, preview.events) == (5998, 890, 3559)
    assert dict(preview.events_by_kind) == {
        "category_changed": 68, "closed": 890, "created": 890, "priority_changed": 45, "reopened": 11, "resolved": 901, "status_changed": 754,
    }
    assert preview.errors == () and preview.can_import
    assert [(w.row, w.field, w.kind) for w in preview.warnings] == [
        (330, "sys_updated_at", "before_opened"), (336, "sys_updated_at", "before_opened"), (346, "sys_updated_at", "before_opened"),
        (351, "sys_updated_at", "before_opened"), (359, "incident_state", "stale_row"), (438, "sys_updated_at", "before_opened"),
    ]
    assert preview.by_policy == {"Example v1": 890}
    assert preview.outcomes == {"met": 554, "breached": 336}
    assert preview.first_at == min(c.opened_at for c in preview.cases)
    assert preview.first_at.year == 2016 and preview.last_at is not None and preview.last_at > preview.first_at
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0  # a preview writes nothing


def test_waits_land_on_pause_statuses_and_the_paper_incidents_keep_their_figures(people, policy, real_log):
    _admin, owner, account = people
    preview = imports.servicenow_preview(actor=owner, account=account, content=real_log, now=NOW)
    statuses = {e.status for c in preview.cases for e in c.events if e.status is not None}
    assert statuses <= set(CaseStatus.values)
    assert {c.status for c in preview.cases} == {CaseStatus.CLOSED}
    engine = imports._Versions(account, None, (), NOW).engine(policy.versions.get())
    for number, expected in PAPER.items():
        case = next(c for c in preview.cases if c.number == number)
        state = clock.evaluate_clock(policy=engine, events=case.events, now=case.events[-1].at).target(clock.RESOLUTION)
        assert state is not None and as_expected(state) == expected, number
    waited = next(c for c in preview.cases if c.number == "INC0000102")
    assert CaseStatus.WAITING_ON_CUSTOMER in [e.status for e in waited.events]
    assert "ServiceNow state: Awaiting User Info." in waited.bodies


def test_a_bad_row_is_named_by_row_and_field_and_blocks_the_import(people, policy):
    _admin, owner, account = people
    content = log(
        row("INC1", "New", "07-03-2016 09:05"),
        row("INC1", "Resolved", "2016-03-07 10:00"),
        row("INC2", "New", "07-03-2016 09:05", priority="9 - Urgent"),
        "INC3,New,too,few",
    )
    preview = imports.servicenow_preview(actor=owner, account=account, content=content, now=NOW)
    assert not preview.can_import
    shown = [str(e) for e in preview.errors]
    assert shown[0].startswith("Row 3, sys_updated_at: sys_updated_at '2016-03-07 10:00' is not a time like 'dd-mm-yyyy HH:MM'")
    assert shown[1].startswith("Row 4, priority: priority '9 - Urgent'")
    assert shown[2].startswith("Row 5: the row has 4 cells")
    assert Case.objects.count() == 0


def test_a_file_that_is_not_a_log_is_refused_with_the_reason(people, policy):
    _admin, owner, account = people
    with pytest.raises(ValidationFailed) as missing:
        imports.servicenow_preview(actor=owner, account=account, content=b"number,state\nINC1,New\n")
    assert "missing columns" in missing.value.field_errors["file"][0]
    with pytest.raises(ValidationFailed) as binary:
        imports.servicenow_preview(actor=owner, account=account, content=b"\xff\xfenumber")
    assert "not UTF-8" in binary.value.field_errors["file"][0]
    with pytest.raises(ValidationFailed) as zone:
        imports.servicenow_preview(actor=owner, account=account, content=log(), time_zone="Mars/Olympus")
    assert "time_zone" in zone.value.field_errors


def test_times_are_read_in_the_zone_given_and_a_picked_policy_applies_to_every_case(people, policy):
    admin, owner, account = people
    strict = services.policy_create(
        actor=admin, data={"name": "Strict", "calendar": policy.calendar, "pause_statuses": []},
        targets=[TargetInput("moderate", "resolution", 60)], now=NOW,
    )
    content = log(row("INC1", "New", "07-03-2016 09:05"), row("INC1", "Resolved", "07-03-2016 11:00"))
    preview = imports.servicenow_preview(actor=owner, account=account, content=content, time_zone="Europe/Berlin", policy=strict, now=NOW)
    (case,) = preview.cases
    assert case.opened_at == dt.datetime(2016, 3, 7, 8, tzinfo=dt.UTC)  # 09:00 in Berlin (CET)
    assert case.policy_label == "Strict v1" and case.outcome == "breached" and case.status == CaseStatus.RESOLVED
    assert case.resolved_at == dt.datetime(2016, 3, 7, 10, tzinfo=dt.UTC) and case.closed_at is None
    assert imports.import_policy(reference="Strict") == strict
    with pytest.raises(ValidationFailed):
        imports.import_policy(reference="Nonexistent")


def test_only_people_who_see_the_account_and_may_work_on_it_import(people, policy):
    admin, owner, account = people
    outsider = UserFactory(role=Role.MANAGER)
    sponsor = UserFactory(role=Role.SPONSOR)
    assert imports.import_account(actor=owner, reference="Acme Service Desk") == account
    assert imports.import_account(actor=admin, reference=str(account.public_id)) == account
    with pytest.raises(NotFound):
        imports.import_account(actor=outsider, reference="Acme Service Desk")
    with pytest.raises(NotFound):
        imports.import_account(actor=outsider, reference=str(account.public_id))
    with pytest.raises(PermissionDenied):
        imports.servicenow_preview(actor=outsider, account=account, content=log())
    account.executive_sponsor = sponsor
    account.save()
    assert not imports.can_import_cases(sponsor, account)


# The page, the API and the command -------------------------------------------------------------

PAGE = "/sla/imports/servicenow/"
API = "/api/v1/cases/imports/servicenow"
SMALL_LOG = log(
    row("INC1", "New", "07-03-2016 09:05"),
    row("INC1", "Awaiting User Info", "07-03-2016 10:00"),
    row("INC1", "Active", "08-03-2016 09:00"),
    row("INC1", "Resolved", "08-03-2016 10:00"),
    row("INC2", "New", "09-03-2016 09:05", opened="09-03-2016 09:00", priority="2 - High"),
)


def upload(content: str | bytes, name: str = "incident_event_log.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, content_type="text/csv")


def test_the_page_checks_an_uploaded_log_and_shows_what_it_gives(client, people, policy):
    _admin, owner, account = people
    client.force_login(owner)
    form = client.get(PAGE, {"account": str(account.public_id)})
    assert form.status_code == 200 and b"Acme Service Desk" in form.content
    response = client.post(PAGE, {"file": upload(SMALL_LOG), "account": str(account.public_id), "time_zone": "UTC"})
    assert response.status_code == 200
    page = response.content.decode()
    preview = response.context["preview"]
    assert (preview.incidents, preview.events, preview.can_import) == (2, 5, True)
    assert "Nothing has been saved." in page and "INC1" in page and "Example v1" in page
    assert Case.objects.count() == 0


def test_the_page_names_bad_rows_by_row_and_column(client, people, policy):
    _admin, owner, account = people
    client.force_login(owner)
    bad = log(row("INC1", "New", "07-03-2016 09:05"), row("INC1", "Resolved", "07/03/2016 10:00"))
    response = client.post(PAGE, {"file": upload(bad), "account": str(account.public_id), "time_zone": "UTC"})
    page = response.content.decode()
    assert response.status_code == 200 and "this log cannot be imported" in page
    assert "<td class=\"num\">3</td><td><code>sys_updated_at</code></td>" in page
    not_a_log = client.post(PAGE, {"file": upload("a,b\n1,2\n"), "account": str(account.public_id), "time_zone": "UTC"})
    assert not_a_log.status_code == 422 and "missing columns" in not_a_log.content.decode()


def test_the_page_and_the_api_answer_404_for_an_account_not_seen_and_403_to_read_only_roles(client, people, policy):
    _admin, _owner, account = people
    outsider = UserFactory(role=Role.MANAGER)
    client.force_login(outsider)
    page = client.post(PAGE, {"file": upload(SMALL_LOG), "account": str(account.public_id), "time_zone": "UTC"})
    assert page.status_code == 404
    api = client.post(API, {"file": upload(SMALL_LOG), "account": str(account.public_id)}, headers=bearer(outsider))
    assert api.status_code == 404
    sponsor = UserFactory(role=Role.SPONSOR)
    account.executive_sponsor = sponsor
    account.save()
    client.force_login(sponsor)
    assert client.get(PAGE).status_code == 404  # a read-only role has no import page
    api = client.post(API, {"file": upload(SMALL_LOG), "account": str(account.public_id)}, headers=bearer(sponsor))
    assert api.status_code == 403
    assert Case.objects.count() == 0


def bearer(user) -> dict[str, str]:
    _, key = api_token_create(user=user, name="tests")
    return {"Authorization": f"Bearer {key}"}


def test_the_api_checks_a_log_and_lists_row_errors(client, people, policy):
    _admin, owner, account = people
    response = client.post(API, {"file": upload(SMALL_LOG), "account": "Acme Service Desk", "dry_run": "true"}, headers=bearer(owner))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["incidents"], body["events"], body["can_import"], body["error_count"]) == (2, 5, True, 0)
    assert body["account"] == str(account.public_id) and body["by_policy"] == {"Example v1": 2}
    bad = log(row("INC1", "New", "07-03-2016 09:05", priority="urgent"))
    response = client.post(API, {"file": upload(bad), "account": str(account.public_id)}, headers=bearer(owner))
    errors = response.json()["errors"]
    assert response.json()["can_import"] is False
    assert (errors[0]["row"], errors[0]["field"]) == (2, "priority")
    refused = client.post(API, {"file": upload(SMALL_LOG), "account": str(account.public_id), "dry_run": "false"}, headers=bearer(owner))
    assert refused.status_code == 422 and "dry_run" in refused.json()["errors"]
    assert Case.objects.count() == 0


def test_the_command_prints_the_counts_of_a_dry_run(tmp_path, people, policy):
    _admin, _owner, account = people
    path = tmp_path / "log.csv"
    path.write_text(SMALL_LOG)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_servicenow", str(path), "--account", "Acme Service Desk", "--dry-run", stdout=out, stderr=err)
    printed = out.getvalue()
    assert "Incidents: 2" in printed and "Events: 5" in printed and "Errors: 0" in printed and "nothing was saved" in printed
    with pytest.raises(CommandError, match="--dry-run"):
        call_command("import_servicenow", str(path), "--account", "Acme Service Desk")
    path.write_text(log(row("INC1", "New", "7-3-2016 09:05")))
    with pytest.raises(CommandError, match="2 row error"):
        call_command("import_servicenow", str(path), "--account", str(account.public_id), "--dry-run", stdout=out, stderr=err)
    assert "Row 2, sys_updated_at" in err.getvalue()
    assert Case.objects.count() == 0


def test_the_cases_list_links_to_the_import_page_for_those_who_may_use_it(client, people):
    _admin, owner, _account = people
    client.force_login(owner)
    assert PAGE in client.get("/cases/").content.decode()
    sponsor = UserFactory(role=Role.SPONSOR)
    client.force_login(sponsor)
    assert PAGE not in client.get("/cases/").content.decode()
