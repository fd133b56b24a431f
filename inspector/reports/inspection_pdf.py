"""The inspection report: a Report of Violations when there are violations (pure; no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from inspector.pdf import Line, Lines


def day(value: date | datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value else None


def words(value: str | None) -> str | None:
    return value.replace("_", " ") if value else None


def report_title(violations: int) -> str:
    return "Report of Violations" if violations else "Inspection Report - no violations"


def report_lines(
    inspection: Any,
    licensee: Any,
    findings: Sequence[Any],
    items: Mapping[str, Any],
    names: Mapping[str, str | None],
) -> list[Line]:
    """The report's lines. ``items`` are the checklist items by key (citation, prompt),
    ``names`` the office, investigator and reviewer names."""
    violations = [f for f in findings if f.result == "violation"]
    doc = Lines(report_title(len(violations)))
    doc.field("Licensee", licensee.license_name)
    if licensee.business_name and licensee.business_name != licensee.license_name:
        doc.field("Business name", licensee.business_name)
    doc.field("License number", licensee.license_number)
    place = f"{licensee.premises_city}, {licensee.premises_state} {licensee.premises_zip}"
    doc.field("Premises", f"{licensee.premises_street}, {place}")
    doc.field("Field office", names.get("office"))
    doc.field("Inspection", f"{words(inspection.type)} ({inspection.id})")
    doc.field("Status", words(inspection.status))
    doc.field("Started", day(inspection.started_at))
    doc.field("Completed", day(inspection.completed_at))
    doc.field("Submitted", day(inspection.submitted_at))
    doc.field("Investigator", names.get("investigator"))
    doc.heading(f"Violations ({len(violations)})")
    if not violations:
        doc.text("No violations were found.")
    for n, finding in enumerate(violations, start=1):
        item = items.get(finding.item_key)
        citation = item.citation if item is not None else "-"
        doc.text(f"{n}. {item.prompt if item is not None else finding.item_key}")
        doc.field("Citation", citation, indent="   ")
        doc.field("Instances", finding.instances, indent="   ")
        doc.field("Note", finding.note, indent="   ")
    others = len(findings) - len(violations)
    doc.text("")
    doc.text(f"Other checklist items answered: {others}.")
    doc.heading("Outcome")
    doc.field("Recommended outcome", words(inspection.recommended_outcome))
    decided = inspection.decided_outcome if inspection.status == "approved" else None
    doc.field("Decided outcome", words(decided) or "not decided yet")
    doc.field("Reviewer", names.get("reviewer") if decided else None)
    doc.field("Decision date", day(inspection.reviewed_at) if decided else None)
    if decided and inspection.review_comment:
        doc.field("Reviewer's comment", inspection.review_comment)
    if inspection.summary:
        doc.heading("Summary")
        doc.text(inspection.summary)
    return doc.lines
