"""Leads: who sees which, the referral workflow, deconfliction and purging.

Every server-side write of a lead is a new version (``bump`` + ``record_written``),
so devices receive it through pull and history keeps it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from inspector.db import among, utcnow
from inspector.leads.models import Lead, LeadMatch, LeadMatchKey
from inspector.offices.models import FieldOffice, User
from inspector.problems import Problem

#: what purging removes, and what admins never see.
CONTENT_FIELDS = ("narrative", "subjects")
#: what admins see of a lead: metadata and counts, never subjects, narrative or firearms.
ADMIN_FIELDS = (
    "id",
    "version",
    "status",
    "field_office_id",
    "created_by",
    "licensee_id",
    "inspection_id",
    "indicators",
    "referral_agency",
    "referred_on",
    "closed_at",
    "purge_after",
    "purged_at",
    "match_count",
    "created_at",
    "updated_at",
)
FULL_FIELDS = (
    *ADMIN_FIELDS,
    "narrative",
    "firearms",
    "subjects",
    "attachments",
    "referral_reference",
    "close_result",
    "open_conflicts",
    "missing_blobs",
)
#: the PostgreSQL advisory lock that serialises deconfliction (any fixed 64-bit number).
DECONFLICT_LOCK = 0x1EAD_DEC0
#: the first key of two-key advisory locks on match keys (the second: the key's hashtext).
MATCH_KEY_LOCK_SPACE = 0x1EAD
LOCK_HOLDER_KEY = "inspector.deconfliction_lock"
_SERIAL_NOISE = re.compile(r"[\s\-\u2010-\u2015]+")


# ---- need-to-know -------------------------------------------------------------------------------


def visible_leads(actor: User) -> sa.Select[Lead]:
    """Investigators: their own; reviewers: their office's; admins: all (metadata only)."""
    query = sa.select(Lead).where(Lead.deleted_at.is_(None))
    if actor.role == "investigator":
        query = query.where(Lead.created_by == actor.id)
    elif actor.role == "reviewer":
        query = query.where(Lead.field_office_id == actor.field_office_id)
    return query


def search_leads(actor: User, filters: dict[str, Any]) -> sa.Select[Lead]:
    query = visible_leads(actor)
    for name in ("status", "field_office_id"):
        if (value := filters.get(name)) is not None:
            query = query.where(getattr(Lead, name) == value)
    return query.order_by(Lead.created_at.desc(), Lead.id)


def get_lead(session: Session, actor: User, lead_id: uuid.UUID, *, lock: bool = False) -> Lead:
    query = visible_leads(actor).where(Lead.id == lead_id)
    if lock:
        query = query.with_for_update()
    lead = session.scalar(query)
    if lead is None:
        raise Problem("not-found", "No such lead.")
    return lead


def lead_view(lead: Lead, actor: User) -> dict[str, Any]:
    """The lead as this caller may see it: admins get metadata and counts only."""
    subjects_count = lead.subjects_count if lead.purged_at is not None else len(lead.subjects or [])
    counts = {"subjects_count": subjects_count, "firearms_count": len(lead.firearms or [])}
    if actor.role == "admin":
        return {**{name: getattr(lead, name) for name in ADMIN_FIELDS}, **counts, "redacted": True}
    return {**{name: getattr(lead, name) for name in FULL_FIELDS}, **counts, "redacted": False}


def audit_read(
    session: Session,
    actor: User,
    lead_id: uuid.UUID,
    address: str | None,
    *,
    via: str = "detail",
    action: str = "lead-read",
    details: dict[str, Any] | None = None,
) -> None:
    """Note that someone read a lead's detail: committed in a short write transaction of its
    own, after the read (so SQLite never upgrades a stale read snapshot; see db.short_write)."""
    from inspector.audit import service as audit

    audit.record_read(
        session,
        action,
        actor=actor,
        target_type="lead",
        target_id=lead_id,
        address=address,
        details={"redacted": actor.role == "admin", "via": via, **(details or {})},
    )


