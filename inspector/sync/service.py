"""Pull, record documents, history and the journal entry point for non-sync writers."""

from __future__ import annotations

import uuid
from collections import defaultdict
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from inspector.checklists.models import Checklist
from inspector.db import among_param, utcnow
from inspector.inspections.models import Finding, Inspection
from inspector.licensees.models import Licensee
from inspector.licensees.schemas import LicenseeSchema
from inspector.offices.models import User
from inspector.problems import Problem
from inspector.sync.entities import LEAD_CONTENT, SYNCED, to_json
from inspector.sync.journal import FeedTouch, Scope, insert_versions, touch_feed, version_row
from inspector.sync.models import Conflict, FeedEntry, RecordVersion
from inspector.sync.push import TABLES, _doc
from inspector.sync.scope import ALL, can_see, inspection_scope, licensee_scope, scope_of_state

CURRENT_SCHEMA_VERSION = 1
#: the current version and the one before it (1 is the first there ever was).
SUPPORTED_SCHEMA_VERSIONS = frozenset(
    v for v in (CURRENT_SCHEMA_VERSION - 1, CURRENT_SCHEMA_VERSION) if v >= 1
)
CURSOR_PREFIX = "c1"


def check_schema_version(version: int) -> None:
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise Problem(
            "client-outdated",
            f"schema_version {version} is not supported; reload the app.",
            supported=sorted(SUPPORTED_SCHEMA_VERSIONS),
        )


def check_device(payload_device: uuid.UUID | None, device_id: uuid.UUID) -> None:
    if payload_device is None:
        raise Problem("device-mismatch", "Log in from this device (with its device_id) before syncing.")
    if payload_device != device_id:
        raise Problem("device-mismatch", "The device_id differs from the device of this session.")


# ---- cursors ----------------------------------------------------------------------------------


def make_cursor(user: User, position: int) -> str:
    return f"{CURSOR_PREFIX}.{user.id.hex[:12]}.{user.scope_epoch}.{position}"


def read_cursor(user: User, cursor: str) -> int | None:
    """The position a cursor stands for, or None when it cannot be used (resync)."""
    parts = cursor.split(".")
    if len(parts) != 4 or parts[0] != CURSOR_PREFIX or parts[1] != user.id.hex[:12]:
        return None
    try:
        epoch, position = int(parts[2]), int(parts[3])
    except ValueError:
        return None
    if epoch != user.scope_epoch or position < 0:
        return None
    return position


# ---- the feed ---------------------------------------------------------------------------------


def feed_page(session: Session, user: User, after: int, limit: int, *, snapshot: bool) -> list[Any]:
    """The visible feed entries after a position: one index range scan per audience branch."""
    statement = _feed_query(user.role, snapshot)
    params = {"after": after, "limit": limit, "investigator": user.id, "office": user.field_office_id}
    return list(session.execute(statement, params).mappings())


@cache
def _feed_query(role: str, snapshot: bool) -> sa.Select[Any]:
    """Built once per role and kind of pull (building the union cost ~1.5 ms a pull)."""
    after, limit = sa.bindparam("after", type_=sa.BigInteger), sa.bindparam("limit", type_=sa.Integer)

    def branch(*conditions: Any) -> Any:
        query = sa.select(FeedEntry).where(FeedEntry.position > after, *conditions)
        if snapshot:
            query = query.where(FeedEntry.deleted.is_(False))
        return query.order_by(FeedEntry.position).limit(limit).subquery()

    investigator, office = sa.bindparam("investigator", type_=sa.Uuid), sa.bindparam("office", type_=sa.Uuid)
    if role == "admin":
        branches = [branch()]
    elif role == "reviewer":
        branches = [
            branch(FeedEntry.field_office_id == office, FeedEntry.audience.in_(("owner", "office"))),
            branch(FeedEntry.audience == "all"),
        ]
    else:
        branches = [
            branch(FeedEntry.investigator_id == investigator, FeedEntry.audience == "owner"),
            branch(FeedEntry.field_office_id == office, FeedEntry.audience == "office"),
            branch(FeedEntry.audience == "all"),
        ]
    if len(branches) == 1:
        union = branches[0]
    else:
        union = sa.union_all(*[sa.select(b) for b in branches]).subquery()
    return sa.select(union).order_by(union.c.position).limit(limit)


