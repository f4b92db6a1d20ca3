"""Writes to the SLA set-up: business calendars and their closures.

Pages and the API call these functions, so a rule lives once. Each call is one transaction with its
audit event; a refusal raises before anything is written. Hours are checked by the pure calendar
engine: what it refuses, no page or API can store.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import holidays as holiday_tables
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, Min, ProtectedError, QuerySet, TextField
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Account, Tier
from steward.accounts.selectors import accounts_visible_to
from steward.contracts.models import Contract
from steward.core import audit
from steward.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from steward.core.notify import notify
from steward.core.services import apply_fields, check_version, full_clean_or_fail
from steward.sla import bulk, rollup, selectors
from steward.sla.choices import (
    ESCALATION_ORDER,
    OPEN_CASE_STATUSES,
    PAUSABLE_STATUSES,
    WEEKDAYS,
    CaseChannel,
    CaseEventKind,
    CasePriority,
    CaseStatus,
    CaseType,
    EscalationLevel,
    TargetKind,
    TargetMode,
)
from steward.sla.engine import calendar as engine
from steward.sla.engine import clock
from steward.sla.models import (
    BusinessCalendar,
    CalendarClosure,
    Case,
    CaseEscalation,
    CaseEvent,
    CaseNotification,
    CaseTarget,
    DeliveryGoal,
    EscalationOwner,
    SlaPolicy,
    SlaPolicyVersion,
    SlaTarget,
)
from steward.users.choices import Role
from steward.users.models import User

CALENDAR_FIELDS = frozenset(
    {"name", "description", "time_zone", "always_open", "week", "holiday_country", "holiday_subdivision", "is_active"}
)
MAX_WINDOWS_A_DAY = 6
MAX_CLOSURE_DAYS = 366


def can_configure_sla(user: User) -> bool:
    """Admins, directors and account operations managers (who own SLA attainment) keep the SLA set-up."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_admin_role or user.role in (Role.DIRECTOR, Role.OPERATIONS))
    )


def _require_configurer(actor: User) -> None:
    if not can_configure_sla(actor):
        raise PermissionDenied("Only admins, account directors and operations managers change the SLA set-up.")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", field_errors={field: [message]})


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def holiday_countries() -> dict[str, tuple[str, ...]]:
    """Country codes with public holidays known to the `holidays` package, and their subdivisions."""
    return {code: tuple(subdivisions) for code, subdivisions in sorted(holiday_tables.list_supported_countries().items())}


@cache
def country_names() -> dict[str, str]:
    """Readable names of the countries with holiday tables, by ISO code, from the package's module names
    ("united_states" -> "United States")."""
    from holidays import registry

    small = {"And": "and", "Of": "of", "The": "the"}
    return {
        code: " ".join(small.get(word, word) for word in module.replace("_", " ").title().split())
        for module, (_class_name, code, *_rest) in registry.COUNTRIES.items()
    }


def _format_window(window: engine.Window) -> str:
    start, end = window
    return f"{start // 3600:02d}:{start % 3600 // 60:02d}-{end // 3600:02d}:{end % 3600 // 60:02d}"


def parse_week(week: Any) -> list[list[str]]:
    """Seven lists of windows (Monday first; a day may also be one text like "09:00-12:00, 13:00-17:00"),
    checked, sorted, merged and written back the same way. Errors name the weekday."""
    if isinstance(week, Mapping):
        week = [week.get(str(day), week.get(day, [])) for day in range(7)]  # type: ignore[call-overload]
    if not isinstance(week, Sequence) or isinstance(week, str) or len(week) != 7:
        raise _invalid("week", "Give the hours of seven days, Monday first.")
    clean: list[list[str]] = []
    for name, day in zip(WEEKDAYS, week, strict=True):
        texts = [t.strip() for t in (day.split(",") if isinstance(day, str) else day or []) if str(t).strip()]
        if len(texts) > MAX_WINDOWS_A_DAY:
            raise _invalid("week", f"{name}: at most {MAX_WINDOWS_A_DAY} windows a day.")
        try:
            windows = [engine.parse_window(str(t)) for t in texts]
            for start, end in windows:
                if not start < end:
                    raise ValueError(f"{_format_window((start, end))} ends before it starts")
            # The engine sorts and merges a day's windows; a calendar of this one day asks it to.
            merged = engine.BusinessCalendar("UTC", (tuple(windows),) + ((),) * 6).week[0] if windows else ()
        except ValueError as exc:
            raise _invalid("week", f"{name}: {exc}. Write windows like 09:00-12:00, 13:00-17:00.") from None
        clean.append([_format_window(w) for w in merged])
    return clean


def _check(calendar: BusinessCalendar) -> None:
    if calendar.time_zone not in time_zones():
        raise _invalid("time_zone", f"“{calendar.time_zone}” is not a time zone; use an IANA name such as Europe/Berlin.")
    calendar.week = parse_week(calendar.week)
    if not calendar.always_open and not any(calendar.week):
        raise _invalid("week", "Give at least one working window, or make the calendar 24/7.")
    country = calendar.holiday_country = calendar.holiday_country.strip().upper()
    subdivision = calendar.holiday_subdivision = calendar.holiday_subdivision.strip().upper()
    if country and country not in holiday_countries():
        raise _invalid("holiday_country", f"No public holidays are known for “{country}”.")
    if subdivision and not country:
        raise _invalid("holiday_subdivision", "Choose the country first.")
    if subdivision and subdivision not in holiday_countries()[country]:
        raise _invalid("holiday_subdivision", f"“{subdivision}” is not a subdivision of {country}.")


def _snapshot(calendar: BusinessCalendar) -> dict[str, Any]:
    return audit.snapshot(calendar, exclude=("created_at", "updated_at", "version"))


@transaction.atomic
def calendar_create(*, actor: User, data: Mapping[str, Any]) -> BusinessCalendar:
    """Add a calendar (hours checked by the engine, holidays by the `holidays` package)."""
    _require_configurer(actor)
    calendar = BusinessCalendar()
    apply_fields(calendar, _strip(data), allowed=CALENDAR_FIELDS)
    _check(calendar)
    full_clean_or_fail(calendar, exclude=["public_id"])
    calendar.save()
    audit.record(actor=actor, action="create", instance=calendar, before=None, after=_snapshot(calendar))
    return calendar


@transaction.atomic
def calendar_update(
    *, actor: User, calendar: BusinessCalendar, data: Mapping[str, Any], expected_version: int | None = None
) -> BusinessCalendar:
    """Change a calendar's name, zone, hours or holiday country; a stale version is refused."""
    _require_configurer(actor)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    check_version(calendar, expected_version)
    before = _snapshot(calendar)
    changed = apply_fields(calendar, _strip(data), allowed=CALENDAR_FIELDS)
    _check(calendar)
    if not changed and _snapshot(calendar) == before:
        return calendar
    full_clean_or_fail(calendar)
    calendar.version += 1
    calendar.save()
    audit.record(actor=actor, action="update", instance=calendar, before=before, after=_snapshot(calendar))
    return calendar


