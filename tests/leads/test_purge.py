"""Purging a lead: subjects and narrative leave every copy (record, history, conflicts,
rejected changes, receipts, match keys); a stub with counts stays; devices receive it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.factories import World
from tests.leads.helpers import device, firearm, lead_row, push_lead, update_lead
from tests.sync.device import SimDevice, change

NAME = "Bartholomew Xylophone"
NARRATIVE = "Straw purchases coordinated at the gun show zqzq."
LATE_TEXT = "Edited on the second tablet zqzq2"
DELETED_EDIT = "edit after delete zqzq3"
REJECTED_TEXT = "rejected narrative zqzq4"
SECRETS = ("Bartholomew", "Xylophone", "bartholomew", "zqzq")


def make_due(world: World, *lead_ids: uuid.UUID) -> None:
    from inspector.db import utcnow
    from inspector.extensions import db
    from inspector.leads.models import Lead

    with world.app.app_context():
        db.session.execute(
            sa.update(Lead).where(Lead.id.in_(lead_ids)).values(purge_after=utcnow() - timedelta(days=1))
        )
        db.session.commit()


def all_text(app: Flask) -> str:
    """Every row of every table, as text (the SQL check over the whole database)."""
    from inspector.extensions import db

    parts: list[str] = []
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def purge(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["purge-leads"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def busy_lead(world: World) -> tuple[uuid.UUID, uuid.UUID, SimDevice]:
    """A lead with history, a field conflict, a rejected change; and a deleted one edited later."""
    tablet = device(world, world.investigator)
    phone = device(world, world.investigator)
    lead = push_lead(
        tablet,
        subjects=[{"name": NAME, "role": "buyer", "description": "tall"}],
        narrative=NARRATIVE,
        firearms=[firearm("PUR-1")],
    )
    assert update_lead(tablet, lead, 1, narrative=NARRATIVE + " more")["status"] == "applied"
    conflict = update_lead(phone, lead, 1, narrative=LATE_TEXT, subjects=[{"name": NAME + " Jr"}])
    assert conflict["status"] == "conflict", conflict
    rejected = update_lead(tablet, lead, 2, narrative=REJECTED_TEXT, indicators=["not-an-indicator"])
    assert rejected["status"] == "rejected", rejected
    # a second lead: deleted on one tablet, edited on the other (a _deleted conflict with the edit)
    gone = push_lead(tablet, subjects=[{"name": NAME}], narrative=NARRATIVE)
    [deleted] = tablet.push(change("lead", gone, "delete", None, 1))["receipts"]
    assert deleted["status"] == "applied", deleted
    late = update_lead(phone, gone, 1, narrative=DELETED_EDIT)
    assert late["status"] == "conflict", late
    return lead, gone, tablet


def test_purge_removes_content_from_every_table(world: World) -> None:
    lead, gone, tablet = busy_lead(world)
    partner = push_lead(device(world, world.investigator_other), firearms=[firearm("pur 1")])
    keep = push_lead(tablet, subjects=[{"name": "Not Yet Due"}], narrative="not yet due text")
    assert lead_row(world, partner).match_count == 1
    before = all_text(world.app)
    assert "zqzq" in before and "Bartholomew" in before
    tablet.sync_down()
    assert tablet.replica[("lead", str(lead))]["narrative"].startswith("Straw")
    version = lead_row(world, lead).version

    make_due(world, lead, gone)
    assert purge(world.app).strip() == "Purged 2 leads."

    text = all_text(world.app)
    for secret in SECRETS:
        assert secret not in text, secret
    # the lead not yet due keeps everything
    assert "Not Yet Due" in text and "not yet due text" in text
    stub = lead_row(world, lead)
    assert stub.purged_at is not None
    assert stub.subjects == [] and stub.narrative is None and stub.subjects_count == 1
    assert stub.firearms == [firearm("PUR-1")]
    assert stub.version == version + 1
    # firearms stay, and so does the serial match
    assert lead_row(world, partner).match_count == 1
    assert lead_row(world, keep).purged_at is None

    # the device receives the purge by pull
    tablet.sync_down()
    record = tablet.replica[("lead", str(lead))]
    assert record["narrative"] is None and record["subjects"] == []
    assert record["purged_at"] is not None and record["subjects_count"] == 1
    # history keeps its versions, without the content
    history = world.client(world.investigator).get(f"/api/v1/leads/{lead}/history").json
    assert len(history) == version + 1
    assert all(v["record"]["narrative"] is None and v["record"]["subjects"] == [] for v in history)

    # a stale device's edit of the purged lead is refused, and its content does not stay
    stale = device(world, world.investigator)
    late = update_lead(stale, lead, 1, narrative="stale tablet text zqzq5")
    assert late["status"] == "rejected" and late["problem"]["type"] == "/problems/record-locked"
    assert "zqzq5" in all_text(world.app)
    assert purge(world.app).strip() == "Purged 0 leads."
    assert "zqzq" not in all_text(world.app)

    # running again changes nothing
    text = all_text(world.app)
    assert purge(world.app).strip() == "Purged 0 leads."
    assert all_text(world.app) == text


def test_purge_leaves_no_subject_match_keys(world: World) -> None:
    from inspector.extensions import db
    from inspector.leads.models import LeadMatchKey

    lead = push_lead(device(world, world.investigator), subjects=[{"name": NAME}], firearms=[firearm("K-1")])
    partner = push_lead(device(world, world.investigator_other), subjects=[{"name": NAME}])
    assert lead_row(world, partner).match_count == 1
    make_due(world, lead)
    purge(world.app)
    with world.app.app_context():
        kinds = sorted(db.session.scalars(sa.select(LeadMatchKey.kind).where(LeadMatchKey.lead_id == lead)))
    assert kinds == ["serial"]
    # the subject match went with the subject keys; the partner's device learns it by pull
    assert lead_row(world, partner).match_count == 0
    phoenix = device(world, world.investigator_other)
    phoenix.sync_down()
    assert phoenix.replica[("lead", str(partner))]["match_count"] == 0


def test_nothing_due_nothing_purged(world: World) -> None:
    lead = push_lead(device(world, world.investigator), subjects=[{"name": NAME}], narrative=NARRATIVE)
    before = lead_row(world, lead)
    assert purge(world.app).strip() == "Purged 0 leads."
    after = lead_row(world, lead)
    assert after.version == before.version and after.narrative == NARRATIVE and after.purged_at is None


def test_a_purged_lead_cannot_be_extended(world: World) -> None:
    from tests.assertions import assert_problem

    lead = push_lead(device(world, world.investigator))
    make_due(world, lead)
    purge(world.app)
    response = world.client(world.reviewer).post(
        f"/api/v1/leads/{lead}/extend", json={"purge_after": "2031-01-01T00:00:00Z", "reason": "too late"}
    )
    assert_problem(response, 409, "record-locked")


def _scrub_examples() -> list[tuple[Any, str | None, Any]]:
    return [
        ("text", "narrative", None),
        ([{"name": "x"}], "subjects", []),
        (None, "subjects", None),
        ({"narrative": "t", "status": "draft"}, "_deleted", {"narrative": None, "status": "draft"}),
        (True, "_deleted", True),
        (["multiple-sales"], "indicators", ["multiple-sales"]),
    ]


def test_scrub() -> None:
    from inspector.leads.service import _scrub

    for value, field, expected in _scrub_examples():
        assert _scrub(value, field) == expected
