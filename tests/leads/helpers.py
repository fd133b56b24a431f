"""Leads made the way devices make them: pushed through sync."""

from __future__ import annotations

import uuid
from typing import Any

from tests.factories import Persona, World
from tests.sync.device import SimDevice, change


def lead_fields(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "indicators": ["multiple-sales"],
        "narrative": "Narrative text.",
        "firearms": [],
        "subjects": [],
        "status": "draft",
        "attachments": [],
    }
    base.update(fields)
    return base


def firearm(serial: str, make: str | None = "Glock", **extra: Any) -> dict[str, Any]:
    return {"make": make, "model": "19", "serial": serial, "caliber": "9mm", "type": "pistol", **extra}


def push_lead(device: SimDevice, **fields: Any) -> uuid.UUID:
    """Create a lead from the device; returns its id."""
    lead_id = uuid.uuid4()
    [receipt] = device.push(change("lead", lead_id, "create", lead_fields(**fields)))["receipts"]
    assert receipt["status"] == "applied", receipt
    return lead_id


def update_lead(device: SimDevice, lead_id: uuid.UUID, base_version: int, **fields: Any) -> dict[str, Any]:
    [receipt] = device.push(change("lead", lead_id, "update", fields, base_version))["receipts"]
    return receipt  # type: ignore[no-any-return]


def submitted_lead(device: SimDevice, **fields: Any) -> uuid.UUID:
    return push_lead(device, **{"status": "submitted", **fields})


def lead_row(world: World, lead_id: uuid.UUID) -> Any:
    from inspector.extensions import db
    from inspector.leads.models import Lead

    with world.app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead is not None
        db.session.expunge(lead)
        return lead


def device(world: World, persona: Persona) -> SimDevice:
    return SimDevice(world, persona)
