"""The one write path of synced records: version rows, and the change feed.

Sync pushes, review decisions, assignments and conflict resolutions all call
``journal`` for each version they write, so history and devices see them all.
Feed positions are taken when the transaction commits (``before_commit``), from
a counter row whose lock orders positions by commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from inspector.bulk import insert_many
from inspector.db import utcnow
from inspector.sync.models import FeedCounter, FeedEntry, RecordVersion

PENDING_KEY = "inspector.pending_feed"
FEED = cast(sa.Table, FeedEntry.__table__)
VERSIONS = cast(sa.Table, RecordVersion.__table__)


@dataclass(frozen=True)
class Scope:
    """Who may see a record: see FeedEntry.audience."""

    audience: str
    field_office_id: uuid.UUID | None
    investigator_id: uuid.UUID | None


@dataclass(frozen=True)
class FeedTouch:
    entity: str
    record_id: uuid.UUID
    version: int
    deleted: bool
    scope: Scope


def version_row(
    entity: str,
    record_id: uuid.UUID,
    version: int,
    data: dict[str, Any] | None,
    *,
    deleted: bool,
    user_id: uuid.UUID | None,
    device_id: uuid.UUID | None,
    op_id: uuid.UUID | None,
) -> dict[str, Any]:
    return {
        "entity": entity,
        "record_id": record_id,
        "version": version,
        "data": data,
        "deleted": deleted,
        "user_id": user_id,
        "device_id": device_id,
        "op_id": op_id,
        "created_at": utcnow(),
    }


def insert_versions(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_many(session, VERSIONS, rows)


def touch_feed(session: Session, touches: list[FeedTouch]) -> None:
    """Queue feed entries; they get their positions when the transaction commits."""
    pending: dict[tuple[str, uuid.UUID], FeedTouch] = session.info.setdefault(PENDING_KEY, {})
    for touch in touches:
        pending.pop((touch.entity, touch.record_id), None)
        pending[(touch.entity, touch.record_id)] = touch


def journal(
    session: Session,
    entity: str,
    record_id: uuid.UUID,
    version: int,
    data: dict[str, Any] | None,
    scope: Scope,
    *,
    deleted: bool = False,
    user_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    op_id: uuid.UUID | None = None,
) -> None:
    """Record one written version and queue its feed entry (for writes outside push)."""
    insert_versions(
        session,
        [
            version_row(
                entity,
                record_id,
                version,
                data,
                deleted=deleted,
                user_id=user_id,
                device_id=device_id,
                op_id=op_id,
            )
        ],
    )
    touch_feed(session, [FeedTouch(entity, record_id, version, deleted, scope)])


def rescope_feed(session: Session, entity: str, record_ids: list[uuid.UUID], scope: Scope) -> None:
    """Move existing feed entries to a new scope (an inspection reassigned takes its findings along)."""
    if record_ids:
        session.execute(
            sa.update(FeedEntry)
            .where(FeedEntry.entity == entity, FeedEntry.record_id.in_(record_ids))
            .values(
                audience=scope.audience,
                field_office_id=scope.field_office_id,
                investigator_id=scope.investigator_id,
            )
        )


def allocate_positions(session: Session, count: int) -> int:
    """Take ``count`` positions; returns the first. Holds the counter row lock until commit."""
    counter = cast(sa.Table, FeedCounter.__table__)
    top = session.execute(
        sa.update(counter)
        .where(counter.c.id == 1)
        .values(value=counter.c.value + count)
        .returning(counter.c.value)
    ).scalar_one()
    return int(top) - count + 1


def flush_feed(session: Session) -> None:
    """Write the queued feed entries with fresh positions, last thing before commit."""
    pending: dict[tuple[str, uuid.UUID], FeedTouch] | None = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        _flush_feed_postgresql(session, list(pending.values()))
        return
    first = allocate_positions(session, len(pending))
    rows = [
        {
            "entity": t.entity,
            "record_id": t.record_id,
            "position": first + i,
            "version": t.version,
            "deleted": t.deleted,
            "audience": t.scope.audience,
            "field_office_id": t.scope.field_office_id,
            "investigator_id": t.scope.investigator_id,
        }
        for i, t in enumerate(pending.values())
    ]
    session.execute(_feed_upsert(), rows)


#: What a feed entry takes from a newer write of its record (it moves to the new position).
MOVED = ("position", "version", "deleted", "audience", "field_office_id", "investigator_id")
#: The upsert's conflict clause in SQL text, for the statements written as text (here and the
#: licensee import's).
MOVE_ON_CONFLICT = "ON CONFLICT (entity, record_id) DO UPDATE SET " + ", ".join(
    f"{name} = excluded.{name}" for name in MOVED
)

#: PostgreSQL: take the positions and write the entries in one statement. The counter row's
#: lock is taken by the statement and held until commit, as ``allocate_positions`` does; the
#: entries go as one array per column: one execution in the server instead of one per row.
_FEED_UPSERT_PG = sa.text(
    "\n".join(  # the conflict clause: our own column names
        (
            """
    WITH counter AS (
        UPDATE feed_counter SET value = value + :n WHERE id = 1 RETURNING value
    )
    INSERT INTO change_feed (entity, record_id, position, version, deleted, audience,
        field_office_id, investigator_id)
    SELECT t.entity, t.record_id, counter.value - :n + t.ord, t.version, t.deleted, t.audience,
        t.field_office_id, t.investigator_id
    FROM counter, unnest(
        CAST(:entities AS varchar[]), CAST(:record_ids AS uuid[]), CAST(:versions AS integer[]),
        CAST(:deleted AS boolean[]), CAST(:audiences AS varchar[]), CAST(:offices AS uuid[]),
        CAST(:investigators AS uuid[])
    ) WITH ORDINALITY AS t(entity, record_id, version, deleted, audience, field_office_id,
        investigator_id, ord)
    """,
            MOVE_ON_CONFLICT,
        )
    )
)


def _flush_feed_postgresql(session: Session, touches: list[FeedTouch]) -> None:
    session.execute(
        _FEED_UPSERT_PG,
        {
            "n": len(touches),
            "entities": [t.entity for t in touches],
            "record_ids": [t.record_id for t in touches],
            "versions": [t.version for t in touches],
            "deleted": [t.deleted for t in touches],
            "audiences": [t.scope.audience for t in touches],
            "offices": [t.scope.field_office_id for t in touches],
            "investigators": [t.scope.investigator_id for t in touches],
        },
    )


@cache
def _feed_upsert() -> Any:
    """Elsewhere than PostgreSQL: insert a feed entry, or move the record's entry to its new
    position (built once)."""
    # the Core table, not the mapped class: an ORM bulk insert costs several times more per row
    insert = sqlite.insert(FEED)
    return insert.on_conflict_do_update(
        index_elements=["entity", "record_id"], set_={name: insert.excluded[name] for name in MOVED}
    )


def discard_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def install(session_class: type[Session]) -> None:
    """Hook the feed into every commit and rollback of the app's sessions."""
    if not sa.event.contains(session_class, "before_commit", flush_feed):
        sa.event.listen(session_class, "before_commit", flush_feed)
        sa.event.listen(session_class, "after_rollback", discard_pending)