class CalendarInUse(ApplicationError):
    """The calendar cannot go: policies measure their targets on it."""

    status_code = 409


@transaction.atomic
def calendar_delete(*, actor: User, calendar: BusinessCalendar) -> None:
    """Delete a calendar with its closures, unless a policy uses it."""
    _require_configurer(actor)
    users = list(calendar.policies.order_by("position").values_list("name", flat=True))
    if users:
        raise CalendarInUse(f"Policies use this calendar ({', '.join(users)}): move them to another calendar first, or deactivate it.")
    before = _snapshot(calendar)
    audit.record(actor=actor, action="delete", instance=calendar, before=before, after=None)
    calendar.delete()


def _strip(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}


@transaction.atomic
def closure_add(
    *, actor: User, calendar: BusinessCalendar, first_day: dt.date, last_day: dt.date | None, name: str
) -> CalendarClosure:
    """A custom closure (one day, or a span with both ends included) on top of the public holidays."""
    _require_configurer(actor)
    last_day = last_day or first_day
    if last_day < first_day:
        raise _invalid("last_day", "The last day cannot be before the first.")
    if (last_day - first_day).days >= MAX_CLOSURE_DAYS:
        raise _invalid("last_day", f"A closure lasts at most {MAX_CLOSURE_DAYS} days.")
    closure = CalendarClosure(calendar=calendar, first_day=first_day, last_day=last_day, name=(name or "").strip())
    full_clean_or_fail(closure, exclude=["public_id", "calendar"])
    closure.save()
    audit.record(
        actor=actor, action="create", instance=closure, before=None,
        after={"calendar": calendar.name, "first_day": str(first_day), "last_day": str(last_day), "name": closure.name},
    )
    return closure


@transaction.atomic
def closure_remove(*, actor: User, closure: CalendarClosure) -> None:
    _require_configurer(actor)
    audit.record(
        actor=actor, action="delete", instance=closure,
        before={"calendar": closure.calendar.name, "first_day": str(closure.first_day), "last_day": str(closure.last_day), "name": closure.name},
        after=None,
    )
    closure.delete()


# Policies --------------------------------------------------------------------------------------

POLICY_FIELDS = frozenset(
    {
        "name", "description", "calendar", "is_active", "is_default", "priorities", "categories",
        "pause_statuses", "warning_thresholds", "attainment_goal", "notify_in_business_hours",
        "escalate_on_breach_to", "escalate_at_threshold",
    }
)
MAX_TARGET_MINUTES = 366 * 24 * 60
MAX_CATEGORIES = 30


class PolicyInUse(ApplicationError):
    """The policy cannot go: cases were measured under it."""

    status_code = 409


@dataclass(frozen=True)
class TargetInput:
    """One target as a page or the API gives it: a priority, a kind, minutes and a mode."""

    priority: str
    kind: str
    minutes: int
    mode: str = TargetMode.BUSINESS


@dataclass(frozen=True)
class Scope:
    """The accounts, tiers and contracts a policy is limited to (None: leave as it is)."""

    tiers: Sequence[Tier] | None = None
    accounts: Sequence[Account] | None = None
    contracts: Sequence[Contract] | None = None


def _clean_targets(targets: Sequence[TargetInput]) -> list[TargetInput]:
    seen: set[tuple[str, str]] = set()
    clean = []
    for row, t in enumerate(targets, start=1):
        where = f"Target {row}"
        if t.priority not in CasePriority.values:
            raise _invalid("targets", f"{where}: priority must be one of {', '.join(CasePriority.values)}.")
        if t.kind not in TargetKind.values:
            raise _invalid("targets", f"{where}: kind must be one of {', '.join(TargetKind.values)}.")
        where = f"{CasePriority(t.priority).label} {TargetKind(t.kind).label.lower()}"
        if t.mode not in TargetMode.values:
            raise _invalid("targets", f"{where}: mode must be one of {', '.join(TargetMode.values)}.")
        if not isinstance(t.minutes, int) or isinstance(t.minutes, bool) or not 0 < t.minutes <= MAX_TARGET_MINUTES:
            raise _invalid("targets", f"{where}: give a duration between 1 minute and 366 days.")
        if (t.priority, t.kind) in seen:
            raise _invalid("targets", f"{where}: given twice.")
        seen.add((t.priority, t.kind))
        clean.append(t)
    if not clean:
        raise _invalid("targets", "Give at least one target, e.g. the resolution time of each priority.")
    return clean


def _check_policy(policy: SlaPolicy, scope_given: bool) -> None:
    if not policy.calendar_id:
        raise _invalid("calendar", "Choose the calendar the targets are measured on.")
    if not BusinessCalendar.objects.filter(pk=policy.calendar_id, is_active=True).exists():
        raise _invalid("calendar", "Choose an active calendar.")
    thresholds = policy.warning_thresholds
    if not isinstance(thresholds, list) or any(not isinstance(t, int) or isinstance(t, bool) or not 0 < t < 100 for t in thresholds) or len(thresholds) > 5:
        raise _invalid("warning_thresholds", "Give up to five warning thresholds, whole percentages between 1 and 99.")
    policy.warning_thresholds = sorted(set(thresholds))
    pauses = policy.pause_statuses if isinstance(policy.pause_statuses, list) else None
    if pauses is None or any(p not in PAUSABLE_STATUSES for p in pauses):
        allowed = ", ".join(str(p) for p in PAUSABLE_STATUSES)
        raise _invalid("pause_statuses", f"Pause statuses are among {allowed}.")
    policy.pause_statuses = sorted(set(pauses))
    priorities = policy.priorities if isinstance(policy.priorities, list) else None
    if priorities is None or any(p not in CasePriority.values for p in priorities):
        raise _invalid("priorities", f"Priorities are among {', '.join(CasePriority.values)}.")
    policy.priorities = [p for p in CasePriority.values if p in priorities]
    categories = policy.categories if isinstance(policy.categories, list) else None
    if categories is None or len(categories) > MAX_CATEGORIES or any(not isinstance(c, str) or not c.strip() or len(c) > 60 for c in categories):
        raise _invalid("categories", f"Give up to {MAX_CATEGORIES} category names of at most 60 characters.")
    policy.categories = sorted({c.strip() for c in categories})
    if policy.escalate_on_breach_to and policy.escalate_on_breach_to not in EscalationLevel.values:
        raise _invalid("escalate_on_breach_to", f"Choose one of {', '.join(EscalationLevel.values)}, or none.")
    if policy.escalate_at_threshold is not None and policy.escalate_at_threshold not in policy.warning_thresholds:
        raise _invalid("escalate_at_threshold", "Escalate at one of the warning thresholds, or leave it empty.")
    if policy.is_default and (policy.priorities or policy.categories or scope_given):
        raise _invalid("is_default", "The default policy covers every case no other policy matches: leave its scope empty.")


