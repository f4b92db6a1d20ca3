"""Loading a ServiceNow incident log for an account: what the user is shown before anything is saved,
then the import itself (cases, events, SLA states, nothing told to anyone, twice adds nothing).

The real sample log (shared/data beside the repository) is read for an account under a default
policy equal to the replay test's example policy, so the figures must be the replay's: 890
incidents, 3,559 events, 554 met and 336 breached, and the incidents worked out on paper; the
imported cases must store the same.
"""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from steward.accounts.tests.factories import AccountFactory
from steward.core.errors import NotFound, PermissionDenied, ValidationFailed
from steward.core.models import AuditEvent
from steward.sla import imports, services
from steward.sla.choices import PAUSABLE_STATUSES, CaseEventKind, CaseStatus
from steward.sla.engine import clock
from steward.sla.models import Case, CaseEscalation, CaseEvent, CaseNotification, CaseTarget
from steward.sla.services import TargetInput
from steward.sla.tests.test_servicenow_replay import LOG, MISSING_LOG, PAPER, Expected, as_expected
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


@pytest.fixture(autouse=True)
def kept_logs_in_tmp(settings, tmp_path):
    """Checked logs the page keeps for confirmation go to a temporary data directory."""
    settings.DATA_DIR = tmp_path


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
    refused = client.post(API, {"file": upload(bad), "account": str(account.public_id), "dry_run": "false"}, headers=bearer(owner))
    assert refused.status_code == 422 and refused.json()["errors"]["file"][0].startswith("Row 2, priority:")
    assert Case.objects.count() == 0


def test_the_command_prints_the_counts_of_a_dry_run(tmp_path, people, policy):
    _admin, _owner, account = people
    path = tmp_path / "log.csv"
    path.write_text(SMALL_LOG)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_servicenow", str(path), "--account", "Acme Service Desk", "--dry-run", stdout=out, stderr=err)
    printed = out.getvalue()
    assert "Incidents: 2" in printed and "Events: 5" in printed and "Errors: 0" in printed and "nothing was saved" in printed
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


# Saving -----------------------------------------------------------------------------------------


def nothing_was_told():
    """No alert, escalation or notification came of an import: its breaches are history."""
    from steward.core.models import Notification

    assert not CaseNotification.objects.exclude(recipients=[]).exists() and CaseEscalation.objects.count() == 0
    assert Notification.objects.count() == 0
    assert not CaseEvent.objects.filter(kind=CaseEventKind.ESCALATED).exists()


