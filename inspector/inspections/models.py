"""Inspections and their findings: records that investigators write offline."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspector.db import Base, JSONDoc, SyncedColumns

INSPECTION_TYPES = ("application", "compliance", "recall")
INSPECTION_STATUSES = ("assigned", "in_progress", "submitted", "returned", "approved", "cancelled")
OUTCOMES = (
    "no_violations",
    "report_of_violations",
    "warning_letter",
    "warning_conference",
    "revocation",
)
FINDING_RESULTS = ("compliant", "violation", "not_applicable", "not_reviewed")


class Inspection(SyncedColumns, Base):
    __tablename__ = "inspections"
    __table_args__ = (
        sa.Index("ix_inspections_office_status", "field_office_id", "status"),
        sa.Index("ix_inspections_investigator", "investigator_id", "status"),
    )

    licensee_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("licensees.id"), index=True)
    #: the checklist version in force when the inspection was assigned or created.
    checklist_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("checklists.id"))
    investigator_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    field_office_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("field_offices.id"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="assigned")
    due_date: Mapped[date | None]
    priority: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    summary: Mapped[str | None] = mapped_column(sa.Text)
    recommended_outcome: Mapped[str | None] = mapped_column(sa.String(30))
    attachments: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    # Review fields, server-owned.
    #: server time of the last move to ``submitted`` (the device's clock is not trusted for this).
    submitted_at: Mapped[datetime | None]
    decided_outcome: Mapped[str | None] = mapped_column(sa.String(30))
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(sa.Text)


class Finding(SyncedColumns, Base):
    """The answer to one checklist item; unique per (inspection, item)."""

    __tablename__ = "findings"
    __table_args__ = (sa.UniqueConstraint("inspection_id", "item_key", name="uq_findings_natural_key"),)

    inspection_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("inspections.id"))
    item_key: Mapped[str] = mapped_column(sa.String(60))
    result: Mapped[str] = mapped_column(sa.String(20))
    instances: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(sa.Text)
    attachments: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    #: a reviewer's comment on this finding when the inspection is returned.
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