def _check_scope(actor: User, scope: Scope) -> None:
    visible = accounts_visible_to(actor)
    if scope.accounts and visible.filter(pk__in=[a.pk for a in scope.accounts]).count() != len({a.pk for a in scope.accounts}):
        raise _invalid("accounts", "Choose accounts of your portfolio.")
    if scope.contracts and visible.filter(pk__in=[c.account_id for c in scope.contracts]).count() != len({c.account_id for c in scope.contracts}):
        raise _invalid("contracts", "Choose contracts of accounts in your portfolio.")


def _store_scope(policy: SlaPolicy, scope: Scope) -> None:
    if scope.tiers is not None:
        policy.tiers.set(scope.tiers)
    if scope.accounts is not None:
        policy.accounts.set(scope.accounts)
    if scope.contracts is not None:
        policy.contracts.set(scope.contracts)


def _has_scope(policy: SlaPolicy, scope: Scope) -> bool:
    """Whether the policy will be limited to some tiers, accounts or contracts after this change."""
    if policy.pk is None:
        return bool(scope.tiers or scope.accounts or scope.contracts)
    return any(
        bool(given) if given is not None else related.exists()
        for given, related in ((scope.tiers, policy.tiers), (scope.accounts, policy.accounts), (scope.contracts, policy.contracts))
    )


def _store_targets(policy: SlaPolicy, targets: list[TargetInput]) -> None:
    policy.targets.all().delete()
    SlaTarget.objects.bulk_create(
        [SlaTarget(policy=policy, priority=t.priority, kind=t.kind, minutes=t.minutes, mode=t.mode) for t in targets]
    )


def clock_snapshot(policy: SlaPolicy) -> dict[str, Any]:
    """Everything the clock reads from a policy, as stored in a version."""
    targets: dict[str, dict[str, list[Any]]] = {}
    for t in policy.targets.order_by("priority", "kind"):
        targets.setdefault(t.priority, {})[t.kind] = [t.minutes * 60, t.mode]
    return {
        "calendar": policy.calendar_id,
        "targets": targets,
        "pause_statuses": list(policy.pause_statuses),
        "warning_thresholds": list(policy.warning_thresholds),
        "notify_in_business_hours": policy.notify_in_business_hours,
        "escalate_on_breach_to": policy.escalate_on_breach_to,
        "escalate_at_threshold": policy.escalate_at_threshold,
    }


def _version_if_changed(policy: SlaPolicy, actor: User, now: dt.datetime) -> SlaPolicyVersion | None:
    """A new version when what the clock reads changed (or the policy has none yet)."""
    snapshot = clock_snapshot(policy)
    latest = policy.versions.order_by("-number").first()
    if latest is not None and latest.snapshot == snapshot:
        return None
    number = (latest.number if latest else 0) + 1
    version = SlaPolicyVersion.objects.create(policy=policy, number=number, effective_from=now, snapshot=snapshot, created_by=actor)
    SlaPolicy.objects.filter(pk=policy.pk).update(current_version=number)
    policy.current_version = number
    return version


def _policy_snapshot(policy: SlaPolicy) -> dict[str, Any]:
    data = audit.snapshot(policy, exclude=("created_at", "updated_at", "version"))
    data["targets"] = clock_snapshot(policy)["targets"]
    data["tiers"] = sorted(policy.tiers.values_list("name", flat=True))
    data["accounts"] = sorted(str(a) for a in policy.accounts.values_list("public_id", flat=True))
    data["contracts"] = sorted(policy.contracts.values_list("number", flat=True))
    return data


def _refuse_second_default(policy: SlaPolicy) -> None:
    if policy.is_default and policy.is_active and SlaPolicy.objects.filter(is_default=True, is_active=True).exclude(pk=policy.pk).exists():
        raise _invalid("is_default", "Another active policy is the default; there is one default.")


@transaction.atomic
def policy_create(
    *, actor: User, data: Mapping[str, Any], targets: Sequence[TargetInput], scope: Scope = Scope(), now: dt.datetime | None = None
) -> SlaPolicy:
    """Add a policy after the others (version 1 comes into force now)."""
    _require_configurer(actor)
    now = now or timezone.now()
    policy = SlaPolicy()
    apply_fields(policy, _strip(data), allowed=POLICY_FIELDS)
    clean_targets = _clean_targets(targets)
    _check_policy(policy, _has_scope(policy, scope))
    _check_scope(actor, scope)
    _refuse_second_default(policy)
    last = SlaPolicy.objects.order_by("-position").values_list("position", flat=True).first()
    policy.position = (last or 0) + 1
    full_clean_or_fail(policy, exclude=["public_id", "current_version"])
    policy.save()
    _store_scope(policy, scope)
    _store_targets(policy, clean_targets)
    _version_if_changed(policy, actor, now)
    audit.record(actor=actor, action="create", instance=policy, before=None, after=_policy_snapshot(policy), now=now)
    return policy