def test_importing_the_real_log_saves_the_cases_the_preview_showed(people, policy, real_log, monkeypatch):
    _admin, owner, account = people
    monkeypatch.setattr(services, "_dispatch", lambda *a, **k: pytest.fail("an import must not notify or escalate"))
    preview = imports.servicenow_preview(actor=owner, account=account, content=real_log, now=NOW)
    started = time.perf_counter()
    result = imports.servicenow_import(actor=owner, account=account, content=real_log, now=NOW, file_name="incident_event_log.csv")
    seconds = time.perf_counter() - started
    assert (result.created, result.skipped, result.events) == (890, 0, 3559)
    assert (result.met, result.breached) == (554, 336) == (preview.outcomes["met"], preview.outcomes["breached"])
    assert seconds < 30, f"importing 890 incidents took {seconds:.1f} s"
    cases = Case.objects.filter(account=account)
    assert cases.count() == 890 and CaseEvent.objects.filter(case__account=account).count() == 3559
    assert sorted(result.case_ids) == sorted(cases.values_list("pk", flat=True))
    assert set(cases.values_list("external_source", flat=True)) == {"servicenow"}
    assert set(cases.values_list("owner", flat=True)) == {owner.pk}
    assert cases.filter(sla_breached=True).count() == 336
    # Each case agrees with the preview: its status, dates, policy version and SLA outcome.
    planned = {c.number: c for c in preview.cases}
    for case in cases.select_related("policy_version"):
        p = planned[case.external_ref]
        assert (case.status, case.opened_at, case.resolved_at, case.closed_at) == (p.status, p.opened_at, p.resolved_at, p.closed_at)
        assert case.policy_version == p.version and case.policy_since == case.opened_at
        assert case.sla_breached == (p.outcome == clock.BREACHED), case.external_ref
    # Numbers follow the opening order, per year of opening.
    ordered = list(cases.order_by("opened_at", "pk").values_list("number", flat=True))
    assert ordered[0] == "CS-2016-000001" and ordered == sorted(ordered) and len(set(ordered)) == 890
    # The incidents worked out on paper keep their figures once stored.
    for number, expected in PAPER.items():
        target = CaseTarget.objects.get(case__external_ref=number, case__account=account, name=clock.RESOLUTION)
        assert Expected(int(target.elapsed_seconds), int(target.paused_seconds), target.breached_at) == expected, number
    # A created event first, then the log's history in order.
    waited = cases.get(external_ref="INC0000102")
    kinds = list(waited.events.values_list("kind", "status", "body"))
    assert kinds[0][0] == "created" and ("status_changed", CaseStatus.WAITING_ON_CUSTOMER, "ServiceNow state: Awaiting User Info.") in kinds
    nothing_was_told()
    (event,) = AuditEvent.objects.filter(action="import")
    assert event.after["created"] == 890 and event.account_id == account.pk
    print(f"\nimported 890 incidents, 3,559 events in {seconds:.2f} s")

    again = imports.servicenow_import(actor=owner, account=account, content=real_log, now=NOW)
    assert (again.created, again.skipped, again.events) == (0, 890, 0)
    assert Case.objects.count() == 890 and AuditEvent.objects.filter(action="import").count() == 1
    assert imports.servicenow_preview(actor=owner, account=account, content=real_log, now=NOW).new_cases == 0


def test_a_log_with_a_row_error_saves_nothing(people, policy):
    _admin, owner, account = people
    bad = log(row("INC1", "New", "07-03-2016 09:05"), row("INC2", "New", "07-03-2016 09:05", priority="9 - Urgent"))
    with pytest.raises(ValidationFailed) as refused:
        imports.servicenow_import(actor=owner, account=account, content=bad, now=NOW)
    assert refused.value.message.startswith("file: Row 3, priority: priority '9 - Urgent'")
    assert refused.value.field_errors["file"][0].startswith("Row 3, priority:")
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0 and AuditEvent.objects.filter(action="import").count() == 0


def test_an_import_is_all_or_nothing(people, policy, monkeypatch):
    _admin, owner, account = people

    def fails(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "cases_recompute", fails)
    with pytest.raises(RuntimeError):
        imports.servicenow_import(actor=owner, account=account, content=SMALL_LOG, now=NOW)
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_only_new_incidents_of_a_log_are_imported_and_numbers_follow_existing_ones(people, policy):
    admin, owner, account = people
    existing = services.case_open(actor=owner, account=account, data={"subject": "Printer", "priority": "moderate"}, now=NOW)
    first = imports.servicenow_import(actor=owner, account=account, content=log(row("INC1", "New", "07-03-2016 09:05")), now=NOW)
    assert (first.created, first.skipped) == (1, 0)
    result = imports.servicenow_import(actor=owner, account=account, content=SMALL_LOG, now=NOW)
    assert (result.created, result.skipped, result.events) == (1, 1, 1)
    assert Case.objects.get(pk=result.case_ids[0]).number == "CS-2016-000002"
    assert existing.number == "CS-2026-000001"
    # Another account may hold the same incident numbers: ServiceNow instances all start at INC0000001.
    other = AccountFactory(owner=owner, name="Other Desk")
    assert imports.servicenow_import(actor=admin, account=other, content=SMALL_LOG, now=NOW).created == 2
    assert set(Case.objects.filter(account=other).values_list("owner", flat=True)) == {owner.pk}  # the account's owner


