"""Devices and token families: the server-side truth behind every JWT."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspector.db import Base, utcnow

if TYPE_CHECKING:
    from inspector.offices.models import User


class Device(Base):
    """An app installation, named by the UUID it keeps; bound to a user at login."""

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    #: the highest seq the server has receipted for this device.
    last_seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), default=0)


class TokenFamily(Base):
    """One login: every refresh rotation stays in the family, and dies with it.

    Tokens are never stored. A token carries ``fam`` and ``gen``; the family
    knows its current generation, so a spent refresh token is recognised, and
    the pair issued at a generation can be re-derived byte for byte for the
    30-second reuse grace.
    """

    __tablename__ = "token_families"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: absolute end: 12 hours after login, whatever the rotations.
    expires_at: Mapped[datetime]
    generation: Mapped[int] = mapped_column(default=1)
    #: when the current generation was issued (iat of its tokens).
    generation_issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))

    #: loaded with the family when a token is checked, so the lookups that follow (the user;
    #: the device's last receipted seq in a push) find them in the session.
    user: Mapped[User] = relationship(lazy="raise")
    device: Mapped[Device | None] = relationship(lazy="raise")
