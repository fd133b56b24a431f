"""Who may see which licensee, and searching the directory."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.licensees.models import Licensee
from inspector.offices.models import User
from inspector.problems import Problem


def visible_licensees(actor: User) -> sa.Select[Licensee]:
    """Admins see every licensee; everyone else those of their field office."""
    query = sa.select(Licensee)
    if actor.role != "admin":
        query = query.where(Licensee.field_office_id == actor.field_office_id)
    return query


def search_licensees(actor: User, filters: dict[str, Any]) -> sa.Select[Licensee]:
    query = visible_licensees(actor)
    if text := filters.get("q"):
        # contains(autoescape=True): "%" and "_" typed by a user are literal, not wildcards.
        words = text.strip().lower()
        compact = text.strip().upper().replace("-", "")
        query = query.where(
            sa.or_(
                sa.func.lower(Licensee.license_name).contains(words, autoescape=True),
                sa.func.lower(sa.func.coalesce(Licensee.business_name, "")).contains(words, autoescape=True),
                sa.func.lower(Licensee.premises_city).contains(words, autoescape=True),
                sa.func.replace(Licensee.license_number, "-", "").contains(compact, autoescape=True),
            )
        )
    if state := filters.get("state"):
        query = query.where(Licensee.premises_state == state)
    if license_type := filters.get("license_type"):
        query = query.where(Licensee.license_type == license_type)
    if office := filters.get("field_office_id"):
        query = query.where(Licensee.field_office_id == office)
    return query.order_by(Licensee.license_name, Licensee.id)


def get_licensee(session: Session, actor: User, licensee_id: uuid.UUID) -> Licensee:
    licensee = session.scalar(visible_licensees(actor).where(Licensee.id == licensee_id))
    if licensee is None:
        raise Problem("not-found", "No such licensee.")
    return licensee
