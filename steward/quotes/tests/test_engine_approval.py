"""The approval rules: every condition, the order of steps, who may decide, and fingerprints."""

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.quotes.engine.approval import (
    ApproverRole,
    Decision,
    DecisionRefused,
    Delegation,
    Metric,
    Operator,
    Outcome,
    QuoteFacts,
    Rule,
    State,
    check_decision,
    eligible_approvers,
    fingerprint,
    progress,
    required_steps,
)
from steward.quotes.engine.pricing import Line, quote_totals

RULES = (
    Rule("Discount over 15 %", Metric.LINE_DISCOUNT_PCT, Operator.GT, D(15), ApproverRole.OWNER_MANAGER, 1),
    Rule("Deal discount over 20 %", Metric.OVERALL_DISCOUNT_PCT, Operator.GT, D(20), ApproverRole.DIRECTOR, 2),
    Rule("Large deal", Metric.TOTAL, Operator.GTE, D(500_000), ApproverRole.DIRECTOR, 2),
    Rule("Payment beyond Net 60", Metric.PAYMENT_TERM_DAYS, Operator.GT, D(60), ApproverRole.FINANCE, 3),
    Rule("Margin under 30 %", Metric.MARGIN_PCT, Operator.LT, D(30), ApproverRole.FINANCE, 3),
    Rule("Nonstandard terms", Metric.NONSTANDARD_TERMS, Operator.GT, D(0), ApproverRole.DIRECTOR, 2),
)


def facts(discount=0, qty=1, price=1000, cost=100, days=30, terms=(), extra=0):
    line = Line(quantity=D(qty), list_price=D(price), unit_price=D(price), discount_pct=D(discount), unit_cost=None if cost is None else D(cost))
    return QuoteFacts(totals=quote_totals([line], extra_discount_pct=D(extra)), payment_term_days=days, nonstandard_terms=tuple(terms))


def roles(f):
    return [(s.level, s.approver) for s in required_steps(f, RULES)]


def test_a_standard_quote_needs_no_approval():
    assert required_steps(facts(), RULES) == ()
    assert progress((), ()).state == State.NOT_REQUIRED


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        (facts(discount=16), [(1, ApproverRole.OWNER_MANAGER)]),
        (facts(discount=15), []),  # at the threshold, not over it
        (facts(discount=25), [(1, ApproverRole.OWNER_MANAGER), (2, ApproverRole.DIRECTOR)]),
        (facts(extra=21), [(2, ApproverRole.DIRECTOR)]),  # a whole-quote discount counts overall
        (facts(qty=500, price=1000), [(2, ApproverRole.DIRECTOR)]),
        (facts(days=90), [(3, ApproverRole.FINANCE)]),
        (facts(cost=800), [(3, ApproverRole.FINANCE)]),
        (facts(cost=None), [(3, ApproverRole.FINANCE)]),  # unknown margin asks finance
        (facts(terms=("liability cap",)), [(2, ApproverRole.DIRECTOR)]),
    ],
)
def test_each_condition_routes_to_its_approver(quote, expected):
    assert roles(quote) == expected


def test_the_example_deal_goes_manager_then_director_then_finance():
    steps = required_steps(facts(discount=25, days=90), RULES)
    assert [(s.level, s.approver) for s in steps] == [
        (1, ApproverRole.OWNER_MANAGER), (2, ApproverRole.DIRECTOR), (3, ApproverRole.FINANCE),
    ]
    assert "Discount over 15 %" in steps[0].reasons[0]


def test_a_lower_unit_price_instead_of_a_discount_still_needs_approval():
    line = Line(quantity=D(1), list_price=D(1000), unit_price=D(750), unit_cost=D(100))
    f = QuoteFacts(totals=quote_totals([line]), payment_term_days=30)
    assert roles(f)[0] == (1, ApproverRole.OWNER_MANAGER)


def test_several_rules_for_one_approver_make_one_step_with_every_reason():
    steps = required_steps(facts(discount=25, terms=("sla credits",)), RULES)
    director = next(s for s in steps if s.approver == ApproverRole.DIRECTOR)
    assert len(director.reasons) == 2


