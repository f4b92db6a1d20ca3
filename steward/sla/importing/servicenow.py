"""Read a ServiceNow incident audit log (CSV, one row per update) into cases the SLA clock replays.

The log repeats an incident's fields on every row, each row being the incident as it stood after
one update at `sys_updated_at`. Only the columns the clock needs are read: `number`,
`incident_state`, `reopen_count`, `made_sla`, `opened_at`, `sys_updated_at`, `category` and
`priority`. Timestamps are `dd-mm-yyyy HH:MM` (seconds allowed), day first, without a zone: the
caller names the IANA zone they were recorded in and every instant comes out in UTC. `?` (or an
empty cell) means "not recorded".

How the rows become events (docs/sla/servicenow-import.md says the same in prose):

- An incident's rows are taken in `sys_updated_at` order; rows with the same time keep their
  order in the file (the log lists several updates of one minute in the order they were made).
  Rows of one incident need not be next to each other.
- `created` at `opened_at`, with the first row's category, the first readable priority, and the
  first row's state when that is an open one (a first row already Resolved or Closed gives its
  own event, see below).
- A change of `incident_state` from one row to the next is one event at the later row's time:
  `resolved` on entering Resolved, `closed` on entering Closed, `reopened` on leaving Resolved for
  an open state while `reopen_count` went up, otherwise `status_changed`. Each carries the new
  status (`STATUSES`); the Awaiting states are `AWAITING_STATUSES`, for a policy's pauses.
- A change of `priority` gives `priority_changed`, of `category` `category_changed`, both before
  the state event of the same row.

What is reported rather than raised (an `ImportProblem` names the CSV line and column):

- An unreadable or missing value: the row keeps the incident's previous value for that column
  (an unreadable state or priority changes nothing); a row without a readable `sys_updated_at`
  cannot be placed in time and is left out. A row with the wrong number of cells is left out.
- A row timed before `opened_at` is taken as at `opened_at` (the clock cannot run before it).
- A row that leaves Resolved for an open state without `reopen_count` going up, or leaves Closed,
  is a late copy of an older update, not a reopening: it is left out.
- An incident without any readable `opened_at` starts at its first update; one without any row
  that can be placed in time is left out, and that is reported too. Nothing is dropped silently.

Only a file that is not such a log at all (no header, a required column missing) raises.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

STATUS_RESOLVED = "resolved"
STATUS_CLOSED = "closed"

STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "New": "new",
        "Active": "active",
        "Awaiting User Info": "awaiting_user_info",
        "Awaiting Problem": "awaiting_problem",
        "Awaiting Vendor": "awaiting_vendor",
        "Awaiting Evidence": "awaiting_evidence",
        "Resolved": STATUS_RESOLVED,
        "Closed": STATUS_CLOSED,
    }
)
"""`incident_state` as written in the log -> the case status used in events."""

AWAITING_STATUSES = frozenset(s for s in STATUSES.values() if s.startswith("awaiting_"))
"""The statuses in which the incident waits on someone else: a policy's usual pause statuses."""

OPEN_STATUSES = frozenset(STATUSES.values()) - {STATUS_RESOLVED, STATUS_CLOSED}

PRIORITIES: Mapping[str, str] = MappingProxyType(
    {"1 - critical": "critical", "2 - high": "high", "3 - moderate": "moderate", "4 - low": "low"}
)
"""`priority` as written in the log (lower case, single spaces) -> the policy's priority name."""

# Kinds of ImportProblem.
MISSING_VALUE = "missing_value"
INVALID_VALUE = "invalid_value"
MALFORMED_ROW = "malformed_row"
BEFORE_OPENED = "before_opened"
STALE_ROW = "stale_row"
INCONSISTENT_VALUE = "inconsistent_value"
OPENED_AT_ASSUMED = "opened_at_assumed"
INCIDENT_LEFT_OUT = "incident_left_out"

REQUIRED_COLUMNS = (
    "number",
    "incident_state",
    "reopen_count",
    "made_sla",
    "opened_at",
    "sys_updated_at",
    "category",
    "priority",
)

