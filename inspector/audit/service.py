"""Writing the audit trail. Only inserts; callers commit with their own change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from inspector.audit.models import AuditEvent
from inspector.offices.models import User


def record(
    session: Session,
    action: str,
    *,
    outcome: str = "success",
    actor: User | None = None,
    actor_username: str | None = None,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    address: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event. ``details`` must never hold secrets (passwords, tokens, hashes)."""
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor_id=actor.id if actor else None,
        actor_username=actor.username if actor else actor_username,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        address=address,
        details=details or {},
    )
    session.add(event)
    return event


def record_read(session: Session, action: str, **fields: Any) -> None:
    """Audit a read (a report, an export, a lead's detail) in a short write transaction of its
    own, after the read: SQLite never has to upgrade a stale read snapshot (see db.short_write)."""
    from inspector.db import write_intent

    session.commit()
    with write_intent():
        record(session, action, **fields)
        session.commit()