def read_lead(session: Session, actor: User, lead_id: uuid.UUID, address: str | None) -> dict[str, Any]:
    """One lead's detail; every read is audited."""
    lead = get_lead(session, actor, lead_id)
    view = lead_view(lead, actor)
    audit_read(session, actor, lead_id, address)
    return view


def referral_packet(session: Session, actor: User, lead_id: uuid.UUID, address: str | None) -> bytes:
    """The PDF a reviewer sends the receiving agency (a referred or closed lead; audited)."""
    from inspector.auth.service import require_role
    from inspector.leads.packet import packet_lines
    from inspector.licensees.models import Licensee
    from inspector.pdf import render_pdf

    lead = get_lead(session, actor, lead_id)
    require_role(actor, "reviewer")
    if lead.status not in ("referred", "closed"):
        raise Problem("conflict", f"A packet is made once the lead is referred; this one is {lead.status}.")
    office = session.get(FieldOffice, lead.field_office_id)
    licensee = session.get(Licensee, lead.licensee_id) if lead.licensee_id else None
    licensee_text = f"{licensee.license_name} ({licensee.license_number})" if licensee else None
    agency = lead.referral_agency
    pdf = render_pdf(packet_lines(lead, office.name if office else "-", licensee_text, actor.display_name))
    audit_read(
        session, actor, lead_id, address, via="packet", action="lead-packet", details={"agency": agency}
    )
    return pdf


# ---- the workflow -------------------------------------------------------------------------------


def _written(session: Session, lead: Lead, actor: User) -> None:
    """A server-side write: match keys refreshed, a new version, journaled for devices."""
    from inspector.sync.service import bump, record_written

    deconflict(session, [lead.id], user_id=actor.id, journaled_by_caller={lead.id})
    bump(lead)
    record_written(session, "lead", lead, user_id=actor.id)


def _reviewers_lead(session: Session, actor: User, lead_id: uuid.UUID) -> Lead:
    from inspector.auth.service import require_role

    require_role(actor, "reviewer")
    lock_match_keys(session, stored_keys(session, [lead_id]))  # keys before the row, as every writer
    return get_lead(session, actor, lead_id, lock=True)


def refer(
    session: Session,
    actor: User,
    lead_id: uuid.UUID,
    *,
    agency: str,
    referred_on: date,
    reference: str,
    address: str | None,
) -> Lead:
    """A reviewer of the lead's office records the referral: submitted -> referred."""
    from inspector.audit import service as audit

    lead = _reviewers_lead(session, actor, lead_id)
    if lead.status != "submitted":
        raise Problem("conflict", f"Only a submitted lead can be referred; this one is {lead.status}.")
    if lead.purged_at is not None:
        raise Problem("record-locked", "The lead was purged.")
    if referred_on > utcnow().date() + timedelta(days=1):
        raise Problem(
            "validation-error",
            "The referral date is in the future.",
            errors={"referred_on": ["cannot be in the future"]},
        )
    lead.status = "referred"
    lead.referral_agency = agency
    lead.referred_on = referred_on
    lead.referral_reference = reference
    _written(session, lead, actor)
    audit.record(
        session,
        "lead-referred",
        actor=actor,
        target_type="lead",
        target_id=lead.id,
        address=address,
        details={"agency": agency, "referred_on": referred_on.isoformat(), "reference": reference},
    )
    return lead


def close(session: Session, actor: User, lead_id: uuid.UUID, *, result: str, address: str | None) -> Lead:
    """A reviewer closes a referred (or submitted, not referred) lead with its result."""
    from inspector.audit import service as audit

    lead = _reviewers_lead(session, actor, lead_id)
    if lead.status not in ("submitted", "referred"):
        raise Problem(
            "conflict", f"Only a submitted or referred lead can be closed; this one is {lead.status}."
        )
    lead.status = "closed"
    lead.closed_at = utcnow()
    lead.close_result = result
    _written(session, lead, actor)
    audit.record(session, "lead-closed", actor=actor, target_type="lead", target_id=lead.id, address=address)
    return lead


