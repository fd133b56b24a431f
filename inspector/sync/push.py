"""Push: decide every change of a batch, then write the whole batch at once.

Reads are done in bulk (one query per kind of row for the whole batch), the
decisions are made in memory (``merge.py`` for the three-way merge), and the
writes go out as ``executemany`` statements. When the batch's write fails in
the database (a race with another writer), the batch is redone one change per
savepoint, so a failing change is rejected and the others still apply.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import Any, cast

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from inspector.auth.models import Device
from inspector.blobs.models import BlobHolder, RecordBlob
from inspector.bulk import insert_many, update_many
from inspector.checklists.service import current_checklist, published_items
from inspector.db import among, among_param, utcnow
from inspector.fastload import fast_loader
from inspector.inspections import rules
from inspector.inspections.models import Finding, Inspection
from inspector.leads.models import Lead
from inspector.licensees.models import Licensee
from inspector.offices.models import User
from inspector.problems import Problem
from inspector.sync import merge
from inspector.sync.entities import PLAIN, SYNCED, EntitySpec, to_json
from inspector.sync.journal import FeedTouch, Scope, insert_versions, touch_feed, version_row
from inspector.sync.models import Conflict, RecordVersion, RejectedChange, SyncReceipt
from inspector.sync.scope import can_see, scope_of_state

TABLES: dict[str, sa.Table] = {
    "inspection": Inspection.__table__,  # type: ignore[dict-item]
    "finding": Finding.__table__,  # type: ignore[dict-item]
    "lead": Lead.__table__,  # type: ignore[dict-item]
}
#: what an update of a record writes: every column (by its id)
COLUMNS = {name: tuple(column.name for column in table.columns) for name, table in TABLES.items()}
#: bookkeeping tables, written with ``insert_many`` (the ORM's bulk path costs more per row).
CONFLICTS, REJECTED, RECEIPTS, RECORD_BLOBS = (
    cast(sa.Table, model.__table__) for model in (Conflict, RejectedChange, SyncReceipt, RecordBlob)
)
#: moves a device may make (besides staying put); review moves are the server's.
DEVICE_STATUS_MOVES = {("assigned", "in_progress"), ("in_progress", "submitted"), ("returned", "in_progress")}
LOCKED_STATUSES = {"submitted", "approved", "cancelled"}
LEAD_RETENTION = timedelta(days=730)

Key = tuple[str, uuid.UUID]


def essence(change: dict[str, Any]) -> bytes:
    """What makes two sends of one op the same op (seq and client_time may differ on replay),
    as canonical JSON: hashed for idempotency, and measured against the per-change limit."""
    kept = {k: change.get(k) for k in ("entity", "id", "action", "base_version", "fields")}
    return json.dumps(kept, sort_keys=True, default=str).encode()


def payload_hash(change: dict[str, Any]) -> str:
    return hashlib.sha256(essence(change)).hexdigest()


@dataclass
class Outcome:
    """What one change produced: its receipt, and the rows that go with it."""

    receipt: dict[str, Any]
    receipt_row: dict[str, Any] | None = None
    rejected_row: dict[str, Any] | None = None
    version_rows: list[dict[str, Any]] = field(default_factory=list)
    conflict_rows: list[dict[str, Any]] = field(default_factory=list)
    record_blob_rows: list[dict[str, Any]] = field(default_factory=list)
    feed: list[FeedTouch] = field(default_factory=list)
    touched: list[Key] = field(default_factory=list)


class PushContext:
    """The state a batch is decided against: loaded in bulk, updated in memory as changes apply."""

    def __init__(
        self,
        session: Session,
        actor: User,
        device_id: uuid.UUID,
        changes: list[dict[str, Any]],
        *,
        receipted_up_to: int | None = None,
    ) -> None:
        self.session = session
        self.actor = actor
        # read once: every change of the batch asks (an ORM attribute costs a descriptor call)
        self.actor_id, self.office_id, self.role = actor.id, actor.field_office_id, actor.role
        self.device_id = device_id
        self.now = utcnow()
        self.limit = int(current_app.config["SYNC_MAX_CHANGE_BYTES"])
        self.states: dict[Key, dict[str, Any]] = {}
        self.new: set[Key] = set()
        self.dirty: set[Key] = set()
        self.history: dict[Key, list[dict[str, Any]]] = defaultdict(list)
        self.receipts: dict[uuid.UUID, dict[str, Any]] = {}
        self.licensees: dict[uuid.UUID, dict[str, Any]] = {}
        self.items: dict[uuid.UUID, dict[str, dict[str, Any]]] = {}
        self.natural: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self.holders: set[str] = set()
        self.proven: set[tuple[str, uuid.UUID, str]] = set()
        self._load(changes, receipted_up_to)

    # ---- bulk loading -------------------------------------------------------------------
    def _load(self, changes: list[dict[str, Any]], receipted_up_to: int | None) -> None:
        session = self.session
        # A replay reuses its original seq, and every receipted seq is at most the device's
        # last_seq: a change above it cannot have a receipt. (Should one exist anyway, the
        # receipt insert fails and the batch is redone one by one, with this lookup.)
        op_ids = [c["op_id"] for c in changes if receipted_up_to is None or c["seq"] <= receipted_up_to]
        if op_ids:
            for row in session.execute(
                sa.select(SyncReceipt.__table__).where(
                    SyncReceipt.device_id == self.device_id, among(session, SyncReceipt.op_id, op_ids)
                )
            ).mappings():
                self.receipts[row["op_id"]] = dict(row)
        ids: dict[str, set[uuid.UUID]] = defaultdict(set)
        inspection_refs: set[uuid.UUID] = set()
        licensee_refs: set[uuid.UUID] = set()
        digests: set[str] = set()
        item_keys: set[str] = set()  # the natural keys a finding of the batch may take
        for change in changes:
            record_id = _uuid(change.get("id"))
            entity = change.get("entity")
            sent = change.get("fields")
            fields: dict[str, Any] = sent if isinstance(sent, dict) else {}
            if entity in SYNCED and record_id:
                ids[entity].add(record_id)
            for name, target in (("inspection_id", inspection_refs), ("licensee_id", licensee_refs)):
                if ref := _uuid(fields.get(name)):
                    target.add(ref)
            if entity == "finding" and isinstance(item_key := fields.get("item_key"), str):
                item_keys.add(item_key)
            if isinstance(fields.get("attachments"), list):
                digests.update(d for d in fields["attachments"] if isinstance(d, str))
        self._load_states("finding", ids["finding"])
        inspection_refs |= {s["inspection_id"] for k, s in self.states.items() if k[0] == "finding"}
        if ids["lead"]:
            self._lock_match_keys(changes)
        self._load_states("lead", ids["lead"])
        for lead in (s for k, s in self.states.items() if k[0] == "lead"):
            # an update re-checks the lead's references without resending them
            inspection_refs |= {lead["inspection_id"]} - {None}
            licensee_refs |= {lead["licensee_id"]} - {None}
        self._load_states("inspection", ids["inspection"] | inspection_refs)
        # an inspection changed here may be submitted, which reads its licensee (findings only
        # name their inspection: its licensee is not needed)
        licensee_refs |= {
            s["licensee_id"]
            for k, s in self.states.items()
            if k[0] == "inspection" and k[1] in ids["inspection"]
        }
        if licensee_refs:
            for row in session.execute(
                sa.select(Licensee.__table__).where(among(session, Licensee.id, licensee_refs))
            ).mappings():
                self.licensees[row["id"]] = dict(row)
        if inspection_refs and item_keys:
            # which finding holds each (inspection, item) a create or an update names: the
            # pairs of both sets, a few more than needed, not every finding of the inspections
            for finding_id, inspection_id, item_key in session.execute(
                sa.select(Finding.id, Finding.inspection_id, Finding.item_key).where(
                    among(session, Finding.inspection_id, inspection_refs),
                    among(session, Finding.item_key, item_keys),
                )
            ):
                self.natural[(inspection_id, item_key)] = finding_id
        self._load_history(changes)
        if digests:
            self.holders = set(
                session.scalars(
                    sa.select(BlobHolder.sha256).where(
                        BlobHolder.user_id == self.actor_id, among(session, BlobHolder.sha256, digests)
                    )
                )
            )
            self.proven = {
                (e, r, s)
                for e, r, s in session.execute(
                    sa.select(RecordBlob.entity, RecordBlob.record_id, RecordBlob.sha256).where(
                        among(session, RecordBlob.sha256, digests), RecordBlob.proven.is_(True)
                    )
                )
            }

    def _lock_match_keys(self, changes: list[dict[str, Any]]) -> None:
        """Before the lead rows: the match keys the batch's leads hold now, or may hold after
        it (``leads.service.lock_match_keys``). A create's id holds none (or it is refused)."""
        from inspector.leads.service import keys_of_fields, lock_match_keys, stored_keys

        existing: set[uuid.UUID] = set()
        keys: set[str] = set()
        for change in changes:
            if change.get("entity") != "lead" or (record_id := _uuid(change.get("id"))) is None:
                continue
            if change.get("action") != "create":
                existing.add(record_id)
            if isinstance(fields := change.get("fields"), dict):
                keys.update(k.key_hash for k in keys_of_fields(fields))
        lock_match_keys(self.session, keys | stored_keys(self.session, existing))

    def _load_states(self, entity: str, ids: Iterable[uuid.UUID]) -> None:
        wanted = [i for i in ids if (entity, i) not in self.states]
        if not wanted:
            return
        query = _states_query(entity, self.session.get_bind().dialect.name)
        for row in self.session.execute(query, {"ids": wanted}).mappings():
            self.states[(entity, row["id"])] = dict(row)

    def _load_history(self, changes: list[dict[str, Any]]) -> None:
        """Versions from each update's base on: the base values, and who changed what since."""
        wanted: dict[str, dict[uuid.UUID, int]] = defaultdict(dict)
        for change in changes:
            entity, record_id, base = (
                change.get("entity"),
                _uuid(change.get("id")),
                change.get("base_version"),
            )
            if entity in SYNCED and record_id and isinstance(base, int) and not isinstance(base, bool):
                state = self.states.get((entity, record_id))
                if state is not None and state["version"] > base:
                    known = wanted[entity].get(record_id, base)
                    wanted[entity][record_id] = min(known, base)
        for entity, bases in wanted.items():
            if not bases:
                continue
            rows = self.session.execute(
                sa.select(
                    RecordVersion.record_id,
                    RecordVersion.version,
                    RecordVersion.device_id,
                    RecordVersion.data,
                )
                .where(
                    RecordVersion.entity == entity,
                    among(self.session, RecordVersion.record_id, bases),
                    RecordVersion.version >= min(bases.values()),
                )
                .order_by(RecordVersion.record_id, RecordVersion.version)
            ).mappings()
            for row in rows:
                if row["version"] >= bases[row["record_id"]]:
                    self.history[(entity, row["record_id"])].append(dict(row))

    # ---- lookups --------------------------------------------------------------------------
    def inspection(self, inspection_id: uuid.UUID | None) -> dict[str, Any] | None:
        if inspection_id is None:
            return None
        state = self.states.get(("inspection", inspection_id))
        if state is None or state["deleted_at"] is not None:
            return None
        return state

    def scope(self, entity: str, state: dict[str, Any]) -> Scope:
        parent = self.states.get(("inspection", state["inspection_id"])) if entity == "finding" else None
        return scope_of_state(entity, state, parent)

    def checklist_items(self, checklist_id: uuid.UUID) -> dict[str, dict[str, Any]]:
        if checklist_id not in self.items:
            self.items[checklist_id] = published_items(self.session, checklist_id)
        return self.items[checklist_id]


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID) or value is None:
        return value
    return _parse_uuid(str(value))


