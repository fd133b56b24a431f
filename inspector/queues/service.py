"""Queues: the ranked list of an office's licensees, and filling investigators' queues.

Admins fill, reorder and empty queues; reviewers read their office's ranked
list and queues (they supervise, they do not assign); investigators read their
own queue. Every inspection written here goes through the sync journal, so the
investigator's tablet receives it at its next pull.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.audit import service as audit
from inspector.auth.service import require_role
from inspector.checklists.service import current_checklist
from inspector.db import utcnow
from inspector.inspections import rules
from inspector.inspections.models import Finding, Inspection
from inspector.leads.models import Lead
from inspector.licensees.models import Licensee
from inspector.offices.models import FieldOffice, User
from inspector.offices.service import office_in_view
from inspector.problems import Problem
from inspector.queues import ranking
from inspector.sync.service import bump, record_written

#: an inspection in these states sits in its investigator's queue.
QUEUE_STATUSES = ("assigned", "in_progress", "returned")
#: an inspection in these states happened: it dates the licensee's last inspection.
DONE_STATUSES = ("submitted", "approved")
#: leads a reviewer still works on; a draft is the investigator's unfinished note.
OPEN_LEAD_STATUSES = ("submitted", "referred")
MAX_BATCH = 200


# ---- whose office ---------------------------------------------------------------------------


def investigator_of(session: Session, actor: User, investigator_id: uuid.UUID, *, lock: bool = False) -> User:
    """An investigator whose queue the caller may see: their own, their office's, or any (admin).

    ``lock``: writers of one queue take the investigator's row first, so they
    run one after the other and each renumbers the queue the last one left.
    """
    user = session.get(User, investigator_id, with_for_update=lock or None)
    visible = user is not None and user.role == "investigator"
    if visible and actor.role == "investigator":
        visible = user is not None and user.id == actor.id
    elif visible and actor.role == "reviewer":
        visible = user is not None and user.field_office_id == actor.field_office_id
    if not visible or user is None:
        raise Problem("not-found", "No such investigator.")
    return user


# ---- the ranked list ------------------------------------------------------------------------


@dataclass(frozen=True)
class Queued:
    inspection_id: uuid.UUID
    investigator_id: uuid.UUID | None
    status: str
    type: str


@dataclass(frozen=True)
class Standing:
    """What the database knows about a licensee beyond its own row."""

    last_done: date | None = None
    last_compliance: date | None = None
    last_outcome: str | None = None
    last_outcome_on: date | None = None
    violations: int = 0
    open_leads: int = 0
    queued: Queued | None = None


def _later(a: date | None, b: date | None) -> date | None:
    return b if a is None else a if b is None or a >= b else b


def standings(
    session: Session, licensee_ids: Iterable[uuid.UUID] | None, office_id: uuid.UUID
) -> dict[uuid.UUID, Standing]:
    """Last inspections, outcomes, violations, open leads and queue places, a few grouped queries.

    ``licensee_ids`` None means every licensee of the office.
    """
    ids = None if licensee_ids is None else list(licensee_ids)

    def of_licensees(column: Any) -> Any:
        if ids is None:
            return column.in_(sa.select(Licensee.id).where(Licensee.field_office_id == office_id))
        return column.in_(ids)

    state: dict[uuid.UUID, dict[str, Any]] = {}
    done_on = sa.func.coalesce(Inspection.completed_at, Inspection.submitted_at, Inspection.updated_at)
    rows = session.execute(
        sa.select(
            Inspection.licensee_id,
            Inspection.type,
            Inspection.status,
            Inspection.decided_outcome,
            done_on.label("done_on"),
        ).where(
            of_licensees(Inspection.licensee_id),
            Inspection.status.in_(DONE_STATUSES),
            Inspection.deleted_at.is_(None),
        )
    ).all()
    for row in rows:
        s = state.setdefault(row.licensee_id, {})
        on = row.done_on.date()
        s["last_done"] = _later(s.get("last_done"), on)
        if row.type == "compliance":
            s["last_compliance"] = _later(s.get("last_compliance"), on)
        if row.status == "approved" and row.decided_outcome and on >= s.get("last_outcome_on", date.min):
            s["last_outcome"], s["last_outcome_on"] = row.decided_outcome, on
    violations = session.execute(
        sa.select(Inspection.licensee_id, sa.func.count(Finding.id))
        .join(Finding, Finding.inspection_id == Inspection.id)
        .where(
            of_licensees(Inspection.licensee_id),
            Inspection.status == "approved",
            Inspection.deleted_at.is_(None),
            Finding.result == "violation",
            Finding.deleted_at.is_(None),
        )
        .group_by(Inspection.licensee_id)
    ).all()
    for licensee_id, count in violations:
        state.setdefault(licensee_id, {})["violations"] = int(count)
    leads = session.execute(
        sa.select(Lead.licensee_id, sa.func.count(Lead.id))
        .where(
            of_licensees(Lead.licensee_id),
            Lead.status.in_(OPEN_LEAD_STATUSES),
            Lead.deleted_at.is_(None),
            Lead.purged_at.is_(None),
        )
        .group_by(Lead.licensee_id)
    ).all()
    for lead_licensee, count in leads:
        if lead_licensee is not None:
            state.setdefault(lead_licensee, {})["open_leads"] = int(count)
    places = session.execute(
        sa.select(
            Inspection.licensee_id,
            Inspection.id,
            Inspection.investigator_id,
            Inspection.status,
            Inspection.type,
        )
        .where(
            of_licensees(Inspection.licensee_id),
            Inspection.status.in_(QUEUE_STATUSES),
            Inspection.deleted_at.is_(None),
        )
        .order_by(Inspection.created_at)
    ).all()
    for place in places:
        state.setdefault(place.licensee_id, {}).setdefault(
            "queued", Queued(place.id, place.investigator_id, place.status, place.type)
        )
    return {licensee_id: Standing(**values) for licensee_id, values in state.items()}


def inputs_of(licensee: Any, standing: Standing) -> tuple[ranking.RankInputs, date | None]:
    """The formula's inputs: the licensee's own record (as imported) joined with ours.

    Returns the inputs and the last inspection date (any type) for display.
    """
    recorded = licensee.last_inspection_date
    last = _later(recorded, standing.last_done)
    outcome = licensee.last_inspection_outcome
    if standing.last_outcome is not None and (
        recorded is None or standing.last_outcome_on >= recorded  # type: ignore[operator]
    ):
        outcome = standing.last_outcome
    return (
        ranking.RankInputs(
            licensee.license_type,
            licensee.premises_state,
            last,
            _later(recorded, standing.last_compliance),
            outcome,
            standing.violations,
            standing.open_leads,
        ),
        last,
    )


RANKED_COLUMNS = (
    Licensee.id,
    Licensee.license_number,
    Licensee.license_name,
    Licensee.business_name,
    Licensee.license_type,
    Licensee.premises_city,
    Licensee.premises_state,
    Licensee.last_inspection_date,
    Licensee.last_inspection_outcome,
)


def ranked_licensees(
    session: Session, actor: User, filters: dict[str, Any], today: date
) -> tuple[FieldOffice, list[dict[str, Any]]]:
    """Every licensee of one office with its score and eligibility, best first.

    The formula runs in Python (``ranking``, pure and tested); the database
    gives one narrow row per licensee and a few grouped counts. Factors are
    spelled out only for the page shown (``with_factors``).
    """
    office = office_in_view(session, actor, filters.get("field_office_id"), required=True)
    assert office is not None
    query = sa.select(*RANKED_COLUMNS).where(Licensee.field_office_id == office.id)
    if state := filters.get("state"):
        query = query.where(Licensee.premises_state == state)
    if license_type := filters.get("license_type"):
        query = query.where(Licensee.license_type == license_type)
    standing = standings(session, None, office.id)
    nothing_known = Standing()
    wanted_eligible, wanted_queued = filters.get("eligible"), filters.get("queued")
    out: list[dict[str, Any]] = []
    for row in session.execute(query):
        known = standing.get(row.id, nothing_known)
        if wanted_queued is not None and (known.queued is not None) != wanted_queued:
            continue
        inputs, last = inputs_of(row, known)
        eligible, eligible_from = ranking.eligibility(inputs, today)
        if wanted_eligible is not None and eligible != wanted_eligible:
            continue
        out.append(
            {
                "licensee": row,
                "score": ranking.score(inputs, today),
                "eligible": eligible,
                "eligible_from": eligible_from,
                "last_inspection_date": last,
                "last_outcome": inputs.last_outcome,
                "queued": known.queued,
                "inputs": inputs,
            }
        )
    out.sort(key=lambda r: ranking.order_key(r["score"], r["licensee"].license_number))
    for position, entry in enumerate(out, start=1):
        entry["position"] = position
    return office, out


def with_factors(entries: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Each factor's input and points, for the entries of one page."""
    return [{**e, "factors": ranking.factors(e["inputs"], today)} for e in entries]


