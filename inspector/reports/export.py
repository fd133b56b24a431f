"""CSV export of inspections and their findings: one row per finding (an inspection
without findings has one row with the finding columns empty), written as it is read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from inspector.checklists.models import ChecklistItem
from inspector.inspections.models import Finding, Inspection
from inspector.licensees.models import Licensee
from inspector.offices.models import FieldOffice, User
from inspector.sync.entities import to_json

COLUMNS = (
    "inspection_id",
    "field_office",
    "license_number",
    "licensee_name",
    "premises_state",
    "inspection_type",
    "status",
    "investigator",
    "started_at",
    "completed_at",
    "submitted_at",
    "recommended_outcome",
    "decided_outcome",
    "reviewer",
    "reviewed_at",
    "item_key",
    "citation",
    "result",
    "instances",
    "note",
    "finding_review_comment",
)
#: rows fetched from the database at a time (a server-side cursor on PostgreSQL).
BATCH = 1000
#: cells starting with these are read as formulas by spreadsheets; they get a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    value = to_json(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_query(inspections: sa.Select[Inspection]) -> sa.Select[*tuple[Any, ...]]:
    """The rows of the given inspections (a visible, filtered query) with their findings."""
    chosen = inspections.with_only_columns(Inspection.id).order_by(None).subquery()
    investigator, reviewer = aliased(User), aliased(User)
    return (
        sa.select(
            Inspection.id,
            FieldOffice.name,
            Licensee.license_number,
            Licensee.license_name,
            Licensee.premises_state,
            Inspection.type,
            Inspection.status,
            investigator.display_name,
            Inspection.started_at,
            Inspection.completed_at,
            Inspection.submitted_at,
            Inspection.recommended_outcome,
            Inspection.decided_outcome,
            reviewer.display_name,
            Inspection.reviewed_at,
            Finding.item_key,
            ChecklistItem.citation,
            Finding.result,
            Finding.instances,
            Finding.note,
            Finding.review_comment,
        )
        .join(chosen, chosen.c.id == Inspection.id)
        .join(Licensee, Licensee.id == Inspection.licensee_id)
        .join(FieldOffice, FieldOffice.id == Inspection.field_office_id)
        .outerjoin(investigator, investigator.id == Inspection.investigator_id)
        .outerjoin(reviewer, reviewer.id == Inspection.reviewer_id)
        .outerjoin(Finding, sa.and_(Finding.inspection_id == Inspection.id, Finding.deleted_at.is_(None)))
        .outerjoin(
            ChecklistItem,
            sa.and_(
                ChecklistItem.checklist_id == Inspection.checklist_id, ChecklistItem.key == Finding.item_key
            ),
        )
        .order_by(Inspection.submitted_at.is_(None), Inspection.submitted_at, Inspection.id, Finding.item_key)
    )


def csv_lines(session: Session, query: sa.Select[*tuple[Any, ...]]) -> Iterator[str]:
    """The header, then the rows in chunks of about ``BATCH`` rows; never the whole export in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    result = session.execute(query.execution_options(yield_per=BATCH))
    try:
        for partition in result.partitions():
            for row in partition:
                writer.writerow([cell(v) for v in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()
    finally:
        # Done, or the client went away: close the cursor and end the read transaction now,
        # not when the request context is torn down.
        result.close()
        session.rollback()