def pull(session: Session, user: User, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """A page of the change feed; ``resync`` when the cursor's scope epoch is over."""
    if cursor:
        after = read_cursor(user, cursor)
        if after is None:
            return {"changes": [], "cursor": None, "has_more": True, "resync": True}
    else:
        after = 0
    entries = feed_page(session, user, after, limit + 1, snapshot=not cursor)
    has_more = len(entries) > limit
    entries = entries[:limit]
    records = load_records(session, user, entries)
    changes = [
        {
            "entity": e["entity"],
            "id": str(e["record_id"]),
            "version": e["version"],
            "deleted": e["deleted"],
            "record": None if e["deleted"] else records.get((e["entity"], e["record_id"])),
        }
        for e in entries
    ]
    position = entries[-1]["position"] if entries else after
    return {
        "changes": changes,
        "cursor": make_cursor(user, position),
        "has_more": has_more,
        "resync": False,
    }


def load_records(session: Session, user: User, entries: list[Any]) -> dict[tuple[str, uuid.UUID], Any]:
    """The current state of every record on a page: one query per entity."""
    ids: dict[str, list[uuid.UUID]] = defaultdict(list)
    for entry in entries:
        if not entry["deleted"]:
            ids[entry["entity"]].append(entry["record_id"])
    found: dict[tuple[str, uuid.UUID], Any] = {}
    for entity, wanted in ids.items():
        if entity in SYNCED:
            query = _records_query(entity, session.get_bind().dialect.name)
            for row in session.execute(query, {"ids": wanted}).mappings():
                doc = _doc(SYNCED[entity], dict(row))
                if entity == "lead" and user.role == "admin":
                    doc = redact_lead(doc)
                found[(entity, row["id"])] = doc
        elif entity == "licensee":
            found.update(((entity, doc["id"]), doc) for doc in licensee_docs(session, wanted))
        elif entity == "checklist":
            checklists = session.scalars(
                sa.select(Checklist).options(selectinload(Checklist.items)).where(Checklist.id.in_(wanted))
            )
            found.update(((entity, c.id), checklist_doc(c)) for c in checklists)
        elif entity == "conflict":
            for conflict in session.scalars(sa.select(Conflict).where(Conflict.id.in_(wanted))):
                found[(entity, conflict.id)] = conflict_doc(conflict)
    return {(e, uuid.UUID(str(i)) if not isinstance(i, uuid.UUID) else i): d for (e, i), d in found.items()}


@cache
def _records_query(entity: str, dialect: str) -> sa.Select[Any]:
    """A page's records of one entity by id (built once per entity)."""
    table = TABLES[entity]
    return sa.select(table).where(among_param(dialect, table.c.id, "ids"))


def redact_lead(doc: dict[str, Any]) -> dict[str, Any]:
    """Admins administer the system, not investigations: no subjects, no narrative."""
    return {
        **doc,
        "narrative": None,
        "subjects": [],
        "referral_reference": None,
        "close_result": None,
        "redacted": True,
    }


def licensee_docs(session: Session, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Licensees with a summary of their earlier inspections, whoever made them (no notes)."""
    history: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    inspections = session.execute(
        sa.select(
            Inspection.id,
            Inspection.licensee_id,
            Inspection.type,
            Inspection.completed_at,
            Inspection.decided_outcome,
            Inspection.recommended_outcome,
            Inspection.status,
        ).where(
            Inspection.licensee_id.in_(ids),
            Inspection.status.in_(("submitted", "approved")),
            Inspection.deleted_at.is_(None),
        )
    ).all()
    violations: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    if inspections:
        rows = session.execute(
            sa.select(Finding.inspection_id, Finding.item_key, Finding.instances).where(
                Finding.inspection_id.in_([i.id for i in inspections]),
                Finding.result == "violation",
                Finding.deleted_at.is_(None),
            )
        ).all()
        for row in rows:
            violations[row.inspection_id].append({"item_key": row.item_key, "instances": row.instances})
    for i in inspections:
        history[i.licensee_id].append(
            {
                "date": to_json(i.completed_at),
                "type": i.type,
                "status": i.status,
                "outcome": i.decided_outcome or i.recommended_outcome,
                "violations": violations[i.id],
            }
        )
    docs = []
    schema = LicenseeSchema()  # one instance: building a schema costs more than dumping a record
    for licensee in session.scalars(sa.select(Licensee).where(Licensee.id.in_(ids))):
        doc = schema.dump(licensee)
        doc["history"] = sorted(history[licensee.id], key=lambda h: h["date"] or "", reverse=True)
        docs.append(doc)
    return docs


def checklist_doc(checklist: Checklist) -> dict[str, Any]:
    from inspector.checklists.schemas import ChecklistDetailSchema

    return dict(ChecklistDetailSchema().dump(checklist))


def conflict_doc(conflict: Conflict) -> dict[str, Any]:
    return {
        "id": str(conflict.id),
        "version": conflict.version,
        "entity": conflict.entity,
        "record_id": str(conflict.record_id),
        "field": conflict.field,
        "base_value": conflict.base_value,
        "server_value": conflict.server_value,
        "client_value": conflict.client_value,
        "status": conflict.status,
        "resolution": conflict.resolution,
        "resolved_value": conflict.resolved_value,
        "created_at": to_json(conflict.created_at),
        "resolved_at": to_json(conflict.resolved_at),
        "device_id": to_json(conflict.device_id),
    }


# ---- writes from outside push -----------------------------------------------------------------


def scope_of(session: Session, entity: str, record: Any) -> Scope:
    if entity == "licensee":
        return licensee_scope(record.field_office_id)
    if entity == "checklist":
        return ALL
    state = {c: getattr(record, c, None) for c in ("field_office_id", "investigator_id", "created_by")}
    parent = None
    if entity == "finding":
        inspection = session.get(Inspection, record.inspection_id)
        assert inspection is not None
        parent = {
            "field_office_id": inspection.field_office_id,
            "investigator_id": inspection.investigator_id,
        }
    return scope_of_state(entity, state, parent)


def record_written(
    session: Session,
    entity: str,
    record: Any,
    *,
    user_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    op_id: uuid.UUID | None = None,
) -> None:
    """Journal a version a server-side writer (seed, review, assignment, resolution) just wrote.

    The caller has already set the record's new ``version``; this stores the
    version row and queues the feed entry, so devices and history see it.
    """
    records_written(session, entity, [record], user_id=user_id, device_id=device_id, op_id=op_id)


def records_written(
    session: Session,
    entity: str,
    records: list[Any],
    *,
    user_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    op_id: uuid.UUID | None = None,
) -> None:
    """``record_written`` for many records of one entity: one flush, one insert of versions."""
    if not records:
        return
    session.flush()
    rows = []
    touches = []
    for record in records:
        if entity in SYNCED:
            doc: dict[str, Any] | None = SYNCED[entity].record_doc(record)
        elif entity == "licensee":
            doc = dict(LicenseeSchema().dump(record))
        else:
            doc = None
        deleted = getattr(record, "deleted_at", None) is not None
        rows.append(
            version_row(
                entity,
                record.id,
                record.version,
                doc,
                deleted=deleted,
                user_id=user_id,
                device_id=device_id,
                op_id=op_id,
            )
        )
        touches.append(
            FeedTouch(entity, record.id, record.version, deleted, scope_of(session, entity, record))
        )
    insert_versions(session, rows)
    touch_feed(session, touches)


def bump(record: Any) -> None:
    """A server-side write is a new version like any other."""
    record.version += 1
    record.updated_at = utcnow()


# ---- history ----------------------------------------------------------------------------------


def history(session: Session, user: User, entity: str, record_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every version of a record the caller may see, oldest first."""
    if entity not in SYNCED:
        raise Problem("not-found", "No such record.")
    table = TABLES[entity]
    row = session.execute(sa.select(table).where(table.c.id == record_id)).mappings().first()
    if row is None:
        raise Problem("not-found", f"No such {entity}.")
    state = dict(row)
    parent = None
    if entity == "finding":
        parent = dict(
            session.execute(
                sa.select(TABLES["inspection"]).where(TABLES["inspection"].c.id == state["inspection_id"])
            )
            .mappings()
            .one()
        )
    if not can_see(user, scope_of_state(entity, state, parent)) or (
        entity == "lead" and user.role == "investigator" and state["created_by"] != user.id
    ):
        raise Problem("not-found", f"No such {entity}.")
    versions = session.scalars(
        sa.select(RecordVersion)
        .where(RecordVersion.entity == entity, RecordVersion.record_id == record_id)
        .order_by(RecordVersion.version)
    )
    out = []
    for v in versions:
        data = v.data
        if entity == "lead" and user.role == "admin" and data is not None:
            data = redact_lead(data)
        out.append(
            {
                "version": v.version,
                "deleted": v.deleted,
                "record": data,
                "user_id": v.user_id,
                "device_id": v.device_id,
                "op_id": v.op_id,
                "at": v.created_at,
            }
        )
    return out


__all__ = ["LEAD_CONTENT", "inspection_scope"]