@lru_cache(maxsize=4096)
def _parse_uuid(text: str) -> uuid.UUID | None:
    """A change's id is read several times while it is decided: parsed once."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _doc(spec: EntitySpec, state: dict[str, Any]) -> dict[str, Any]:
    get = state.get  # plain values skip the call: this runs for every field of every change
    return {name: v if type(v := get(name)) in PLAIN else to_json(v) for name in spec.doc_fields}


def _client_state(spec: EntitySpec, state: dict[str, Any]) -> dict[str, Any]:
    return {name: to_json(state.get(name)) for name in spec.client_fields}


def _client_view(spec: EntitySpec, doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {name: doc.get(name) for name in spec.client_fields}


def record_at(session: Session, entity: str, record_id: uuid.UUID, version: int) -> dict[str, Any] | None:
    return session.scalar(
        sa.select(RecordVersion.data).where(
            RecordVersion.entity == entity,
            RecordVersion.record_id == record_id,
            RecordVersion.version == version,
        )
    )


# ---- deciding one change -----------------------------------------------------------------------


def decide(ctx: PushContext, change: dict[str, Any]) -> Outcome:
    """Every change ends in exactly one receipt (promise 1)."""
    op_id: uuid.UUID = change["op_id"]
    canonical = essence(change)
    digest = hashlib.sha256(canonical).hexdigest()
    earlier = ctx.receipts.get(op_id)
    if earlier is not None:
        if earlier["payload_hash"] == digest:
            return Outcome(replayed_receipt(ctx, earlier))
        return rejected(
            ctx,
            change,
            digest,
            Problem("idempotency-conflict", "This op_id was sent before with a different payload."),
            store_receipt=False,
        )
    try:
        if len(canonical) > ctx.limit:
            raise Problem("payload-too-large", f"One change may be at most {ctx.limit} bytes.")
        return apply_change(ctx, change, digest)
    except Problem as problem:
        return rejected(ctx, change, digest, problem)


def replayed_receipt(ctx: PushContext, row: dict[str, Any]) -> dict[str, Any]:
    record = None
    if row["version"] is not None:
        record = record_at(ctx.session, row["entity"], row["merged_into"] or row["record_id"], row["version"])
    receipt = {
        "op_id": str(row["op_id"]),
        "entity": row["entity"],
        "id": str(row["merged_into"] or row["record_id"]),
        "status": row["status"],
        "version": row["version"],
        "record": record,
        "replayed": True,
        "conflicts": row["conflicts"] or [],
        "problem": row["problem"],
    }
    if row["merged_into"]:
        receipt["merged_into"] = str(row["merged_into"])
    return receipt


def rejected(
    ctx: PushContext, change: dict[str, Any], digest: str, problem: Problem, *, store_receipt: bool = True
) -> Outcome:
    """Keep the refused change with its reason; nothing else is written."""
    record_id = change.get("id")
    body = problem.to_dict()
    receipt: dict[str, Any] = {
        "op_id": str(change["op_id"]),
        "entity": change.get("entity"),
        "id": record_id,
        "status": "rejected",
        "version": None,
        "record": None,
        "replayed": False,
        "conflicts": [],
        "problem": body,
    }
    rejected_row = {
        "id": uuid.uuid4(),
        "op_id": change["op_id"],
        "device_id": ctx.device_id,
        "user_id": ctx.actor_id,
        "field_office_id": ctx.office_id,
        "entity": str(change.get("entity"))[:40],
        "record_id": str(record_id)[:64] if record_id is not None else None,
        "action": str(change.get("action"))[:20] if change.get("action") is not None else None,
        "base_version": change.get("base_version") if isinstance(change.get("base_version"), int) else None,
        "fields": change.get("fields"),
        "problem": body,
        "received_at": ctx.now,
    }
    outcome = Outcome(receipt, rejected_row=rejected_row)
    uid = _uuid(record_id)
    if store_receipt:
        outcome.receipt_row = _receipt_row(ctx, change, digest, "rejected", uid, None, None, [], body)
    return outcome


def _receipt_row(
    ctx: PushContext,
    change: dict[str, Any],
    digest: str,
    status: str,
    record_id: uuid.UUID | None,
    version: int | None,
    merged_into: uuid.UUID | None,
    conflicts: list[dict[str, Any]],
    problem: dict[str, Any] | None,
) -> dict[str, Any]:
    row = {
        "device_id": ctx.device_id,
        "op_id": change["op_id"],
        "user_id": ctx.actor_id,
        "seq": change["seq"],
        "payload_hash": digest,
        "entity": str(change.get("entity"))[:20],
        "record_id": record_id or uuid.UUID(int=0),
        "status": status,
        "version": version,
        "merged_into": merged_into,
        "conflicts": conflicts,
        "problem": problem,
        "received_at": ctx.now,
    }
    ctx.receipts[change["op_id"]] = row
    return row


def _validation(errors: dict[str, Any], detail: str = "Some fields are invalid.") -> Problem:
    flat = {
        k: v if isinstance(v, list) else [json.dumps(v) if not isinstance(v, str) else v]
        for k, v in errors.items()
    }
    return Problem("validation-error", detail, errors=flat)


def check_shape(
    ctx: PushContext, change: dict[str, Any]
) -> tuple[EntitySpec, uuid.UUID, str, dict[str, Any]]:
    entity = change.get("entity")
    if entity not in SYNCED:
        raise _validation({"entity": [f"unknown entity; devices write {', '.join(SYNCED)}"]})
    record_id = _uuid(change.get("id"))
    if record_id is None:
        raise _validation({"id": ["a UUID is required"]})
    action = change.get("action")
    if action not in ("create", "update", "delete"):
        raise _validation({"action": ["must be create, update or delete"]})
    base = change.get("base_version")
    if action == "create" and base is not None:
        raise _validation({"base_version": ["must be null for a create"]})
    if action != "create" and (not isinstance(base, int) or isinstance(base, bool) or base < 1):
        raise _validation({"base_version": ["the version the device last had is required"]})
    fields = change.get("fields", {})
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise _validation({"fields": ["must be an object"]})
    spec = SYNCED[entity]
    owned = sorted(set(fields) & set(spec.server_fields))
    if owned:
        raise _validation(
            {name: ["server-owned; a device cannot set it"] for name in owned},
            "The change sets server-owned fields.",
        )
    if ctx.role != "investigator":
        raise Problem("forbidden", "Only investigators write records through sync.", status=403)
    return spec, record_id, action, fields


def load_fields(spec: EntitySpec, fields: dict[str, Any]) -> dict[str, Any]:
    loaded = fast_loader(spec.loader)(fields)
    if loaded is not None:
        return loaded
    try:
        return dict(spec.loader.load(fields, partial=True))
    except ma.ValidationError as error:
        raise _validation(error.normalized_messages()) from None  # type: ignore[arg-type]


def apply_change(ctx: PushContext, change: dict[str, Any], digest: str) -> Outcome:
    spec, record_id, action, raw_fields = check_shape(ctx, change)
    loaded = load_fields(spec, raw_fields)
    key = (spec.name, record_id)
    state = ctx.states.get(key)
    if action == "create":
        if state is not None:
            raise Problem("conflict", "A record with this id already exists (from another op).")
        if spec.name == "finding":
            existing = ctx.natural.get((loaded.get("inspection_id"), loaded.get("item_key")))  # type: ignore[arg-type]
            if existing is not None:
                return merge_into_existing(ctx, change, digest, spec, existing, loaded)
        return create(ctx, change, digest, spec, record_id, loaded)
    if state is None or not can_see(ctx.actor, ctx.scope(spec.name, state)):
        raise Problem("not-found", f"No such {spec.name}.")
    check_editable(ctx, spec, state)
    if change["base_version"] > state["version"]:
        raise _validation({"base_version": ["is newer than the server's version"]})
    if action == "delete":
        return delete(ctx, change, digest, spec, state)
    return update(ctx, change, digest, spec, state, loaded, base_version=change["base_version"])


def check_editable(ctx: PushContext, spec: EntitySpec, state: dict[str, Any]) -> None:
    """Only the record's investigator writes it, and not once it is in review or closed."""
    owner = state["created_by"] if spec.name == "lead" else None
    inspection = state if spec.name == "inspection" else ctx.inspection(state.get("inspection_id"))
    if spec.name == "lead":
        if owner != ctx.actor_id:
            raise Problem("not-found", "No such lead.")
        if state["status"] in ("referred", "closed"):
            raise Problem("record-locked", f"The lead is {state['status']}; it can no longer change.")
        if state["purged_at"] is not None:
            raise Problem("record-locked", "The lead was purged; it can no longer change.")
        return
    if inspection is None or inspection["investigator_id"] != ctx.actor_id:
        raise Problem("not-found", f"No such {spec.name}.")
    if inspection["status"] in LOCKED_STATUSES:
        raise Problem("record-locked", f"The inspection is {inspection['status']}; it cannot change now.")


