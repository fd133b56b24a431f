"""Sync bookkeeping: history, the change feed, receipts, conflicts, rejected changes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspector.db import Base, JSONDoc, utcnow

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class RecordVersion(Base):
    """Every write of a synced record: the full record, who, which device, which op.

    Never changed, except that purging a lead redacts its content in every copy.
    Serves three-way merges (the base values) and the history endpoints.
    """

    __tablename__ = "record_versions"
    __table_args__ = (
        sa.UniqueConstraint("entity", "record_id", "version", name="uq_record_versions_version"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(sa.String(20))
    record_id: Mapped[uuid.UUID]
    version: Mapped[int]
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    deleted: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    op_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedCounter(Base):
    """One row whose lock orders feed positions by commit (see the sync contract).

    A writing transaction takes its positions from this row at the very end,
    just before committing; the row lock makes the next writer wait until then,
    so a position is never visible before every smaller position is.
    """

    __tablename__ = "feed_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigId, default=0)


class FeedEntry(Base):
    """The latest position of one record in the change feed, with what scopes it."""

    __tablename__ = "change_feed"
    __table_args__ = (
        sa.Index("ix_change_feed_position", "position", unique=True),
        sa.Index("ix_change_feed_investigator", "investigator_id", "position"),
        sa.Index("ix_change_feed_office", "field_office_id", "position"),
        sa.Index("ix_change_feed_audience", "audience", "position"),
    )

    entity: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(BigId)
    version: Mapped[int]
    deleted: Mapped[bool] = mapped_column(default=False)
    #: "owner": the investigator and the office's reviewers; "office": the whole office; "all": everyone.
    audience: Mapped[str] = mapped_column(sa.String(10))
    field_office_id: Mapped[uuid.UUID | None]
    investigator_id: Mapped[uuid.UUID | None]


class SyncReceipt(Base):
    """The stored answer to one change; a replay of the same op gets it back."""

    __tablename__ = "sync_receipts"
    __table_args__ = (sa.Index("ix_sync_receipts_received", "received_at"),)

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    op_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID]
    seq: Mapped[int] = mapped_column(BigId)
    payload_hash: Mapped[str] = mapped_column(sa.String(64))
    entity: Mapped[str] = mapped_column(sa.String(20))
    record_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(sa.String(10))
    version: Mapped[int | None]
    merged_into: Mapped[uuid.UUID | None]
    conflicts: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class RejectedChange(Base):
    """A change the server refused, kept with its reason so nobody's input is lost."""

    __tablename__ = "rejected_changes"
    __table_args__ = (
        sa.Index("ix_rejected_changes_user", "user_id", "received_at"),
        sa.Index("ix_rejected_changes_office", "field_office_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    op_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    field_office_id: Mapped[uuid.UUID | None]
    entity: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str | None] = mapped_column(sa.String(20))
    base_version: Mapped[int | None]
    fields: Mapped[Any] = mapped_column(JSONDoc)
    problem: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conflict(Base):
    """One field where a device's value lost to another's; open until a person decides."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (
        sa.Index("ix_sync_conflicts_record", "entity", "record_id", "status"),
        sa.Index("ix_sync_conflicts_office", "field_office_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(default=1)
    entity: Mapped[str] = mapped_column(sa.String(20))
    record_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(sa.String(60))
    base_value: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    server_value: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    client_value: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    user_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID | None]
    op_id: Mapped[uuid.UUID | None]
    field_office_id: Mapped[uuid.UUID | None]
    investigator_id: Mapped[uuid.UUID | None]
    resolution: Mapped[str | None] = mapped_column(sa.String(20))
    resolved_value: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    resolved_by: Mapped[uuid.UUID | None]
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
