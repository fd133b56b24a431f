"""Published checklist versions (every signed-in user may read them)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from inspector.checklists.models import Checklist, ChecklistItem
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


#: (database, checklist id) -> its items by key. A published version never changes, so a
#: worker reads each version's items once (every push of findings checks item keys).
_ITEMS: dict[tuple[str, uuid.UUID], dict[str, dict[str, Any]]] = {}
_ITEMS_LOCK = threading.Lock()
_ITEMS_MAX = 256


def published_items(session: Session, checklist_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """The items of a published checklist version by key (read once per worker and version).

    Empty when there is no such version; an empty result is not kept (it may be published yet).
    """
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), checklist_id)
    items = _ITEMS.get(key)
    if items is not None:
        return items
    rows = session.execute(
        sa.select(ChecklistItem.__table__).where(ChecklistItem.checklist_id == checklist_id)
    ).mappings()
    items = {row["key"]: dict(row) for row in rows}
    if items:
        with _ITEMS_LOCK:
            if len(_ITEMS) >= _ITEMS_MAX:
                _ITEMS.clear()
            _ITEMS[key] = items
    return items