def create(
    ctx: PushContext,
    change: dict[str, Any],
    digest: str,
    spec: EntitySpec,
    record_id: uuid.UUID,
    loaded: dict[str, Any],
) -> Outcome:
    missing = [name for name in spec.required_on_create if loaded.get(name) is None]
    if missing:
        raise _validation({name: ["required on create"] for name in missing})
    state: dict[str, Any] = dict.fromkeys(COLUMNS[spec.name])
    state.update({name: make() for name, make in spec.defaults.items()})
    state.update(loaded)
    state.update(
        id=record_id,
        version=1,
        created_at=ctx.now,
        updated_at=ctx.now,
        deleted_at=None,
        open_conflicts=0,
        missing_blobs=False,
        created_by=ctx.actor_id,
    )
    if spec.name == "inspection":
        licensee = ctx.licensees.get(state["licensee_id"])
        if licensee is None or licensee["field_office_id"] != ctx.office_id:
            raise _validation({"licensee_id": ["no such licensee in your office"]})
        refuse_early_compliance(state["type"], licensee, ctx.now)
        if state["status"] not in ("in_progress", "assigned"):
            raise _validation({"status": ["a new inspection starts in_progress"]})
        state.update(
            checklist_id=current_checklist(ctx.session).id,
            investigator_id=ctx.actor_id,
            field_office_id=licensee["field_office_id"],
            priority=0,
            type=state["type"],
        )
    elif spec.name == "finding":
        check_finding(ctx, state)
    elif spec.name == "lead":
        check_lead_refs(ctx, state)
        state.update(field_office_id=ctx.office_id, purge_after=ctx.now + LEAD_RETENTION)
    outcome = Outcome(receipt={})
    ctx.states[(spec.name, record_id)] = state
    ctx.new.add((spec.name, record_id))
    if spec.name == "finding":
        ctx.natural[(state["inspection_id"], state["item_key"])] = record_id
    note_blobs(ctx, spec, state, outcome)
    return written(ctx, change, digest, spec, state, outcome, "applied")


