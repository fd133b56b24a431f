"""Which inspections and findings a user may see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.inspections.models import Finding, Inspection
from inspector.offices.models import User
from inspector.problems import Problem


def visible_inspections(actor: User) -> sa.Select[Inspection]:
    """Investigators: their own; reviewers: their office's; admins: all. Tombstones never."""
    query = sa.select(Inspection).where(Inspection.deleted_at.is_(None))
    if actor.role == "investigator":
        query = query.where(Inspection.investigator_id == actor.id)
    elif actor.role == "reviewer":
        query = query.where(Inspection.field_office_id == actor.field_office_id)
    return query


def violation_exists() -> sa.Exists:
    return sa.exists().where(
        Finding.inspection_id == Inspection.id,
        Finding.result == "violation",
        Finding.deleted_at.is_(None),
    )


def conflict_exists() -> sa.ColumnElement[bool]:
    """Open conflicts on the inspection or any of its findings (deleted ones too)."""
    return sa.or_(
        Inspection.open_conflicts > 0,
        sa.exists().where(Finding.inspection_id == Inspection.id, Finding.open_conflicts > 0),
    )


def search_inspections(actor: User, filters: dict[str, Any]) -> sa.Select[Inspection]:
    """The visible inspections, filtered. Reviewers get what waits for them first
    (submitted, oldest submission first); others get the queue order (due date, priority)."""
    from inspector.licensees.models import Licensee
    from inspector.review.rules import REVIEW_ORDER

    query = visible_inspections(actor)
    for name in ("status", "investigator_id", "licensee_id", "field_office_id", "type"):
        if (value := filters.get(name)) is not None:
            query = query.where(getattr(Inspection, name) == value)
    if (outcome := filters.get("outcome")) is not None:
        query = query.where(
            sa.func.coalesce(Inspection.decided_outcome, Inspection.recommended_outcome) == outcome
        )
    if (start := filters.get("submitted_from")) is not None:
        query = query.where(Inspection.submitted_at >= datetime.combine(start, time(), UTC))
    if (end := filters.get("submitted_to")) is not None:
        query = query.where(Inspection.submitted_at < datetime.combine(end + timedelta(days=1), time(), UTC))
    if (wanted := filters.get("has_violations")) is not None:
        query = query.where(violation_exists() if wanted else ~violation_exists())
    if (wanted := filters.get("has_open_conflicts")) is not None:
        query = query.where(conflict_exists() if wanted else ~conflict_exists())
    if q := (filters.get("q") or "").strip():
        pattern = f"%{q.lower()}%"
        licensees = sa.select(Licensee.id).where(
            sa.or_(
                sa.func.lower(Licensee.license_name).like(pattern),
                sa.func.lower(sa.func.coalesce(Licensee.business_name, "")).like(pattern),
                Licensee.license_number.like(pattern),
            )
        )
        query = query.where(Inspection.licensee_id.in_(licensees))
    queue_order = (
        Inspection.due_date.is_(None),
        Inspection.due_date,
        Inspection.priority.desc(),
        Inspection.id,
    )
    if actor.role == "reviewer":
        rank = sa.case(
            {s: n for n, s in enumerate(REVIEW_ORDER)}, value=Inspection.status, else_=len(REVIEW_ORDER)
        )
        return query.order_by(rank, Inspection.submitted_at.is_(None), Inspection.submitted_at, *queue_order)
    return query.order_by(*queue_order)


