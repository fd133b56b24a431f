"""History: every write of a synced record is a version with who, which device and which op.

Contract (sync-protocol.md, "History"): every write stores a version row (the full
record, user and device, op_id, server time), served by
``GET /api/v1/<entity>s/<id>/history``; purged lead content never shows, and admins
never see a lead's subjects or narrative.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import Persona, World
from tests.sync.helpers import another_device, assert_problem, change, push_one, record_version


def history(client: FlaskClient, entity: str, record_id: uuid.UUID | str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/{entity}s/{record_id}/history")
    assert response.status_code == 200, response.get_data(as_text=True)
    versions: list[dict[str, Any]] = response.get_json()
    return versions


def assert_version(
    entry: dict[str, Any],
    version: int,
    user: Persona | None,
    device: uuid.UUID | None,
    op_id: str | None,
) -> None:
    assert entry["version"] == version, entry
    assert entry["record"]["version"] == version, entry
    assert entry["user_id"] == (str(user.id) if user else None), entry
    assert entry["device_id"] == (str(device) if device else None), entry
    assert entry["op_id"] == op_id, entry
    assert entry["at"], entry


def second_houston_investigator(world: World) -> Persona:
    with world.app.app_context():
        from inspector.extensions import db
        from tests.factories import add_user

        persona = add_user(db.session, "ivan", "investigator", world.houston)
        db.session.commit()
        db.session.remove()
        return persona


def test_inspection_history_records_every_write(world: World) -> None:
    ines = world.investigator
    tablet = another_device(ines)
    client, tablet_client = world.client(ines), world.client(tablet)
    reviewer = world.client(world.reviewer)

    start = change("inspection", world.inspection, "update", {"status": "in_progress"}, 1)
    assert push_one(client, ines, start)["version"] == 2
    summary = change("inspection", world.inspection, "update", {"summary": "first pass"}, 2)
    assert push_one(client, ines, summary)["version"] == 3
    clash = change("inspection", world.inspection, "update", {"summary": "from the tablet"}, 2)
    receipt = push_one(tablet_client, tablet, clash)
    assert receipt["status"] == "conflict"
    assert receipt["version"] == 4
    resolved = reviewer.post(
        f"/api/v1/conflicts/{receipt['conflicts'][0]['conflict_id']}/resolve",
        json={"resolution": "take_client"},
    )
    assert resolved.status_code == 200, resolved.get_data(as_text=True)

    versions = history(client, "inspection", world.inspection)
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5]
    assert_version(versions[0], 1, None, None, None)  # seeded by the server
    assert_version(versions[1], 2, ines, ines.device_id, start["op_id"])
    assert_version(versions[2], 3, ines, ines.device_id, summary["op_id"])
    assert_version(versions[3], 4, ines, tablet.device_id, clash["op_id"])
    assert versions[4]["user_id"] == str(world.reviewer.id)
    assert versions[4]["version"] == 5
    assert versions[1]["record"]["status"] == "in_progress"
    assert versions[2]["record"]["summary"] == "first pass"
    assert versions[3]["record"]["summary"] == "first pass"
    assert versions[3]["record"]["open_conflicts"] == 1
    assert versions[4]["record"]["summary"] == "from the tablet"
    assert versions[4]["record"]["open_conflicts"] == 0
    assert all(v["deleted"] is False for v in versions)
    assert history(reviewer, "inspection", world.inspection) == versions
    assert history(world.client(world.admin), "inspection", world.inspection) == versions

    # Reassigned by an admin: a version of its own, and the history moves with the inspection.
    ivan = second_houston_investigator(world)
    response = world.client(world.admin).post(
        f"/api/v1/inspections/{world.inspection}/reassign", json={"investigator_id": str(ivan.id)}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    versions = history(world.client(ivan), "inspection", world.inspection)
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5, 6]
    assert_version(versions[5], 6, world.admin, None, None)
    assert versions[5]["record"]["investigator_id"] == str(ivan.id)
    assert versions[4]["record"]["investigator_id"] == str(ines.id)
    assert_problem(client.get(f"/api/v1/inspections/{world.inspection}/history"), 404, "not-found")
    assert len(history(reviewer, "inspection", world.inspection)) == 6


@pytest.mark.parametrize("persona", ["investigator_other", "reviewer_other"])
def test_out_of_scope_inspection_history_is_404(world: World, persona: str) -> None:
    client = world.client(world.persona(persona))
    for entity, record_id in (("inspection", world.inspection), ("finding", world.finding)):
        body = assert_problem(client.get(f"/api/v1/{entity}s/{record_id}/history"), 404, "not-found")
        unknown = assert_problem(client.get(f"/api/v1/{entity}s/{uuid.uuid4()}/history"), 404, "not-found")
        assert body["detail"] == unknown["detail"], "no way to tell hidden from missing"


def test_finding_history_from_create_to_delete(world: World) -> None:
    ines = world.investigator
    client = world.client(ines)
    finding_id = uuid.uuid4()
    create = change(
        "finding",
        finding_id,
        "create",
        {"inspection_id": str(world.inspection), "item_key": "nics-checks", "result": "compliant"},
    )
    update = change("finding", finding_id, "update", {"result": "violation", "instances": 2}, 1)
    delete = change("finding", finding_id, "delete", None, 2)
    for one in (create, update, delete):
        assert push_one(client, ines, one)["status"] == "applied"

    versions = history(client, "finding", finding_id)
    assert [v["version"] for v in versions] == [1, 2, 3]
    for entry, sent in zip(versions, (create, update, delete), strict=True):
        assert_version(entry, entry["version"], ines, ines.device_id, sent["op_id"])
    assert versions[0]["record"]["result"] == "compliant"
    assert (versions[1]["record"]["result"], versions[1]["record"]["instances"]) == ("violation", 2)
    assert [v["deleted"] for v in versions] == [False, False, True]
    assert versions[2]["record"]["deleted_at"] is not None
    assert len(history(world.client(world.reviewer), "finding", finding_id)) == 3
    for persona in ("investigator_other", "reviewer_other"):
        other = world.client(world.persona(persona))
        assert_problem(other.get(f"/api/v1/findings/{finding_id}/history"), 404, "not-found")


def test_a_replayed_change_adds_no_version(world: World) -> None:
    ines = world.investigator
    client = world.client(ines)
    note = change("finding", world.finding, "update", {"note": "once"}, 1)
    first = push_one(client, ines, note)
    again = push_one(client, ines, note)
    assert again["replayed"] is True
    assert again["version"] == first["version"] == 2
    assert [v["version"] for v in history(client, "finding", world.finding)] == [1, 2]
    assert record_version(world, "finding", world.finding) == 2


LEAD = {
    "narrative": "Buyer paid cash for three pistols and asked about serial numbers.",
    "subjects": [{"name": "J. Doe", "role": "buyer", "description": "tall"}],
    "indicators": [],
    "firearms": [{"make": "Glock", "model": "19", "serial": "ABC123", "caliber": "9mm", "type": "pistol"}],
}


def make_lead(world: World) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    ines = world.investigator
    client = world.client(ines)
    lead_id = uuid.uuid4()
    create = change("lead", lead_id, "create", dict(LEAD))
    update = change("lead", lead_id, "update", {"referral_agency": "ATF Houston"}, 1)
    sent = [create, update]
    for one in sent:
        receipt = push_one(client, ines, one)
        assert receipt["status"] == "applied", receipt
    return lead_id, sent


def test_lead_history_for_its_investigator_and_the_office(world: World) -> None:
    ines = world.investigator
    lead_id, sent = make_lead(world)
    versions = history(world.client(ines), "lead", lead_id)
    assert [v["version"] for v in versions] == [1, 2]
    for entry, one in zip(versions, sent, strict=True):
        assert_version(entry, entry["version"], ines, ines.device_id, one["op_id"])
        assert entry["record"]["narrative"] == LEAD["narrative"]
        assert entry["record"]["subjects"] == LEAD["subjects"]
    assert versions[1]["record"]["referral_agency"] == "ATF Houston"
    assert history(world.client(world.reviewer), "lead", lead_id) == versions


def test_admins_see_lead_history_redacted(world: World) -> None:
    lead_id, _ = make_lead(world)
    versions = history(world.client(world.admin), "lead", lead_id)
    assert [v["version"] for v in versions] == [1, 2]
    for entry in versions:
        assert entry["record"]["narrative"] is None
        assert entry["record"]["subjects"] == []
        assert entry["record"]["firearms"] == LEAD["firearms"]
        assert entry["user_id"] == str(world.investigator.id)
    text = world.client(world.admin).get(f"/api/v1/leads/{lead_id}/history").get_data(as_text=True)
    assert "J. Doe" not in text and "three pistols" not in text


@pytest.mark.parametrize("persona", ["investigator_other", "reviewer_other", "second_houston_investigator"])
def test_out_of_scope_lead_history_is_404(world: World, persona: str) -> None:
    lead_id, _ = make_lead(world)
    who = (
        second_houston_investigator(world)
        if persona == "second_houston_investigator"
        else world.persona(persona)
    )
    response = world.client(who).get(f"/api/v1/leads/{lead_id}/history")
    assert_problem(response, 404, "not-found")
    assert "J. Doe" not in response.get_data(as_text=True)


def test_history_of_an_unknown_record_is_404(world: World) -> None:
    client = world.client(world.investigator)
    for entity in ("inspection", "finding", "lead"):
        assert_problem(client.get(f"/api/v1/{entity}s/{uuid.uuid4()}/history"), 404, "not-found")
    assert_problem(client.get(f"/api/v1/findings/{world.finding_other}/history"), 404, "not-found")
