"""ServiceNow incident logs as Steward cases: the Django side of `importing/servicenow.py`.

The pure reader turns the CSV into incidents, each with the clock's events. Here the log is read
for an account the user may work on, ServiceNow's states are put onto case statuses, each case
gets the policy version that matches it when it opens (or the one the user picks), and the clock
is run over every history in memory, so the user sees what an import would give before anything
is written: incidents, events, the dates covered, the rows that cannot be read (by row and
field) and how many cases would meet or breach their targets.

Problems the reader worked around by a documented rule (a row updated before the opening, a late
copy of an older update) are warnings; a row or value it had to leave out or guess is an error,
and a file with an error is not imported at all.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import io
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from steward.accounts.models import Account
from steward.accounts.selectors import accounts_visible_to
from steward.core import audit
from steward.core.errors import NotFound, PermissionDenied, ValidationFailed
from steward.sla import bulk, selectors, services
from steward.sla.choices import OPEN_CASE_STATUSES, CaseChannel, CasePriority, CaseStatus, CaseType
from steward.sla.engine import clock
from steward.sla.importing import servicenow
from steward.sla.models import (
    Case,
    CaseEvent,
    CaseNotification,
    CaseTarget,
    SlaPolicy,
    SlaPolicyVersion,
)
from steward.sla.services import can_configure_sla
from steward.users.models import User

SERVICENOW_STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "new": CaseStatus.NEW,
        "active": CaseStatus.OPEN,
        "awaiting_user_info": CaseStatus.WAITING_ON_CUSTOMER,
        "awaiting_evidence": CaseStatus.WAITING_ON_CUSTOMER,
        "awaiting_vendor": CaseStatus.WAITING_ON_THIRD_PARTY,
        "awaiting_problem": CaseStatus.ON_HOLD,
        "resolved": CaseStatus.RESOLVED,
        "closed": CaseStatus.CLOSED,
    }
)
"""The reader's statuses -> case statuses. Every Awaiting state lands on a status a policy may
pause on (waiting on the customer or a third party, on hold), so listing those three as pause
statuses pauses the clock exactly where the log waited."""

STATE_NAMES: Mapping[str, str] = MappingProxyType({v: k for k, v in servicenow.STATUSES.items()})
"""The reader's statuses -> the `incident_state` written in the log, kept on each status event."""

ERROR_KINDS = frozenset(
    {
        servicenow.MALFORMED_ROW,
        servicenow.MISSING_VALUE,
        servicenow.INVALID_VALUE,
        servicenow.OPENED_AT_ASSUMED,
        servicenow.INCIDENT_LEFT_OUT,
    }
)
"""Problems that leave a row or value out, or guess it: a file with one is not imported."""

INFORMATIVE_FIELDS = frozenset({"made_sla"})
"""Columns read for information only: an unreadable value there is a warning, not an error."""

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 50

NO_SLA = "no SLA"

SOURCE = "servicenow"
"""`Case.external_source` of imported incidents; `external_ref` holds the incident number."""

NUMBER_ATTEMPTS = 5


@dataclass(frozen=True)
class RowProblem:
    """A problem of one CSV row (the header is row 1) and column, as a user reads it."""

    row: int
    field: str
    message: str
    kind: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.field}: {self.message}" if self.field else f"Row {self.row}: {self.message}"


@dataclass(frozen=True)
class PlannedCase:
    """One incident as the case it would become: its facts, policy version, history and SLA outcome."""

    number: str
    line: int
    opened_at: dt.datetime
    priority: str
    category: str
    status: str
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: SlaPolicyVersion | None
    events: tuple[clock.Event, ...]
    bodies: tuple[str, ...]
    outcome: str

    @property
    def policy_label(self) -> str:
        return str(self.version) if self.version is not None else NO_SLA


