"""Who may see which synced record: one place for the feed, pushes and lookups."""

from __future__ import annotations

import uuid
from typing import Any

from inspector.offices.models import User
from inspector.sync.journal import Scope

ALL = Scope("all", None, None)


def inspection_scope(office_id: uuid.UUID | None, investigator_id: uuid.UUID | None) -> Scope:
    return Scope("owner", office_id, investigator_id)


def licensee_scope(office_id: uuid.UUID | None) -> Scope:
    return Scope("office", office_id, None)


def can_see(user: User, scope: Scope) -> bool:
    """The rule the feed's indexes serve, for one record."""
    if user.role == "admin" or scope.audience == "all":
        return True
    if scope.field_office_id != user.field_office_id:
        return False
    if user.role == "reviewer" or scope.audience == "office":
        return True
    return scope.investigator_id == user.id


def scope_of_state(entity: str, state: dict[str, Any], parent: dict[str, Any] | None = None) -> Scope:
    """The scope of a record from its columns (a finding's comes from its inspection)."""
    if entity == "inspection":
        return inspection_scope(state["field_office_id"], state["investigator_id"])
    if entity == "finding":
        assert parent is not None
        return inspection_scope(parent["field_office_id"], parent["investigator_id"])
    if entity == "lead":
        return inspection_scope(state["field_office_id"], state["created_by"])
    raise ValueError(f"no scope rule for {entity}")