def test_imported_history_keeps_the_holidays_of_its_years(people):
    """A 2016 case on a calendar with public holidays: Monday 26 and Tuesday 27 December 2016 were bank
    holidays in England, so 10 business hours from Friday 23 09:00 run to Wednesday 28 09:00."""
    admin, owner, account = people
    desk = services.calendar_create(
        actor=admin, data={"name": "London desk", "time_zone": "UTC", "week": ["08:00-18:00"] * 5 + ["", ""], "holiday_country": "GB"},
    )
    services.policy_create(
        actor=admin, data={"name": "Day", "calendar": desk, "is_default": True, "pause_statuses": list(PAUSABLE_STATUSES)},
        targets=[TargetInput("moderate", "resolution", 10 * 60)], now=NOW - dt.timedelta(days=1),
    )
    content = log(
        row("INC7", "New", "23-12-2016 09:05", opened="23-12-2016 09:00"),
        row("INC7", "Resolved", "28-12-2016 08:30", opened="23-12-2016 09:00"),
    )
    assert imports.servicenow_preview(actor=owner, account=account, content=content, now=NOW).outcomes == {"met": 1}
    result = imports.servicenow_import(actor=owner, account=account, content=content, now=NOW)
    target = CaseTarget.objects.get(case_id=result.case_ids[0])
    assert target.due_at == dt.datetime(2016, 12, 28, 9, tzinfo=dt.UTC)
    assert (target.status, result.met, result.breached) == ("met", 1, 0)
    # The single-case recompute agrees.
    case = Case.objects.select_related("policy_version").get(pk=result.case_ids[0])
    services.case_recompute(case, now=NOW)
    assert CaseTarget.objects.get(case=case).due_at == dt.datetime(2016, 12, 28, 9, tzinfo=dt.UTC)


def test_the_page_imports_the_checked_log_on_confirmation(client, people, policy, tmp_path):
    _admin, owner, account = people
    client.force_login(owner)
    checked = client.post(PAGE, {"file": upload(SMALL_LOG), "account": str(account.public_id), "time_zone": "UTC"})
    assert "Import 2 cases" in checked.content.decode()
    token = checked.context["token"]
    assert len(list((tmp_path / "imports").iterdir())) == 1 and Case.objects.count() == 0
    done = client.post(f"{PAGE}confirm/", {"token": token})
    assert done.status_code == 200, done.content
    page = done.content.decode()
    result = done.context["result"]
    assert (result.created, result.skipped, result.events) == (2, 0, 5)
    assert "2 cases imported" in page and f"/accounts/{account.public_id}/cases/" in page
    assert set(Case.objects.values_list("external_ref", flat=True)) == {"INC1", "INC2"}
    assert list((tmp_path / "imports").iterdir()) == []  # the kept file is gone once imported
    # The same token again, or an altered one, imports nothing.
    again = client.post(f"{PAGE}confirm/", {"token": token})
    assert again.status_code == 422 and "imported already" in again.content.decode()
    assert client.post(f"{PAGE}confirm/", {"token": token[:-2] + "xx"}).status_code == 422
    # Checked again: nothing new to import.
    rechecked = client.post(PAGE, {"file": upload(SMALL_LOG), "account": str(account.public_id), "time_zone": "UTC"})
    assert rechecked.context["preview"].new_cases == 0 and 'data-testid="import-nothing-new"' in rechecked.content.decode()
    assert Case.objects.count() == 2
    nothing_was_told()


def test_only_the_user_who_checked_a_log_may_confirm_it(client, people, policy):
    admin, owner, account = people
    client.force_login(owner)
    token = client.post(PAGE, {"file": upload(SMALL_LOG), "account": str(account.public_id), "time_zone": "UTC"}).context["token"]
    client.force_login(admin)
    assert client.post(f"{PAGE}confirm/", {"token": token}).status_code == 403
    bad = client.post(PAGE, {"file": upload(log(row("INC1", "New", "7-3-2016 09:05"))), "account": str(account.public_id), "time_zone": "UTC"})
    assert "token" not in bad.context and 'data-testid="import-confirm"' not in bad.content.decode()
    assert Case.objects.count() == 0


