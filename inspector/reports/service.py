"""Who may print or export what, and the audit of it.

The report of one inspection: its investigator and the reviewers of its office (admins
administer, they do not print investigations), once it is submitted. The export: the
reviewers of an office for that office, admins for any (``field_office_id`` narrows it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.audit import service as audit
from inspector.auth.service import require_role
from inspector.checklists.models import ChecklistItem
from inspector.inspections.models import Finding
from inspector.inspections.service import get_inspection, search_inspections
from inspector.licensees.models import Licensee
from inspector.offices.models import FieldOffice, User
from inspector.pdf import render_pdf
from inspector.problems import Problem
from inspector.reports.export import csv_lines, export_query
from inspector.reports.inspection_pdf import report_lines

REPORTABLE = ("submitted", "approved")


def inspection_report(session: Session, actor: User, inspection_id: uuid.UUID, address: str | None) -> bytes:
    """The printable PDF of a submitted or approved inspection (audited)."""
    inspection = get_inspection(session, actor, inspection_id)
    require_role(actor, "investigator", "reviewer")
    if inspection.status not in REPORTABLE:
        raise Problem(
            "conflict",
            f"A report is made once the inspection is submitted; this one is {inspection.status}.",
            inspection_status=inspection.status,
        )
    licensee = session.get(Licensee, inspection.licensee_id)
    assert licensee is not None
    findings = list(
        session.scalars(
            sa.select(Finding)
            .where(Finding.inspection_id == inspection.id, Finding.deleted_at.is_(None))
            .order_by(Finding.item_key)
        )
    )
    items = {
        item.key: item
        for item in session.scalars(
            sa.select(ChecklistItem).where(ChecklistItem.checklist_id == inspection.checklist_id)
        )
    }
    office = session.get(FieldOffice, inspection.field_office_id)
    people = {
        u.id: u.display_name
        for u in session.scalars(
            sa.select(User).where(User.id.in_({inspection.investigator_id, inspection.reviewer_id} - {None}))
        )
    }
    names = {
        "office": office.name if office else None,
        "investigator": people.get(inspection.investigator_id),  # type: ignore[arg-type]
        "reviewer": people.get(inspection.reviewer_id),  # type: ignore[arg-type]
    }
    pdf = render_pdf(report_lines(inspection, licensee, findings, items, names))
    audit.record_read(
        session,
        "inspection-report",
        actor=actor,
        target_type="inspection",
        target_id=inspection.id,
        address=address,
        details={"status": inspection.status},
    )
    return pdf


def export_csv(session: Session, actor: User, filters: dict[str, Any], address: str | None) -> Iterator[str]:
    """The CSV lines of the visible inspections the filters choose (audited before the first row)."""
    require_role(actor, "reviewer", "admin")
    query = export_query(search_inspections(actor, filters))
    audit.record_read(
        session,
        "inspections-exported",
        actor=actor,
        target_type="field_office",
        target_id=filters.get("field_office_id") or actor.field_office_id,
        address=address,
        details={"filters": {k: str(v) for k, v in filters.items()}},
    )
    return csv_lines(session, query)