@transaction.atomic
def policy_update(
    *,
    actor: User,
    policy: SlaPolicy,
    data: Mapping[str, Any],
    targets: Sequence[TargetInput] | None = None,
    scope: Scope = Scope(),
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> SlaPolicy:
    """Change a policy. A change the clock reads (calendar, targets, pauses, thresholds) starts a new
    version from `now`; cases already running stay on theirs unless they are re-evaluated."""
    _require_configurer(actor)
    now = now or timezone.now()
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    check_version(policy, expected_version)
    before = _policy_snapshot(policy)
    apply_fields(policy, _strip(data), allowed=POLICY_FIELDS)
    clean_targets = _clean_targets(targets) if targets is not None else None
    _check_policy(policy, _has_scope(policy, scope))
    _check_scope(actor, scope)
    _refuse_second_default(policy)
    full_clean_or_fail(policy)
    policy.save()
    _store_scope(policy, scope)
    if clean_targets is not None:
        _store_targets(policy, clean_targets)
    after = _policy_snapshot(policy)
    if after == before:
        return policy
    SlaPolicy.objects.filter(pk=policy.pk).update(version=policy.version + 1)
    policy.version += 1
    _version_if_changed(policy, actor, now)
    audit.record(actor=actor, action="update", instance=policy, before=before, after=_policy_snapshot(policy), now=now)
    return policy


@transaction.atomic
def policy_move(*, actor: User, policy: SlaPolicy, direction: int) -> None:
    """Swap a policy with its neighbour in matching order (-1: earlier, +1: later)."""
    _require_configurer(actor)
    policies = list(SlaPolicy.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, p in enumerate(policies) if p.pk == policy.pk)
    other = index + (1 if direction > 0 else -1)
    if not 0 <= other < len(policies):
        return
    policies[index], policies[other] = policies[other], policies[index]
    for position, p in enumerate(policies, start=1):
        if p.position != position:
            SlaPolicy.objects.filter(pk=p.pk).update(position=position)
    audit.record(actor=actor, action="reorder", instance=policy, before=None, after={"order": [p.name for p in policies]})


@transaction.atomic
def policy_delete(*, actor: User, policy: SlaPolicy) -> None:
    """Delete a policy no case was measured under; otherwise deactivate it instead."""
    _require_configurer(actor)
    before = _policy_snapshot(policy)
    try:
        with transaction.atomic():
            policy.delete()
    except ProtectedError as exc:
        raise PolicyInUse("Cases were measured under this policy: deactivate it instead.") from exc
    audit.record(actor=actor, action="delete", instance=policy, before=before, after=None)


# Cases -----------------------------------------------------------------------------------------

CASE_FIELDS = frozenset({"subject", "description", "case_type", "category", "priority", "channel", "contact", "order", "contract", "owner"})


class CaseStateError(ApplicationError):
    """The action does not fit the case's status (e.g. replying on a closed case)."""

    status_code = 409


def can_work_on_case(user: User, case: Case) -> bool:
    """Anyone who sees the case's account may work on it, except read-only roles."""
    if user.is_read_only or not user.is_active:
        return False
    return accounts_visible_to(user).filter(pk=case.account_id).exists()


def _require_case_writer(actor: User, account: Account) -> None:
    if actor.is_read_only or not actor.is_active:
        raise PermissionDenied("Your role is read-only: you cannot work on cases.")
    if not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise PermissionDenied("You can only work on cases of accounts in your portfolio.")


def _locked_case(case: Case) -> Case:
    """Re-read under a row lock: two people acting on one case act one after the other."""
    return Case.objects.select_for_update(of=("self",)).select_related("account__tier", "policy_version__policy").get(pk=case.pk)


def _check_case(case: Case) -> None:
    if not (case.subject or "").strip():
        raise _invalid("subject", "Say what the case is about.")
    for name, choices in (("priority", CasePriority), ("case_type", CaseType), ("channel", CaseChannel)):
        if getattr(case, name) not in choices.values:
            raise _invalid(name, f"Choose one of {', '.join(choices.values)}.")
    for name in ("contact", "order", "contract"):
        related = getattr(case, name)
        if related is not None and related.account_id != case.account_id:
            raise _invalid(name, f"Choose a {name} of this account.")
    if case.owner_id and not User.objects.filter(pk=case.owner_id, is_active=True).exists():
        raise _invalid("owner", "Choose an active colleague.")


def _next_case_number(year: int) -> str:
    prefix = f"CS-{year}-"
    last = Case.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    return f"{prefix}{(int(last.removeprefix(prefix)) + 1) if last else 1:06d}"


def _facts(case: Case) -> clock.CaseFacts:
    return clock.CaseFacts(
        account_id=case.account_id, account_tier=case.account.tier.name if case.account.tier_id else None,
        contract_id=case.contract_id, priority=case.priority, category=case.category or None,
    )


def _append(case: Case, kind: str, *, at: dt.datetime, actor: User | None, **fields: Any) -> CaseEvent:
    """Add to the log; an event never goes before the last one (the clock reads the log in order)."""
    last = case.events.order_by("-at", "-id").values_list("at", flat=True).first()
    if last is not None and at < last:
        raise _invalid("at", f"The case's last event was at {last:%Y-%m-%d %H:%M} UTC; a new one cannot come before it.")
    return CaseEvent.objects.create(case=case, kind=kind, at=at, actor=actor, **fields)


@transaction.atomic
def case_open(*, actor: User, account: Account, data: Mapping[str, Any], now: dt.datetime | None = None) -> Case:
    """Open a case on a visible account: the first matching policy's current version applies from now."""
    _require_case_writer(actor, account)
    now = now or timezone.now()
    case = Case(account=account, owner=actor, opened_at=now, status=CaseStatus.NEW)
    apply_fields(case, _strip(data), allowed=CASE_FIELDS)
    _check_case(case)
    case.category = (case.category or "").strip()
    case.policy_version = selectors.matching_version(_facts(case), at=now)
    for attempt in range(5):
        case.number = _next_case_number(now.year)
        full_clean_or_fail(case, exclude=["public_id", "policy_version"])
        try:
            with transaction.atomic():
                case.save()
            break
        except IntegrityError:
            case.pk = None
            if attempt == 4:
                raise
    CaseEvent.objects.create(
        case=case, kind=CaseEventKind.CREATED, at=now, actor=actor, status=case.status, priority=case.priority,
        category=case.category, body=case.description,
    )
    case_recompute(case, now=now)
    audit.record(actor=actor, action="create", instance=case, before=None, after=_case_snapshot(case), account_id=account.pk, now=now)
    return case


def _case_snapshot(case: Case) -> dict[str, Any]:
    data = audit.snapshot(case, exclude=("created_at", "updated_at", "version", "sla_computed_at", "sla_next_due", "description"))
    data["policy"] = str(case.policy_version) if case.policy_version_id else "no SLA"
    return data


def _open_for_work(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise CaseStateError("The case is closed; open a new case (and link it) instead.")


@transaction.atomic
def case_reply(*, actor: User, case: Case, body: str, public: bool = True, now: dt.datetime | None = None) -> CaseEvent:
    """A public reply to the customer (it meets a response target) or an internal note (the clock ignores it)."""
    _require_case_writer(actor, case.account)
    case = _locked_case(case)
    _open_for_work(case)
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise _invalid("body", "Write the reply." if public else "Write the note.")
    kind = CaseEventKind.PUBLIC_REPLY if public else CaseEventKind.INTERNAL_NOTE
    event = _append(case, kind, at=now, actor=actor, body=body)
    if public and case.status == CaseStatus.NEW:
        _set_status(case, CaseStatus.OPEN, now=now, actor=actor, quiet=True)
    _touch(case, now)
    audit.record(actor=actor, action="reply" if public else "note", instance=case, before=None, after={"public": public}, account_id=case.account_id, now=now)
    return event


@transaction.atomic
def case_customer_reply(*, actor: User, case: Case, body: str, now: dt.datetime | None = None) -> CaseEvent:
    """Log what the customer wrote: it may start a next-response target; a case waiting on them resumes."""
    _require_case_writer(actor, case.account)
    case = _locked_case(case)
    _open_for_work(case)
    now = now or timezone.now()
    if not (body or "").strip():
        raise _invalid("body", "Write what the customer said.")
    event = _append(case, CaseEventKind.CUSTOMER_REPLY, at=now, actor=actor, body=body.strip())
    if case.status == CaseStatus.WAITING_ON_CUSTOMER:
        _set_status(case, CaseStatus.OPEN, now=now, actor=actor, quiet=True)
    _touch(case, now)
    audit.record(actor=actor, action="reply", instance=case, before=None, after={"from": "customer"}, account_id=case.account_id, now=now)
    return event


def _set_status(case: Case, status: str, *, now: dt.datetime, actor: User, quiet: bool = False, note: str = "") -> None:
    """Log a status change with the kind the clock needs (resolved, reopened, closed or a plain change)."""
    if status == case.status:
        return
    if case.status == CaseStatus.RESOLVED and status in OPEN_CASE_STATUSES:
        kind = CaseEventKind.REOPENED
        case.resolved_at = None
    elif status == CaseStatus.RESOLVED:
        kind = CaseEventKind.RESOLVED
        case.resolved_at = now
    elif status == CaseStatus.CLOSED:
        kind = CaseEventKind.CLOSED
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    else:
        kind = CaseEventKind.STATUS_CHANGED
    _append(case, kind, at=now, actor=actor, status=status, body=note)
    case.status = status


@transaction.atomic
def case_change_status(*, actor: User, case: Case, status: str, note: str = "", now: dt.datetime | None = None, expected_version: int | None = None) -> Case:
    """Move a case: waiting states pause the clock as the policy says, resolving stops it, reopening resumes it."""
    _require_case_writer(actor, case.account)
    case = _locked_case(case)
    check_version(case, expected_version)
    _open_for_work(case)
    if status not in CaseStatus.values:
        raise _invalid("status", f"Choose one of {', '.join(CaseStatus.values)}.")
    if status == CaseStatus.NEW and case.status != CaseStatus.NEW:
        raise _invalid("status", "A case cannot go back to new; set it open.")
    now = now or timezone.now()
    before = case.status
    _set_status(case, status, now=now, actor=actor, note=(note or "").strip())
    _touch(case, now)
    audit.record(actor=actor, action="status", instance=case, before={"status": before}, after={"status": case.status}, account_id=case.account_id, now=now)
    return case


@transaction.atomic
def case_change_priority(*, actor: User, case: Case, priority: str, reason: str, now: dt.datetime | None = None) -> Case:
    """Change the priority with a reason: time already used carries over to the new priority's targets."""
    _require_case_writer(actor, case.account)
    case = _locked_case(case)
    _open_for_work(case)
    if priority not in CasePriority.values:
        raise _invalid("priority", f"Choose one of {', '.join(CasePriority.values)}.")
    if not (reason or "").strip():
        raise _invalid("reason", "Say why the priority changes.")
    if priority == case.priority:
        return case
    now = now or timezone.now()
    before = case.priority
    _append(case, CaseEventKind.PRIORITY_CHANGED, at=now, actor=actor, priority=priority, body=reason.strip())
    case.priority = priority
    _touch(case, now)
    audit.record(actor=actor, action="priority", instance=case, before={"priority": before}, after={"priority": priority, "reason": reason.strip()}, account_id=case.account_id, now=now)
    return case


def _touch(case: Case, now: dt.datetime) -> None:
    case.version += 1
    case.save()
    case_recompute(case, now=now)


def _engine_events(events: Sequence[CaseEvent]) -> list[clock.Event]:
    return [
        clock.Event(at=e.at, kind=e.kind, status=e.status or None, priority=e.priority or None, category=e.category or None)
        for e in events
        if e.kind in clock.EVENT_KINDS  # notes and escalations are for people, not the clock
    ]


def _target_rows(case: Case, result: clock.ClockResult) -> list[CaseTarget]:
    return [
        CaseTarget(
            case=case, account_id=case.account_id, name=s.name, status=s.status, target_seconds=s.target_seconds, mode=s.mode,
            opened_at=s.opened_at, due_at=s.due,
            met_at=s.met_at, breached_at=s.breached_at, elapsed_seconds=s.elapsed_seconds, paused_seconds=s.paused_seconds,
            percent_used=s.percent_used, warning_level=s.warning_level, breaches=s.breaches, decided_on=_decided_on(s),
        )
        for s in result.targets
    ]


def _decided_on(state: clock.TargetState) -> dt.date | None:
    """The UTC date a target was decided: when breached (a breach stands), else when met; None while open."""
    if state.breached_at is not None:
        return state.breached_at.astimezone(dt.UTC).date()
    if state.status == clock.MET and state.met_at is not None:
        return state.met_at.astimezone(dt.UTC).date()
    return None


def _summary(result: clock.ClockResult) -> tuple[bool, dt.datetime | None]:
    running = [s.due for s in result.targets if s.status == clock.RUNNING and s.due is not None]
    return bool(result.breached_targets), (min(running) if running else None)


def case_recompute(case: Case, *, now: dt.datetime) -> clock.ClockResult:
    """Run the clock over the case's log and store each target's state; the same log and `now` give the
    same result (idempotent). Breaches stored before are kept."""
    policy = selectors.case_engine_policy(case, years=range(case.opened_at.year - 1, now.year + 2))
    events = _engine_events(list(case.events.order_by("at", "id")))
    stored = _stored_rows([case.pk]).get(case.pk, {})
    result = clock.evaluate_clock(policy=policy, events=events, now=now, previous=_previous(stored, now))
    case.sla_targets.all().delete()
    CaseTarget.objects.bulk_create(_target_rows(case, result))
    if rollup.decided(stored.values()) != rollup.decided(_target_row(case.pk, case.account_id, s) for s in result.targets):
        rollup.refresh([case.account_id])
    breached, next_due = _summary(result)
    Case.objects.filter(pk=case.pk).update(sla_breached=breached, sla_next_due=next_due, sla_computed_at=now)
    case.sla_breached, case.sla_next_due, case.sla_computed_at = breached, next_due, now
    _dispatch(case, result, now=now, sent=set(case.notifications_sent.values_list("key", flat=True)))
    return result


TARGET_COLUMNS = [
    "case", "name", "status", "target_seconds", "mode", "opened_at", "due_at", "met_at", "breached_at",
    "elapsed_seconds", "paused_seconds", "percent_used", "warning_level", "breaches", "decided_on", "account",
]


@dataclass(frozen=True)
class RecomputeTotals:
    """What a bulk recompute did: cases evaluated, their target states, seconds taken, and how many
    cases had a state that changed (only those are written)."""

    cases: int
    targets: int
    seconds: float
    changed: int = 0


def cases_to_recompute(*, open_only: bool = True) -> Any:
    """The cases a bulk recompute brings up to date: every case with a policy, or its open ones."""
    base = Case.objects.filter(policy_version__isnull=False)
    return base.filter(status__in=OPEN_CASE_STATUSES) if open_only else base


def cases_recompute(
    *, now: dt.datetime, open_only: bool = True, notify_people: bool = True, after_pk: int = 0, upto_pk: int | None = None,
    only: Sequence[int] | None = None, chunk: int = 2000, progress: Callable[[int], None] | None = None,
) -> RecomputeTotals:
    """Bring the SLA state of every case with a policy (open ones only by default), with a primary key
    above `after_pk` and up to `upto_pk` (and among `only`, when given), up to `now`.

    The bulk form of `case_recompute`, for the periodic job, the demo loader and `sla_recompute` (which
    runs slices of the id range in parallel, `steward.sla.parallel`): a chunk of cases at a time, their
    logs and stored states read in one query each as plain tuples, each policy version built once, the
    clock run per case, and the states that changed written in one transaction per chunk (their target
    rows replaced, summaries updated by one statement executed many times; the other open cases only get
    `sla_computed_at`, and closed ones, whose state is final, nothing). Breaches stored before are kept;
    the same log and `now` give the same states.
    With `notify_people`, the few cases with an alert whose time came and that was not sent are loaded
    whole and dispatched.
    """
    started = time.perf_counter()
    engines: dict[int, clock.Policy] = {}
    years = range(now.year - 3, now.year + 2)
    last, n_cases, n_targets, n_changed = after_pk, 0, 0, 0
    base = cases_to_recompute(open_only=open_only)
    if upto_pk is not None:
        base = base.filter(pk__lte=upto_pk)
    if only is not None:
        base = base.filter(pk__in=only)
    oldest = base.filter(pk__gt=after_pk).aggregate(at=Min("opened_at"))["at"]
    if oldest is not None and oldest.year - 1 < years.start:  # older cases (imported history) keep their years' holidays
        years = range(oldest.year - 1, years.stop)
    while True:
        cases = list(
            base.filter(pk__gt=last).order_by("pk")
            .values_list("pk", "policy_version_id", "sla_breached", "sla_next_due", "policy_since", "account_id", "status")[:chunk]
        )
        if not cases:
            return RecomputeTotals(n_cases, n_targets, time.perf_counter() - started, n_changed)
        # The chunk is exactly the cases of `base` in this id range: the reads below join that (no list
        # of 2,000 ids to send and parse), the writes name the few cases that changed.
        in_chunk = base.filter(pk__gt=last, pk__lte=cases[-1][0]).values("pk")
        last = cases[-1][0]
        for version_id in {c[1] for c in cases} - engines.keys():
            version = SlaPolicyVersion.objects.select_related("policy").get(pk=version_id)
            engines[version_id] = selectors.engine_policy(version, years=years)
        ids = [c[0] for c in cases]
        logs = _logs(in_chunk)
        stored = _stored_rows(in_chunk)
        sent: dict[int, set[str]] = {}
        if notify_people:
            for case_id, key in CaseNotification.objects.filter(case_id__in=ids).values_list("case_id", "key"):
                sent.setdefault(case_id, set()).add(key)
        target_rows: list[tuple[Any, ...]] = []
        summaries: list[tuple[bool, dt.datetime | None, dt.datetime, int]] = []
        changed: list[int] = []
        unchanged: list[int] = []
        to_tell: dict[int, clock.ClockResult] = {}
        recount: set[int] = set()  # accounts whose decided targets changed: their attainment cells
        for pk, version_id, was_breached, was_due, since, account_id, status in cases:
            mine = stored.get(pk, {})
            policy = selectors.in_force_from(engines[version_id], since)
            result = clock.evaluate_clock(policy=policy, events=logs.get(pk, ()), now=now, previous=_previous(mine, now))
            rows = [_target_row(pk, account_id, s) for s in result.targets]
            n_targets += len(rows)
            breached, next_due = _summary(result)
            if (breached, next_due) == (was_breached, was_due) and len(rows) == len(mine) and all(mine.get(r[1]) == r for r in rows):
                if status in OPEN_CASE_STATUSES:  # a closed case's state is final: its time of computing stays
                    unchanged.append(pk)
            else:
                changed.append(pk)
                target_rows.extend(rows)
                if rollup.decided(rows) != rollup.decided(mine.values()):
                    recount.add(account_id)
                summaries.append((breached, next_due, now, pk))
            if notify_people and any(
                a.notify_at <= now and _alert_key(a) not in sent.get(pk, set()) for s in result.targets for a in s.alerts
            ):
                to_tell[pk] = result
        with transaction.atomic():
            if changed:
                CaseTarget.objects.filter(case_id__in=changed).delete()
                extra_columns, extra = bulk_defaults(CaseTarget, TARGET_COLUMNS)
                bulk.insert(CaseTarget, TARGET_COLUMNS + extra_columns, (row + extra for row in target_rows))
                _store_summaries(summaries)
            if recount:
                rollup.refresh(recount)
            if unchanged:
                Case.objects.filter(pk__in=unchanged).update(sla_computed_at=now)
            if to_tell:
                for case in Case.objects.filter(pk__in=to_tell).select_related("policy_version", "owner", "account__operations_manager"):
                    _dispatch(case, to_tell[case.pk], now=now, sent=sent.get(case.pk, set()))
        n_cases += len(cases)
        n_changed += len(changed)
        if progress is not None:
            progress(n_cases)


def cases_recompute_open(*, now: dt.datetime) -> int:
    """The periodic job's pass: every open case up to `now`, alerts sent; returns how many cases."""
    return cases_recompute(now=now).cases


# Re-evaluation -----------------------------------------------------------------------------------


def _version_label(version: SlaPolicyVersion | None) -> str:
    return "no SLA" if version is None else f"{version.policy.name} v{version.number}"


def _move_to(case: Case, version: SlaPolicyVersion | None, *, actor: User, now: dt.datetime) -> bool:
    """Put an open case on `version` from `now` on (rule (c) of docs/sla/clock.md holds from then):
    False when it is on it already."""
    if version == case.policy_version:
        return False
    body = f"From {_version_label(case.policy_version)} to {_version_label(version)}."
    _append(case, CaseEventKind.REEVALUATED, at=now, actor=actor, body=body)
    case.policy_version, case.policy_since = version, (now if version is not None else None)
    case.version += 1
    case.save()
    return True


@transaction.atomic
def case_reevaluate(*, actor: User, case: Case, now: dt.datetime | None = None) -> bool:
    """Measure an open case against the policy that applies to it now (its policy's current version, or
    another policy if the case's tier, contract, priority or category now match one first). What was
    met stays met and a breach stays; targets are re-worked from the case's start under the new version,
    but no breach under it is dated before now. False when the case is on that version already."""
    _require_case_writer(actor, case.account)
    case = _locked_case(case)
    _open_for_work(case)
    now = now or timezone.now()
    before = _version_label(case.policy_version)
    moved = _move_to(case, selectors.matching_version(_facts(case), at=now), actor=actor, now=now)
    if moved:
        case_recompute(case, now=now)
        audit.record(
            actor=actor, action="reevaluate", instance=case, before={"policy": before}, after={"policy": _version_label(case.policy_version)},
            account_id=case.account_id, now=now,
        )
    return moved


@transaction.atomic
def policy_reevaluate_open_cases(*, actor: User, policy: SlaPolicy, now: dt.datetime | None = None) -> int:
    """Re-evaluate every open case still measured on an earlier version of this policy (see
    `case_reevaluate`); returns how many cases moved.

    In bulk, for a policy with thousands of open cases: the cases are matched in memory against the
    active policies read once, their "re-evaluated" events written in one insert, the moves in one
    update per version, and their states by the bulk recompute (alerts sent as a case recompute sends
    them). The rare case that no policy matches any more is recomputed on its own (it has no SLA)."""
    _require_configurer(actor)
    now = now or timezone.now()
    matcher = selectors.VersionMatcher(at=now)
    moves: dict[int | None, list[Case]] = {}
    versions: dict[int | None, SlaPolicyVersion | None] = {}
    for case in selectors.stale_cases(policy).select_for_update(of=("self",)).select_related("account__tier", "policy_version__policy"):
        version = matcher.match(_facts(case))
        if version != case.policy_version:
            key = None if version is None else version.pk
            moves.setdefault(key, []).append(case)
            versions[key] = version
    moving = [case.pk for cases in moves.values() for case in cases]
    late = CaseEvent.objects.filter(case_id__in=moving, at__gt=now).order_by("case_id").values_list("case__number", flat=True).first()
    if late is not None:
        raise _invalid("at", f"Case {late} has an event after {now:%Y-%m-%d %H:%M} UTC; a re-evaluation cannot come before it.")
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case, kind=CaseEventKind.REEVALUATED, at=now, actor=actor,
            body=f"From {_version_label(case.policy_version)} to {_version_label(versions[key])}.",
        )
        for key, cases in moves.items()
        for case in cases
    )
    for key, cases in moves.items():
        Case.objects.filter(pk__in=[case.pk for case in cases]).update(
            policy_version_id=key, policy_since=now if key is not None else None, version=F("version") + 1, updated_at=now,
        )
    for case in Case.objects.filter(pk__in=[case.pk for case in moves.get(None, [])]).select_related("account__tier", "policy_version"):
        case_recompute(case, now=now)
    if moving:
        cases_recompute(now=now, open_only=False, only=moving)
    audit.record(
        actor=actor, action="reevaluate", instance=policy, before=None, after={"cases": len(moving), "version": policy.current_version}, now=now,
    )
    return len(moving)