_MISSING = frozenset({"", "?"})
# Two-digit fields only: a single digit would more likely be a shifted column than a date.
_TIMESTAMP = re.compile(r"(\d\d)-(\d\d)-(\d{4}) (\d\d):(\d\d)(?::(\d\d))?", re.ASCII)
_FLAGS: Mapping[str, bool] = MappingProxyType({"true": True, "false": False})


@dataclass(frozen=True)
class ImportProblem:
    """Something in the file that could not be read as it stands, and what was done about it.

    `line` is the CSV line (the header is line 1), `field` the column concerned (empty when the
    whole row is), `message` says what was wrong and what the importer did instead; `kind`
    groups problems for statistics.
    """

    line: int
    field: str
    message: str
    kind: str = INVALID_VALUE


@dataclass(frozen=True)
class ImportedCase:
    """One incident, ready for `evaluate_clock`: its facts and its events in time order.

    `priority`, `category` and `made_sla` are the values at the incident's last update (the log's
    own SLA verdict is `made_sla`); `line` is the CSV line of its first row and `rows` how many
    rows it had in the file.
    """

    number: str
    opened_at: dt.datetime
    priority: str | None
    category: str | None
    made_sla: bool | None
    reopen_count: int | None
    events: tuple[Event, ...]
    line: int
    rows: int


@dataclass(frozen=True)
class ImportResult:
    """Everything read from one log: its cases in file order, the problems, the data rows read."""

    cases: tuple[ImportedCase, ...]
    problems: tuple[ImportProblem, ...]
    rows: int

    def case(self, number: str) -> ImportedCase | None:
        """The case of incident `number`, or None when the log has none."""
        return next((case for case in self.cases if case.number == number), None)


@dataclass(frozen=True)
class ImportStatistics:
    """Counts that say at a glance what an import produced and what it had to work around."""

    rows: int
    incidents: int
    events: int
    events_by_kind: Mapping[str, int] = field(hash=False)
    problems: int
    problems_by_kind: Mapping[str, int] = field(hash=False)


@dataclass(frozen=True)
class _Row:
    """One data row, parsed; None where the value is missing or unreadable."""

    line: int
    updated: dt.datetime | None
    opened: dt.datetime | None
    status: str | None
    priority: str | None
    category: str | None
    reopen_count: int | None
    made_sla: bool | None


def read_incident_log(
    source: str | os.PathLike[str] | TextIO, *, time_zone: str = "UTC"
) -> ImportResult:
    """Parse a ServiceNow incident log (a path or an open text stream) into cases and problems.

    `time_zone` is the IANA zone the log's local timestamps were written in. Raises ValueError
    only for an unknown zone or a file without the log's header; bad rows become problems.
    """
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {time_zone!r}") from error
    if isinstance(source, str | os.PathLike):
        with Path(source).open(encoding="utf-8-sig", newline="") as stream:
            return _read(stream, zone)
    return _read(source, zone)


def import_statistics(result: ImportResult) -> ImportStatistics:
    """Rows, incidents and events read, and problems met, each also counted by kind."""
    events = Counter(event.kind for case in result.cases for event in case.events)
    problems = Counter(problem.kind for problem in result.problems)
    return ImportStatistics(
        rows=result.rows,
        incidents=len(result.cases),
        events=sum(events.values()),
        events_by_kind=MappingProxyType(dict(sorted(events.items()))),
        problems=len(result.problems),
        problems_by_kind=MappingProxyType(dict(sorted(problems.items()))),
    )


