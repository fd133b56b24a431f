"""Blob storage with proof of possession: nobody reads bytes they could not already have."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inspector.blobs.models import Blob, BlobHolder, RecordBlob
from inspector.offices.models import User
from inspector.problems import Problem
from inspector.sync.entities import SYNCED
from inspector.sync.scope import can_see, scope_of_state

ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def sniff(data: bytes) -> str | None:
    """The media type the bytes' magic numbers say, never what the client claims."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_digest(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise Problem("not-found", "No such blob.")
    return sha256


def put_blob(
    session: Session, user: User, sha256: str, content_type: str, data: bytes, max_bytes: int
) -> bool:
    """Store bytes under their digest; returns True when newly stored. Proves the user's listings."""
    check_digest(sha256)
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in ACCEPTED_TYPES:
        raise Problem("unsupported-media-type", f"Blobs are one of {', '.join(ACCEPTED_TYPES)}.")
    if len(data) > max_bytes:
        raise Problem("payload-too-large", f"A blob may be at most {max_bytes} bytes.")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Problem(
            "validation-error",
            "The bytes do not match the digest in the path.",
            errors={"sha256": ["does not match the body"]},
        )
    if sniff(data) != media:
        raise Problem(
            "validation-error",
            "The bytes are not of the declared Content-Type.",
            errors={"content_type": [f"the bytes are {sniff(data) or 'of an unknown type'}"]},
        )
    created = session.get(Blob, sha256) is None
    if created:
        created = insert_once(session, Blob(sha256=sha256, content_type=media, size=len(data), data=data))
    if session.get(BlobHolder, (sha256, user.id)) is None:
        insert_once(session, BlobHolder(sha256=sha256, user_id=user.id))
    prove_listings(session, user, sha256)
    return created


def insert_once(session: Session, row: Any) -> bool:
    """Insert, or find that a concurrent upload of the same bytes just did (idempotent PUT)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def prove_listings(session: Session, user: User, sha256: str) -> None:
    """The user's earlier listings of this digest now grant access; clear their records' flags."""
    from inspector.sync.service import bump, record_written

    listings = session.scalars(
        sa.select(RecordBlob).where(
            RecordBlob.sha256 == sha256,
            RecordBlob.listed_by == user.id,
            RecordBlob.proven.is_(False),
        )
    ).all()
    for listing in listings:
        listing.proven = True
    session.flush()
    for listing in listings:
        record: Any = session.get(SYNCED[listing.entity].model, listing.record_id)
        if record is None or not record.missing_blobs:
            continue
        unproven = session.scalar(
            sa.select(sa.func.count())
            .select_from(RecordBlob)
            .where(
                RecordBlob.entity == listing.entity,
                RecordBlob.record_id == listing.record_id,
                RecordBlob.proven.is_(False),
                RecordBlob.sha256.in_(record.attachments or []),
            )
        )
        if not unproven:
            record.missing_blobs = False
            bump(record)
            record_written(session, listing.entity, record, user_id=user.id)


def list_blobs(session: Session, lister: User, entity: str, record: Any) -> None:
    """Listings of a record's attachments written outside push (a conflict resolution).

    As in a push, a listing is proven when its lister holds the bytes or can
    already read them; an unproven one grants nobody access until the lister
    uploads the bytes, and flags the record ``missing_blobs``.
    """
    missing = False
    for digest in record.attachments or []:
        listing = session.get(RecordBlob, (entity, record.id, digest))
        proven = bool(listing is not None and listing.proven) or can_read(session, lister, digest)
        if listing is None:
            session.add(
                RecordBlob(
                    entity=entity, record_id=record.id, sha256=digest, listed_by=lister.id, proven=proven
                )
            )
        elif not listing.proven:
            listing.proven = proven
            listing.listed_by = lister.id
        missing = missing or not proven
    record.missing_blobs = missing
    session.flush()


def record_visible(
    session: Session, user: User, entity: str, record_id: uuid.UUID, *, listing: str | None = None
) -> bool:
    """The user may see this live record (and, given ``listing``, the record still lists that digest)."""
    spec = SYNCED.get(entity)
    if spec is None or (entity == "lead" and user.role == "admin"):
        return False
    table = spec.model.__table__
    row = session.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()  # type: ignore[attr-defined]
    if row is None or row["deleted_at"] is not None:
        return False
    if listing is not None and listing not in (row["attachments"] or []):
        return False
    parent = None
    if entity == "finding":
        inspections = SYNCED["inspection"].model.__table__
        parent = (
            session.execute(sa.select(inspections).where(inspections.c.id == row["inspection_id"]))
            .mappings()
            .first()
        )  # type: ignore[attr-defined]
        if parent is None:
            return False
    return can_see(user, scope_of_state(entity, dict(row), dict(parent) if parent else None))


def can_read(session: Session, user: User, sha256: str) -> bool:
    """Holds the bytes, or sees a record that lists them with proof of possession."""
    if session.get(BlobHolder, (sha256, user.id)) is not None:
        return True
    listings = session.execute(
        sa.select(RecordBlob.entity, RecordBlob.record_id).where(
            RecordBlob.sha256 == sha256, RecordBlob.proven.is_(True)
        )
    ).all()
    return any(
        record_visible(session, user, entity, record_id, listing=sha256) for entity, record_id in listings
    )


def get_blob(session: Session, user: User, sha256: str) -> Blob:
    check_digest(sha256)
    blob = session.get(Blob, sha256)
    if blob is None or not can_read(session, user, sha256):
        raise Problem("not-found", "No such blob.")
    return blob
