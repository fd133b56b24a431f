"""Pure rules of a reviewer's decision (no Flask, no database)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from inspector.inspections.models import OUTCOMES

#: the order of the review list: what waits for a decision first, closed work last.
REVIEW_ORDER = ("submitted", "returned", "in_progress", "assigned", "approved", "cancelled")


def decision_errors(outcome: str, violations: int, willful: int) -> dict[str, list[str]]:
    """What is wrong with deciding ``outcome`` for an inspection with ``violations`` violation
    findings, ``willful`` of which the reviewer names as willful.

    The ladder: no violations only without violations; every rung above needs at least
    one; revocation needs a willful violation (one is enough).
    """
    errors: dict[str, list[str]] = {}
    if outcome not in OUTCOMES:
        errors["decided_outcome"] = [f"must be one of {', '.join(OUTCOMES)}"]
    elif outcome == "no_violations" and violations:
        errors["decided_outcome"] = [f"the inspection has {violations} violation finding(s)"]
    elif outcome != "no_violations" and not violations:
        errors["decided_outcome"] = ["the inspection has no violation finding"]
    elif outcome == "revocation" and not willful:
        errors["willful_finding_ids"] = ["revocation needs at least one violation named as willful"]
    return errors


def open_conflicts(inspection_conflicts: int, findings: Iterable[Mapping[str, Any]]) -> int:
    """Conflicts waiting on the inspection and on any of its findings (deleted ones too)."""
    return inspection_conflicts + sum(int(f["open_conflicts"] or 0) for f in findings)
