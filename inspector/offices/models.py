"""Field offices and the people who work in them."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspector.db import Base, utcnow

ROLES = ("investigator", "reviewer", "admin")


class FieldOffice(Base):
    """A field office covers a list of states; licensees there belong to it."""

    __tablename__ = "field_offices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    coverage: Mapped[list[OfficeState]] = relationship(
        back_populates="office", cascade="all, delete-orphan", order_by="OfficeState.state"
    )

    @property
    def states(self) -> list[str]:
        return [c.state for c in self.coverage]


class OfficeState(Base):
    """One state covered by a field office; a state belongs to one office at most."""

    __tablename__ = "office_states"

    state: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    office_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("field_offices.id", ondelete="CASCADE"), index=True
    )

    office: Mapped[FieldOffice] = relationship(back_populates="coverage")


class User(Base):
    """An account. Every role but admin belongs to exactly one field office."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('investigator', 'reviewer', 'admin')", name="role"),
        sa.CheckConstraint("role = 'admin' OR field_office_id IS NOT NULL", name="office_required"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(20))
    field_office_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("field_offices.id"), index=True)
    #: argon2id hash; never leaves the server, never logged.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: failed logins inside the current lockout window, and when that window began.
    failed_logins: Mapped[int] = mapped_column(default=0)
    failed_window_started_at: Mapped[datetime | None]
    locked: Mapped[bool] = mapped_column(default=False)
    #: base32 TOTP secret once the user starts enrolling a second factor; never leaves the server
    #: after enrolment. ``totp_enabled_at`` is set when the first code is confirmed.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    #: the last 30-second step a code was accepted for, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    #: bumped whenever what the user may see changes; sync cursors carry it.
    scope_epoch: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    field_office: Mapped[FieldOffice | None] = relationship()
