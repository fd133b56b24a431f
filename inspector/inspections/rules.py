"""Pure rules of the inspection lifecycle (no Flask, no database)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any


def applies(item: Mapping[str, Any], license_type: str, state: str) -> bool:
    """An item with no license types or states listed applies to all."""
    return (not item["license_types"] or license_type in item["license_types"]) and (
        not item["states"] or state in item["states"]
    )


def submission_blockers(
    *,
    inspection_conflicts: int,
    findings: Iterable[Mapping[str, Any]],
    items: Iterable[Mapping[str, Any]],
    license_type: str,
    state: str,
) -> dict[str, list[str]]:
    """What keeps an inspection from moving to submitted (or approved).

    Open conflicts on the inspection or any of its findings (deleted ones too:
    an edit-versus-delete conflict is open work), and required items that
    apply to the licensee without a live finding.
    """
    findings = list(findings)
    errors: dict[str, list[str]] = {}
    conflicted = inspection_conflicts + sum(f["open_conflicts"] for f in findings)
    if conflicted:
        errors["open_conflicts"] = [f"{conflicted} conflict(s) must be resolved first"]
    answered = {f["item_key"] for f in findings if f["deleted_at"] is None}
    missing = sorted(
        item["key"]
        for item in items
        if item["required"] and item["key"] not in answered and applies(item, license_type, state)
    )
    if missing:
        errors["missing_items"] = missing
    return errors


def compliance_allowed_from(last_inspection: date | None) -> date | None:
    """The first day a compliance inspection is allowed: one year after the last one.

    The law allows at most one compliance inspection per licensee in 12 months;
    a last inspection on 29 February is followed by 28 February of the next year.
    None when the licensee was never inspected (allowed now).
    """
    if last_inspection is None:
        return None
    try:
        return last_inspection.replace(year=last_inspection.year + 1)
    except ValueError:  # 29 February
        return last_inspection + timedelta(days=365)


def early_compliance(kind: str, last_inspection: date | None, today: date) -> date | None:
    """The date a compliance inspection becomes allowed, when ``kind`` is one and that is
    still ahead; else None. A recall inspection is the way back sooner, so it never waits."""
    if kind != "compliance":
        return None
    allowed = compliance_allowed_from(last_inspection)
    return allowed if allowed is not None and today < allowed else None


def early_compliance_message(allowed: date) -> str:
    return (
        f"a compliance inspection is allowed from {allowed.isoformat()}; "
        "use a recall inspection to go back sooner"
    )