def test_steps_are_decided_in_order_and_one_rejection_ends_it():
    steps = required_steps(facts(discount=25, days=90), RULES)
    assert progress(steps, ()).current == 0
    approved = [Decision(0, 7, Outcome.APPROVED)]
    assert progress(steps, approved).current == 1
    assert progress(steps, [*approved, Decision(1, 8, Outcome.REJECTED)]).state == State.REJECTED
    everyone = [*approved, Decision(1, 8, Outcome.APPROVED), Decision(2, 9, Outcome.APPROVED)]
    assert progress(steps, everyone).state == State.APPROVED


def test_a_decision_out_of_turn_by_the_wrong_person_or_on_ones_own_quote_is_refused():
    steps = required_steps(facts(discount=25), RULES)
    ok = dict(eligible_user_ids=frozenset({7}), requester_id=3)
    check_decision(steps, (), step_index=0, user_id=7, **ok)
    with pytest.raises(DecisionRefused, match="not the one awaiting"):
        check_decision(steps, (), step_index=1, user_id=7, **ok)
    with pytest.raises(DecisionRefused, match="only the owner manager"):
        check_decision(steps, (), step_index=0, user_id=8, **ok)
    with pytest.raises(DecisionRefused, match="own quote"):
        check_decision(steps, (), step_index=0, user_id=3, eligible_user_ids=frozenset({3}), requester_id=3)
    done = [Decision(0, 7, Outcome.APPROVED), Decision(1, 8, Outcome.APPROVED)]
    with pytest.raises(DecisionRefused, match="approved"):
        check_decision(steps, done, step_index=1, user_id=8, eligible_user_ids=frozenset({8}), requester_id=3)


def test_the_same_person_may_decide_consecutive_steps_they_hold():
    steps = required_steps(facts(discount=25), RULES)
    check_decision(steps, [Decision(0, 7, Outcome.APPROVED)], step_index=1, user_id=7, eligible_user_ids=frozenset({7}), requester_id=3)


def test_a_delegate_decides_only_while_the_approver_is_away():
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    away = [Delegation(from_user=7, to_user=11, starts=start, ends=start + dt.timedelta(days=7))]
    assert eligible_approvers([7], away, start + dt.timedelta(days=1)) == {7, 11}
    assert eligible_approvers([7], away, start - dt.timedelta(seconds=1)) == {7}
    assert eligible_approvers([7], away, start + dt.timedelta(days=7)) == {7}
    assert eligible_approvers([8], away, start + dt.timedelta(days=1)) == {8}


def test_the_fingerprint_changes_with_any_approval_relevant_edit_and_only_then():
    base = {"lines": [{"sku": "A", "qty": "2", "price": "100.00", "discount": "10"}], "payment_days": 30, "clauses": ["x"]}
    assert fingerprint(base) == fingerprint({"clauses": ["x"], "payment_days": 30, "lines": list(base["lines"])})
    for edit in (
        {"payment_days": 90},
        {"clauses": ["x", "y"]},
        {"lines": [{**base["lines"][0], "discount": "11"}]},
        {"lines": [{**base["lines"][0], "price": "99.99"}]},
        {"lines": [*base["lines"], {"sku": "B", "qty": "1", "price": "1", "discount": "0"}]},
    ):
        assert fingerprint({**base, **edit}) != fingerprint(base), edit


@given(
    discount=st.integers(0, 100), days=st.integers(0, 365), terms=st.integers(0, 3),
    cost=st.one_of(st.none(), st.integers(0, 2000)),
)
def test_steps_are_ordered_unique_and_only_from_matching_rules(discount, days, terms, cost):
    f = facts(discount=discount, days=days, terms=tuple(f"t{i}" for i in range(terms)), cost=cost)
    steps = required_steps(f, RULES)
    assert [s.level for s in steps] == sorted(s.level for s in steps)
    assert len({s.approver for s in steps}) == len(steps)
    matching = {r.approver for r in RULES if r.matches(f.value(r.metric))}
    assert {s.approver for s in steps} == matching
