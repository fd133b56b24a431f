"""Federal firearms licensees, as ATF lists them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspector.db import Base, JSONDoc, utcnow


class Licensee(Base):
    """A licensee, identified by region + district + sequence across renewals."""

    __tablename__ = "licensees"
    __table_args__ = (
        sa.UniqueConstraint("region", "district", "sequence", name="uq_licensees_identity"),
        sa.Index("ix_licensees_office_state", "field_office_id", "premises_state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: normalised R-DD-CCC-TT-YM-SSSSS; changes at each renewal (expiration code).
    license_number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    region: Mapped[str] = mapped_column(sa.String(1))
    district: Mapped[str] = mapped_column(sa.String(2))
    county_code: Mapped[str] = mapped_column(sa.String(3))
    license_type: Mapped[str] = mapped_column(sa.String(2), index=True)
    expiration_code: Mapped[str] = mapped_column(sa.String(2))
    sequence: Mapped[str] = mapped_column(sa.String(5))
    license_name: Mapped[str] = mapped_column(sa.String(200))
    business_name: Mapped[str | None] = mapped_column(sa.String(200))
    premises_street: Mapped[str] = mapped_column(sa.String(200))
    premises_city: Mapped[str] = mapped_column(sa.String(100))
    premises_state: Mapped[str] = mapped_column(sa.String(2))
    premises_zip: Mapped[str] = mapped_column(sa.String(10))
    mailing_street: Mapped[str | None] = mapped_column(sa.String(200))
    mailing_city: Mapped[str | None] = mapped_column(sa.String(100))
    mailing_state: Mapped[str | None] = mapped_column(sa.String(2))
    mailing_zip: Mapped[str | None] = mapped_column(sa.String(10))
    county: Mapped[str | None] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    field_office_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("field_offices.id"))
    #: true when an admin assigned the office by hand instead of by premises state.
    office_overridden: Mapped[bool] = mapped_column(default=False)
    last_inspection_date: Mapped[date | None]
    last_inspection_outcome: Mapped[str | None] = mapped_column(sa.String(30))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LicenseeImport(Base):
    """One upload of ATF's listing file: a dry run or an all-or-nothing apply.

    The row is the import's progress report: a worker updates ``processed_rows`` as it
    goes (in its own short transactions) so the admin's screen can show progress, and
    the counts and per-row errors (line number and reason) stay for the audit trail.
    """

    __tablename__ = "licensee_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: sha256 of the uploaded bytes, so a dry run and its apply can be matched.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    dry_run: Mapped[bool] = mapped_column(default=True)
    #: pending -> running -> done | failed
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    #: [{"line": int, "reason": str}], the first 1,000 rejected rows.
    errors: Mapped[list[dict[str, object]]] = mapped_column(JSONDoc, default=list)
    #: why a whole import failed (bad header, rejected rows on apply, database error).
    failure: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
