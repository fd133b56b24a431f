"""The ranking formula, factor by factor (pure: no app, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.inspections.rules import compliance_allowed_from, early_compliance
from inspector.queues import ranking
from inspector.queues.ranking import RankInputs, rank

TODAY = date(2026, 11, 30)
#: a licensee that scores nothing at all: a collector, outside the border states,
#: inspected today with no violations, no leads.
QUIET = RankInputs(
    license_type="03",
    state="OK",
    last_inspection=TODAY,
    last_compliance=None,
    last_outcome="no_violations",
    prior_violations=0,
    open_leads=0,
)


def points(inputs: RankInputs, key: str) -> float:
    return next(f.points for f in rank(inputs, TODAY).factors if f.key == key)


def test_a_quiet_licensee_scores_zero_with_every_factor_listed() -> None:
    result = rank(QUIET, TODAY)
    assert result.score == 0
    assert [f.key for f in result.factors] == list(ranking.FACTORS)
    assert all(f.points == 0 for f in result.factors)
    assert result.eligible and result.eligible_from is None


def test_the_score_is_the_sum_of_the_contributions() -> None:
    busy = RankInputs("02", "TX", date(2023, 11, 30), date(2023, 11, 30), "warning_letter", 2, 1)
    result = rank(busy, TODAY)
    # 3.0 years x 5 = 15; 2 violations x 3 = 6; warning letter 10; 1 lead 10; pawnbroker 12; TX 10
    assert {f.key: f.points for f in result.factors} == {
        "never_inspected": 0,
        "years_since_last": 15.0,
        "prior_violations": 6,
        "last_outcome": 10,
        "open_leads": 10,
        "license_type": 12,
        "border_state": 10,
    }
    assert result.score == 63.0
    assert result.score == round(sum(f.points for f in result.factors), 1)


def test_never_inspected_adds_its_points_and_no_years() -> None:
    never = replace(QUIET, last_inspection=None, last_outcome=None)
    result = rank(never, TODAY)
    assert points(never, "never_inspected") == ranking.NEVER_INSPECTED_POINTS
    assert points(never, "years_since_last") == 0
    factor = next(f for f in result.factors if f.key == "years_since_last")
    assert factor.value is None
    assert result.score == ranking.NEVER_INSPECTED_POINTS


def test_never_inspected_outranks_the_longest_wait() -> None:
    never = replace(QUIET, last_inspection=None)
    ancient = replace(QUIET, last_inspection=date(1990, 1, 1))
    assert rank(never, TODAY).score > rank(ancient, TODAY).score


@pytest.mark.parametrize(
    ("last", "years", "expected"),
    [
        (date(2026, 11, 30), 0.0, 0.0),
        (date(2026, 5, 31), 0.5, 2.5),
        (date(2025, 11, 30), 1.0, 5.0),
        (date(2022, 11, 30), 4.0, 20.0),
        (date(2020, 11, 30), 6.0, 30.0),
        (date(2010, 1, 1), 16.9, 30.0),  # capped
        (date(2027, 6, 1), 0.0, 0.0),  # a date in the future counts nothing
    ],
)
def test_years_since_the_last_inspection(last: date, years: float, expected: float) -> None:
    inputs = replace(QUIET, last_inspection=last)
    factor = next(f for f in rank(inputs, TODAY).factors if f.key == "years_since_last")
    assert factor.value == years
    assert factor.points == expected


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (1, 3), (4, 12), (5, 15), (9, 15), (-1, 0)])
def test_prior_violations_are_capped(count: int, expected: float) -> None:
    assert points(replace(QUIET, prior_violations=count), "prior_violations") == expected


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (None, 0),
        ("no_violations", 0),
        ("report_of_violations", 5),
        ("warning_letter", 10),
        ("warning_conference", 15),
        ("revocation", 20),
        ("something_else", 0),
    ],
)
def test_the_last_outcome_climbs_with_the_ladder(outcome: str | None, expected: float) -> None:
    assert points(replace(QUIET, last_outcome=outcome), "last_outcome") == expected


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (1, 10), (3, 30), (7, 30)])
def test_open_leads_are_capped(count: int, expected: float) -> None:
    assert points(replace(QUIET, open_leads=count), "open_leads") == expected


@pytest.mark.parametrize(
    ("license_type", "expected"),
    [
        ("01", 10),
        ("02", 12),
        ("03", 0),
        ("06", 2),
        ("07", 8),
        ("08", 8),
        ("09", 6),
        ("10", 6),
        ("11", 6),
        ("99", 0),
    ],
)
def test_license_type_weights(license_type: str, expected: float) -> None:
    assert points(replace(QUIET, license_type=license_type), "license_type") == expected


def test_every_license_type_has_a_weight() -> None:
    from inspector.licensees.numbers import LICENSE_TYPES

    assert set(ranking.LICENSE_TYPE_POINTS) == set(LICENSE_TYPES)


@pytest.mark.parametrize(
    ("state", "expected"), [("AZ", 10), ("CA", 10), ("NM", 10), ("TX", 10), ("OK", 0), ("NV", 0)]
)
def test_southwest_border_states(state: str, expected: float) -> None:
    inputs = replace(QUIET, state=state)
    assert points(inputs, "border_state") == expected
    factor = next(f for f in rank(inputs, TODAY).factors if f.key == "border_state")
    assert factor.value is (expected > 0)


def test_a_compliance_inspection_within_12_months_makes_the_licensee_not_yet_eligible() -> None:
    recent = replace(QUIET, last_compliance=date(2026, 3, 15))
    result = rank(recent, TODAY)
    assert not result.eligible
    assert result.eligible_from == date(2027, 3, 15)
    # the score is still shown: a recall inspection may go back sooner
    assert result.score == rank(QUIET, TODAY).score


def test_eligible_again_on_the_anniversary() -> None:
    assert rank(replace(QUIET, last_compliance=date(2025, 11, 30)), TODAY).eligible
    assert not rank(replace(QUIET, last_compliance=date(2025, 12, 1)), TODAY).eligible


def test_another_type_of_inspection_does_not_start_the_12_months() -> None:
    recall_only = replace(QUIET, last_inspection=date(2026, 11, 1), last_compliance=date(2024, 1, 1))
    assert rank(recall_only, TODAY).eligible


def test_the_rule_is_the_one_push_applies() -> None:
    assert compliance_allowed_from(None) is None
    assert compliance_allowed_from(date(2024, 2, 29)) == date(2025, 2, 28)
    assert compliance_allowed_from(date(2026, 1, 31)) == date(2027, 1, 31)
    assert early_compliance("compliance", date(2026, 6, 1), TODAY) == date(2027, 6, 1)
    assert early_compliance("recall", date(2026, 6, 1), TODAY) is None
    assert early_compliance("application", date(2026, 6, 1), TODAY) is None
    assert early_compliance("compliance", date(2025, 6, 1), TODAY) is None
    assert early_compliance("compliance", None, TODAY) is None


def test_order_is_by_score_then_license_number() -> None:
    rows = [(10.0, "5-74-201-01-7F-00002"), (20.0, "5-74-201-01-7F-00009"), (10.0, "5-74-201-01-7F-00001")]
    ordered = sorted(rows, key=lambda r: ranking.order_key(*r))
    assert ordered == [rows[1], rows[2], rows[0]]


def test_the_docstring_table_states_the_constants() -> None:
    """The documented formula and the code cannot drift apart silently."""
    doc = ranking.__doc__ or ""
    for number in (
        ranking.NEVER_INSPECTED_POINTS,
        ranking.POINTS_PER_YEAR,
        ranking.MAX_YEARS_POINTS,
        ranking.POINTS_PER_VIOLATION,
        ranking.MAX_VIOLATION_POINTS,
        ranking.POINTS_PER_OPEN_LEAD,
        ranking.MAX_LEAD_POINTS,
        ranking.BORDER_STATE_POINTS,
    ):
        assert f"{number:g}" in doc
    for outcome, value in ranking.OUTCOME_POINTS.items():
        assert f"{outcome} {value:g}" in doc
    for key in ranking.FACTORS:
        assert key in doc


@given(
    license_type=st.sampled_from([*ranking.LICENSE_TYPE_POINTS, "99"]),
    state=st.sampled_from(["TX", "AZ", "OK", "NY"]),
    last=st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1)),
    compliance=st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1)),
    outcome=st.none() | st.sampled_from([*ranking.OUTCOME_POINTS, "other"]),
    violations=st.integers(-2, 40),
    leads=st.integers(-2, 40),
)
def test_the_fast_score_is_the_sum_of_the_factors_shown(
    license_type: str,
    state: str,
    last: date | None,
    compliance: date | None,
    outcome: str | None,
    violations: int,
    leads: int,
) -> None:
    """The list is sorted by ``score``; the admin reads ``factors``: they must agree."""
    inputs = RankInputs(license_type, state, last, compliance, outcome, violations, leads)
    result = rank(inputs, TODAY)
    assert ranking.score(inputs, TODAY) == result.score
    assert 0 <= result.score <= 35 + 30 + 15 + 20 + 30 + 12 + 10
    assert all(f.points >= 0 for f in result.factors)
    assert (result.eligible, result.eligible_from) == ranking.eligibility(inputs, TODAY)
