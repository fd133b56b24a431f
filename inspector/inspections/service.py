"""Which inspections and findings a user may see."""

from __future__ import annotations

import uuid
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


def search_inspections(actor: User, filters: dict[str, Any]) -> sa.Select[Inspection]:
    query = visible_inspections(actor)
    for name in ("status", "investigator_id", "licensee_id"):
        if (value := filters.get(name)) is not None:
            query = query.where(getattr(Inspection, name) == value)
    return query.order_by(
        Inspection.due_date.is_(None),
        Inspection.due_date,
        Inspection.priority.desc(),
        Inspection.id,
    )


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