# Notifications and escalations -----------------------------------------------------------------

ALERT_WORDS = {clock.WARNING: "is {threshold} % used", clock.BREACH: "was breached"}


def _alert_key(alert: clock.Alert) -> str:
    target, kind, threshold, when = alert.key
    return f"{target}|{kind}|{threshold if threshold is not None else ''}|{when.isoformat()}"


def _case_people(case: Case, *extra: User | None) -> list[User]:
    """Who hears about a case's SLA: its owner, the account's operations manager and, once the case is
    escalated, the owner of the level it was raised to (each once)."""
    people: list[User] = []
    for person in (case.owner, case.account.operations_manager, selectors.current_escalation_owner(case), *extra):
        if person is not None and person.is_active and all(p.pk != person.pk for p in people):
            people.append(person)
    return people


def _dispatch(case: Case, result: clock.ClockResult, *, now: dt.datetime, sent: set[str]) -> None:
    """Send every alert whose time has come (inside business hours when the policy says so) and that was
    not sent before, exactly once (a unique key per case), and escalate as the policy says."""
    if case.policy_version is None:
        return
    snapshot = case.policy_version.snapshot
    escalate_to = snapshot.get("escalate_on_breach_to", EscalationLevel.L2)
    escalate_at = snapshot.get("escalate_at_threshold")
    for state in result.targets:
        for alert in state.alerts:
            key = _alert_key(alert)
            if alert.notify_at > now or key in sent:
                continue
            label = TargetKind(alert.target).label if alert.target in TargetKind.values else alert.target
            what = ALERT_WORDS.get(alert.kind, alert.kind).format(threshold=alert.threshold)
            subject = f"{case.number}: {label.lower()} {what}"
            people = _case_people(case)
            CaseNotification.objects.create(
                case=case, key=key, kind=alert.kind, target=alert.target, sent_at=now, recipients=[p.username for p in people]
            )
            sent.add(key)
            notify(
                users=people, subject=subject, url=reverse("sla:case", args=[case.public_id]), now=now,
                body=f"{case.account.name}: {case.subject} ({case.get_priority_display().lower()} priority). "
                f"{label} {what} at {alert.at:%Y-%m-%d %H:%M} UTC.",
            )
            reached = alert.kind == clock.WARNING and escalate_at is not None and (alert.threshold or 0) >= escalate_at
            if escalate_to and (alert.kind == clock.BREACH or reached):
                _escalate(case, escalate_to, reason=f"Automatic: {label.lower()} {what}", actor=None, now=now)