@dataclass(frozen=True)
class ServiceNowPreview:
    """What importing a log would give, for one account; nothing is written."""

    account: Account
    time_zone: str
    policy: SlaPolicy | None
    rows: int
    cases: tuple[PlannedCase, ...]
    errors: tuple[RowProblem, ...]
    warnings: tuple[RowProblem, ...]
    events_by_kind: Mapping[str, int] = field(hash=False)
    already_imported: frozenset[str] = frozenset()
    """Incident numbers of the log that are cases of the account already (an import skips them)."""

    @property
    def incidents(self) -> int:
        return len(self.cases)

    @property
    def new_cases(self) -> int:
        """How many cases an import would create: the incidents not imported before."""
        return sum(1 for c in self.cases if c.number not in self.already_imported)

    @property
    def events(self) -> int:
        return sum(self.events_by_kind.values())

    @property
    def first_at(self) -> dt.datetime | None:
        return min((c.opened_at for c in self.cases), default=None)

    @property
    def last_at(self) -> dt.datetime | None:
        return max((c.events[-1].at for c in self.cases), default=None)

    @property
    def by_policy(self) -> dict[str, int]:
        """Cases per policy version ("no SLA" for none), most first."""
        return dict(Counter(c.policy_label for c in self.cases).most_common())

    @property
    def outcomes(self) -> dict[str, int]:
        """Cases whose targets would all be met, with one breached, still running, or without SLA."""
        counts = Counter(c.outcome for c in self.cases)
        return {name: counts[name] for name in (clock.MET, clock.BREACHED, clock.RUNNING, NO_SLA) if counts[name]}

    @property
    def can_import(self) -> bool:
        return bool(self.cases) and not self.errors

    def counts(self) -> dict[str, Any]:
        """The figures a command or the API prints."""
        return {
            "rows": self.rows,
            "incidents": self.incidents,
            "events": self.events,
            "events_by_kind": dict(self.events_by_kind),
            "first_at": self.first_at,
            "last_at": self.last_at,
            "by_policy": self.by_policy,
            "outcomes": self.outcomes,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "already_imported": len(self.already_imported),
        }


def can_import_cases(user: User, account: Account) -> bool:
    """Who may import cases into an account: someone who sees it and may configure SLAs or work on its cases."""
    if not user.is_authenticated or not user.is_active:
        return False
    if not accounts_visible_to(user).filter(pk=account.pk).exists():
        return False
    return can_configure_sla(user) or not user.is_read_only


def import_account(*, actor: User, reference: str) -> Account:
    """The account to import into, by public id or exact name, among those the actor sees.

    Raises NotFound for an account the actor does not see (as for one that does not exist) and
    PermissionDenied when they see it but may not import into it.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("account: choose the account the cases belong to.", field_errors={"account": ["Choose an account."]})
    visible = accounts_visible_to(actor)
    try:
        found = list(visible.filter(public_id=uuid.UUID(reference))[:2])
    except ValueError:
        found = list(visible.filter(name=reference)[:2])
    if not found:
        raise NotFound(f"No account {reference!r} in your portfolio.")
    if len(found) > 1:
        message = f"Several accounts are named {reference!r}: give the account's id."
        raise ValidationFailed(f"account: {message}", field_errors={"account": [message]})
    account = found[0]
    if not can_import_cases(actor, account):
        raise PermissionDenied("Your role cannot import cases.")
    return account


def import_policy(*, reference: str) -> SlaPolicy | None:
    """The policy every imported case goes under, by public id or name; empty: each case's match."""
    reference = (reference or "").strip()
    if not reference:
        return None
    policies = SlaPolicy.objects.filter(current_version__gt=0)
    try:
        policy = policies.filter(public_id=uuid.UUID(reference)).first()
    except ValueError:
        policy = policies.filter(name=reference).first()
    if policy is None:
        message = f"No SLA policy {reference!r} with a version in force."
        raise ValidationFailed(f"policy: {message}", field_errors={"policy": [message]})
    return policy


def servicenow_preview(
    *, actor: User, account: Account, content: bytes | str, time_zone: str = "UTC", policy: SlaPolicy | None = None,
    now: dt.datetime | None = None,
) -> ServiceNowPreview:
    """Read a ServiceNow incident log for `account` and say what importing it would give; writes nothing.

    Raises PermissionDenied when the actor may not import into the account, ValidationFailed (on
    `file` or `time_zone`) when the file is not such a log at all; problems of single rows are
    listed in the preview instead.
    """
    if not can_import_cases(actor, account):
        raise PermissionDenied("You can only import cases into accounts of your portfolio, and not with a read-only role.")
    now = now or timezone.now()
    result = _read(content, time_zone)
    errors, warnings = _sort_problems(result.problems)
    versions = _Versions(account, policy, result.cases, now)
    planned = tuple(_plan(case, versions, now) for case in result.cases)
    kinds = Counter(event.kind for case in planned for event in case.events)
    numbers = {c.number for c in planned}
    return ServiceNowPreview(
        account=account, time_zone=time_zone, policy=policy, rows=result.rows, cases=planned,
        errors=errors, warnings=warnings, events_by_kind=MappingProxyType(dict(sorted(kinds.items()))),
        already_imported=frozenset(numbers & _imported_refs(account)),
    )