class _Reader:
    """Cell parsers that remember what they have read (timestamps repeat a lot) and log problems."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.utc = zone.key == "UTC"
        self.problems: list[ImportProblem] = []
        self._instants: dict[str, dt.datetime | None] = {}

    def problem(self, line: int, column: str, message: str, kind: str) -> None:
        self.problems.append(ImportProblem(line, column, message, kind))

    def instant(self, text: str, line: int, column: str, consequence: str) -> dt.datetime | None:
        if text in _MISSING:
            self.problem(line, column, f"{column} is missing; {consequence}", MISSING_VALUE)
            return None
        if text in self._instants:
            moment = self._instants[text]
        else:
            moment = self._instants[text] = self._parse_instant(text)
        if moment is None:
            self.problem(
                line,
                column,
                f"{column} {text!r} is not a time like 'dd-mm-yyyy HH:MM'; {consequence}",
                INVALID_VALUE,
            )
        return moment

    def _parse_instant(self, text: str) -> dt.datetime | None:
        match = _TIMESTAMP.fullmatch(text)
        if match is None:
            return None
        day, month, year, hour, minute, second = match.groups()
        try:
            local = dt.datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
            )
        except ValueError:
            return None
        if self.utc:
            return local.replace(tzinfo=dt.UTC)
        # fold=0: a repeated wall time is its first occurrence.
        return local.replace(tzinfo=self.zone).astimezone(dt.UTC)

    def status(self, text: str, line: int) -> str | None:
        status = STATUSES.get(text)
        if status is None:
            kind = MISSING_VALUE if text in _MISSING else INVALID_VALUE
            self.problem(
                line,
                "incident_state",
                f"incident_state {text!r} is not a known state; the row changes no state",
                kind,
            )
        return status

    def priority(self, text: str, line: int) -> str | None:
        priority = PRIORITIES.get(" ".join(text.split()).lower())
        if priority is None:
            kind = MISSING_VALUE if text in _MISSING else INVALID_VALUE
            self.problem(
                line,
                "priority",
                f"priority {text!r} is not one of '1 - Critical' to '4 - Low'; "
                "the previous priority is kept",
                kind,
            )
        return priority

    def count(self, text: str, line: int) -> int | None:
        if text.isascii() and text.isdigit():
            return int(text)
        kind = MISSING_VALUE if text in _MISSING else INVALID_VALUE
        self.problem(
            line,
            "reopen_count",
            f"reopen_count {text!r} is not a whole number; the previous count is kept",
            kind,
        )
        return None

    def flag(self, text: str, line: int) -> bool | None:
        if text in _MISSING:
            return None
        flag = _FLAGS.get(text.lower())
        if flag is None:
            self.problem(
                line, "made_sla", f"made_sla {text!r} is neither TRUE nor FALSE", INVALID_VALUE
            )
        return flag


def _read(stream: Iterable[str], zone: ZoneInfo) -> ImportResult:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise ValueError("the file is empty: expected a ServiceNow incident log with a header row")
    names = [name.strip().lstrip("\ufeff") for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise ValueError(f"not a ServiceNow incident log: missing columns {', '.join(missing)}")
    at = {name: names.index(name) for name in REQUIRED_COLUMNS}
    width = len(names)
    parse = _Reader(zone)
    incidents: dict[str, list[_Row]] = {}
    rows = 0
    previous_end = reader.line_num
    for record in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not record:
            continue
        rows += 1
        if len(record) != width:
            parse.problem(
                line,
                "",
                f"the row has {len(record)} cells where the header has {width}; row left out",
                MALFORMED_ROW,
            )
            continue
        number = record[at["number"]].strip()
        if number in _MISSING:
            parse.problem(line, "number", "number is missing; row left out", MISSING_VALUE)
            continue
        incidents.setdefault(number, []).append(_row(record, at, line, parse))
    cases = []
    for number, incident_rows in incidents.items():
        case = _case(number, incident_rows, parse)
        if case is not None:
            cases.append(case)
    problems = sorted(parse.problems, key=lambda problem: problem.line)
    return ImportResult(tuple(cases), tuple(problems), rows)


def _row(record: list[str], at: Mapping[str, int], line: int, parse: _Reader) -> _Row:
    """The cells the clock needs, parsed; problems are logged by `parse`."""

    def cell(name: str) -> str:
        return record[at[name]].strip()

    category = cell("category")
    return _Row(
        line=line,
        updated=parse.instant(cell("sys_updated_at"), line, "sys_updated_at", "row left out"),
        opened=parse.instant(
            cell("opened_at"), line, "opened_at", "taken from the incident's other rows"
        ),
        status=parse.status(cell("incident_state"), line),
        priority=parse.priority(cell("priority"), line),
        category=None if category in _MISSING else category,
        reopen_count=parse.count(cell("reopen_count"), line),
        made_sla=parse.flag(cell("made_sla"), line),
    )


def _case(number: str, rows: list[_Row], parse: _Reader) -> ImportedCase | None:
    """One incident's rows (file order) as a case, or None (reported) when none can be placed."""
    first_line = rows[0].line
    timed = sorted((row for row in rows if row.updated is not None), key=_updated)
    if not timed:
        parse.problem(
            first_line,
            "sys_updated_at",
            f"{number}: no row has a readable sys_updated_at; the incident is left out",
            INCIDENT_LEFT_OUT,
        )
        return None
    opened = _opened_at(number, rows, timed, parse)
    priority = next((row.priority for row in timed if row.priority is not None), None)
    category = timed[0].category  # optional: `?` here means "none yet", not "unreadable"
    reopens = next((row.reopen_count for row in timed if row.reopen_count is not None), None)
    status = timed[0].status if timed[0].status in OPEN_STATUSES else None
    events = [Event(opened, CREATED, status=status, priority=priority, category=category)]
    for row in timed:
        at = _updated(row)
        if at < opened:
            parse.problem(
                row.line,
                "sys_updated_at",
                f"{number}: updated at {at:%Y-%m-%d %H:%M} UTC, before it was opened at "
                f"{opened:%Y-%m-%d %H:%M} UTC; taken as at the opening",
                BEFORE_OPENED,
            )
            at = opened
        reopened = (
            row.reopen_count is not None and reopens is not None and row.reopen_count > reopens
        )
        new = row.status
        if _is_stale(status, new, reopened=reopened):
            why = "closed is final" if status == STATUS_CLOSED else "reopen_count did not go up"
            parse.problem(
                row.line,
                "incident_state",
                f"{number}: state {new!r} after {status!r} ({why}); taken for a late copy "
                "of an earlier update and left out",
                STALE_ROW,
            )
            continue
        if row.priority is not None and row.priority != priority:
            priority = row.priority
            events.append(Event(at, PRIORITY_CHANGED, priority=priority))
        if row.category is not None and row.category != category:
            category = row.category
            events.append(Event(at, CATEGORY_CHANGED, category=category))
        if row.reopen_count is not None:
            reopens = row.reopen_count
        if new is None or new == status:
            continue
        if new == STATUS_RESOLVED:
            kind = RESOLVED
        elif new == STATUS_CLOSED:
            kind = CLOSED
        elif status == STATUS_RESOLVED:
            kind = REOPENED
        else:
            kind = STATUS_CHANGED
        events.append(Event(at, kind, status=new))
        status = new
    flags = (row.made_sla for row in reversed(timed) if row.made_sla is not None)
    return ImportedCase(
        number=number,
        opened_at=opened,
        priority=priority,
        category=category,
        made_sla=next(flags, None),
        reopen_count=reopens,
        events=tuple(events),
        line=first_line,
        rows=len(rows),
    )


