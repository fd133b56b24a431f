"""Published checklist versions (every signed-in user may read them)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from inspector.checklists.models import Checklist
from inspector.problems import Problem

DEFAULT_CHECKLIST_KEY = "ffl-compliance"


def list_checklists() -> sa.Select[Checklist]:
    return sa.select(Checklist).order_by(Checklist.key, Checklist.version)


def get_checklist(session: Session, checklist_id: uuid.UUID) -> Checklist:
    checklist = session.scalar(
        sa.select(Checklist).options(selectinload(Checklist.items)).where(Checklist.id == checklist_id)
    )
    if checklist is None:
        raise Problem("not-found", "No such checklist.")
    return checklist


def current_checklist(session: Session, key: str = DEFAULT_CHECKLIST_KEY) -> Checklist:
    """The newest published version: the one a new inspection gets."""
    checklist = session.scalar(
        sa.select(Checklist).where(Checklist.key == key).order_by(Checklist.version.desc()).limit(1)
    )
    if checklist is None:
        raise Problem("not-found", f"No checklist {key} is published.")
    return checklist