def _imported_refs(account: Account) -> set[str]:
    """The incident numbers already imported into the account from ServiceNow."""
    return set(Case.objects.filter(account=account, external_source=SOURCE).exclude(external_ref="").values_list("external_ref", flat=True))


def _read(content: bytes | str, time_zone: str) -> servicenow.ImportResult:
    if isinstance(content, bytes):
        try:
            text = codecs.decode(content, "utf-8-sig")
        except UnicodeDecodeError as error:
            message = f"The file is not UTF-8 text (byte {error.start + 1} cannot be read); export the log as UTF-8 CSV."
            raise ValidationFailed(f"file: {message}", field_errors={"file": [message]}) from error
    else:
        text = content.lstrip("\ufeff")
    try:
        return servicenow.read_incident_log(io.StringIO(text, newline=""), time_zone=time_zone)
    except ValueError as error:
        name = "time_zone" if "time zone" in str(error) else "file"
        message = str(error)[:1].upper() + str(error)[1:] + "."
        raise ValidationFailed(f"{name}: {message}", field_errors={name: [message]}) from error


def _sort_problems(problems: tuple[servicenow.ImportProblem, ...]) -> tuple[tuple[RowProblem, ...], tuple[RowProblem, ...]]:
    errors, warnings = [], []
    for p in problems:
        row = RowProblem(p.line, p.field, p.message, p.kind)
        if p.kind in ERROR_KINDS and p.field not in INFORMATIVE_FIELDS:
            errors.append(row)
        else:
            warnings.append(row)
    return tuple(errors), tuple(warnings)


class _Versions:
    """Each case's policy version and the clock's policy for it, each worked out once.

    With a picked policy every case goes under its current version; otherwise under the version
    `selectors.matching_version` gives for the case's facts when it opens (account, tier, first
    priority and category), asked once per distinct priority and category.
    """

    def __init__(self, account: Account, policy: SlaPolicy | None, cases: tuple[servicenow.ImportedCase, ...], now: dt.datetime) -> None:
        self.account = account
        self.tier = account.tier.name if account.tier_id else None
        self.picked = None if policy is None else SlaPolicyVersion.objects.select_related("policy").get(policy=policy, number=policy.current_version)
        first = min((c.opened_at.year for c in cases), default=now.year)
        self.years = range(first - 1, max(now.year, first) + 2)
        self._matched: dict[tuple[str | None, str | None], SlaPolicyVersion | None] = {}
        self._engines: dict[int, clock.Policy] = {}
        self._matcher: selectors.VersionMatcher | None = None  # the active policies, read once when first needed
        self._now = now

    def version(self, *, priority: str | None, category: str | None) -> SlaPolicyVersion | None:
        if self.picked is not None:
            return self.picked
        key = (priority, category)
        if key not in self._matched:
            if self._matcher is None:
                self._matcher = selectors.VersionMatcher(at=self._now)
            facts = clock.CaseFacts(account_id=self.account.pk, account_tier=self.tier, priority=priority, category=category)
            self._matched[key] = self._matcher.match(facts)
        return self._matched[key]

    def engine(self, version: SlaPolicyVersion) -> clock.Policy:
        """The version as the clock reads it, in force from the start: a replay of history asks how the
        incidents would have fared had the policy applied when they opened, so rule (c) of the clock
        (no breach before the version's `effective_from`) is lifted here."""
        if version.pk not in self._engines:
            engine = selectors.engine_policy(version, years=self.years)
            self._engines[version.pk] = dataclasses.replace(engine, effective_from=None)
        return self._engines[version.pk]


def _plan(case: servicenow.ImportedCase, versions: _Versions, now: dt.datetime) -> PlannedCase:
    """The incident's events on case statuses, its final state, policy version and SLA outcome at `now`."""
    created = case.events[0]
    version = versions.version(priority=created.priority, category=created.category)
    status: str = CaseStatus.NEW
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    events, bodies = [], []
    for event in case.events:
        mapped = SERVICENOW_STATUSES.get(event.status) if event.status is not None else None
        events.append(clock.Event(at=event.at, kind=event.kind, status=mapped, priority=event.priority, category=event.category))
        if event.kind == clock.CREATED:
            bodies.append(f"Imported from ServiceNow incident {case.number}.")
        elif event.status is not None:
            bodies.append(f"ServiceNow state: {STATE_NAMES.get(event.status, event.status)}.")
        else:
            bodies.append("")
        if mapped is not None:
            status = mapped
        if event.kind == clock.RESOLVED:
            resolved_at = event.at
        elif event.kind == clock.REOPENED:
            resolved_at = None
        elif event.kind == clock.CLOSED:
            closed_at = event.at
            resolved_at = resolved_at or event.at
    outcome = _outcome(versions.engine(version) if version is not None else None, events, now)
    return PlannedCase(
        number=case.number, line=case.line, opened_at=case.opened_at, priority=case.priority or "", category=case.category or "",
        status=status, resolved_at=resolved_at, closed_at=closed_at, version=version, events=tuple(events), bodies=tuple(bodies),
        outcome=outcome,
    )


