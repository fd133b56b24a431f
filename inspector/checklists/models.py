"""Versioned checklists; a published version never changes."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspector.db import Base, JSONDoc, utcnow


class Checklist(Base):
    __tablename__ = "checklists"
    __table_args__ = (sa.UniqueConstraint("key", "version", name="uq_checklists_key_version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="checklist", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )


class ChecklistItem(Base):
    """One question; empty ``license_types`` or ``states`` means it applies to all."""

    __tablename__ = "checklist_items"
    __table_args__ = (sa.UniqueConstraint("checklist_id", "key", name="uq_checklist_items_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    checklist_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("checklists.id", ondelete="CASCADE"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(60))
    area: Mapped[str] = mapped_column(sa.String(200))
    prompt: Mapped[str] = mapped_column(sa.Text)
    citation: Mapped[str] = mapped_column(sa.String(200))
    required: Mapped[bool] = mapped_column(default=True)
    license_types: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    states: Mapped[list[str]] = mapped_column(JSONDoc, default=list)

    checklist: Mapped[Checklist] = relationship(back_populates="items")

    def applies_to(self, license_type: str, state: str) -> bool:
        from inspector.inspections.rules import applies

        return applies({"license_types": self.license_types, "states": self.states}, license_type, state)