def extend(
    session: Session,
    actor: User,
    lead_id: uuid.UUID,
    *,
    purge_after: datetime,
    reason: str,
    address: str | None,
) -> Lead:
    """A reviewer keeps a lead longer, with a reason (audited)."""
    from inspector.audit import service as audit

    lead = _reviewers_lead(session, actor, lead_id)
    if lead.purged_at is not None:
        raise Problem("record-locked", "The lead was purged; there is nothing left to keep.")
    if purge_after <= lead.purge_after:
        raise Problem(
            "validation-error",
            "An extension moves the purge date later.",
            errors={"purge_after": [f"must be after the current purge date {lead.purge_after.isoformat()}"]},
        )
    previous = lead.purge_after
    lead.purge_after = purge_after
    _written(session, lead, actor)
    audit.record(
        session,
        "lead-purge-extended",
        actor=actor,
        target_type="lead",
        target_id=lead.id,
        address=address,
        details={"from": previous.isoformat(), "to": purge_after.isoformat(), "reason": reason},
    )
    return lead


# ---- deconfliction ------------------------------------------------------------------------------


def normalise_serial(serial: str) -> str:
    """Upper case, no spaces or dashes: ``ab-12 3`` and ``AB123`` are one serial."""
    return _SERIAL_NOISE.sub("", serial).upper()


def normalise_make(make: str | None) -> str | None:
    if make is None:
        return None
    value = " ".join(make.split()).upper()
    return value or None


def normalise_name(name: str) -> str:
    """Lower case, whitespace collapsed."""
    return " ".join(name.lower().split())