def refuse_early_compliance(kind: str, licensee: dict[str, Any], now: datetime) -> None:
    """The 12-month rule (``rules.early_compliance``, shared with queue assignments)."""
    allowed = rules.early_compliance(kind, licensee.get("last_inspection_date"), now.date())
    if allowed is not None:
        raise _validation({"type": [rules.early_compliance_message(allowed)]})


def check_finding(ctx: PushContext, state: dict[str, Any]) -> None:
    inspection = ctx.inspection(state["inspection_id"])
    if inspection is None or inspection["investigator_id"] != ctx.actor_id:
        raise _validation({"inspection_id": ["no such inspection of yours"]})
    if inspection["status"] in LOCKED_STATUSES:
        raise Problem("record-locked", f"The inspection is {inspection['status']}; it cannot change now.")
    if state["item_key"] not in ctx.checklist_items(inspection["checklist_id"]):
        raise _validation({"item_key": ["not an item of this inspection's checklist version"]})
    if state["result"] == "violation" and (state["instances"] or 0) < 1:
        raise _validation({"instances": ["a violation counts at least 1 instance"]})


def check_lead_refs(ctx: PushContext, state: dict[str, Any]) -> None:
    if state.get("inspection_id") is not None:
        inspection = ctx.inspection(state["inspection_id"])
        if inspection is None or inspection["investigator_id"] != ctx.actor_id:
            raise _validation({"inspection_id": ["no such inspection of yours"]})
    if state.get("licensee_id") is not None:
        licensee = ctx.licensees.get(state["licensee_id"])
        if licensee is None or licensee["field_office_id"] != ctx.office_id:
            raise _validation({"licensee_id": ["no such licensee in your office"]})