def _escalate(case: Case, level: str, *, reason: str, actor: User | None, now: dt.datetime) -> CaseEscalation | None:
    """Raise the case to `level` (never lower it), log it, and tell the people on the case."""
    if ESCALATION_ORDER.index(level) <= ESCALATION_ORDER.index(case.escalation_level):
        return None
    owner = selectors.escalation_owner_for(level, tier_id=case.account.tier_id)
    escalation = CaseEscalation.objects.create(
        case=case, from_level=case.escalation_level, to_level=level, reason=reason, automatic=actor is None, actor=actor, at=now,
        owner=owner,
    )
    owned_by = f" Owner: {owner.get_full_name() or owner.username}." if owner is not None else ""
    said = reason if not owned_by or reason.endswith((".", "!", "?")) else f"{reason}."
    CaseEvent.objects.create(
        case=case, kind=CaseEventKind.ESCALATED, at=now, actor=actor, body=f"{EscalationLevel(level).label}: {said}{owned_by}"
    )
    Case.objects.filter(pk=case.pk).update(escalation_level=level)
    case.escalation_level = level
    notify(
        users=_case_people(case, owner), subject=f"{case.number} escalated to {EscalationLevel(level).label}",
        body=f"{case.account.name}: {case.subject}. {said}{owned_by}", url=reverse("sla:case", args=[case.public_id]), now=now,
    )
    return escalation


