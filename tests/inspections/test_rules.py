"""The pure lifecycle rule that blocks a submit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from inspector.inspections.rules import applies, submission_blockers

ITEMS = [
    {"key": "license-posted", "required": True, "license_types": [], "states": []},
    {"key": "nics-checks", "required": True, "license_types": ["01", "02"], "states": []},
    {"key": "multiple-sales-rifle", "required": True, "license_types": ["01"], "states": ["TX", "AZ"]},
    {"key": "optional", "required": False, "license_types": [], "states": []},
]


def finding(key: str, conflicts: int = 0, deleted: bool = False) -> dict[str, Any]:
    return {
        "item_key": key,
        "open_conflicts": conflicts,
        "deleted_at": datetime.now(UTC) if deleted else None,
    }


def test_items_apply_by_license_type_and_state() -> None:
    assert applies(ITEMS[0], "03", "CA")
    assert not applies(ITEMS[1], "03", "TX")
    assert applies(ITEMS[2], "01", "TX") and not applies(ITEMS[2], "01", "CA")


def test_every_required_applicable_item_must_be_answered() -> None:
    blockers = submission_blockers(
        inspection_conflicts=0,
        findings=[finding("license-posted")],
        items=ITEMS,
        license_type="01",
        state="TX",
    )
    assert blockers == {"missing_items": ["multiple-sales-rifle", "nics-checks"]}
    assert (
        submission_blockers(
            inspection_conflicts=0,
            findings=[finding("license-posted")],
            items=ITEMS,
            license_type="03",
            state="CA",
        )
        == {}
    )


def test_a_deleted_finding_does_not_answer_but_its_conflicts_still_block() -> None:
    blockers = submission_blockers(
        inspection_conflicts=1,
        findings=[finding("license-posted", 2, deleted=True)],
        items=ITEMS[:1],
        license_type="03",
        state="CA",
    )
    assert blockers["missing_items"] == ["license-posted"]
    assert blockers["open_conflicts"] == ["3 conflict(s) must be resolved first"]
