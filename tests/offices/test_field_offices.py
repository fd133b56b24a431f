"""/field-offices/<id>: rename, and the states an office covers (licensees follow their state)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from inspector.extensions import db
from inspector.inspections.models import Inspection
from inspector.licensees.models import Licensee
from inspector.sync.models import FeedEntry
from tests.auth.support import API, assert_problem, audit_rows, user_row
from tests.factories import World, add_licensee


def office(world: World, office_id: uuid.UUID) -> dict[str, Any]:
    response = world.client(world.admin).get(f"{API}/field-offices/{office_id}")
    assert response.status_code == 200, response.json
    return dict(response.json)


def patch(world: World, office_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return world.client(world.admin).patch(f"{API}/field-offices/{office_id}", json=body)


def licensee_row(world: World, licensee_id: uuid.UUID) -> dict[str, Any]:
    with world.app.app_context():
        row = (
            db.session.execute(sa.select(Licensee.__table__).where(Licensee.id == licensee_id))
            .mappings()
            .one()
        )
        feed = db.session.get(FeedEntry, ("licensee", licensee_id))
        assert feed is not None
        return {**row, "feed_office": feed.field_office_id, "feed_version": feed.version}


def add(world: World, state: str, office_id: uuid.UUID | None, **fields: Any) -> uuid.UUID:
    with world.app.app_context():
        licensee = add_licensee(db.session, state, office_id, **fields)
        db.session.commit()
        return licensee


def test_an_admin_reads_and_renames_an_office(world: World) -> None:
    assert office(world, world.houston) == {
        "id": str(world.houston),
        "name": "Houston",
        "states": ["NM", "TX"],
        "created_at": office(world, world.houston)["created_at"],
    }
    renamed = patch(world, world.houston, {"name": "Houston Field Office"})
    assert renamed.status_code == 200, renamed.json
    assert renamed.json["name"] == "Houston Field Office"
    assert_problem(patch(world, world.phoenix, {"name": "Houston Field Office"}), "conflict", 409)
    [event] = audit_rows(world.app, "office-updated")
    assert event["details"]["changes"] == {"name": ["Houston", "Houston Field Office"]}


def test_a_state_moved_to_another_office_takes_its_licensees_and_the_old_office_resyncs(world: World) -> None:
    follows = add(world, "NM", world.houston)
    overridden = add(world, "NM", world.houston, office_overridden=True)
    epochs = {
        p.id: user_row(world.app, p.id)["scope_epoch"] for p in (world.investigator, world.investigator_other)
    }

    response = patch(world, world.phoenix, {"states": ["AZ", "CA", "NM"]})
    assert response.status_code == 200, response.json
    assert response.json["states"] == ["AZ", "CA", "NM"]
    assert office(world, world.houston)["states"] == ["TX"]  # a state belongs to one office

    moved = licensee_row(world, follows)
    assert (moved["field_office_id"], moved["version"]) == (world.phoenix, 2)
    assert (moved["feed_office"], moved["feed_version"]) == (world.phoenix, 2)  # tablets of Phoenix get it
    kept = licensee_row(world, overridden)
    assert (kept["field_office_id"], kept["version"]) == (world.houston, 1)
    assert user_row(world.app, world.investigator.id)["scope_epoch"] == epochs[world.investigator.id] + 1
    assert (
        user_row(world.app, world.investigator_other.id)["scope_epoch"] == epochs[world.investigator_other.id]
    )

    directory = world.client(world.investigator_other).get(f"{API}/licensees/{follows}")
    assert directory.status_code == 200
    assert world.client(world.investigator).get(f"{API}/licensees/{follows}").status_code == 404
    [event] = audit_rows(world.app, "office-updated")
    states = event["details"]["changes"]["states"]
    assert states["added"] == ["NM"] and states["taken_from"] == {"NM": str(world.houston)}


def test_a_state_with_open_inspections_does_not_move(world: World) -> None:
    """The world's Texas licensee has an assigned inspection in Houston."""
    response = patch(world, world.phoenix, {"states": ["AZ", "CA", "TX"]})
    body = assert_problem(response, "conflict", 409)
    assert "1 in TX" in body["detail"]
    assert office(world, world.houston)["states"] == ["NM", "TX"]
    assert licensee_row(world, world.licensee)["field_office_id"] == world.houston

    with world.app.app_context():
        db.session.execute(sa.update(Inspection).values(status="approved"))
        db.session.commit()
    assert patch(world, world.phoenix, {"states": ["AZ", "CA", "TX"]}).status_code == 200
    assert licensee_row(world, world.licensee)["field_office_id"] == world.phoenix


def test_a_state_no_office_covers_leaves_its_licensees_without_one(world: World) -> None:
    in_nm = add(world, "NM", world.houston)
    response = patch(world, world.houston, {"states": ["TX"]})
    assert response.status_code == 200, response.json
    assert licensee_row(world, in_nm)["field_office_id"] is None
    assert patch(world, world.houston, {"states": ["NM", "TX"]}).status_code == 200
    assert licensee_row(world, in_nm)["field_office_id"] == world.houston


def test_states_are_checked(world: World) -> None:
    for states in (["ZZ"], ["tx"], "TX"):
        assert_problem(patch(world, world.houston, {"states": states}), "validation-error", 422)
    assert_problem(patch(world, world.houston, {"region": 5}), "validation-error", 422)
    assert office(world, world.houston)["states"] == ["NM", "TX"]


def test_offices_are_admin_only_and_unknown_ones_404(world: World) -> None:
    for persona in (world.investigator, world.reviewer):
        client = world.client(persona)
        assert_problem(client.get(f"{API}/field-offices/{world.houston}"), "forbidden", 403)
        assert_problem(
            client.patch(f"{API}/field-offices/{world.houston}", json={"name": "X"}), "forbidden", 403
        )
    admin = world.client(world.admin)
    assert_problem(admin.get(f"{API}/field-offices/{uuid.uuid4()}"), "not-found", 404)
    assert_problem(admin.patch(f"{API}/field-offices/{uuid.uuid4()}", json={"name": "X"}), "not-found", 404)
    assert office(world, world.houston)["name"] == "Houston"
