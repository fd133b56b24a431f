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
    return sa.select(Finding).where(
        Finding.deleted_at.is_(None), Finding.inspection_id.in_(inspections)
    )


def findings_of(session: Session, actor: User, inspection_id: uuid.UUID) -> sa.Select[Finding]:
    get_inspection(session, actor, inspection_id)
    return (
        visible_findings(actor)
        .where(Finding.inspection_id == inspection_id)
        .order_by(Finding.item_key)
    )


def get_finding(session: Session, actor: User, finding_id: uuid.UUID) -> Finding:
    finding = session.scalar(visible_findings(actor).where(Finding.id == finding_id))
    if finding is None:
        raise Problem("not-found", "No such finding.")
    return finding