def _outcome(policy: clock.Policy | None, events: list[clock.Event], now: dt.datetime) -> str:
    """Met (every target), breached (any), running, or no SLA, as the clock says at `now`."""
    if policy is None:
        return NO_SLA
    result = clock.evaluate_clock(policy=policy, events=events, now=max(now, events[-1].at))
    if result.no_sla or not result.targets:
        return NO_SLA
    if result.breached_targets:
        return clock.BREACHED
    if all(state.status == clock.MET for state in result.targets):
        return clock.MET
    return clock.RUNNING


# Saving ------------------------------------------------------------------------------------------

EVENT_COLUMNS = ["case", "at", "kind", "status", "priority", "category", "body", "actor"]


@dataclass(frozen=True)
class ServiceNowImported:
    """What an import saved: cases created, incidents skipped as imported before, events written, and
    the new cases that met every target or breached one, with their ids in opening order."""

    account: Account
    created: int
    skipped: int
    events: int
    met: int
    breached: int
    case_ids: tuple[int, ...]
    case_public_ids: tuple[uuid.UUID, ...]

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "skipped": self.skipped, "events": self.events, "met": self.met, "breached": self.breached}


def servicenow_import(
    *, actor: User, account: Account, content: bytes | str, time_zone: str = "UTC", policy: SlaPolicy | None = None,
    now: dt.datetime | None = None, file_name: str = "",
) -> ServiceNowImported:
    """Import a ServiceNow incident log into `account`: every incident not imported before becomes a case
    with its history and SLA states, in one transaction (all or nothing).

    The log is read as `servicenow_preview` reads it; a log with a row error is refused
    (ValidationFailed naming the row and column) and nothing is saved. Each case is measured on its
    matched (or the picked) policy version from its opening (`policy_since`), so history is judged as
    the preview judges it; its SLA states are computed without notifying or escalating anyone.
    Incidents imported into the account before (same number) are skipped, so importing a log twice
    adds nothing.
    """
    now = now or timezone.now()
    preview = servicenow_preview(actor=actor, account=account, content=content, time_zone=time_zone, policy=policy, now=now)
    _refuse_errors(preview)
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return _save(preview, actor=actor, now=now, file_name=file_name)
        except IntegrityError:
            # Another writer took a case number (or imported one of these incidents) meanwhile: the
            # whole attempt was rolled back; numbers and skipped incidents are read again.
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _refuse_errors(preview: ServiceNowPreview) -> None:
    if preview.errors:
        first, more = preview.errors[0], len(preview.errors) - 1
        message = f"{first}" + (f" (and {more} more row error{'s' if more > 1 else ''})" if more else "") + "; nothing was imported."
        raise ValidationFailed(f"file: {message}", field_errors={"file": [str(e) for e in preview.errors[:MAX_PROBLEMS_SHOWN]]})
    if not preview.cases:
        message = "The log has no incidents; nothing was imported."
        raise ValidationFailed(f"file: {message}", field_errors={"file": [message]})


def _case_numbers(years: list[int]) -> list[str]:
    """One new case number per year given, in order: each year's numbers follow its highest so far."""
    following: dict[int, int] = {}
    numbers = []
    for year in years:
        if year not in following:
            first = services._next_case_number(year)
            following[year] = int(first.rsplit("-", 1)[1])
        numbers.append(f"CS-{year}-{following[year]:06d}")
        following[year] += 1
    return numbers


