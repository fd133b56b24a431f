"""Inspections brought to review the way tablets bring them: findings pushed, then submitted."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tests.factories import World
from tests.sync.device import SimDevice, change


def required_items(world: World, inspection_id: uuid.UUID) -> list[str]:
    """The required checklist items that apply to the inspection's licensee."""
    from inspector.checklists.models import ChecklistItem
    from inspector.extensions import db
    from inspector.inspections.models import Inspection
    from inspector.licensees.models import Licensee

    with world.app.app_context():
        inspection = db.session.get(Inspection, inspection_id)
        assert inspection is not None
        licensee = db.session.get(Licensee, inspection.licensee_id)
        assert licensee is not None
        items = db.session.scalars(
            sa.select(ChecklistItem)
            .where(ChecklistItem.checklist_id == inspection.checklist_id, ChecklistItem.required.is_(True))
            .order_by(ChecklistItem.position)
        )
        keys = [i.key for i in items if i.applies_to(licensee.license_type, licensee.premises_state)]
        db.session.remove()
        return keys


def findings_by_key(world: World, inspection_id: uuid.UUID) -> dict[str, Any]:
    from inspector.extensions import db
    from inspector.inspections.models import Finding

    with world.app.app_context():
        rows = db.session.scalars(sa.select(Finding).where(Finding.inspection_id == inspection_id)).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
        return {row.item_key: row for row in rows}


def stored_row(world: World, model: Any, row_id: uuid.UUID) -> Any:
    """The row as stored now, detached from the session (its attributes stay readable)."""
    from inspector.extensions import db

    with world.app.app_context():
        row = db.session.get(model, row_id)
        assert row is not None
        db.session.expunge(row)
        db.session.remove()
        return row


def inspection_row(world: World, inspection_id: uuid.UUID) -> Any:
    from inspector.inspections.models import Inspection

    return stored_row(world, Inspection, inspection_id)


def licensee_row(world: World) -> Any:
    from inspector.licensees.models import Licensee

    return stored_row(world, Licensee, world.licensee)


def submit(
    world: World,
    inspection_id: uuid.UUID | None = None,
    violations: dict[str, int] | None = None,
    tablet: SimDevice | None = None,
) -> dict[str, uuid.UUID]:
    """The investigator answers every required item (compliant, or a violation with the
    given instance count) and submits; returns the finding ids by item key."""
    inspection_id = inspection_id or world.inspection
    violations = {"form-4473-complete": 3} if violations is None else violations
    tablet = tablet or SimDevice(world, world.investigator)
    existing = findings_by_key(world, inspection_id)
    changes = []
    for key in required_items(world, inspection_id):
        fields: dict[str, Any] = {"result": "compliant", "instances": 0}
        if key in violations:
            fields = {"result": "violation", "instances": violations[key], "note": f"{key} note"}
        if key in existing:
            changes.append(change("finding", existing[key].id, "update", fields, existing[key].version))
        else:
            fields.update(inspection_id=str(inspection_id), item_key=key)
            changes.append(change("finding", uuid.uuid4(), "create", fields))
    status = inspection_row(world, inspection_id)
    version = status.version
    if status.status in ("assigned", "returned"):
        changes.append(change("inspection", inspection_id, "update", {"status": "in_progress"}, version))
        version += 1
    fields = {
        "status": "submitted",
        "recommended_outcome": "warning_letter" if violations else "no_violations",
    }
    changes.append(change("inspection", inspection_id, "update", fields, version))
    receipts = tablet.push(*changes)["receipts"]
    assert all(r["status"] in ("applied", "merged") for r in receipts), receipts
    return {key: row.id for key, row in findings_by_key(world, inspection_id).items()}