def base_and_since(
    ctx: PushContext,
    spec: EntitySpec,
    key: Key,
    base_version: int | None,
) -> tuple[dict[str, Any] | None, list[merge.Version]]:
    versions = ctx.history.get(key, [])
    base = None
    since: list[merge.Version] = []
    for row in versions:
        if base_version is not None and row["version"] == base_version:
            base = _client_view(spec, row["data"])
        elif base_version is None or row["version"] > base_version:
            since.append(merge.Version(row["device_id"], _client_view(spec, row["data"]) or {}))
    return base, since


def update(
    ctx: PushContext,
    change: dict[str, Any],
    digest: str,
    spec: EntitySpec,
    state: dict[str, Any],
    loaded: dict[str, Any],
    *,
    base_version: int | None,
    merged_into: uuid.UUID | None = None,
) -> Outcome:
    key = (spec.name, state["id"])
    client = {name: to_json(value) for name, value in loaded.items()}
    if state["deleted_at"] is not None:
        result = merge.edit_of_deleted(client)
    elif base_version is not None and base_version == state["version"]:
        result = merge.MergeResult("applied", {k: v for k, v in client.items() if v != to_json(state.get(k))})
    else:
        base, since = base_and_since(ctx, spec, key, base_version)
        if base is None and base_version is not None:
            # History before this server kept versions: every differing value is a conflict.
            base = {}
        result = merge.merge_change(
            device_id=ctx.device_id,
            base=base,
            server=_client_state(spec, state),
            since_base=since,
            fields=client,
        )
    if not result.writes_new_version:
        outcome = Outcome({})
        return written(
            ctx,
            change,
            digest,
            spec,
            state,
            outcome,
            result.status,
            new_version=False,
            merged_into=merged_into,
        )
    new_state = dict(state)
    for name in result.writes:
        new_state[name] = loaded[name]
    if spec.name == "inspection" and "status" in result.writes:
        check_status_move(ctx, state, new_state)
    if spec.name == "finding":
        check_finding(ctx, new_state)
    if spec.name == "inspection" and "licensee_id" in result.writes:
        raise _validation({"licensee_id": ["an inspection cannot move to another licensee"]})
    if spec.name == "finding" and ("inspection_id" in result.writes or "item_key" in result.writes):
        raise _validation({"item_key": ["a finding stays with its inspection and item"]})
    if spec.name == "lead":
        check_lead_refs(ctx, new_state)
    outcome = Outcome({})
    conflicts = [conflict_row(ctx, change, spec, new_state, c) for c in result.conflicts]
    new_state["open_conflicts"] = (new_state["open_conflicts"] or 0) + len(conflicts)
    outcome.conflict_rows = conflicts
    ctx.states[key] = new_state
    if "attachments" in result.writes:
        note_blobs(ctx, spec, new_state, outcome)
    return written(ctx, change, digest, spec, new_state, outcome, result.status, merged_into=merged_into)