def _save(preview: ServiceNowPreview, *, actor: User, now: dt.datetime, file_name: str) -> ServiceNowImported:
    account = preview.account
    done = _imported_refs(account)
    todo = sorted((c for c in preview.cases if c.number not in done), key=lambda c: (c.opened_at, c.line))
    skipped = len(preview.cases) - len(todo)
    if not todo:
        return ServiceNowImported(account, 0, skipped, 0, 0, 0, (), ())
    # The account's owner looks after its cases, as for cases opened in Steward; the importing user is
    # named in the audit trail. A deactivated owner cannot own cases, so then the importer does.
    owner = account.owner if account.owner.is_active else actor
    numbers = _case_numbers([c.opened_at.year for c in todo])
    cases = [
        Case(
            number=number, account=account, owner=owner, subject=f"ServiceNow {p.number}" + (f": {p.category}" if p.category else ""),
            description=f"Imported from ServiceNow incident {p.number} (row {p.line} of the log).", case_type=CaseType.ISSUE,
            channel=CaseChannel.PORTAL, category=p.category[:60], priority=p.priority or CasePriority.MODERATE, status=p.status,
            opened_at=p.opened_at, resolved_at=p.resolved_at, closed_at=p.closed_at, policy_version=p.version,
            policy_since=p.opened_at if p.version is not None else None, external_source=SOURCE, external_ref=p.number,
        )
        for p, number in zip(todo, numbers, strict=True)
    ]
    Case.objects.bulk_create(cases, batch_size=500)
    if any(c.pk is None for c in cases):  # a database that does not return the new ids
        found = dict(Case.objects.filter(account=account, external_source=SOURCE).values_list("external_ref", "pk"))
        for c in cases:
            c.pk = found[c.external_ref]
    rows = (
        (case.pk, event.at, event.kind, event.status or "", event.priority or "", event.category or "", body, None)
        for p, case in zip(todo, cases, strict=True)
        for event, body in zip(p.events, p.bodies, strict=True)
    )
    extra_columns, extra = services.bulk_defaults(CaseEvent, EVENT_COLUMNS)
    events = bulk.insert(CaseEvent, EVENT_COLUMNS + extra_columns, (row + extra for row in rows))  # COPY on PostgreSQL
    ids = [c.pk for c in cases]
    low, high = min(ids), max(ids)
    # The new cases' SLA states, as the periodic job computes them, but no alert is sent and no case
    # escalated: their breaches are history. Only cases in the new ids' range are read.
    services.cases_recompute(now=now, open_only=False, notify_people=False, after_pk=low - 1, upto_pk=high)
    imported = Case.objects.filter(account=account, external_source=SOURCE, pk__gte=low, pk__lte=high)
    _alerts_are_history(imported.filter(status__in=OPEN_CASE_STATUSES), now=now)
    targets = CaseTarget.objects.filter(case=OuterRef("pk"))
    met = imported.filter(Exists(targets), sla_breached=False).exclude(Exists(targets.exclude(status=clock.MET))).count()
    breached = imported.filter(sla_breached=True).count()
    audit.record(
        actor=actor, action="import", instance=account, before=None, account_id=account.pk, now=now,
        after={
            "source": SOURCE, "file": file_name[:200], "created": len(cases), "skipped": skipped, "events": events,
            "cases": f"{cases[0].number} .. {cases[-1].number}" if len(cases) > 1 else cases[0].number,
        },
    )
    return ServiceNowImported(
        account, len(cases), skipped, events, met, breached, tuple(ids), tuple(c.public_id for c in cases)
    )


def _alerts_are_history(cases: Any, *, now: dt.datetime) -> None:
    """An incident still open in the log may have passed warnings and a breach long ago: they are
    recorded as history (a notification row with no recipients), so the periodic job neither sends
    them nor escalates the case for them; alerts due after the import are sent as usual."""
    rows: list[CaseNotification] = []
    found = list(cases.exclude(policy_version=None).select_related("policy_version__policy"))
    if not found:
        return
    logs = services._logs([case.pk for case in found])  # every log in one query
    years = range(min(case.opened_at.year for case in found) - 1, now.year + 2)
    engines: dict[int, clock.Policy] = {}  # each version built once, then put in force per case
    for case in found:
        if case.policy_version_id not in engines:
            engines[case.policy_version_id] = selectors.engine_policy(case.policy_version, years=years)
        policy = selectors.in_force_from(engines[case.policy_version_id], case.policy_since)
        result = clock.evaluate_clock(policy=policy, events=logs.get(case.pk, []), now=now)
        rows.extend(
            CaseNotification(case=case, key=services._alert_key(a), kind=a.kind, target=a.target, sent_at=now, recipients=[])
            for state in result.targets
            for a in state.alerts
            if a.notify_at <= now
        )
    CaseNotification.objects.bulk_create(rows, ignore_conflicts=True)
