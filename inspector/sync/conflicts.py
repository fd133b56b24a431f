"""Conflicts and rejected changes: listing them, and a person's decision on a conflict."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.audit import service as audit
from inspector.auth.service import require_role
from inspector.blobs.service import list_blobs
from inspector.checklists.models import ChecklistItem
from inspector.db import utcnow
from inspector.inspections import rules
from inspector.inspections.models import Finding, Inspection
from inspector.leads.models import Lead
from inspector.licensees.models import Licensee
from inspector.offices.models import User
from inspector.problems import Problem
from inspector.sync.entities import SYNCED
from inspector.sync.journal import FeedTouch, Scope, touch_feed
from inspector.sync.merge import DELETED_FIELD
from inspector.sync.models import Conflict, RejectedChange
from inspector.sync.service import bump, record_written

RESOLUTIONS = ("keep_server", "take_client", "custom")


def visible_conflicts(user: User) -> sa.Select[Conflict]:
    """The record's investigator, and reviewers of its office (admins administer, they don't decide)."""
    require_role(user, "investigator", "reviewer")
    query = sa.select(Conflict)
    if user.role == "investigator":
        # Whose the record is now, not when the conflict arose: a reassigned
        # inspection takes its conflicts (and its findings') to the new investigator.
        inspections = sa.select(Inspection.id).where(Inspection.investigator_id == user.id)
        findings = sa.select(Finding.id).where(Finding.inspection_id.in_(inspections))
        leads = sa.select(Lead.id).where(Lead.created_by == user.id)
        return query.where(
            sa.or_(
                sa.and_(Conflict.entity == "inspection", Conflict.record_id.in_(inspections)),
                sa.and_(Conflict.entity == "finding", Conflict.record_id.in_(findings)),
                sa.and_(Conflict.entity == "lead", Conflict.record_id.in_(leads)),
            )
        )
    return query.where(Conflict.field_office_id == user.field_office_id)


def list_conflicts(
    user: User, status: str | None, inspection_id: uuid.UUID | None = None
) -> sa.Select[Conflict]:
    query = visible_conflicts(user)
    if status:
        query = query.where(Conflict.status == status)
    if inspection_id is not None:
        findings = sa.select(Finding.id).where(Finding.inspection_id == inspection_id)
        query = query.where(
            sa.or_(
                sa.and_(Conflict.entity == "inspection", Conflict.record_id == inspection_id),
                sa.and_(Conflict.entity == "finding", Conflict.record_id.in_(findings)),
            )
        )
    return query.order_by(Conflict.created_at.desc(), Conflict.id)


def visible_rejected(user: User) -> sa.Select[RejectedChange]:
    """The sender sees their own; reviewers see their office's."""
    require_role(user, "investigator", "reviewer")
    query = sa.select(RejectedChange)
    if user.role == "investigator":
        query = query.where(RejectedChange.user_id == user.id)
    else:
        query = query.where(RejectedChange.field_office_id == user.field_office_id)
    return query.order_by(RejectedChange.received_at.desc(), RejectedChange.id)


def resolve(
    session: Session,
    user: User,
    conflict_id: uuid.UUID,
    resolution: str,
    value: Any,
    address: str | None,
) -> Conflict:
    """Write the chosen value as a new version (every device gets it by pull) and close the conflict."""
    conflict = session.scalar(visible_conflicts(user).where(Conflict.id == conflict_id).with_for_update())
    if conflict is None:
        raise Problem("not-found", "No such conflict.")
    if conflict.status != "open":
        raise Problem("conflict", "This conflict is already resolved.")
    spec = SYNCED[conflict.entity]
    record = session.get(spec.model, conflict.record_id, with_for_update=True)
    if record is None:
        raise Problem("not-found", "The conflict's record is gone.")
    if resolution != "keep_server":
        check_unlocked(session, conflict.entity, record)
    before = {name: getattr(record, name, None) for name in WATCHED}
    if conflict.field == DELETED_FIELD:
        apply_deleted_resolution(record, spec, conflict, resolution, value)
    elif resolution != "keep_server":
        chosen = conflict.client_value if resolution == "take_client" else value
        try:
            loaded = spec.loader.load({conflict.field: chosen}, partial=True)
        except ma.ValidationError as error:
            raise Problem(
                "validation-error",
                "The value is not valid for this field.",
                errors={"value": [str(m) for m in error.normalized_messages().values()]},
            ) from None
        setattr(record, conflict.field, loaded[conflict.field])
    record.open_conflicts = max(0, record.open_conflicts - 1)  # type: ignore[attr-defined]
    check_record_rules(session, conflict.entity, record, before)
    revived = before["deleted_at"] is not None and record.deleted_at is None  # type: ignore[attr-defined]
    if record.attachments != before["attachments"] or revived:  # type: ignore[attr-defined]
        # The chosen list is listed by whoever chose it: the device's user, or the resolver.
        lister = session.get(User, conflict.user_id) if resolution == "take_client" else user
        list_blobs(session, lister or user, conflict.entity, record)
    bump(record)
    record_written(session, conflict.entity, record, user_id=user.id)
    conflict.status = "resolved"
    conflict.resolution = resolution
    conflict.resolved_value = (
        value
        if resolution == "custom"
        else (conflict.client_value if resolution == "take_client" else conflict.server_value)
    )
    conflict.resolved_by = user.id
    conflict.resolved_at = utcnow()
    conflict.version += 1
    touch_feed(
        session,
        [
            FeedTouch(
                "conflict",
                conflict.id,
                conflict.version,
                False,
                Scope("owner", conflict.field_office_id, conflict.investigator_id),
            )
        ],
    )
    audit.record(
        session,
        "conflict-resolved",
        actor=user,
        target_type="conflict",
        target_id=conflict.id,
        address=address,
        details={
            "entity": conflict.entity,
            "record_id": str(conflict.record_id),
            "field": conflict.field,
            "resolution": resolution,
        },
    )
    return conflict