def _is_stale(status: str | None, new: str | None, *, reopened: bool) -> bool:
    """Whether a row's state cannot follow the current one: a late copy of an older update.

    Closed is final; leaving Resolved for an open state is a reopening only when the row's
    `reopen_count` went up.
    """
    if new is None or new == status:
        return False
    if status == STATUS_CLOSED:
        return True
    return status == STATUS_RESOLVED and new != STATUS_CLOSED and not reopened


def _updated(row: _Row) -> dt.datetime:
    assert row.updated is not None
    return row.updated


def _opened_at(number: str, rows: list[_Row], timed: list[_Row], parse: _Reader) -> dt.datetime:
    """The incident's opening: the first readable `opened_at`, else its first update (reported)."""
    readable = [row for row in rows if row.opened is not None]
    if not readable:
        opened = _updated(timed[0])
        parse.problem(
            rows[0].line,
            "opened_at",
            f"{number}: no row has a readable opened_at; opened at its first update, "
            f"{opened:%Y-%m-%d %H:%M} UTC",
            OPENED_AT_ASSUMED,
        )
        return opened
    first = readable[0]
    for row in readable[1:]:
        if row.opened != first.opened:
            parse.problem(
                row.line,
                "opened_at",
                f"{number}: opened_at differs from line {first.line}; the first is used",
                INCONSISTENT_VALUE,
            )
    assert first.opened is not None
    return first.opened
