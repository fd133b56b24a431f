"""The pure rules of a decision: the outcome ladder against the findings."""

from __future__ import annotations

import pytest

from inspector.review.rules import decision_errors, open_conflicts


@pytest.mark.parametrize(
    ("outcome", "violations", "willful", "field"),
    [
        ("no_violations", 0, 0, None),
        ("no_violations", 1, 0, "decided_outcome"),
        ("report_of_violations", 0, 0, "decided_outcome"),
        ("report_of_violations", 2, 0, None),
        ("warning_letter", 1, 0, None),
        ("warning_conference", 1, 0, None),
        ("revocation", 3, 0, "willful_finding_ids"),
        ("revocation", 3, 1, None),
        ("revocation", 0, 0, "decided_outcome"),
        ("probation", 1, 0, "decided_outcome"),
    ],
)
def test_the_ladder(outcome: str, violations: int, willful: int, field: str | None) -> None:
    errors = decision_errors(outcome, violations, willful)
    assert list(errors) == ([field] if field else [])


def test_open_conflicts_count_the_inspection_and_every_finding() -> None:
    findings = [{"open_conflicts": 2}, {"open_conflicts": 0}, {"open_conflicts": None}]
    assert open_conflicts(1, findings) == 3
    assert open_conflicts(0, []) == 0