# Escalation level owners ------------------------------------------------------------------------


@transaction.atomic
def escalation_owner_set(*, actor: User, level: str, user: User | None, tier: Tier | None = None) -> EscalationOwner | None:
    """Name (or, with no user, remove) who owns an escalation level, for every account or one tier's."""
    _require_configurer(actor)
    if level not in EscalationLevel.values or level == EscalationLevel.L1:
        raise _invalid("level", "Choose L2, L3 or management: L1 is the case's own owner.")
    if user is not None and not user.is_active:
        raise _invalid("user", f"{user.username} is deactivated: choose someone who can act on escalations.")
    current = EscalationOwner.objects.select_for_update(of=("self",)).filter(level=level, tier=tier).order_by("pk").first()
    before = {"user": current.user.username} if current is not None else None
    if user is None:
        if current is None:
            return None
        current.delete()
        after = None
    else:
        if current is None:
            current = EscalationOwner.objects.create(level=level, tier=tier, user=user)
        else:
            current.user = user
            current.save(update_fields=["user", "updated_at"])
        after = {"user": user.username}
    audit.record(
        actor=actor, action="update" if before and after else ("create" if after else "delete"), instance=current, before=before,
        after=after, now=timezone.now(),
    )
    return current if user is not None else None


@transaction.atomic
def case_escalate(*, actor: User, case: Case, level: str, reason: str, now: dt.datetime | None = None) -> CaseEscalation:
    """Escalate a case by hand to a higher level, with a reason."""
    _require_case_writer(actor, case.account)
    case = _locked_case(case)
    _open_for_work(case)
    if level not in EscalationLevel.values:
        raise _invalid("level", f"Choose one of {', '.join(EscalationLevel.values)}.")
    if not (reason or "").strip():
        raise _invalid("reason", "Say why the case is escalated.")
    if ESCALATION_ORDER.index(level) <= ESCALATION_ORDER.index(case.escalation_level):
        raise _invalid("level", f"The case is already at {EscalationLevel(case.escalation_level).label}: escalate to a higher level.")
    now = now or timezone.now()
    last = case.events.order_by("-at", "-id").values_list("at", flat=True).first()
    if last is not None and now < last:
        raise _invalid("at", "An escalation cannot come before the case's last event.")
    escalation = _escalate(case, level, reason=reason.strip(), actor=actor, now=now)
    if escalation is None:  # cannot happen: the level was checked to be higher
        raise _invalid("level", "Escalate to a higher level.")
    audit.record(actor=actor, action="escalate", instance=case, before=None, after={"level": level, "reason": reason.strip()}, account_id=case.account_id, now=now)
    return escalation


