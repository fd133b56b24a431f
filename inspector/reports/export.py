"""CSV export of inspections and their findings: one row per finding (an inspection
without findings has one row with the finding columns empty), written as it is read."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from inspector.checklists.models import ChecklistItem
from inspector.inspections.models import Finding, Inspection
from inspector.licensees.models import Licensee
from inspector.offices.models import FieldOffice, User
from inspector.timestamps import rfc3339


def _text(value: str | None) -> str | None:
    """Free text: a cell a spreadsheet would run as a formula gets a leading quote."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _time(value: datetime | None) -> str | None:
    return rfc3339(value) if value is not None else None


def _plain(value: Any) -> Any:
    return value


#: (column, how its value is written): one converter per column, chosen once.
COLUMNS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("inspection_id", str),
    ("field_office", _text),
    ("license_number", _plain),
    ("licensee_name", _text),
    ("premises_state", _plain),
    ("inspection_type", _plain),
    ("status", _plain),
    ("investigator", _text),
    ("started_at", _time),
    ("completed_at", _time),
    ("submitted_at", _time),
    ("recommended_outcome", _plain),
    ("decided_outcome", _plain),
    ("reviewer", _text),
    ("reviewed_at", _time),
    ("item_key", _plain),
    ("citation", _text),
    ("result", _plain),
    ("instances", _plain),
    ("note", _text),
    ("finding_review_comment", _text),
)
#: rows fetched from the database at a time (a server-side cursor on PostgreSQL).
BATCH = 1000
#: cells starting with these are read as formulas by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    """The header, then the rows in chunks of ``BATCH`` rows; never the whole export in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _convert in COLUMNS])
    converters = [convert for _name, convert in COLUMNS]
    # Core rows (no ORM loading) from a server-side cursor, BATCH at a time.
    result = session.connection().execution_options(yield_per=BATCH).execute(query)
    try:
        for partition in result.partitions():
            writer.writerows(
                [convert(v) for convert, v in zip(converters, row, strict=True)] for row in partition
            )
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