def subject_key(name: str) -> str:
    """A keyed hash of the normalised name: matchable, never readable."""
    secret = str(current_app.config["LEAD_MATCH_SECRET"]).encode()
    return hmac.new(secret, b"subject:" + normalise_name(name).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class MatchKey:
    kind: str
    key_hash: str
    make: str | None = None


class Matchable(Protocol):
    """What match keys are made of: a Lead, or a row of these columns."""

    @property
    def deleted_at(self) -> datetime | None: ...
    @property
    def firearms(self) -> list[dict[str, Any]] | None: ...
    @property
    def subjects(self) -> list[dict[str, Any]] | None: ...
    @property
    def licensee_id(self) -> uuid.UUID | None: ...


def match_keys(lead: Matchable) -> set[MatchKey]:
    """What this lead can be matched by (nothing once deleted)."""
    if lead.deleted_at is not None:
        return set()
    keys: set[MatchKey] = set()
    for firearm in lead.firearms or []:
        serial = normalise_serial(str(firearm.get("serial") or ""))
        if serial:
            keys.add(MatchKey("serial", f"serial:{serial}", normalise_make(firearm.get("make"))))
    for subject in lead.subjects or []:
        name = normalise_name(str(subject.get("name") or ""))
        if name:
            keys.add(MatchKey("subject", subject_key(name)))
    if lead.licensee_id is not None:
        keys.add(MatchKey("licensee", f"licensee:{lead.licensee_id}"))
    return keys


def keys_of_fields(fields: Mapping[str, Any]) -> set[MatchKey]:
    """The match keys the values a device sent would give a lead (before validation: values
    of the wrong shape give none; validation refuses them anyway)."""
    firearms, subjects = fields.get("firearms"), fields.get("subjects")
    licensee = fields.get("licensee_id")
    try:
        licensee_id = uuid.UUID(str(licensee)) if licensee is not None else None
    except ValueError:
        licensee_id = None
    sent = SimpleNamespace(
        deleted_at=None,
        firearms=[f for f in firearms if isinstance(f, dict)] if isinstance(firearms, list) else [],
        subjects=[s for s in subjects if isinstance(s, dict)] if isinstance(subjects, list) else [],
        licensee_id=licensee_id,
    )
    return match_keys(sent)


def stored_keys(session: Session, lead_ids: Collection[uuid.UUID]) -> set[str]:
    """The match keys these leads hold now (read without locking)."""
    if not lead_ids:
        return set()
    return set(
        session.scalars(
            sa.select(LeadMatchKey.key_hash).where(among(session, LeadMatchKey.lead_id, lead_ids))
        )
    )


def lock_match_keys(session: Session, key_hashes: Iterable[str]) -> None:
    """Hold these match keys until commit (PostgreSQL; SQLite has one writer anyway).

    Two leads on one gun saved at the same moment would each miss the other's
    uncommitted keys, so a writer holds every key it adds, removes or looks up: writers
    of one key go one at a time, and the second sees the first's keys. Writers on
    different keys go side by side (one lock for all lead writers capped every office's
    pushes that carry leads at one at a time). Writers take their keys before locking
    lead rows, in one order (by hash), so flagging another lead never waits on a row
    that a writer waiting for a key holds. Each key is taken once per transaction;
    under a shared hold of the whole-deconfliction lock, which batch jobs take alone.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    held = _held_locks(session)
    if held["whole"]:
        return
    wanted = sorted(set(key_hashes) - held["keys"])
    if not wanted:
        return
    parameters = {"space": MATCH_KEY_LOCK_SPACE, "keys": wanted}
    if held["shared"]:
        session.execute(_KEY_LOCKS, parameters)
    else:
        # one round trip: each key's lock is taken on a joined row, which needs the shared lock first
        session.execute(_SHARED_AND_KEY_LOCKS, {**parameters, "whole": DECONFLICT_LOCK})
        held["shared"] = True
    held["keys"].update(wanted)


_KEY_LOCKS = sa.text(
    "SELECT count(pg_advisory_xact_lock(:space, h)) FROM "
    "(SELECT DISTINCT hashtext(k) AS h FROM unnest(CAST(:keys AS text[])) AS k ORDER BY h) AS o"
)
_SHARED_AND_KEY_LOCKS = sa.text(
    "WITH whole AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:whole)) "
    "SELECT count(pg_advisory_xact_lock(:space, h)) FROM whole, "
    "(SELECT DISTINCT hashtext(k) AS h FROM unnest(CAST(:keys AS text[])) AS k ORDER BY h) AS o"
)


def lock_deconfliction(session: Session) -> None:
    """The whole deconfliction, until commit: for batch jobs (purge, rebuilding the keys),
    which then wait for every lead writer and hold them off (see ``lock_match_keys``)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    held = _held_locks(session)
    if not held["whole"]:
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": DECONFLICT_LOCK})
        held["whole"] = True


def _held_locks(session: Session) -> dict[str, Any]:
    """The deconfliction locks this transaction (or savepoint: one rolled back releases
    what it took) holds, kept in ``session.info``."""
    session.connection()  # the transaction begins here if it has not yet
    holder = session.get_nested_transaction() or session.get_transaction()
    held: dict[str, Any] | None = session.info.get(LOCK_HOLDER_KEY)
    if held is None or held["holder"] is not holder:
        held = {"holder": holder, "whole": False, "shared": False, "keys": set()}
        session.info[LOCK_HOLDER_KEY] = held
    return held


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if str(a) < str(b) else (b, a)


def _store_keys(session: Session, keys: dict[uuid.UUID, set[MatchKey]], new: Collection[uuid.UUID]) -> None:
    """Replace the match keys of these leads: one delete (none for new leads), one insert."""
    table = LeadMatchKey.__table__
    older = [lead_id for lead_id in keys if lead_id not in new]
    if older:
        session.execute(sa.delete(table).where(table.c.lead_id.in_(older)))  # type: ignore[arg-type]
    rows = [
        {"lead_id": lead_id, "kind": k.kind, "key_hash": k.key_hash, "make": k.make}
        for lead_id, lead_keys in keys.items()
        for k in lead_keys
    ]
    if rows:
        session.execute(sa.insert(table), rows)  # type: ignore[arg-type]  # Core: no ORM bulk path


def _found_matches(
    session: Session, keys: dict[uuid.UUID, set[MatchKey]]
) -> dict[uuid.UUID, set[tuple[uuid.UUID, str]]]:
    """For each lead, (other lead, kind) for every key another lead shares: one index lookup for all."""
    found: dict[uuid.UUID, set[tuple[uuid.UUID, str]]] = {lead_id: set() for lead_id in keys}
    holders: dict[str, list[tuple[uuid.UUID, str | None]]] = defaultdict(list)
    for lead_id, lead_keys in keys.items():
        for key in lead_keys:
            holders[key.key_hash].append((lead_id, key.make))
    if not holders:
        return found
    rows = session.execute(
        sa.select(LeadMatchKey.lead_id, LeadMatchKey.kind, LeadMatchKey.key_hash, LeadMatchKey.make).where(
            LeadMatchKey.kind.in_({k.kind for lead_keys in keys.values() for k in lead_keys}),
            LeadMatchKey.key_hash.in_(list(holders)),
        )
    )
    for other, kind, key_hash, make in rows:
        for lead_id, mine in holders[key_hash]:
            # when both firearms name a make, the makes must match too
            if other == lead_id or (
                kind == "serial" and mine is not None and make is not None and mine != make
            ):
                continue
            found[lead_id].add((other, kind))
    return found


def deconflict(
    session: Session,
    lead_ids: Iterable[uuid.UUID],
    *,
    user_id: uuid.UUID | None,
    journaled_by_caller: set[uuid.UUID] | None = None,
    written: Mapping[uuid.UUID, Matchable] | None = None,
    new: Collection[uuid.UUID] = (),
) -> None:
    """Refresh the match keys and matches of leads just written, and flag every lead whose
    matches changed (``match_count``; a new version each, unless its caller journals it).

    A caller that has the leads as written passes them (``written``, with ``match_count``),
    and names those it created in this transaction (``new``: no keys or matches yet).
    """
    from inspector.sync.service import bump, records_written

    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        return
    session.flush()
    stored: Mapping[uuid.UUID, Any]
    if written is not None and all(lead_id in written for lead_id in ids):
        stored = {lead_id: written[lead_id] for lead_id in ids}
    else:  # plain rows, not Lead objects: only a lead whose count changes is loaded as one
        stored = {
            row.id: row
            for row in session.execute(
                sa.select(
                    Lead.id, Lead.deleted_at, Lead.firearms, Lead.subjects, Lead.licensee_id, Lead.match_count
                ).where(Lead.id.in_(ids))
            )
        }
    keys = {lead_id: match_keys(row) for lead_id, row in stored.items()}
    older = [lead_id for lead_id in ids if lead_id not in new]
    lock_match_keys(
        session, stored_keys(session, older) | {k.key_hash for lead_keys in keys.values() for k in lead_keys}
    )
    _store_keys(session, keys, new)
    found = _found_matches(session, keys)
    existing_rows = (
        session.execute(
            sa.select(LeadMatch.lead_a, LeadMatch.lead_b, LeadMatch.kind).where(
                sa.or_(LeadMatch.lead_a.in_(older), LeadMatch.lead_b.in_(older))
            )
        ).all()
        if older
        else []
    )
    gone_all: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
    new_all: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
    for lead_id in keys:
        wanted = {(*_pair(lead_id, other), kind) for other, kind in found[lead_id]}
        existing = {(a, b, kind) for a, b, kind in existing_rows if lead_id in (a, b)}
        gone_all |= existing - wanted
        new_all |= wanted - existing
    if not gone_all and not new_all:
        # The common case (a lead matching nothing new): the counts stand unless one is stale.
        counts = _counts_from(existing_rows, stored)
        if all(row.match_count == counts[lead_id] for lead_id, row in stored.items()):
            return
    if gone_all:
        session.execute(
            sa.delete(LeadMatch.__table__).where(  # type: ignore[arg-type]
                LeadMatch.lead_a == sa.bindparam("a"),
                LeadMatch.lead_b == sa.bindparam("b"),
                LeadMatch.kind == sa.bindparam("k"),
            ),
            [{"a": a, "b": b, "k": kind} for a, b, kind in gone_all],
        )
    if new_all:
        now = utcnow()
        session.execute(
            sa.insert(LeadMatch.__table__),  # type: ignore[arg-type]
            [{"lead_a": a, "lead_b": b, "kind": kind, "created_at": now} for a, b, kind in new_all],
        )
    affected = set(stored) | {x for a, b, _kind in gone_all | new_all for x in (a, b)}
    counts = match_counts(session, affected)
    leads = {
        lead.id: lead
        for lead in session.scalars(
            sa.select(Lead).where(Lead.id.in_(affected)).execution_options(populate_existing=True)
        )
    }
    flagged = []
    for lead_id in sorted(affected, key=str):
        lead = leads.get(lead_id)
        count = counts.get(lead_id, 0)
        if lead is None or lead.match_count == count:
            continue
        lead.match_count = count
        if journaled_by_caller is None or lead_id not in journaled_by_caller:
            bump(lead)
            flagged.append(lead)
    records_written(session, "lead", flagged, user_id=user_id)


def _counts_from(rows: Iterable[Any], leads: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many other leads each of ``leads`` matches, from match rows that hold all of theirs."""
    others: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for a, b, *_ in rows:
        others[a].add(b)
        others[b].add(a)
    return {lead_id: len(others[lead_id]) for lead_id in leads}


def rebuild_match_keys(session: Session, *, batch: int = 500) -> int:
    """Recompute every lead's match keys and matches (after LEAD_MATCH_SECRET changes, or for
    leads stored before deconfliction existed); commits each batch. Returns the leads seen."""
    seen = 0
    after: uuid.UUID | None = None
    while True:
        query = sa.select(Lead.id).order_by(Lead.id).limit(batch)
        if after is not None:
            query = query.where(Lead.id > after)
        ids = list(session.scalars(query))
        if not ids:
            return seen
        lock_deconfliction(session)  # a batch job: every lead writer waits
        deconflict(session, ids, user_id=None)
        session.commit()
        seen += len(ids)
        after = ids[-1]


def match_counts(session: Session, lead_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many other leads each lead matches (whatever the kinds)."""
    ids = list(lead_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(LeadMatch.lead_a, LeadMatch.lead_b).where(
            sa.or_(LeadMatch.lead_a.in_(ids), LeadMatch.lead_b.in_(ids))
        )
    )
    return _counts_from(rows, ids)


def matches_of(session: Session, actor: User, lead_id: uuid.UUID) -> list[dict[str, Any]]:
    """What a reviewer needs to call the other office: its name, its reviewers, the other
    lead's date and what matched. Never the other lead's content (or its id)."""
    from inspector.auth.service import require_role

    lead = get_lead(session, actor, lead_id)
    require_role(actor, "reviewer")
    rows = session.execute(
        sa.select(LeadMatch.lead_a, LeadMatch.lead_b, LeadMatch.kind).where(
            sa.or_(LeadMatch.lead_a == lead.id, LeadMatch.lead_b == lead.id)
        )
    ).all()
    other_ids = {b if a == lead.id else a for a, b, _kind in rows}
    if not other_ids:
        return []
    others = {
        row.id: row
        for row in session.execute(
            sa.select(Lead.id, Lead.created_at, Lead.field_office_id, FieldOffice.name)
            .join(FieldOffice, FieldOffice.id == Lead.field_office_id)
            .where(Lead.id.in_(other_ids), Lead.deleted_at.is_(None))
        )
    }
    offices = {row.field_office_id for row in others.values()}
    reviewers: dict[uuid.UUID | None, list[str]] = defaultdict(list)
    for office_id, name in session.execute(
        sa.select(User.field_office_id, User.display_name)
        .where(User.field_office_id.in_(offices), User.role == "reviewer", User.active.is_(True))
        .order_by(User.display_name)
    ):
        reviewers[office_id].append(name)
    out = []
    for a, b, kind in rows:
        other = others.get(b if a == lead.id else a)
        if other is None:
            continue
        out.append(
            {
                "matched_office": other.name,
                "reviewers": reviewers[other.field_office_id],
                "lead_date": other.created_at.date(),
                "kind": kind,
            }
        )
    return sorted(out, key=lambda m: (m["lead_date"], m["matched_office"], m["kind"]))


# ---- purge --------------------------------------------------------------------------------------


def _scrub(value: Any, field: str | None = None) -> Any:
    """A stored value with the lead's subjects and narrative taken out."""
    if field in CONTENT_FIELDS:
        return [] if field == "subjects" and value is not None else None
    if isinstance(value, dict):
        return {
            k: ([] if k == "subjects" else None) if k in CONTENT_FIELDS and v is not None else v
            for k, v in value.items()
        }
    return value


def purge_lead(session: Session, lead: Lead, now: datetime) -> None:
    """Remove a lead's subjects and narrative for good, from every copy; leave a stub."""
    from inspector.sync.models import Conflict, RecordVersion, RejectedChange, SyncReceipt
    from inspector.sync.service import bump, record_written

    for version_id, data in session.execute(
        sa.select(RecordVersion.id, RecordVersion.data).where(
            RecordVersion.entity == "lead", RecordVersion.record_id == lead.id
        )
    ).all():
        if data is not None and _scrub(data) != data:
            session.execute(
                sa.update(RecordVersion).where(RecordVersion.id == version_id).values(data=_scrub(data))
            )
    columns = ("base_value", "server_value", "client_value", "resolved_value")
    for conflict in session.scalars(
        sa.select(Conflict).where(Conflict.entity == "lead", Conflict.record_id == lead.id)
    ):
        for column in columns:
            value = getattr(conflict, column)
            if _scrub(value, conflict.field) != value:
                setattr(conflict, column, _scrub(value, conflict.field))
    for receipt in session.scalars(
        sa.select(SyncReceipt).where(
            SyncReceipt.entity == "lead",
            sa.or_(SyncReceipt.record_id == lead.id, SyncReceipt.merged_into == lead.id),
        )
    ):
        scrubbed = [
            {**c, **{column: _scrub(c.get(column), c.get("field")) for column in columns if column in c}}
            for c in receipt.conflicts or []
        ]
        if scrubbed != (receipt.conflicts or []):
            receipt.conflicts = scrubbed
    for rejected in session.scalars(
        sa.select(RejectedChange).where(
            RejectedChange.entity == "lead", RejectedChange.record_id == str(lead.id)
        )
    ):
        if _scrub(rejected.fields) != rejected.fields:
            rejected.fields = _scrub(rejected.fields)
    session.execute(
        sa.delete(LeadMatchKey).where(LeadMatchKey.lead_id == lead.id, LeadMatchKey.kind == "subject")
    )
    lead.subjects_count = len(lead.subjects or [])
    lead.subjects = []
    lead.narrative = None
    lead.purged_at = now
    deconflict(session, [lead.id], user_id=None, journaled_by_caller={lead.id})
    bump(lead)
    record_written(session, "lead", lead)


def purge_due(session: Session, now: datetime | None = None, *, batch: int = 100) -> int:
    """Purge every lead past its purge date not purged yet; commits each batch.

    Safe to run again, and alongside another run: a purged lead is never picked
    again, and on PostgreSQL a lead another run is purging is skipped.
    """
    now = now or utcnow()
    purged = 0
    while True:
        query = (
            sa.select(Lead)
            .where(Lead.purged_at.is_(None), Lead.purge_after <= now)
            .order_by(Lead.purge_after, Lead.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            lock_deconfliction(session)
            query = query.with_for_update(skip_locked=True)
        leads = list(session.scalars(query))
        if not leads:
            scrub_late_rejections(session)
            return purged
        for lead in leads:
            purge_lead(session, lead, now)
        session.commit()
        purged += len(leads)


def scrub_late_rejections(session: Session) -> int:
    """Changes a stale device sent to a lead after its purge are refused (record-locked),
    and kept as rejected changes: take the content out of those too."""
    from inspector.sync.models import RejectedChange

    candidates = [
        r
        for r in session.scalars(sa.select(RejectedChange).where(RejectedChange.entity == "lead"))
        if _scrub(r.fields) != r.fields
    ]
    ids: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for rejected in candidates:
        try:
            ids[uuid.UUID(str(rejected.record_id))].append(rejected)
        except ValueError:
            continue
    if not ids:
        return 0
    purged = set(
        session.scalars(sa.select(Lead.id).where(Lead.id.in_(list(ids)), Lead.purged_at.is_not(None)))
    )
    count = 0
    for lead_id in purged:
        for rejected in ids[lead_id]:
            rejected.fields = _scrub(rejected.fields)
            count += 1
    session.commit()
    return count