# Bulk reads and writes of SLA states ---------------------------------------------------------


def bulk_defaults(model: type[Any], columns: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    """The fields a bulk insert does not name but that have a default (a later column, say), with their
    defaults: plain INSERTs skip the model, so the values it would fill in are given here. A text field
    that may be blank but not null defaults to "", as the model would save it."""
    fields = [
        f for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in columns
        and (f.has_default() or (not f.null and not f.is_relation and isinstance(f, CharField | TextField)))
    ]
    return [f.name for f in fields], tuple(f.get_default() for f in fields)


def _plain_rows(rows: QuerySet[Any, Any]) -> Iterable[tuple[Any, ...]]:
    """The rows of a `values_list` queryset, read for the bulk recompute. On PostgreSQL straight from the
    driver: Django's cursor wraps the loading of every timestamp to replace its time zone by the one it
    already has (UTC), which costs a tenth of a full recompute at a million timestamps; the driver's own
    loader gives the same instants. Elsewhere through the ORM, which converts SQLite's text."""
    if connection.vendor != "postgresql":
        return rows.iterator(chunk_size=20000)
    import psycopg

    sql, params = rows.query.sql_with_params()
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.adapters.register_loader("timestamptz", psycopg.postgres.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT))
        cursor.execute(sql, params)
        return cursor.fetchall()


def _logs(ids: Sequence[int] | QuerySet[Any, Any]) -> dict[int, list[clock.Event]]:
    """The clock's events of these cases, in log order (notes and escalations left out)."""
    logs: dict[int, list[clock.Event]] = {}
    rows = (
        CaseEvent.objects.filter(case_id__in=ids, kind__in=clock.EVENT_KINDS)
        .order_by("case_id", "at", "id").values_list("case_id", "at", "kind", "status", "priority", "category")
    )
    event = clock.Event
    for case_id, at, kind, status, priority, category in _plain_rows(rows):
        logs.setdefault(case_id, []).append(event(at=at, kind=kind, status=status or None, priority=priority or None, category=category or None))
    return logs


def _stored_rows(ids: Sequence[int] | QuerySet[Any, Any]) -> dict[int, dict[str, tuple[Any, ...]]]:
    """The stored target rows of these cases by case and target name, in `_target_row`'s shape."""
    found: dict[int, dict[str, tuple[Any, ...]]] = {}
    for row in _plain_rows(CaseTarget.objects.filter(case_id__in=ids).order_by().values_list("case_id", *TARGET_COLUMNS[1:])):
        found.setdefault(row[0], {})[row[1]] = row
    return found


def _previous(rows: Mapping[str, tuple[Any, ...]], now: dt.datetime) -> clock.ClockResult | None:
    """Stored rows as the clock's previous result. The clock reads only the breaches of a previous
    result (rule g: a breach stands), so the states without one are left out."""
    states = [
        clock.TargetState(
            name=name, status=status, target_seconds=seconds, mode=mode, opened_at=opened, started_at=opened, due=due, met_at=met,
            breached_at=breached, elapsed_seconds=elapsed, paused_seconds=paused, percent_used=percent, warning_level=level, breaches=breaches,
        )
        for _case, name, status, seconds, mode, opened, due, met, breached, elapsed, paused, percent, level, breaches, _decided, _account in rows.values()
        if breached is not None
    ]
    if not states:
        return None
    return clock.ClockResult(now=now, no_sla=False, policy_id=None, policy_version=None, targets=tuple(states))


def _target_row(case_id: int, account_id: int, s: clock.TargetState) -> tuple[Any, ...]:
    return (
        case_id, s.name, s.status, s.target_seconds, s.mode, s.opened_at, s.due, s.met_at, s.breached_at,
        s.elapsed_seconds, s.paused_seconds, s.percent_used, s.warning_level, s.breaches, _decided_on(s), account_id,
    )


def _store_summaries(rows: Iterable[tuple[bool, dt.datetime | None, dt.datetime, int]]) -> None:
    """UPDATE each case's SLA summary by primary key, one statement executed many times: far cheaper
    than `bulk_update`'s CASE expressions at tens of thousands of rows, on SQLite and PostgreSQL."""
    meta = Case._meta
    quote = connection.ops.quote_name
    due_field = meta.get_field("sla_next_due")
    pk_column = (meta.pk.column if meta.pk is not None else None) or "id"
    # Names come from the model's metadata and are quoted; values travel as parameters.
    sql = "UPDATE {} SET {} = %s, {} = %s, {} = %s WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table), quote("sla_breached"), quote("sla_next_due"), quote("sla_computed_at"), quote(pk_column)
    )
    prepared = [
        (breached, due_field.get_db_prep_save(due, connection), due_field.get_db_prep_save(at, connection), pk)
        for breached, due, at, pk in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


# Delivery goals ---------------------------------------------------------------------------------


def _goal_value(goal: Any) -> Decimal:
    try:
        value = Decimal(str(goal).strip().rstrip("%").strip())
    except (InvalidOperation, ValueError):
        raise _invalid("goal", "The goal must be a percentage, e.g. 95.") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise _invalid("goal", "The goal must be between 0 and 100 %.")
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def delivery_goal_set(*, actor: User, account: Account | None, goal: Any, note: str = "") -> DeliveryGoal:
    """Set the share of deliveries that must be on time and in full, for one account or (no account)
    for the portfolio. A contract's on-time-delivery service level still comes first for its account."""
    _require_configurer(actor)
    if account is not None and not accounts_visible_to(actor).filter(pk=account.pk).exists():
        raise NotFound("No such account.")
    value = _goal_value(goal)
    note = (note or "").strip()
    if len(note) > 300:
        raise _invalid("note", "Keep the note under 300 characters.")
    row = DeliveryGoal.objects.select_for_update(of=("self",)).filter(account=account, is_default=account is None).order_by("pk").first()
    before = {"goal": str(row.goal), "note": row.note} if row is not None else None
    if row is None:
        row = DeliveryGoal(account=account, is_default=account is None)
    row.goal, row.note, row.updated_by = value, note, actor
    row.save()
    audit.record(
        actor=actor, action="update" if before else "create", instance=row, before=before, after={"goal": str(value), "note": note},
        account_id=account.pk if account is not None else None, now=timezone.now(),
    )
    return row


@transaction.atomic
def delivery_goal_remove(*, actor: User, row: DeliveryGoal) -> None:
    """Remove an account's own goal: its deliveries go back to the contract's or the portfolio's."""
    _require_configurer(actor)
    audit.record(
        actor=actor, action="delete", instance=row, before={"goal": str(row.goal), "note": row.note}, after=None,
        account_id=row.account_id, now=timezone.now(),
    )
    row.delete()
