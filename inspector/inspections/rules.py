"""Pure rules of the inspection lifecycle (no Flask, no database)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
