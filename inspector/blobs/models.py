"""Photos and scanned documents, addressed by their SHA-256."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inspector.db import Base, utcnow


class Blob(Base):
    """The bytes, stored once per digest (in the database in v1; see BlobStore)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlobHolder(Base):
    """A user who PUT these bytes: proof of possession."""

    __tablename__ = "blob_holders"

    sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordBlob(Base):
    """A record lists a digest; ``proven`` once its lister holds (or could read) the bytes.

    Only proven listings grant read access to people who can see the record.
    """

    __tablename__ = "record_blobs"
    __table_args__ = (sa.Index("ix_record_blobs_sha", "sha256", "proven"),)

    entity: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    listed_by: Mapped[uuid.UUID]
    proven: Mapped[bool] = mapped_column(default=False)
