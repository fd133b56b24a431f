"""Whom to inspect first: a plain, documented formula (no Flask, no database).

A licensee's score is the sum of seven contributions, each shown to the admin
next to its input, so the ranking is never a black box:

==================  ===================================================  ==========================
factor              input                                                points
==================  ===================================================  ==========================
never_inspected     no inspection on record                              35
years_since_last    years since the last inspection (to 0.1 year)        5 a year, at most 30
prior_violations    violation findings of its approved inspections       3 each, at most 15
last_outcome        outcome of the last inspection                       no_violations 0,
                                                                         report_of_violations 5,
                                                                         warning_letter 10,
                                                                         warning_conference 15,
                                                                         revocation 20
open_leads          submitted or referred leads naming the licensee     10 each, at most 30
license_type        the license type (how guns leave it)                 02 pawnbroker 12, 01 dealer
                                                                         10, 07 / 08 manufacturer,
                                                                         importer 8, 09 / 10 / 11
                                                                         destructive devices 6,
                                                                         06 ammunition 2,
                                                                         03 collector 0
border_state        premises in a southwest border state (AZ CA NM TX)   10
==================  ===================================================  ==========================

Higher scores come first; ties go by license number. A licensee inspected
for compliance within the last 12 months is listed with ``eligible`` false and the date a
compliance inspection becomes allowed (``rules.compliance_allowed_from``, the
same rule sync push applies); its score is still shown, since a recall
inspection may go back sooner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from inspector.inspections.rules import compliance_allowed_from

NEVER_INSPECTED_POINTS = 35.0
POINTS_PER_YEAR = 5.0
MAX_YEARS_POINTS = 30.0
POINTS_PER_VIOLATION = 3.0
MAX_VIOLATION_POINTS = 15.0
OUTCOME_POINTS: Mapping[str, float] = {
    "no_violations": 0.0,
    "report_of_violations": 5.0,
    "warning_letter": 10.0,
    "warning_conference": 15.0,
    "revocation": 20.0,
}
POINTS_PER_OPEN_LEAD = 10.0
MAX_LEAD_POINTS = 30.0
LICENSE_TYPE_POINTS: Mapping[str, float] = {
    "01": 10.0,
    "02": 12.0,
    "03": 0.0,
    "06": 2.0,
    "07": 8.0,
    "08": 8.0,
    "09": 6.0,
    "10": 6.0,
    "11": 6.0,
}
BORDER_STATES = frozenset({"AZ", "CA", "NM", "TX"})
BORDER_STATE_POINTS = 10.0
#: the order factors are listed in, everywhere.
FACTORS = (
    "never_inspected",
    "years_since_last",
    "prior_violations",
    "last_outcome",
    "open_leads",
    "license_type",
    "border_state",
)
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True, slots=True)
class RankInputs:
    """What the formula reads about one licensee."""

    license_type: str
    state: str
    #: the last inspection of any type (dates ``years_since_last``).
    last_inspection: date | None
    #: the last compliance inspection (the 12-month rule).
    last_compliance: date | None
    last_outcome: str | None
    prior_violations: int
    open_leads: int


@dataclass(frozen=True)
class Factor:
    """One input as the admin sees it, and the points it adds."""

    key: str
    value: str | int | float | bool | None
    points: float


@dataclass(frozen=True)
class Rank:
    score: float
    factors: tuple[Factor, ...]
    eligible: bool
    #: the first day a compliance inspection is allowed, when that is still ahead.
    eligible_from: date | None


def years_between(earlier: date, later: date) -> float:
    """Whole days as years, to one decimal; never negative (a date in the future counts 0)."""
    return round(max((later - earlier).days, 0) / DAYS_PER_YEAR, 1)


Value = str | int | float | bool | None


def inputs_shown(inputs: RankInputs, today: date) -> tuple[Value, ...]:
    """Each factor's input as the admin sees it, in ``FACTORS`` order."""
    years = None if inputs.last_inspection is None else years_between(inputs.last_inspection, today)
    return (
        inputs.last_inspection is None,
        years,
        max(inputs.prior_violations, 0),
        inputs.last_outcome,
        max(inputs.open_leads, 0),
        inputs.license_type,
        inputs.state in BORDER_STATES,
    )


def points_of(shown: tuple[Value, ...]) -> tuple[float, ...]:
    """What each shown input adds, in ``FACTORS`` order."""
    never, years, violations, outcome, leads, license_type, border = shown
    return (
        NEVER_INSPECTED_POINTS if never else 0.0,
        0.0 if years is None else round(min(float(years) * POINTS_PER_YEAR, MAX_YEARS_POINTS), 1),
        min(int(violations or 0) * POINTS_PER_VIOLATION, MAX_VIOLATION_POINTS),
        OUTCOME_POINTS.get(str(outcome or ""), 0.0),
        min(int(leads or 0) * POINTS_PER_OPEN_LEAD, MAX_LEAD_POINTS),
        LICENSE_TYPE_POINTS.get(str(license_type), 0.0),
        BORDER_STATE_POINTS if border else 0.0,
    )


def score(inputs: RankInputs, today: date) -> float:
    """The sum of the contributions (what the list is sorted by; no per-factor objects)."""
    return round(sum(points_of(inputs_shown(inputs, today))), 1)


def factors(inputs: RankInputs, today: date) -> tuple[Factor, ...]:
    shown = inputs_shown(inputs, today)
    return tuple(Factor(k, v, p) for k, v, p in zip(FACTORS, shown, points_of(shown), strict=True))


def eligibility(inputs: RankInputs, today: date) -> tuple[bool, date | None]:
    """Whether a compliance inspection is allowed today, else the first day it is."""
    allowed = compliance_allowed_from(inputs.last_compliance)
    waiting = allowed is not None and today < allowed
    return (not waiting, allowed if waiting else None)


def rank(inputs: RankInputs, today: date) -> Rank:
    """The score with every contribution, and whether a compliance inspection is allowed today."""
    parts = factors(inputs, today)
    eligible, eligible_from = eligibility(inputs, today)
    return Rank(
        score=round(sum(f.points for f in parts), 1),
        factors=parts,
        eligible=eligible,
        eligible_from=eligible_from,
    )


def order_key(score: float, license_number: str) -> tuple[float, str]:
    """Highest score first; ties by license number, so pages are stable."""
    return (-score, license_number)