def annotate(session: Session, inspections: list[Inspection]) -> list[dict[str, Any]]:
    """Inspections with what a list or a review screen shows beside them, in one query per kind:
    licensee name and number, investigator and reviewer names, violations and open conflicts."""
    from inspector.licensees.models import Licensee

    if not inspections:
        return []
    ids = [i.id for i in inspections]
    licensees = {
        row.id: row
        for row in session.execute(
            sa.select(
                Licensee.id, Licensee.license_name, Licensee.business_name, Licensee.license_number
            ).where(Licensee.id.in_({i.licensee_id for i in inspections}))
        )
    }
    people = {i.investigator_id for i in inspections} | {i.reviewer_id for i in inspections}
    names = {
        row.id: row.display_name
        for row in session.execute(sa.select(User.id, User.display_name).where(User.id.in_(people - {None})))
    }
    counts: dict[uuid.UUID, tuple[int, int]] = {
        row.inspection_id: (int(row.violations or 0), int(row.conflicts or 0))
        for row in session.execute(
            sa.select(
                Finding.inspection_id,
                sa.func.sum(
                    sa.case(
                        (sa.and_(Finding.result == "violation", Finding.deleted_at.is_(None)), 1), else_=0
                    )
                ).label("violations"),
                sa.func.sum(Finding.open_conflicts).label("conflicts"),
            )
            .where(Finding.inspection_id.in_(ids))
            .group_by(Finding.inspection_id)
        )
    }
    out = []
    for inspection in inspections:
        licensee = licensees.get(inspection.licensee_id)
        violations, conflicts = counts.get(inspection.id, (0, 0))
        doc = {column.key: getattr(inspection, column.key) for column in Inspection.__mapper__.column_attrs}
        doc.update(
            licensee_name=(licensee.business_name or licensee.license_name) if licensee else None,
            license_number=licensee.license_number if licensee else None,
            investigator_name=names.get(inspection.investigator_id),  # type: ignore[arg-type]
            reviewer_name=names.get(inspection.reviewer_id),  # type: ignore[arg-type]
            violation_count=violations,
            conflict_count=conflicts + inspection.open_conflicts,
        )
        out.append(doc)
    return out


def get_inspection(session: Session, actor: User, inspection_id: uuid.UUID) -> Inspection:
    inspection = session.scalar(visible_inspections(actor).where(Inspection.id == inspection_id))
    if inspection is None:
        raise Problem("not-found", "No such inspection.")
    return inspection


def visible_findings(actor: User) -> sa.Select[Finding]:
    """A finding is visible with its inspection."""
    inspections = visible_inspections(actor).with_only_columns(Inspection.id)
    return sa.select(Finding).where(Finding.deleted_at.is_(None), Finding.inspection_id.in_(inspections))


def findings_of(session: Session, actor: User, inspection_id: uuid.UUID) -> sa.Select[Finding]:
    get_inspection(session, actor, inspection_id)
    return visible_findings(actor).where(Finding.inspection_id == inspection_id).order_by(Finding.item_key)


def get_finding(session: Session, actor: User, finding_id: uuid.UUID) -> Finding:
    finding = session.scalar(visible_findings(actor).where(Finding.id == finding_id))
    if finding is None:
        raise Problem("not-found", "No such finding.")
    return finding


def reassign(
    session: Session,
    actor: User,
    inspection_id: uuid.UUID,
    investigator_id: uuid.UUID,
    address: str | None,
) -> Inspection:
    """Move an inspection to another investigator's queue (admin).

    What both investigators may see changes, so both scope epochs move on and
    their next pulls answer ``resync``; the findings follow the inspection.
    """
    from inspector.audit import service as audit
    from inspector.auth.service import require_role
    from inspector.sync.journal import rescope_feed
    from inspector.sync.scope import inspection_scope
    from inspector.sync.service import bump, record_written

    require_role(actor, "admin")
    inspection = session.get(Inspection, inspection_id, with_for_update=True)
    if inspection is None or inspection.deleted_at is not None:
        raise Problem("not-found", "No such inspection.")
    investigator = session.get(User, investigator_id)
    if investigator is None or investigator.role != "investigator" or not investigator.active:
        raise Problem(
            "validation-error",
            "Assign to an active investigator.",
            errors={"investigator_id": ["not an active investigator"]},
        )
    if investigator.field_office_id != inspection.field_office_id:
        raise Problem(
            "validation-error",
            "The investigator works in another field office.",
            errors={"investigator_id": ["not in the inspection's field office"]},
        )
    if inspection.status in ("approved", "cancelled"):
        raise Problem("record-locked", f"The inspection is {inspection.status}.")
    previous = inspection.investigator_id
    if previous == investigator.id:
        return inspection
    inspection.investigator_id = investigator.id
    bump(inspection)
    for user_id in {previous, investigator.id} - {None}:
        user = session.get(User, user_id)
        if user is not None:
            user.scope_epoch += 1
    record_written(session, "inspection", inspection, user_id=actor.id)
    finding_ids = list(session.scalars(sa.select(Finding.id).where(Finding.inspection_id == inspection.id)))
    rescope_feed(
        session,
        "finding",
        finding_ids,
        inspection_scope(inspection.field_office_id, investigator.id),
    )
    audit.record(
        session,
        "inspection-reassigned",
        actor=actor,
        target_type="inspection",
        target_id=inspection.id,
        address=address,
        details={"from": str(previous) if previous else None, "to": str(investigator.id)},
    )
    return inspection
