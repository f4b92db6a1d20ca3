"""Demo improvement plans: for the accounts with the most resolution breaches in the last half year,
a plan opened from the latest breach with its root cause, five whys and actions (some done before the
change date so the effectiveness check has a before and an after, some overdue so the dashboard card
shows), plus a portfolio-wide plan from a quarter of low first-response attainment and a delivery
(OTIF) plan. The demo operations manager ("ops") gets the first plans, so their dashboard shows the card.

A few dozen rows: bulk-inserted with their audit events in one transaction, no service calls.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from steward.accounts.models import Account
from steward.core import audit
from steward.improvement.choices import (
    ActionKind,
    ActionStatus,
    Metric,
    PlanSource,
    PlanStatus,
    RootCause,
)
from steward.improvement.models import ImprovementAction, ImprovementPlan
from steward.orders.models import Order
from steward.sla.engine import clock
from steward.sla.models import CaseTarget

PLANS_PER_1000_ACCOUNTS = 40
MIN_PLANS, MAX_PLANS = 4, 60

ANALYSES: list[tuple[str, str, list[str], list[tuple[str, str, int, bool]]]] = [
    # (root-cause category, root cause, five whys, actions: (kind, description, due in days from the change, done))
    (RootCause.CAPACITY, "Nobody covers the queue after 16:00 on Fridays.", [
        "The case waited over the weekend without a reply.", "The Friday afternoon queue was not watched.",
        "The only second-line agent leaves at 16:00 on Fridays.", "The rota was made before the volume doubled.",
        "Nobody reviews the rota against case volume.",
    ], [(ActionKind.CORRECTIVE, "Call the customer back and agree a fix date", -20, True),
        (ActionKind.PREVENTIVE, "Extend the Friday shift to 18:00", -5, True),
        (ActionKind.PREVENTIVE, "Review the rota against case volume every month", 30, False)]),
    (RootCause.SUPPLIER, "The carrier does not report damage before delivery.", [
        "Pallets arrived damaged.", "They were damaged in transit.", "The carrier's hub re-stacks pallets.",
        "The contract sets no handling rule.",
    ], [(ActionKind.CORRECTIVE, "Replace the damaged pallets at no charge", -25, True),
        (ActionKind.PREVENTIVE, "Add a no-restack clause to the carrier contract", -3, True),
        (ActionKind.PREVENTIVE, "Quarterly damage review with the carrier", 45, False)]),
    (RootCause.TOOLING, "Portal alerts go to a mailbox nobody reads.", [
        "The outage was noticed by the customer first.", "Our alert did not reach anyone.",
        "It went to the old support mailbox.", "The mailbox was not moved in the migration.",
        "The migration checklist has no alerting step.",
    ], [(ActionKind.CORRECTIVE, "Point the alerts at the on-call rota", -15, True),
        (ActionKind.PREVENTIVE, "Add alert routing to the migration checklist", 10, False)]),
    (RootCause.PEOPLE, "New agents do not know the escalation path for critical cases.", [
        "The critical case sat at L1 for four hours.", "The agent did not escalate.",
        "They did not know critical cases go to L2 at once.", "Onboarding does not cover escalation.",
    ], [(ActionKind.CORRECTIVE, "Walk the team through the case with the customer", -18, True),
        (ActionKind.PREVENTIVE, "Add escalation drills to onboarding", -2, False)]),
    (RootCause.COMMUNICATION, "Status updates are promised but not scheduled.", [
        "The customer chased us twice.", "We had promised daily updates.", "Nobody set a reminder.",
    ], [(ActionKind.CORRECTIVE, "Send the overdue status report", -22, True),
        (ActionKind.PREVENTIVE, "Create a follow-up task with every promised update", -6, False)]),
]


def has_data() -> bool:
    """Whether improvement plans are already loaded."""
    return ImprovementPlan.objects.exists()


def _uuid(ctx: Any) -> uuid.UUID:
    return uuid.UUID(int=ctx.rng.getrandbits(128), version=4)


def seed_demo(ctx: Any) -> None:
    """A few dozen plans with their actions and audit events, in one transaction."""
    now, today = ctx.now, ctx.now.date()
    n_accounts = Account.objects.count()
    if not n_accounts:
        return
    wanted = max(MIN_PLANS, min(MAX_PLANS, n_accounts * PLANS_PER_1000_ACCOUNTS // 1000))
    since = today - dt.timedelta(days=183)
    # Accounts with the most resolution breaches, counted in the database; the demo ops manager's first.
    ops = ctx.company.operations[0].pk if ctx.company.operations else None
    worst = list(
        CaseTarget.objects.filter(name=clock.RESOLUTION, status=clock.BREACHED, decided_on__gte=since)
        .values("case__account_id", "case__account__operations_manager_id", "case__account__owner_id")
        .annotate(n=Count("id"), last=Max("id")).order_by("-n", "case__account_id")[: wanted * 3]
    )
    worst.sort(key=lambda r: (r["case__account__operations_manager_id"] != ops, -r["n"], r["case__account_id"]))
    worst = worst[:wanted]
    latest = {t.pk: t for t in CaseTarget.objects.filter(pk__in=[r["last"] for r in worst]).select_related("case")}
    plans: list[ImprovementPlan] = []
    actions: list[tuple[int, tuple[str, str, int, bool], int]] = []
    links: list[tuple[int, int]] = []
    serial = 0

    def number() -> str:
        nonlocal serial
        serial += 1
        return f"IP-{now.year}-{serial:04d}"

    for i, row in enumerate(worst):
        target = latest[row["last"]]
        owner = row["case__account__operations_manager_id"] or row["case__account__owner_id"]
        category, cause, whys, steps = ANALYSES[i % len(ANALYSES)]
        change = today - dt.timedelta(days=ctx.rng.randint(35, 75))
        status = [PlanStatus.IN_PROGRESS, PlanStatus.IN_PROGRESS, PlanStatus.VERIFYING, PlanStatus.CLOSED_EFFECTIVE][i % 4]
        plans.append(ImprovementPlan(
            public_id=_uuid(ctx), number=number(), title=f"Resolution breached on {target.case.number}",
            problem=f"{row['n']} resolution targets breached in the last six months, the latest on {target.case.number} ({target.case.subject}).",
            account_id=row["case__account_id"], owner_id=owner, created_by_id=owner, status=status, source=PlanSource.BREACH,
            source_case_id=target.case_id, source_target_id=target.pk, root_cause_category=category, root_cause=cause, whys=whys,
            metric=Metric.RESOLUTION, change_date=change, closed_on=today - dt.timedelta(days=3) if status == PlanStatus.CLOSED_EFFECTIVE else None,
            closing_note="Resolution attainment is back above goal." if status == PlanStatus.CLOSED_EFFECTIVE else "",
        ))
        for step in steps:
            # A closed or verifying plan has every action done; the others keep their open and overdue ones.
            actions.append((len(plans) - 1, (step[0], step[1], step[2], step[3] or status != PlanStatus.IN_PROGRESS), owner))
        links.append((len(plans) - 1, target.case_id))
    # A portfolio-wide plan from last quarter's first-response attainment, and a delivery plan.
    quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - dt.timedelta(days=1)
    quarter = dt.date(quarter.year, (quarter.month - 1) // 3 * 3 + 1, 1)
    director = ctx.company.director.pk
    plans.append(ImprovementPlan(
        public_id=_uuid(ctx), number=number(), title=f"First responses below goal, {quarter.year}-Q{(quarter.month - 1) // 3 + 1}",
        problem="First-response attainment fell below goal across the portfolio, mostly on cases opened after 16:00.",
        account_id=None, owner_id=director, created_by_id=director, status=PlanStatus.IN_PROGRESS, source=PlanSource.LOW_ATTAINMENT,
        source_quarter=quarter, root_cause_category=RootCause.PROCESS, root_cause="Late cases wait for the next morning's triage.",
        whys=["Replies came the next morning.", "Late cases are triaged at 09:00.", "Triage runs once a day."],
        metric=Metric.FIRST_RESPONSE, change_date=today - dt.timedelta(days=30),
    ))
    actions.append((len(plans) - 1, (ActionKind.PREVENTIVE, "Triage twice a day, at 09:00 and 15:00", -10, True), director))
    actions.append((len(plans) - 1, (ActionKind.PREVENTIVE, "Publish a late-shift rota per region", 20, False), director))
    late = Order.objects.filter(status="delivered", is_on_time=False).values("account_id", "account__operations_manager_id", "account__owner_id").order_by("-delivered_on").first()
    if late:
        owner = late["account__operations_manager_id"] or late["account__owner_id"]
        plans.append(ImprovementPlan(
            public_id=_uuid(ctx), number=number(), title="Deliveries arrive after the promised date",
            problem="Several orders this half year were delivered after the promised date.", account_id=late["account_id"],
            owner_id=owner, created_by_id=owner, status=PlanStatus.IN_PROGRESS, source=PlanSource.MANUAL,
            root_cause_category=RootCause.SUPPLIER, root_cause="Promised dates ignore the carrier's lead time.",
            whys=["Orders arrived late.", "Promised dates were too early.", "They ignore the carrier's lead time."],
            metric=Metric.OTIF, change_date=today - dt.timedelta(days=45),
        ))
        actions.append((len(plans) - 1, (ActionKind.PREVENTIVE, "Add the carrier lead time to promised dates", -7, False), owner))
    with transaction.atomic():
        ImprovementPlan.objects.bulk_create(plans)
        made = list(ImprovementPlan.objects.filter(public_id__in=[p.public_id for p in plans]).order_by("number"))
        by_number = {p.number: p for p in made}
        plans = [by_number[p.number] for p in plans]
        rows = []
        for index, (kind, description, due_in, done), owner in actions:
            plan = plans[index]
            due = (plan.change_date or today) + dt.timedelta(days=due_in)
            finished = done
            rows.append(ImprovementAction(
                public_id=_uuid(ctx), plan=plan, kind=kind, description=description, owner_id=owner, due_on=due,
                status=ActionStatus.DONE if finished else ActionStatus.OPEN, completed_on=min(due, today) if finished else None,
            ))
        ImprovementAction.objects.bulk_create(rows)
        through = ImprovementPlan.linked_cases.through
        through.objects.bulk_create([through(improvementplan_id=plans[i].pk, case_id=c) for i, c in links])
        changes = [
            audit.Change("create", "improvement.improvementplan", str(p.public_id), str(p), p.account_id, None,
                         audit.snapshot(p, exclude=("version",)))
            for p in plans
        ]
        audit.record_changes(actor=None, changes=changes, now=now)
    ctx.report.add("improvement_plan", len(plans))
    ctx.report.add("improvement_action", len(rows))
    ctx.progress(f"  improvement plans: {len(plans)}, actions: {len(rows)}")