def test_the_api_imports_a_log_with_dry_run_false(client, people, policy):
    _admin, owner, _account = people
    response = client.post(API, {"file": upload(SMALL_LOG), "account": "Acme Service Desk", "dry_run": "false"}, headers=bearer(owner))
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("dry_run", "created", "skipped", "events", "met", "breached")} == {
        "dry_run": False, "created": 2, "skipped": 0, "events": 5, "met": 1, "breached": 1,
    }
    assert sorted(body["cases"]) == sorted(str(pk) for pk in Case.objects.values_list("public_id", flat=True))
    again = client.post(API, {"file": upload(SMALL_LOG), "account": "Acme Service Desk", "dry_run": "false"}, headers=bearer(owner))
    assert (again.status_code, again.json()["created"], again.json()["skipped"]) == (201, 0, 2)
    check = client.post(API, {"file": upload(SMALL_LOG), "account": "Acme Service Desk"}, headers=bearer(owner))
    assert check.json()["already_imported"] == 2
    assert Case.objects.count() == 2
    nothing_was_told()


def test_the_command_imports_without_dry_run(tmp_path, people, policy):
    _admin, owner, account = people
    path = tmp_path / "log.csv"
    path.write_text(SMALL_LOG)
    out = io.StringIO()
    call_command("import_servicenow", str(path), "--account", "Acme Service Desk", "--as-user", owner.username, stdout=out)
    assert "Imported: 2 cases created, 0 already imported (skipped), 5 events; 1 met, 1 breached" in out.getvalue()
    assert AuditEvent.objects.get(action="import").actor_id == owner.pk
    out = io.StringIO()
    call_command("import_servicenow", str(path), "--account", "Acme Service Desk", "--as-user", owner.username, stdout=out)
    assert "Imported: 0 cases created, 2 already imported (skipped)" in out.getvalue()
    assert Case.objects.filter(account=account).count() == 2


def test_a_case_number_taken_meanwhile_makes_the_import_try_again(people, policy, monkeypatch):
    """Numbers are worked out before the cases are written; if another writer took one in between, the
    unique number refuses the insert, the attempt is rolled back and the numbers are read again."""
    _admin, owner, account = people
    taken = services.case_open(actor=owner, account=account, data={"subject": "Printer"}, now=dt.datetime(2016, 3, 1, tzinfo=dt.UTC))
    assert taken.number == "CS-2016-000001"
    real = services._next_case_number
    stale = iter(["CS-2016-000001"])  # what a reader saw before the case above was saved
    monkeypatch.setattr(services, "_next_case_number", lambda year: next(stale, None) or real(year))
    result = imports.servicenow_import(actor=owner, account=account, content=SMALL_LOG, now=NOW)
    assert result.created == 2
    assert sorted(Case.objects.filter(external_source="servicenow").values_list("number", flat=True)) == ["CS-2016-000002", "CS-2016-000003"]
    assert CaseEvent.objects.filter(case__external_source="servicenow").count() == 5


def test_an_incident_still_open_keeps_its_old_alerts_as_history_and_later_ones_are_sent(people, policy, django_capture_on_commit_callbacks):
    """Opened in March 2016 and still new: breached long ago. Its alerts up to the import are recorded as
    history and the periodic job neither sends them nor escalates the case; nothing new is owed after."""
    from steward.core.models import Notification

    _admin, owner, account = people
    result = imports.servicenow_import(actor=owner, account=account, content=log(row("INC7", "New", "07-03-2016 09:05")), now=NOW)
    case = Case.objects.get(pk=result.case_ids[0])
    assert case.is_open and case.sla_breached
    history = list(CaseNotification.objects.filter(case=case).values_list("kind", "recipients"))
    assert ("breach", []) in history and all(recipients == [] for _kind, recipients in history)
    with django_capture_on_commit_callbacks(execute=True):
        services.cases_recompute_open(now=NOW + dt.timedelta(hours=1))
    nothing_was_told()
    assert not Notification.objects.exists()