# ---- queues ---------------------------------------------------------------------------------


def queue_query(investigator_id: uuid.UUID) -> sa.Select[Inspection]:
    """An investigator's open inspections in queue order (priority, highest first)."""
    return (
        sa.select(Inspection)
        .where(
            Inspection.investigator_id == investigator_id,
            Inspection.status.in_(QUEUE_STATUSES),
            Inspection.deleted_at.is_(None),
        )
        .order_by(
            Inspection.priority.desc(), Inspection.due_date.is_(None), Inspection.due_date, Inspection.id
        )
    )


def queue_of(session: Session, actor: User, investigator_id: uuid.UUID) -> sa.Select[Inspection]:
    return queue_query(investigator_of(session, actor, investigator_id).id)


def with_licensees(session: Session, inspections: list[Inspection]) -> list[dict[str, Any]]:
    """Queue entries: each inspection with a summary of its licensee (one query)."""
    ids = {i.licensee_id for i in inspections}
    licensees = (
        {
            row.id: row._asdict()
            for row in session.execute(sa.select(*RANKED_COLUMNS).where(Licensee.id.in_(ids)))
        }
        if ids
        else {}
    )
    return [{"inspection": i, "licensee": licensees.get(i.licensee_id)} for i in inspections]


def _investigator_for_write(session: Session, actor: User, investigator_id: uuid.UUID) -> User:
    require_role(actor, "admin")
    investigator = investigator_of(session, actor, investigator_id, lock=True)
    if not investigator.active:
        raise Problem(
            "validation-error",
            "The investigator's account is disabled.",
            errors={"investigator_id": ["not an active investigator"]},
        )
    return investigator