def check_status_move(ctx: PushContext, old: dict[str, Any], new: dict[str, Any]) -> None:
    move = (old["status"], new["status"])
    if move not in DEVICE_STATUS_MOVES:
        raise _validation({"status": [f"a device cannot move an inspection from {move[0]} to {move[1]}"]})
    if new["status"] == "submitted":
        missing = submission_blockers(ctx, new)
        if missing:
            raise Problem("validation-error", "The inspection cannot be submitted yet.", errors=missing)
        new["submitted_at"] = ctx.now


def submission_blockers(ctx: PushContext, inspection: dict[str, Any]) -> dict[str, list[str]]:
    """The lifecycle rule, on the findings as this batch leaves them."""
    findings = {
        row["id"]: dict(row)
        for row in ctx.session.execute(
            sa.select(Finding.__table__).where(Finding.inspection_id == inspection["id"])
        ).mappings()
    }
    for (entity, record_id), state in ctx.states.items():
        if entity == "finding" and state["inspection_id"] == inspection["id"]:
            findings[record_id] = state
    licensee = (
        ctx.licensees.get(inspection["licensee_id"])
        or ctx.session.execute(sa.select(Licensee.__table__).where(Licensee.id == inspection["licensee_id"]))
        .mappings()
        .one()
    )
    return rules.submission_blockers(
        inspection_conflicts=inspection["open_conflicts"],
        findings=findings.values(),
        items=ctx.checklist_items(inspection["checklist_id"]).values(),
        license_type=licensee["license_type"],
        state=licensee["premises_state"],
    )


def delete(
    ctx: PushContext, change: dict[str, Any], digest: str, spec: EntitySpec, state: dict[str, Any]
) -> Outcome:
    key = (spec.name, state["id"])
    if state["deleted_at"] is not None:
        return written(ctx, change, digest, spec, state, Outcome({}), "applied", new_version=False)
    if spec.name == "inspection" and state["created_by"] != ctx.actor_id:
        raise Problem(
            "forbidden",
            "Only inspections you started can be deleted; assigned ones are cancelled by an admin.",
            status=403,
        )
    base, since = base_and_since(ctx, spec, key, change["base_version"])
    if change["base_version"] == state["version"]:
        result = merge.MergeResult("applied", writes={merge.DELETED_FIELD: True})
    else:
        result = merge.merge_delete(
            device_id=ctx.device_id,
            base=base if base is not None else {},
            server=_client_state(spec, state),
            since_base=since,
        )
    new_state = dict(state)
    outcome = Outcome({})
    if result.conflicts:
        outcome.conflict_rows = [conflict_row(ctx, change, spec, new_state, c) for c in result.conflicts]
        new_state["open_conflicts"] += len(outcome.conflict_rows)
    else:
        new_state["deleted_at"] = ctx.now
        if spec.name == "finding":
            ctx.natural.pop((state["inspection_id"], state["item_key"]), None)
    ctx.states[key] = new_state
    return written(ctx, change, digest, spec, new_state, outcome, result.status)


def merge_into_existing(
    ctx: PushContext,
    change: dict[str, Any],
    digest: str,
    spec: EntitySpec,
    existing_id: uuid.UUID,
    loaded: dict[str, Any],
) -> Outcome:
    """A second create of the same checklist item merges into the first finding (no base)."""
    key = (spec.name, existing_id)
    if key not in ctx.states:
        ctx._load_states(spec.name, [existing_id])
        ctx.history[key] = [
            dict(r)
            for r in ctx.session.execute(
                sa.select(
                    RecordVersion.record_id,
                    RecordVersion.version,
                    RecordVersion.device_id,
                    RecordVersion.data,
                )
                .where(RecordVersion.entity == spec.name, RecordVersion.record_id == existing_id)
                .order_by(RecordVersion.version)
            ).mappings()
        ]
    state = ctx.states[key]
    check_editable(ctx, spec, state)
    fields = {k: v for k, v in loaded.items() if k not in ("inspection_id", "item_key")}
    outcome = update(ctx, change, digest, spec, state, fields, base_version=None, merged_into=existing_id)
    return outcome


