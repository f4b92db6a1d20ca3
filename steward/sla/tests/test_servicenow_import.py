"""Reading a ServiceNow incident audit log into SLA clock events, without a database.

Small inline logs pin each rule (day-first times, `?`, reopenings, Awaiting states, priority
changes, row order, bad values and their line numbers); the real log in shared/data checks the
counts and a few incidents whose expected events were written out by hand from the file.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import pytest

from steward.sla.engine.clock import (
    CATEGORY_CHANGED,
    CLOSED,
    CREATED,
    PRIORITY_CHANGED,
    REOPENED,
    RESOLVED,
    STATUS_CHANGED,
    Event,
)
from steward.sla.importing.servicenow import (
    AWAITING_STATUSES,
    BEFORE_OPENED,
    INCIDENT_LEFT_OUT,
    INVALID_VALUE,
    MALFORMED_ROW,
    MISSING_VALUE,
    OPENED_AT_ASSUMED,
    STALE_ROW,
    ImportedCase,
    ImportProblem,
    ImportResult,
    import_statistics,
    read_incident_log,
)

LOG = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "data"
    / "servicenow-incident-log-subset"
    / "incident_event_log.csv"
)
MISSING_LOG = f"the ServiceNow incident log is not at {LOG} (shared/data beside the repo)"
HEADER = (
    "number,incident_state,active,reopen_count,made_sla,opened_at,sys_updated_at,category,priority"
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def read(*rows: str, time_zone: str = "UTC") -> ImportResult:
    """A log of `rows` under HEADER: the first row is CSV line 2."""
    text = "\n".join((HEADER, *rows)) + "\n"
    return read_incident_log(io.StringIO(text), time_zone=time_zone)


def only_case(result: ImportResult) -> ImportedCase:
    assert len(result.cases) == 1, result.cases
    return result.cases[0]


def problems(result: ImportResult) -> list[tuple[int, str, str]]:
    return [(p.line, p.field, p.kind) for p in result.problems]


# Inline logs ------------------------------------------------------------------------------------


def test_timestamps_are_day_first_and_read_in_the_given_zone():
    rows = (
        "INC1,New,TRUE,0,TRUE,05-03-2016 09:15,05-03-2016 09:20,Category 1,3 - Moderate",
        "INC1,Resolved,TRUE,0,TRUE,05-03-2016 09:15,12-03-2016 10:00,Category 1,3 - Moderate",
        "INC1,Closed,FALSE,0,TRUE,05-03-2016 09:15,01-07-2016 12:00,Category 1,3 - Moderate",
    )
    case = only_case(read(*rows))
    assert case.opened_at == utc(2016, 3, 5, 9, 15)  # 5 March, not 3 May
    assert [e.at for e in case.events] == [
        utc(2016, 3, 5, 9, 15),
        utc(2016, 3, 12, 10),  # 12 March, not 3 December
        utc(2016, 7, 1, 12),
    ]
    berlin = only_case(read(*rows, time_zone="Europe/Berlin"))
    # CET (+01:00) in March, CEST (+02:00) in July.
    assert berlin.opened_at == utc(2016, 3, 5, 8, 15)
    assert [e.at for e in berlin.events] == [
        utc(2016, 3, 5, 8, 15),
        utc(2016, 3, 12, 9),
        utc(2016, 7, 1, 10),
    ]


def test_question_marks_are_missing_values_kept_from_the_rows_before():
    result = read(
        "INC1,New,TRUE,0,?,01-03-2016 09:00,01-03-2016 09:05,?,4 - Low",
        "INC1,Active,TRUE,?,TRUE,01-03-2016 09:00,01-03-2016 09:30,Category 7,?",
        "INC1,Active,TRUE,0,TRUE,01-03-2016 09:00,?,Category 8,1 - Critical",
        "INC1,Resolved,TRUE,0,?,01-03-2016 09:00,01-03-2016 11:00,?,4 - Low",
    )
    case = only_case(result)
    # A missing category is no problem (it is optional); a missing priority or reopen count
    # keeps the previous one; a row that cannot be placed in time (line 4) is left out.
    assert problems(result) == [
        (3, "priority", MISSING_VALUE),
        (3, "reopen_count", MISSING_VALUE),
        (4, "sys_updated_at", MISSING_VALUE),
    ]
    assert case.events == (
        Event(utc(2016, 3, 1, 9), CREATED, status="new", priority="low", category=None),
        Event(utc(2016, 3, 1, 9, 30), CATEGORY_CHANGED, category="Category 7"),
        Event(utc(2016, 3, 1, 9, 30), STATUS_CHANGED, status="active"),
        Event(utc(2016, 3, 1, 11), RESOLVED, status="resolved"),
    )
    # made_sla is `?` on the last row: the latest readable flag stands.
    assert (case.priority, case.category, case.made_sla) == ("low", "Category 7", True)


def test_leaving_resolved_while_reopen_count_goes_up_is_a_reopening():
    result = read(
        "INC2,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:05,Category 1,2 - High",
        "INC2,Resolved,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 1,2 - High",
        "INC2,Active,TRUE,1,TRUE,01-03-2016 09:00,02-03-2016 11:00,Category 1,2 - High",
        "INC2,Resolved,TRUE,1,TRUE,01-03-2016 09:00,02-03-2016 12:00,Category 1,2 - High",
        "INC2,Closed,FALSE,1,FALSE,01-03-2016 09:00,07-03-2016 12:00,Category 1,2 - High",
    )
    case = only_case(result)
    assert result.problems == ()
    assert case.events == (
        Event(utc(2016, 3, 1, 9), CREATED, status="new", priority="high", category="Category 1"),
        Event(utc(2016, 3, 1, 10), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 2, 11), REOPENED, status="active"),
        Event(utc(2016, 3, 2, 12), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 7, 12), CLOSED, status="closed"),
    )
    assert (case.reopen_count, case.made_sla) == (1, False)


def test_awaiting_states_become_the_pause_statuses():
    assert {
        "awaiting_user_info",
        "awaiting_problem",
        "awaiting_vendor",
        "awaiting_evidence",
    } == AWAITING_STATUSES
    case = only_case(
        read(
            "INC3,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
            "INC3,Awaiting User Info,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 1,3 - Moderate",
            "INC3,Awaiting User Info,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:30,Category 1,3 - Moderate",
            "INC3,Awaiting Vendor,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 11:00,Category 1,3 - Moderate",
            "INC3,Active,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 12:00,Category 1,3 - Moderate",
        )
    )
    # A repeated state (10:30) is no change; Awaiting -> Awaiting is a change of status.
    assert case.events[1:] == (
        Event(utc(2016, 3, 1, 10), STATUS_CHANGED, status="awaiting_user_info"),
        Event(utc(2016, 3, 1, 11), STATUS_CHANGED, status="awaiting_vendor"),
        Event(utc(2016, 3, 1, 12), STATUS_CHANGED, status="active"),
    )


def test_priority_and_category_changes_come_before_the_state_change_of_the_same_row():
    case = only_case(
        read(
            "INC4,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
            "INC4,Active,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:40,Category 2,1 - Critical",
            "INC4,Active,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 2, 2  -  high ",
        )
    )
    assert case.events[1:] == (
        Event(utc(2016, 3, 1, 9, 40), PRIORITY_CHANGED, priority="critical"),
        Event(utc(2016, 3, 1, 9, 40), CATEGORY_CHANGED, category="Category 2"),
        Event(utc(2016, 3, 1, 9, 40), STATUS_CHANGED, status="active"),
        Event(utc(2016, 3, 1, 10), PRIORITY_CHANGED, priority="high"),
    )
    assert (case.events[0].priority, case.priority) == ("moderate", "high")


def test_bad_dates_are_problems_naming_their_line_and_the_incident_is_kept():
    result = read(
        "INC5,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
        "INC5,Active,TRUE,0,TRUE,2016-03-01 09:00,31-02-2016 10:00,Category 1,3 - Moderate",
        "INC5,Active,TRUE,0,TRUE,01-03-2016 09:00,1-3-2016 10:00,Category 1,3 - Moderate",
        "INC5,Resolved,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 12:00,Category 1,3 - Moderate",
    )
    assert problems(result) == [
        (3, "sys_updated_at", INVALID_VALUE),  # 31 February
        (3, "opened_at", INVALID_VALUE),  # year first
        (4, "sys_updated_at", INVALID_VALUE),  # single-digit day and month
    ]
    assert result.problems[0] == ImportProblem(
        3,
        "sys_updated_at",
        "sys_updated_at '31-02-2016 10:00' is not a time like 'dd-mm-yyyy HH:MM'; row left out",
        INVALID_VALUE,
    )
    case = only_case(result)
    assert case.events == (
        Event(
            utc(2016, 3, 1, 9), CREATED, status="new", priority="moderate", category="Category 1"
        ),
        Event(utc(2016, 3, 1, 12), RESOLVED, status="resolved"),
    )


def test_rows_are_taken_in_time_order_and_rows_of_the_same_minute_in_file_order():
    case = only_case(
        read(
            "INC6,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
            "INC6,Resolved,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 11:00,Category 1,3 - Moderate",
            "INC6,Active,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 1,3 - Moderate",
            "INC6,Awaiting Problem,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 1,3 - Moderate",
            "INC6,Closed,FALSE,0,TRUE,01-03-2016 09:00,06-03-2016 11:00,Category 1,3 - Moderate",
        )
    )
    assert [(e.at, e.kind, e.status) for e in case.events] == [
        (utc(2016, 3, 1, 9), CREATED, "new"),
        (utc(2016, 3, 1, 10), STATUS_CHANGED, "active"),
        (utc(2016, 3, 1, 10), STATUS_CHANGED, "awaiting_problem"),
        (utc(2016, 3, 1, 11), RESOLVED, "resolved"),
        (utc(2016, 3, 6, 11), CLOSED, "closed"),
    ]


def test_an_open_state_after_resolved_without_a_reopen_count_is_a_stale_row():
    result = read(
        "INC7,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
        "INC7,Resolved,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 1,3 - Moderate",
        "INC7,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:05,Category 1,1 - Critical",
        "INC7,Closed,FALSE,0,TRUE,01-03-2016 09:00,06-03-2016 10:00,Category 1,3 - Moderate",
        "INC7,Active,TRUE,1,TRUE,01-03-2016 09:00,07-03-2016 10:00,Category 1,3 - Moderate",
    )
    assert problems(result) == [(4, "incident_state", STALE_ROW), (6, "incident_state", STALE_ROW)]
    assert "reopen_count did not go up" in result.problems[0].message
    assert "closed is final" in result.problems[1].message
    # The stale row's other values (its priority) are left out with it.
    assert only_case(result).events == (
        Event(
            utc(2016, 3, 1, 9), CREATED, status="new", priority="moderate", category="Category 1"
        ),
        Event(utc(2016, 3, 1, 10), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 6, 10), CLOSED, status="closed"),
    )


def test_a_row_timed_before_the_opening_is_taken_as_at_the_opening():
    result = read(
        "INC8,Active,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 08:30,Category 1,3 - Moderate",
        "INC8,Awaiting User Info,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:10,Category 1,3 - Moderate",
    )
    assert problems(result) == [(2, "sys_updated_at", BEFORE_OPENED)]
    assert only_case(result).events == (
        Event(
            utc(2016, 3, 1, 9), CREATED, status="active", priority="moderate", category="Category 1"
        ),
        Event(utc(2016, 3, 1, 9, 10), STATUS_CHANGED, status="awaiting_user_info"),
    )


def test_an_unknown_state_is_reported_and_changes_nothing():
    result = read(
        "INC9,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
        "INC9,-100,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:30,Category 1,3 - Moderate",
        "INC9,Active,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 1,3 - Moderate",
    )
    assert problems(result) == [(3, "incident_state", INVALID_VALUE)]
    assert [e.kind for e in only_case(result).events] == [CREATED, STATUS_CHANGED]


def test_a_first_row_already_resolved_gives_a_resolved_event_after_the_creation():
    case = only_case(read("INC10,Resolved,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:20,?,4 - Low"))
    assert case.events == (
        Event(utc(2016, 3, 1, 9), CREATED, status=None, priority="low", category=None),
        Event(utc(2016, 3, 1, 9, 20), RESOLVED, status="resolved"),
    )


def test_no_incident_is_dropped_without_a_problem_saying_so():
    result = read(
        "INC11,New,TRUE,0,TRUE,01-03-2016 09:00,?,Category 1,3 - Moderate",
        "INC12,New,TRUE,0,TRUE,?,01-03-2016 09:30,Category 1,3 - Moderate",
        "INC13,New,TRUE,0,TRUE,01-03-2016 09:00",
        ",New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:30,Category 1,3 - Moderate",
    )
    assert problems(result) == [
        (2, "sys_updated_at", MISSING_VALUE),
        (2, "sys_updated_at", INCIDENT_LEFT_OUT),
        (3, "opened_at", MISSING_VALUE),
        (3, "opened_at", OPENED_AT_ASSUMED),
        (4, "", MALFORMED_ROW),
        (5, "number", MISSING_VALUE),
    ]
    assert "INC11" in result.problems[1].message
    # INC12 has no opening time: it opens at its first update.
    assert [(c.number, c.opened_at) for c in result.cases] == [("INC12", utc(2016, 3, 1, 9, 30))]
    assert result.rows == 4


def test_a_file_that_is_not_an_incident_log_raises():
    with pytest.raises(
        ValueError, match=r"not a ServiceNow incident log: missing columns .*sys_updated_at"
    ):
        read_incident_log(io.StringIO("number,incident_state,reopen_count\nINC1,New,0\n"))
    with pytest.raises(ValueError, match="empty"):
        read_incident_log(io.StringIO(""))
    with pytest.raises(ValueError, match="unknown time zone"):
        read_incident_log(io.StringIO(HEADER), time_zone="Mars/Olympus")


def test_a_path_and_a_stream_give_the_same_result(tmp_path):
    text = "\n".join(
        (
            HEADER,
            "INC1,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
            "INC1,Resolved,TRUE,0,FALSE,01-03-2016 09:00,01-03-2016 10:00,Category 1,3 - Moderate",
        )
    )
    path = tmp_path / "log.csv"
    path.write_text("\ufeff" + text, encoding="utf-8")
    assert (
        read_incident_log(path)
        == read_incident_log(str(path))
        == read_incident_log(io.StringIO(text))
    )


def test_statistics_count_incidents_events_and_problems_by_kind():
    result = read(
        "INC1,New,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 09:00,Category 1,3 - Moderate",
        "INC1,Resolved,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 10:00,Category 1,3 - Moderate",
        "INC2,Active,TRUE,0,TRUE,01-03-2016 09:00,01-03-2016 08:00,Category 1,bogus",
        "INC2,Active,TRUE,0,TRUE,01-03-2016 09:00,31-12-2016 25:00,Category 1,3 - Moderate",
    )
    stats = import_statistics(result)
    assert (stats.rows, stats.incidents, stats.events, stats.problems) == (4, 2, 3, 3)
    assert dict(stats.events_by_kind) == {CREATED: 2, RESOLVED: 1}
    assert dict(stats.problems_by_kind) == {BEFORE_OPENED: 1, INVALID_VALUE: 2}


# The real log ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_log() -> ImportResult:
    if not LOG.exists():
        pytest.skip(MISSING_LOG)
    return read_incident_log(LOG)


def test_the_real_log_has_890_incidents_in_5998_rows(real_log):
    stats = import_statistics(real_log)
    assert (stats.rows, stats.incidents) == (5998, 890)
    assert len({case.number for case in real_log.cases}) == 890
    assert sum(case.rows for case in real_log.cases) == 5998
    assert (real_log.cases[0].number, real_log.cases[-1].number) == ("INC0000045", "INC0001434")
    assert dict(stats.events_by_kind) == {
        CATEGORY_CHANGED: 68,
        CLOSED: 890,
        CREATED: 890,
        PRIORITY_CHANGED: 45,
        REOPENED: 11,
        RESOLVED: 901,
        STATUS_CHANGED: 754,
    }
    assert stats.events == 3559


def test_the_real_log_problems_are_five_early_rows_and_one_stale_row(real_log):
    # Checked by hand: these rows' sys_updated_at is before their incident's opened_at, and
    # line 359 (INC0000137, New at 11:10) is written before the 09:52 row of the same incident
    # while its Resolved row is at 11:03, with reopen_count still 0.
    assert problems(real_log) == [
        (330, "sys_updated_at", BEFORE_OPENED),
        (336, "sys_updated_at", BEFORE_OPENED),
        (346, "sys_updated_at", BEFORE_OPENED),
        (351, "sys_updated_at", BEFORE_OPENED),
        (359, "incident_state", STALE_ROW),
        (438, "sys_updated_at", BEFORE_OPENED),
    ]
    assert real_log.problems[0].message.startswith("INC0000130: updated at 2016-02-29 07:27 UTC")


def case_of(result: ImportResult, number: str) -> ImportedCase:
    case = result.case(number)
    assert case is not None, number
    return case


def test_real_incident_inc0000045_resolved_once(real_log):
    # Lines 2-5: New 01:23, Resolved 08:53, Resolved 11:29, Closed 5 March 12:00; opened 01:16.
    case = case_of(real_log, "INC0000045")
    assert (case.opened_at, case.priority, case.category, case.made_sla, case.rows) == (
        utc(2016, 2, 29, 1, 16),
        "moderate",
        "Category 55",
        True,
        4,
    )
    assert case.events == (
        Event(
            utc(2016, 2, 29, 1, 16),
            CREATED,
            status="new",
            priority="moderate",
            category="Category 55",
        ),
        Event(utc(2016, 2, 29, 8, 53), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 5, 12), CLOSED, status="closed"),
    )


def test_real_incident_inc0000102_waits_and_is_reopened(real_log):
    # Lines 203-221: Awaiting User Info twice, resolved 14 March, reopened (reopen_count 1) on
    # 17 March at 16:27 and resolved a minute later; made_sla turns FALSE on the Closed row.
    case = case_of(real_log, "INC0000102")
    assert (case.line, case.rows, case.reopen_count, case.made_sla) == (203, 19, 1, False)
    assert case.events == (
        Event(
            utc(2016, 2, 29, 9, 6),
            CREATED,
            status="new",
            priority="moderate",
            category="Category 37",
        ),
        Event(utc(2016, 2, 29, 20, 9), STATUS_CHANGED, status="awaiting_user_info"),
        Event(utc(2016, 3, 3, 17, 29), STATUS_CHANGED, status="active"),
        Event(utc(2016, 3, 7, 11, 50), STATUS_CHANGED, status="awaiting_user_info"),
        Event(utc(2016, 3, 14, 8, 13), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 17, 16, 27), REOPENED, status="active"),
        Event(utc(2016, 3, 17, 16, 28), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 24, 18, 59), CLOSED, status="closed"),
    )


def test_real_incident_inc0000062_is_raised_to_high(real_log):
    # Lines 26-33: 3 - Moderate at 07:26, 2 - High from 07:29, still New when resolved 15:51.
    case = case_of(real_log, "INC0000062")
    assert case.events == (
        Event(
            utc(2016, 2, 29, 6, 58),
            CREATED,
            status="new",
            priority="moderate",
            category="Category 53",
        ),
        Event(utc(2016, 2, 29, 7, 29), PRIORITY_CHANGED, priority="high"),
        Event(utc(2016, 2, 29, 15, 51), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 5, 16), CLOSED, status="closed"),
    )
    assert (case.priority, case.made_sla) == ("high", False)


def test_real_incident_inc0000137_ignores_its_stale_row(real_log):
    # Lines 359-362 in file order: New 11:10, New 09:52, Resolved 11:03, Closed 5 March 12:00.
    case = case_of(real_log, "INC0000137")
    assert case.events == (
        Event(
            utc(2016, 2, 29, 9, 48),
            CREATED,
            status="new",
            priority="moderate",
            category="Category 32",
        ),
        Event(utc(2016, 2, 29, 11, 3), RESOLVED, status="resolved"),
        Event(utc(2016, 3, 5, 12), CLOSED, status="closed"),
    )


def test_every_real_case_starts_with_its_creation_and_runs_forward(real_log):
    for case in real_log.cases:
        assert case.events[0] == Event(
            case.opened_at,
            CREATED,
            status=case.events[0].status,
            priority=case.events[0].priority,
            category=case.events[0].category,
        )
        times = [event.at for event in case.events]
        assert times == sorted(times), case.number
        assert case.events[-1].kind == CLOSED, case.number


def test_the_real_log_imports_well_under_a_second():
    if not LOG.exists():
        pytest.skip(MISSING_LOG)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        read_incident_log(LOG)
        best = min(best, time.perf_counter() - started)
    assert best < 1.0, f"{best:.2f} s"
