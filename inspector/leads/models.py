"""Investigative leads: the most sensitive records we hold (need-to-know)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspector.db import Base, JSONDoc, SyncedColumns

INDICATORS = (
    "multiple-sales",
    "short-time-to-crime",
    "straw-purchase-signs",
    "missing-inventory",
    "high-trace-volume",
    "lost-stolen-pattern",
    "other",
)
LEAD_STATUSES = ("draft", "submitted", "referred", "closed")


class Lead(SyncedColumns, Base):
    """Firearms and subjects live inside the lead only; nothing indexes buyers."""

    __tablename__ = "leads"
    __table_args__ = (sa.Index("ix_leads_office_status", "field_office_id", "status"),)

    inspection_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("inspections.id"))
    licensee_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("licensees.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    field_office_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("field_offices.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    indicators: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    narrative: Mapped[str | None] = mapped_column(sa.Text)
    #: [{make, model, serial, caliber, type}]
    firearms: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    #: [{name, role, description}]; removed for good when the lead is purged.
    subjects: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    referral_agency: Mapped[str | None] = mapped_column(sa.String(120))
    attachments: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    purge_after: Mapped[datetime]
    purged_at: Mapped[datetime | None]