def conflict_row(
    ctx: PushContext,
    change: dict[str, Any],
    spec: EntitySpec,
    state: dict[str, Any],
    conflict: merge.FieldConflict,
) -> dict[str, Any]:
    scope = ctx.scope(spec.name, state)
    return {
        "id": uuid.uuid4(),
        "version": 1,
        "entity": spec.name,
        "record_id": state["id"],
        "field": conflict.field,
        "base_value": conflict.base_value,
        "server_value": conflict.server_value,
        "client_value": conflict.client_value,
        "status": "open",
        "user_id": ctx.actor_id,
        "device_id": ctx.device_id,
        "op_id": change["op_id"],
        "field_office_id": scope.field_office_id,
        "investigator_id": scope.investigator_id,
        "resolution": None,
        "resolved_value": None,
        "resolved_by": None,
        "resolved_at": None,
        "created_at": ctx.now,
    }


def note_blobs(ctx: PushContext, spec: EntitySpec, state: dict[str, Any], outcome: Outcome) -> None:
    """Listing a digest needs proof of possession; without it the record is flagged."""
    missing = False
    for digest in state.get("attachments") or []:
        proven = digest in ctx.holders or any(
            s == digest and can_read_listing(ctx, e, r, digest) for e, r, s in ctx.proven
        )
        proven = proven or (spec.name, state["id"], digest) in ctx.proven
        missing = missing or not proven
        outcome.record_blob_rows.append(
            {
                "entity": spec.name,
                "record_id": state["id"],
                "sha256": digest,
                "listed_by": ctx.actor_id,
                "proven": proven,
            }
        )
    state["missing_blobs"] = missing


def can_read_listing(ctx: PushContext, entity: str, record_id: uuid.UUID, digest: str) -> bool:
    from inspector.blobs.service import record_visible

    return record_visible(ctx.session, ctx.actor, entity, record_id, listing=digest)


def written(
    ctx: PushContext,
    change: dict[str, Any],
    digest: str,
    spec: EntitySpec,
    state: dict[str, Any],
    outcome: Outcome,
    status: str,
    *,
    new_version: bool = True,
    merged_into: uuid.UUID | None = None,
) -> Outcome:
    key = (spec.name, state["id"])
    if new_version:
        if key in ctx.dirty or key not in ctx.new:
            # Every write but the create itself is a new version.
            state["version"] += 1
            state["updated_at"] = ctx.now
        ctx.dirty.add(key)
        doc = _doc(spec, state)
        outcome.version_rows.append(
            version_row(
                spec.name,
                state["id"],
                state["version"],
                doc,
                deleted=state["deleted_at"] is not None,
                user_id=ctx.actor_id,
                device_id=ctx.device_id,
                op_id=change["op_id"],
            )
        )
        ctx.history[key].append(
            {"record_id": state["id"], "version": state["version"], "device_id": ctx.device_id, "data": doc}
        )
        outcome.feed.append(
            FeedTouch(
                spec.name,
                state["id"],
                state["version"],
                state["deleted_at"] is not None,
                ctx.scope(spec.name, state),
            )
        )
        outcome.touched.append(key)
    else:
        doc = _doc(spec, state)
    conflicts = [
        {
            "conflict_id": str(c["id"]),
            "field": c["field"],
            "base_value": c["base_value"],
            "server_value": c["server_value"],
            "client_value": c["client_value"],
        }
        for c in outcome.conflict_rows
    ]
    outcome.receipt = {
        "op_id": str(change["op_id"]),
        "entity": spec.name,
        "id": str(state["id"]),
        "status": status,
        "version": state["version"],
        "record": doc,
        "replayed": False,
        "conflicts": conflicts,
        "problem": None,
    }
    if merged_into is not None:
        outcome.receipt["merged_into"] = str(merged_into)
    outcome.receipt_row = _receipt_row(
        ctx, change, digest, status, _uuid(change.get("id")), state["version"], merged_into, conflicts, None
    )
    return outcome


# ---- writing ------------------------------------------------------------------------------------


