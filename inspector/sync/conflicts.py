"""Conflicts and rejected changes: listing them, and a person's decision on a conflict."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.audit import service as audit
from inspector.auth.service import require_role
from inspector.db import utcnow
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
        return query.where(Conflict.investigator_id == user.id)
    return query.where(Conflict.field_office_id == user.field_office_id)


def list_conflicts(user: User, status: str | None) -> sa.Select[Conflict]:
    query = visible_conflicts(user)
    if status:
        query = query.where(Conflict.status == status)
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
    if conflict.field == DELETED_FIELD:
        apply_deleted_resolution(record, spec, conflict, resolution, value)
    elif resolution != "keep_server":
        chosen = conflict.client_value if resolution == "take_client" else value
        try:
            loaded = spec.fields_schema().load({conflict.field: chosen}, partial=True)
        except ma.ValidationError as error:
            raise Problem(
                "validation-error",
                "The value is not valid for this field.",
                errors={"value": [str(m) for m in error.normalized_messages().values()]},
            ) from None
        setattr(record, conflict.field, loaded[conflict.field])
    record.open_conflicts = max(0, record.open_conflicts - 1)  # type: ignore[attr-defined]
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
        loaded = spec.fields_schema().load(conflict.client_value, partial=True)
        for name, field_value in loaded.items():
            setattr(record, name, field_value)