#: what a resolution may change that the push rules constrain.
WATCHED = ("status", "result", "instances", "attachments", "deleted_at")
#: moves a device may make (besides staying put); the same in push.
DEVICE_STATUS_MOVES = {("assigned", "in_progress"), ("in_progress", "submitted"), ("returned", "in_progress")}
LOCKED_STATUSES = {"submitted", "approved", "cancelled"}


def check_unlocked(session: Session, entity: str, record: Any) -> None:
    """A resolution that writes a value writes the record: not once it is in review or closed."""
    if entity == "lead":
        if record.status in ("referred", "closed"):
            raise Problem("record-locked", f"The lead is {record.status}; it can no longer change.")
        return
    inspection = record if entity == "inspection" else session.get(Inspection, record.inspection_id)
    if inspection is not None and inspection.status in LOCKED_STATUSES:
        raise Problem("record-locked", f"The inspection is {inspection.status}; it cannot change now.")


def check_record_rules(session: Session, entity: str, record: Any, before: dict[str, Any]) -> None:
    """The rules a push enforces hold for a resolved value too (a resolution is no back door)."""
    if entity == "inspection" and record.status != before["status"]:
        move = (before["status"], record.status)
        if move not in DEVICE_STATUS_MOVES:
            raise Problem(
                "validation-error",
                "The resolution would move the inspection where a device cannot.",
                errors={"status": [f"cannot move an inspection from {move[0]} to {move[1]}"]},
            )
        if record.status == "submitted":
            blockers = submission_blockers(session, record)
            if blockers:
                raise Problem("validation-error", "The inspection cannot be submitted yet.", errors=blockers)
    if (
        entity == "finding"
        and (record.result, record.instances) != (before["result"], before["instances"])
        and record.result == "violation"
        and (record.instances or 0) < 1
    ):
        raise Problem(
            "validation-error",
            "A violation counts at least one instance.",
            errors={"instances": ["a violation counts at least 1 instance"]},
        )


def submission_blockers(session: Session, inspection: Inspection) -> dict[str, list[str]]:
    """The lifecycle rule, on the inspection's stored findings."""
    session.flush()
    findings = session.execute(
        sa.select(Finding.item_key, Finding.open_conflicts, Finding.deleted_at).where(
            Finding.inspection_id == inspection.id
        )
    ).mappings()
    licensee = session.get(Licensee, inspection.licensee_id)
    assert licensee is not None
    items = session.execute(
        sa.select(
            ChecklistItem.key, ChecklistItem.required, ChecklistItem.license_types, ChecklistItem.states
        ).where(ChecklistItem.checklist_id == inspection.checklist_id)
    ).mappings()
    return rules.submission_blockers(
        inspection_conflicts=inspection.open_conflicts,
        findings=[dict(f) for f in findings],
        items=[dict(i) for i in items],
        license_type=licensee.license_type,
        state=licensee.premises_state,
    )


def apply_deleted_resolution(record: Any, spec: Any, conflict: Conflict, resolution: str, value: Any) -> None:
    """``_deleted`` conflicts: keep the server's state, or do what the device wanted."""
    if resolution == "custom":
        raise Problem(
            "validation-error",
            "A delete conflict is resolved by keep_server or take_client.",
            errors={"resolution": ["custom is not possible for _deleted"]},
        )
    if resolution == "keep_server":
        return
    if conflict.client_value is True:
        record.deleted_at = utcnow()
        return
    record.deleted_at = None
    if isinstance(conflict.client_value, dict):
        loaded = spec.loader.load(conflict.client_value, partial=True)
        for name, field_value in loaded.items():
            setattr(record, name, field_value)