def write(ctx: PushContext, outcomes: list[Outcome]) -> None:
    """Write what a list of outcomes decided: records once each (their final state), the rest in bulk."""
    session = ctx.session
    touched: dict[Key, None] = {}
    for outcome in outcomes:
        for key in outcome.touched:
            touched[key] = None
    by_table_insert: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_table_update: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key in touched:
        state = ctx.states[key]
        if key in ctx.new:
            by_table_insert[key[0]].append(state)
        else:
            by_table_update[key[0]].append(state)
    for entity in ("inspection", "finding", "lead"):
        table = TABLES[entity]
        insert_many(session, table, by_table_insert[entity])
        columns = COLUMNS[entity]
        update_many(session, table, [{c: s[c] for c in columns} for s in by_table_update[entity]])
    insert_versions(session, [row for o in outcomes for row in o.version_rows])
    conflicts = [row for o in outcomes for row in o.conflict_rows]
    insert_many(session, CONFLICTS, conflicts)
    insert_many(session, REJECTED, [o.rejected_row for o in outcomes if o.rejected_row])
    insert_many(session, RECEIPTS, [o.receipt_row for o in outcomes if o.receipt_row])
    blobs = {(r["entity"], r["record_id"], r["sha256"]): r for o in outcomes for r in o.record_blob_rows}
    if blobs:
        upsert_record_blobs(session, list(blobs.values()))
    conflict_feed = [
        FeedTouch(
            "conflict", row["id"], 1, False, Scope("owner", row["field_office_id"], row["investigator_id"])
        )
        for row in conflicts
    ]
    touch_feed(session, [t for o in outcomes for t in o.feed] + conflict_feed)
    if lead_ids := [key[1] for key in touched if key[0] == "lead"]:
        from inspector.leads.service import deconflict

        deconflict(
            session,
            lead_ids,
            user_id=ctx.actor_id,
            written={i: SimpleNamespace(**ctx.states[("lead", i)]) for i in lead_ids},
            new={i for i in lead_ids if ("lead", i) in ctx.new},
        )


@cache
def _states_query(entity: str, dialect: str) -> sa.Select[Any]:
    """Records by id, locked in id order on PostgreSQL (built once per entity)."""
    table = TABLES[entity]
    query = sa.select(table).where(among_param(dialect, table.c.id, "ids")).order_by(table.c.id)
    return query.with_for_update() if dialect == "postgresql" else query


def upsert_record_blobs(session: Session, rows: list[dict[str, Any]]) -> None:
    keys = [(r["entity"], r["record_id"], r["sha256"]) for r in rows]
    existing = {
        (e, r, s)
        for e, r, s in session.execute(
            sa.select(RecordBlob.entity, RecordBlob.record_id, RecordBlob.sha256).where(
                among(session, RecordBlob.record_id, {k[1] for k in keys})
            )
        )
    }
    new_rows = [r for r in rows if (r["entity"], r["record_id"], r["sha256"]) not in existing]
    old_rows = [r for r in rows if (r["entity"], r["record_id"], r["sha256"]) in existing and r["proven"]]
    insert_many(session, RECORD_BLOBS, new_rows)
    for r in old_rows:
        session.execute(
            sa.update(RecordBlob)
            .where(
                RecordBlob.entity == r["entity"],
                RecordBlob.record_id == r["record_id"],
                RecordBlob.sha256 == r["sha256"],
            )
            .values(proven=True)
        )


# ---- the request --------------------------------------------------------------------------------


def push(
    session: Session, actor: User, device_id: uuid.UUID, changes: list[dict[str, Any]]
) -> dict[str, Any]:
    """Decide and write a batch; if the batch write fails, redo it one savepoint per change.

    Until the write nothing has been written in this transaction (only read and
    locked), so a failed batch write rolls the transaction back whole and the
    slow path starts from fresh reads.
    """
    device = session.get(Device, device_id)  # read with the session's token, as a rule
    receipted_up_to = device.last_seq if device is not None else 0
    ctx = PushContext(session, actor, device_id, changes, receipted_up_to=receipted_up_to)
    outcomes = [decide(ctx, change) for change in changes]
    try:
        write(ctx, outcomes)
        session.flush()
    except DBAPIError:
        session.rollback()
        outcomes = [one_by_one(session, actor, device_id, change) for change in changes]
    last_seq = note_last_seq(session, device_id, max((c["seq"] for c in changes), default=0))
    return {"receipts": [o.receipt for o in outcomes], "last_seq": last_seq, "server_time": to_json(utcnow())}


def note_last_seq(session: Session, device_id: uuid.UUID, seq: int) -> int:
    """Raise the device's highest receipted seq (never lower it); one statement."""
    devices = cast(sa.Table, Device.__table__)  # Core: the ORM's bulk update costs more
    value = sa.case((devices.c.last_seq > seq, devices.c.last_seq), else_=seq)
    last = session.execute(
        sa.update(devices)
        .where(devices.c.id == device_id)
        .values(last_seq=value, last_seen_at=utcnow())
        .returning(devices.c.last_seq)
    ).scalar()
    return int(last if last is not None else seq)


def one_by_one(session: Session, actor: User, device_id: uuid.UUID, change: dict[str, Any]) -> Outcome:
    """The slow path: a change in its own savepoint, decided on fresh reads."""
    for attempt in range(2):
        ctx = PushContext(session, actor, device_id, [change])
        outcome = decide(ctx, change)
        try:
            with session.begin_nested():
                write(ctx, [outcome])
            return outcome
        except DBAPIError as error:
            session.expire_all()
            if attempt == 1:
                ctx = PushContext(session, actor, device_id, [change])
                problem = Problem(
                    "conflict", f"The change could not be stored ({type(error.orig).__name__})."
                )
                outcome = rejected(ctx, change, payload_hash(change), problem)
                with session.begin_nested():
                    write(ctx, [outcome])
                return outcome
    raise AssertionError("unreachable")
