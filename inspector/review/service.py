"""A reviewer's decision on a submitted inspection: approve it, or return it to the field.

Decisions are the reviewer's alone (admins administer, investigators are reviewed:
both get 403); an inspection of another office is 404. Every write is a new version
through the sync journal, so the investigator's tablet receives the decision and the
comments at its next pull; every decision is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.audit import service as audit
from inspector.auth.service import require_role
from inspector.db import utcnow
from inspector.inspections.models import Finding, Inspection
from inspector.inspections.service import visible_inspections
from inspector.licensees.models import Licensee
from inspector.offices.models import User
from inspector.problems import Problem
from inspector.review import rules
from inspector.sync.conflicts import submission_blockers
from inspector.sync.service import bump, record_written


def reviewable(session: Session, actor: User, inspection_id: uuid.UUID) -> Inspection:
    """The submitted inspection of the reviewer's office, locked for the decision."""
    require_role(actor, "reviewer")
    inspection = session.scalar(
        visible_inspections(actor).where(Inspection.id == inspection_id).with_for_update()
    )
    if inspection is None:
        raise Problem("not-found", "No such inspection.")
    if inspection.status != "submitted":
        raise Problem(
            "conflict",
            f"Only a submitted inspection can be decided; this one is {inspection.status}.",
            inspection_status=inspection.status,
        )
    return inspection


def live_findings(session: Session, inspection: Inspection) -> list[Finding]:
    return list(
        session.scalars(
            sa.select(Finding)
            .where(Finding.inspection_id == inspection.id, Finding.deleted_at.is_(None))
            .order_by(Finding.item_key)
            .with_for_update()
        )
    )


def set_finding_comments(
    session: Session, actor: User, findings: Iterable[Finding], comments: dict[uuid.UUID, str]
) -> None:
    """Each finding gets its comment of this decision (none clears the last one)."""
    for finding in findings:
        comment = comments.get(finding.id)
        if finding.review_comment != comment:
            finding.review_comment = comment
            bump(finding)
            record_written(session, "finding", finding, user_id=actor.id)


def decide(session: Session, actor: User, inspection: Inspection, status: str, comment: str | None) -> None:
    inspection.status = status
    inspection.review_comment = comment
    inspection.reviewer_id = actor.id
    inspection.reviewed_at = utcnow()
    bump(inspection)
    record_written(session, "inspection", inspection, user_id=actor.id)


def approve(
    session: Session,
    actor: User,
    inspection_id: uuid.UUID,
    *,
    outcome: str,
    comment: str | None,
    willful_ids: list[uuid.UUID],
    address: str | None,
) -> Inspection:
    """Approve with the decided outcome: refused while conflicts are open or items unanswered."""
    inspection = reviewable(session, actor, inspection_id)
    blockers = submission_blockers(session, inspection)
    if blockers:
        every = session.execute(
            sa.select(Finding.open_conflicts).where(Finding.inspection_id == inspection.id)
        ).mappings()
        count = rules.open_conflicts(inspection.open_conflicts, [dict(f) for f in every])
        raise Problem(
            "conflict",
            f"{count} conflict(s) must be resolved before approval."
            if count
            else "Required items are not answered; return the inspection instead.",
            open_conflicts=count,
            errors=blockers,
        )
    findings = live_findings(session, inspection)
    violations = {f.id for f in findings if f.result == "violation"}
    strays = [str(i) for i in willful_ids if i not in violations]
    if strays:
        raise Problem(
            "validation-error",
            "Only violation findings of this inspection can be named willful.",
            errors={"willful_finding_ids": [f"not a violation of this inspection: {i}" for i in strays]},
        )
    errors = rules.decision_errors(outcome, len(violations), len(set(willful_ids)))
    if errors:
        raise Problem("validation-error", "The decided outcome does not fit the findings.", errors=errors)
    set_finding_comments(session, actor, findings, {})
    inspection.decided_outcome = outcome
    decide(session, actor, inspection, "approved", comment or None)
    note_last_inspection(session, actor, inspection)
    audit.record(
        session,
        "inspection-approved",
        actor=actor,
        target_type="inspection",
        target_id=inspection.id,
        address=address,
        details={
            "decided_outcome": outcome,
            "recommended_outcome": inspection.recommended_outcome,
            "violations": len(violations),
            "willful_finding_ids": sorted(str(i) for i in set(willful_ids)),
            "comment": comment or None,
        },
    )
    return inspection


def note_last_inspection(session: Session, actor: User, inspection: Inspection) -> None:
    """The licensee's last inspection (what the 12-month rule and the queue ranking read).

    The inspection's date is when the investigator completed it (else when it was
    submitted); a late approval of an older inspection never moves the date back.
    A recall inspection is the way back sooner than 12 months, so it never restarts
    them: it is not noted here (the ranking sees it among the office's inspections).
    """
    if inspection.type == "recall":
        return
    licensee = session.get(Licensee, inspection.licensee_id, with_for_update=True)
    assert licensee is not None
    stamp = inspection.completed_at or inspection.submitted_at or utcnow()
    day: date = stamp.date()
    if licensee.last_inspection_date is not None and licensee.last_inspection_date > day:
        return
    licensee.last_inspection_date = day
    licensee.last_inspection_outcome = inspection.decided_outcome
    bump(licensee)
    record_written(session, "licensee", licensee, user_id=actor.id)


def return_to_field(
    session: Session,
    actor: User,
    inspection_id: uuid.UUID,
    *,
    comment: str,
    finding_comments: list[tuple[uuid.UUID, str]],
    address: str | None,
) -> Inspection:
    """Send the inspection back to its investigator with an overall comment and, where
    useful, one per finding; earlier per-finding comments give way to this decision's."""
    inspection = reviewable(session, actor, inspection_id)
    findings = live_findings(session, inspection)
    known = {f.id for f in findings}
    comments = {finding_id: text for finding_id, text in finding_comments}
    strays = [str(i) for i in comments if i not in known]
    if strays:
        raise Problem(
            "validation-error",
            "Comments can only be made on findings of this inspection.",
            errors={"findings": [f"not a finding of this inspection: {i}" for i in strays]},
        )
    set_finding_comments(session, actor, findings, comments)
    inspection.decided_outcome = None
    decide(session, actor, inspection, "returned", comment)
    audit.record(
        session,
        "inspection-returned",
        actor=actor,
        target_type="inspection",
        target_id=inspection.id,
        address=address,
        details={"comment": comment, "findings": {str(k): v for k, v in comments.items()}},
    )
    return inspection