def _renumber(session: Session, actor: User, ordered: list[Inspection]) -> None:
    """Priorities n..1 down the queue; stored inspections whose priority changes get a new version."""
    moved = []
    for priority, inspection in zip(range(len(ordered), 0, -1), ordered, strict=True):
        if inspection.priority != priority:
            if inspection not in session.new:
                moved.append(inspection)
            inspection.priority = priority
    for inspection in moved:
        bump(inspection)
        record_written(session, "inspection", inspection, user_id=actor.id)


def refusals(
    licensees: dict[uuid.UUID, Licensee],
    standing: dict[uuid.UUID, Standing],
    wanted: list[uuid.UUID],
    investigator: User,
    kind: str,
    today: date,
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Why each licensee cannot be assigned (messages, and the date each early one is allowed)."""
    errors: dict[str, list[str]] = {}
    allowed_from: dict[str, str] = {}
    for licensee_id in wanted:
        key = str(licensee_id)
        licensee = licensees.get(licensee_id)
        if licensee is None:
            errors[key] = ["no such licensee"]
            continue
        if licensee.field_office_id != investigator.field_office_id:
            errors[key] = ["not in the investigator's field office"]
            continue
        known = standing.get(licensee_id, Standing())
        if known.queued is not None:
            errors[key] = [
                f"already in a queue ({known.queued.type}, {known.queued.status.replace('_', ' ')})"
            ]
            continue
        inputs, _last = inputs_of(licensee, known)
        allowed = rules.early_compliance(kind, inputs.last_compliance, today)
        if allowed is not None:
            errors[key] = [rules.early_compliance_message(allowed)]
            allowed_from[key] = allowed.isoformat()
    return errors, allowed_from


def assign(
    session: Session,
    actor: User,
    investigator_id: uuid.UUID,
    *,
    licensee_ids: list[uuid.UUID],
    due_date: date | None,
    kind: str,
    address: str | None,
) -> list[Inspection]:
    """Put licensees in an investigator's queue, all or none, at its end, in the order given.

    Each becomes an ``assigned`` inspection on the current checklist, journaled
    so the investigator's tablet pulls it; the investigator already sees the
    office's licensees and the checklist, so no scope changes.
    """
    investigator = _investigator_for_write(session, actor, investigator_id)
    wanted = list(dict.fromkeys(licensee_ids))
    # Lock the licensees so two admins cannot queue one licensee twice (PostgreSQL).
    licensees = {
        lic.id: lic
        for lic in session.scalars(sa.select(Licensee).where(Licensee.id.in_(wanted)).with_for_update())
    }
    standing = standings(session, wanted, investigator.field_office_id)  # type: ignore[arg-type]
    today = utcnow().date()
    errors, allowed_from = refusals(licensees, standing, wanted, investigator, kind, today)
    if errors:
        first = next(iter(errors.values()))[0]
        detail = (
            f"{len(errors)} of {len(wanted)} licensee(s) cannot be assigned; nothing was assigned."
            if len(wanted) > 1
            else f"The licensee cannot be assigned: {first}."
        )
        extensions: dict[str, Any] = {"errors": errors}
        if allowed_from:
            extensions["eligible_from"] = allowed_from
        raise Problem("validation-error", detail, **extensions)
    checklist = current_checklist(session)
    existing = list(session.scalars(queue_query(investigator.id).with_for_update()))
    created = []
    for licensee_id in wanted:
        inspection = Inspection(
            licensee_id=licensee_id,
            checklist_id=checklist.id,
            investigator_id=investigator.id,
            field_office_id=investigator.field_office_id,
            created_by=actor.id,
            type=kind,
            status="assigned",
            due_date=due_date,
            priority=0,
        )
        session.add(inspection)
        created.append(inspection)
    _renumber(session, actor, existing + created)
    session.flush()
    for inspection in created:
        record_written(session, "inspection", inspection, user_id=actor.id)
        audit.record(
            session,
            "inspection-assigned",
            actor=actor,
            target_type="inspection",
            target_id=inspection.id,
            address=address,
            details={
                "licensee_id": str(inspection.licensee_id),
                "investigator_id": str(investigator.id),
                "type": kind,
                "due_date": due_date.isoformat() if due_date else None,
            },
        )
    return created


def reorder(
    session: Session,
    actor: User,
    investigator_id: uuid.UUID,
    inspection_ids: list[uuid.UUID],
    address: str | None,
) -> list[Inspection]:
    """Set the queue's order: the ids must be exactly the queue's (a stale screen gets 409)."""
    investigator = _investigator_for_write(session, actor, investigator_id)
    queue = list(session.scalars(queue_query(investigator.id).with_for_update()))
    by_id = {i.id: i for i in queue}
    wanted = list(dict.fromkeys(inspection_ids))
    if len(wanted) != len(inspection_ids) or set(wanted) != set(by_id):
        raise Problem(
            "conflict",
            "The queue changed since it was read; reload it and reorder again.",
            missing=sorted(str(i) for i in set(by_id) - set(wanted)),
            unknown=sorted(str(i) for i in set(wanted) - set(by_id)),
        )
    ordered = [by_id[i] for i in wanted]
    _renumber(session, actor, ordered)
    audit.record(
        session,
        "queue-reordered",
        actor=actor,
        target_type="user",
        target_id=investigator.id,
        address=address,
        details={"inspection_ids": [str(i) for i in wanted]},
    )
    return ordered


def unassign(session: Session, actor: User, inspection_id: uuid.UUID, address: str | None) -> None:
    """Take a not-yet-started inspection out of its queue: a tombstone the tablet pulls.

    Once the investigator started (or wrote a finding), the work is theirs; the
    inspection is then reassigned or, by a reviewer's decision, cancelled.
    """
    require_role(actor, "admin")
    inspection = session.get(Inspection, inspection_id, with_for_update=True)
    if inspection is None or inspection.deleted_at is not None:
        raise Problem("not-found", "No such inspection.")
    started = session.scalar(
        sa.select(sa.func.count(Finding.id)).where(Finding.inspection_id == inspection.id)
    )
    if inspection.status != "assigned" or started:
        raise Problem(
            "conflict",
            f"The inspection is {inspection.status.replace('_', ' ')}"
            f"{' with findings' if started else ''}; only an assigned, unstarted one can be unassigned.",
        )
    inspection.deleted_at = utcnow()
    bump(inspection)
    record_written(session, "inspection", inspection, user_id=actor.id)
    audit.record(
        session,
        "inspection-unassigned",
        actor=actor,
        target_type="inspection",
        target_id=inspection.id,
        address=address,
        details={
            "licensee_id": str(inspection.licensee_id),
            "investigator_id": str(inspection.investigator_id) if inspection.investigator_id else None,
        },
    )
