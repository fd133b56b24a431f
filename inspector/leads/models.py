"""Investigative leads: the most sensitive records we hold (need-to-know)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspector.db import Base, JSONDoc, SyncedColumns, utcnow

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
#: what two leads may share (deconfliction).
MATCH_KINDS = ("serial", "subject", "licensee")


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
    #: other leads sharing a serial, subject or licensee (server-owned; see lead_matches).
    match_count: Mapped[int] = mapped_column(default=0)
    #: the referral, recorded by a reviewer of the lead's office.
    referred_on: Mapped[date | None]
    referral_reference: Mapped[str | None] = mapped_column(sa.String(120))
    closed_at: Mapped[datetime | None]
    close_result: Mapped[str | None] = mapped_column(sa.Text)
    #: the stub a purge leaves: how many subjects the lead named.
    subjects_count: Mapped[int | None]


class LeadMatchKey(Base):
    """What a lead can be matched by, looked up by index (never by scanning leads).

    ``serial``: ``serial:<SERIAL>`` (upper case, no spaces or dashes) with the make in
    ``make``; ``subject``: an HMAC-SHA256 of the normalised name (never the name);
    ``licensee``: ``licensee:<uuid>``. Subject keys go when the lead is purged.
    """

    __tablename__ = "lead_match_keys"
    __table_args__ = (sa.Index("ix_lead_match_keys_lookup", "kind", "key_hash"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    key_hash: Mapped[str] = mapped_column(sa.String(128))
    #: the firearm's make (upper case), for serial keys that name one.
    make: Mapped[str | None] = mapped_column(sa.String(80))


class LeadMatch(Base):
    """Two leads that share something; ``lead_a`` is the smaller id of the pair."""

    __tablename__ = "lead_matches"
    __table_args__ = (sa.Index("ix_lead_matches_lead_b", "lead_b"),)

    lead_a: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    lead_b: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
