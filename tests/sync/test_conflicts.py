"""Conflicts end to end: two tablets of one investigator edit offline from the same base.

Contract (sync-protocol.md): a conflicting field keeps the server value, stores a
conflict record and always writes a new version; conflicts are listed for the
record's investigator and the office's reviewers; resolving writes a new version
and closes the conflict; open conflicts and missing required items block a submit;
delete-versus-edit and edit-versus-delete are conflicts on ``_deleted``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import Persona, World
from tests.sync.helpers import (
    another_device,
    assert_problem,
    assert_receipt_problem,
    change,
    current_cursor,
    pull_all,
    pulled,
    push,
    push_one,
    record_version,
)

#: every item of the default checklist is required for a type 01 dealer in Texas.
ALL_ITEMS = (
    "license-posted",
    "ad-record-timeliness",
    "ad-open-dispositions",
    "inventory-reconciliation",
    "form-4473-complete",
    "nics-checks",
    "multiple-sales-handgun",
    "multiple-sales-rifle",
    "theft-loss-reporting",
    "record-retention",
    "youth-handgun-notice",
    "secure-storage-devices",
)


@dataclass
class Tablets:
    """One investigator with two tablets."""

    world: World
    one: Persona
    two: Persona
    client_one: FlaskClient
    client_two: FlaskClient


@pytest.fixture
def tablets(world: World) -> Tablets:
    two = another_device(world.investigator)
    assert two.device_id != world.investigator.device_id and two.id == world.investigator.id
    return Tablets(world, world.investigator, two, world.client(world.investigator), world.client(two))


def make_note_conflict(t: Tablets, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Tablet one writes the note first; tablet two, from the same base, writes another note."""
    base = record_version(t.world, "finding", t.world.finding)
    first = push_one(
        t.client_one, t.one, change("finding", t.world.finding, "update", {"note": "from one"}, base)
    )
    assert first["status"] == "applied", first
    assert first["version"] == base + 1
    second = push_one(
        t.client_two,
        t.two,
        change("finding", t.world.finding, "update", {"note": "from two", **(extra or {})}, base),
    )
    return second


def conflicts_of(client: FlaskClient, status: str | None = "open") -> list[dict[str, Any]]:
    response = client.get("/api/v1/conflicts" + (f"?status={status}" if status else ""))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: list[dict[str, Any]] = response.get_json()
    return body


def resolve(client: FlaskClient, conflict_id: str, resolution: str, **value: Any) -> Any:
    return client.post(f"/api/v1/conflicts/{conflict_id}/resolve", json={"resolution": resolution, **value})


# ---- the conflict itself -------------------------------------------------------------------------


def test_two_tablets_editing_one_field_make_a_conflict(tablets: Tablets) -> None:
    t = tablets
    receipt = make_note_conflict(t, extra={"result": "not_applicable"})
    assert receipt["status"] == "conflict", receipt
    assert receipt["version"] == 3, "a conflict always writes a new version"
    [conflict] = receipt["conflicts"]
    assert set(conflict) == {"conflict_id", "field", "base_value", "server_value", "client_value"}
    assert conflict["field"] == "note"
    assert conflict["base_value"] is None
    assert conflict["server_value"] == "from one"
    assert conflict["client_value"] == "from two"
    uuid.UUID(conflict["conflict_id"])
    record = receipt["record"]
    assert record["note"] == "from one", "the server value is kept"
    assert record["result"] == "not_applicable", "the other fields of the change are written"
    assert record["open_conflicts"] == 1
    assert record["version"] == 3

    # Both tablets learn of it by pull: the record's new version, and the conflict entity.
    for client, persona in ((t.client_one, t.one), (t.client_two, t.two)):
        changes, _ = pull_all(client, persona)
        entry = pulled(changes, "finding", t.world.finding)
        assert entry is not None and entry["version"] == 3
        assert entry["record"]["open_conflicts"] == 1
        pulled_conflict = pulled(changes, "conflict", conflict["conflict_id"])
        assert pulled_conflict is not None
        assert pulled_conflict["record"]["status"] == "open"
        assert pulled_conflict["record"]["client_value"] == "from two"


def test_a_tablet_never_conflicts_with_itself(tablets: Tablets) -> None:
    t = tablets
    first = push_one(t.client_one, t.one, change("finding", t.world.finding, "update", {"note": "v2"}, 1))
    assert first["status"] == "applied"
    # Still on base 1 (its receipt for the first change not applied yet), the same tablet edits again.
    again = push_one(t.client_one, t.one, change("finding", t.world.finding, "update", {"note": "v3"}, 1))
    assert again["status"] == "applied", again
    assert again["record"]["note"] == "v3"
    assert again["conflicts"] == []


def test_the_second_tablet_sending_the_same_value_merges_without_a_version(tablets: Tablets) -> None:
    t = tablets
    push_one(t.client_one, t.one, change("finding", t.world.finding, "update", {"note": "same"}, 1))
    receipt = push_one(t.client_two, t.two, change("finding", t.world.finding, "update", {"note": "same"}, 1))
    assert receipt["status"] == "merged", receipt
    assert receipt["version"] == 2
    assert receipt["conflicts"] == []


def test_open_conflicts_are_listed_for_the_investigator_and_the_office(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    receipt = make_note_conflict(t)
    conflict_id = receipt["conflicts"][0]["conflict_id"]
    for persona in (w.investigator, w.reviewer):
        [listed] = conflicts_of(w.client(persona))
        assert listed["id"] == conflict_id
        assert listed["entity"] == "finding"
        assert listed["record_id"] == str(w.finding)
        assert listed["field"] == "note"
        assert (listed["base_value"], listed["server_value"], listed["client_value"]) == (
            None,
            "from one",
            "from two",
        )
        assert listed["status"] == "open"
        assert listed["device_id"] == str(t.two.device_id)
        assert conflicts_of(w.client(persona), "resolved") == []
    assert conflicts_of(w.client(w.reviewer_other)) == []
    assert conflicts_of(w.client(w.investigator_other)) == []
    assert_problem(w.client(w.admin).get("/api/v1/conflicts?status=open"), 403, "forbidden")


# ---- resolving -----------------------------------------------------------------------------------


@pytest.mark.parametrize("resolver", ["investigator", "reviewer"])
@pytest.mark.parametrize(
    ("resolution", "value", "expected"),
    [
        ("keep_server", {}, "from one"),
        ("take_client", {}, "from two"),
        ("custom", {"value": "both, merged by hand"}, "both, merged by hand"),
    ],
)
def test_resolving_writes_a_version_and_closes_the_conflict(
    tablets: Tablets, resolver: str, resolution: str, value: dict[str, Any], expected: str
) -> None:
    t = tablets
    w = t.world
    receipt = make_note_conflict(t)
    conflict_id = receipt["conflicts"][0]["conflict_id"]
    cursor = current_cursor(t.client_one, t.one)
    client = w.client(w.persona(resolver))

    response = resolve(client, conflict_id, resolution, **value)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "resolved"
    assert body["resolution"] == resolution
    assert body["resolved_value"] == expected
    assert body["resolved_by"] == str(w.persona(resolver).id)

    changes, _ = pull_all(t.client_one, t.one, cursor)
    entry = pulled(changes, "finding", w.finding)
    assert entry is not None
    assert entry["version"] == 4
    assert entry["record"]["note"] == expected
    assert entry["record"]["open_conflicts"] == 0
    pulled_conflict = pulled(changes, "conflict", conflict_id)
    assert pulled_conflict is not None
    assert pulled_conflict["record"]["status"] == "resolved"
    assert pulled_conflict["record"]["resolution"] == resolution

    again = resolve(client, conflict_id, "take_client")
    assert_problem(again, 409, "conflict")
    assert record_version(w, "finding", w.finding) == 4
    assert conflicts_of(client) == []
    assert [c["id"] for c in conflicts_of(client, "resolved")] == [conflict_id]


@pytest.mark.parametrize(
    ("persona", "status", "slug"),
    [
        ("reviewer_other", 404, "not-found"),
        ("investigator_other", 404, "not-found"),
        ("admin", 403, "forbidden"),
    ],
)
def test_only_the_investigator_and_the_office_resolve(
    tablets: Tablets, persona: str, status: int, slug: str
) -> None:
    t = tablets
    conflict_id = make_note_conflict(t)["conflicts"][0]["conflict_id"]
    client = t.world.client(t.world.persona(persona))
    assert_problem(resolve(client, conflict_id, "keep_server"), status, slug)
    assert record_version(t.world, "finding", t.world.finding) == 3
    assert len(conflicts_of(t.client_one)) == 1


def test_resolving_an_unknown_conflict_is_404(tablets: Tablets) -> None:
    assert_problem(resolve(tablets.client_one, str(uuid.uuid4()), "keep_server"), 404, "not-found")


@pytest.mark.parametrize(
    "body",
    [
        {"resolution": "custom", "value": 42},
        {"resolution": "custom", "value": "x" * 20001},
        {"resolution": "custom"},
        {"resolution": "keep_both"},
        {"resolution": "custom", "value": "ok", "extra": True},
    ],
)
def test_an_invalid_resolution_is_422_and_changes_nothing(tablets: Tablets, body: dict[str, Any]) -> None:
    t = tablets
    conflict_id = make_note_conflict(t)["conflicts"][0]["conflict_id"]
    response = t.client_one.post(f"/api/v1/conflicts/{conflict_id}/resolve", json=body)
    assert_problem(response, 422, "validation-error")
    assert record_version(t.world, "finding", t.world.finding) == 3
    [still_open] = conflicts_of(t.client_one)
    assert still_open["id"] == conflict_id


def test_a_custom_result_must_be_a_result(tablets: Tablets) -> None:
    t = tablets
    push_one(
        t.client_one, t.one, change("finding", t.world.finding, "update", {"result": "not_applicable"}, 1)
    )
    receipt = push_one(
        t.client_two, t.two, change("finding", t.world.finding, "update", {"result": "not_reviewed"}, 1)
    )
    [conflict] = receipt["conflicts"]
    assert conflict["field"] == "result"
    body = assert_problem(
        resolve(t.client_one, conflict["conflict_id"], "custom", value="excellent"), 422, "validation-error"
    )
    assert "value" in body["errors"]
    ok = resolve(t.client_one, conflict["conflict_id"], "custom", value="compliant")
    assert ok.status_code == 200, ok.get_data(as_text=True)


def test_taking_a_violation_needs_its_instances(tablets: Tablets) -> None:
    """A resolution cannot leave a violation counting no instances (the push rules hold too)."""
    t = tablets
    w = t.world
    push_one(t.client_one, t.one, change("finding", w.finding, "update", {"result": "not_applicable"}, 1))
    receipt = push_one(
        t.client_two,
        t.two,
        change("finding", w.finding, "update", {"result": "violation", "instances": 2}, 1),
    )
    assert receipt["status"] == "conflict"
    conflict_id = receipt["conflicts"][0]["conflict_id"]
    assert receipt["record"]["instances"] == 2
    zero = push_one(
        t.client_one,
        t.one,
        change("finding", w.finding, "update", {"instances": 0}, receipt["version"]),
    )
    assert zero["status"] == "applied", zero
    version = zero["version"]
    body = assert_problem(resolve(t.client_one, conflict_id, "take_client"), 422, "validation-error")
    assert "instances" in body["errors"]
    assert record_version(w, "finding", w.finding) == version
    assert len(conflicts_of(t.client_one)) == 1


# ---- submitting ----------------------------------------------------------------------------------


def start(t: Tablets) -> int:
    receipt = push_one(
        t.client_one,
        t.one,
        change("inspection", t.world.inspection, "update", {"status": "in_progress"}, 1),
    )
    assert receipt["status"] == "applied", receipt
    return int(receipt["version"])


def answer(t: Tablets, keys: tuple[str, ...]) -> None:
    changes = [
        change(
            "finding",
            uuid.uuid4(),
            "create",
            {"inspection_id": str(t.world.inspection), "item_key": key, "result": "compliant"},
        )
        for key in keys
    ]
    receipts = push(t.client_one, t.one, *changes)
    assert {r["status"] for r in receipts} == {"applied"}, receipts


def submit(t: Tablets) -> dict[str, Any]:
    version = record_version(t.world, "inspection", t.world.inspection)
    return push_one(
        t.client_one,
        t.one,
        change("inspection", t.world.inspection, "update", {"status": "submitted"}, version),
    )


def test_open_conflicts_and_missing_items_block_a_submit(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    start(t)
    conflict_id = make_note_conflict(t)["conflicts"][0]["conflict_id"]

    problem = assert_receipt_problem(submit(t), "validation-error")
    assert "open_conflicts" in problem["errors"], problem
    assert "ad-record-timeliness" in problem["errors"]["missing_items"]
    assert "license-posted" not in problem["errors"]["missing_items"]

    answer(t, ALL_ITEMS[1:6])
    assert resolve(t.client_one, conflict_id, "take_client").status_code == 200
    problem = assert_receipt_problem(submit(t), "validation-error")
    assert "open_conflicts" not in problem["errors"], problem
    assert problem["errors"]["missing_items"] == sorted(ALL_ITEMS[6:])

    answer(t, ALL_ITEMS[6:])
    receipt = submit(t)
    assert receipt["status"] == "applied", receipt
    assert receipt["record"]["status"] == "submitted"
    # Rejected attempts are kept for the sender.
    rejected = t.client_one.get("/api/v1/sync/rejected").get_json()
    assert len(rejected) == 2
    assert {r["problem"]["type"] for r in rejected} == {"/problems/validation-error"}
    assert all(r["id"] == str(w.inspection) for r in rejected)


def test_an_open_conflict_on_the_inspection_itself_blocks_a_submit(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    version = start(t)
    push_one(t.client_one, t.one, change("inspection", w.inspection, "update", {"summary": "one"}, version))
    receipt = push_one(
        t.client_two, t.two, change("inspection", w.inspection, "update", {"summary": "two"}, version)
    )
    assert receipt["status"] == "conflict"
    answer(t, ALL_ITEMS[1:])
    problem = assert_receipt_problem(submit(t), "validation-error")
    assert "open_conflicts" in problem["errors"]
    assert "missing_items" not in problem["errors"]


def status_conflict(t: Tablets) -> str:
    """Tablet one starts the inspection; tablet two, still on the assigned base, wants it submitted."""
    start(t)
    w = t.world
    receipts = push(
        t.client_two,
        t.two,
        change("inspection", w.inspection, "update", {"status": "in_progress"}, 1),
        change("inspection", w.inspection, "update", {"status": "submitted"}, 1),
    )
    assert receipts[0]["status"] == "merged", receipts[0]
    assert receipts[1]["status"] == "conflict", receipts[1]
    [conflict] = receipts[1]["conflicts"]
    assert (conflict["field"], conflict["server_value"], conflict["client_value"]) == (
        "status",
        "in_progress",
        "submitted",
    )
    return str(conflict["conflict_id"])


def inspection_status(t: Tablets) -> str:
    response = t.client_one.get(f"/api/v1/inspections/{t.world.inspection}")
    assert response.status_code == 200
    return str(response.get_json()["status"])


@pytest.mark.parametrize("resolver", ["investigator", "reviewer"])
def test_resolving_a_status_conflict_cannot_skip_the_submit_rules(tablets: Tablets, resolver: str) -> None:
    t = tablets
    conflict_id = status_conflict(t)
    client = t.world.client(t.world.persona(resolver))
    version = record_version(t.world, "inspection", t.world.inspection)

    body = assert_problem(resolve(client, conflict_id, "take_client"), 422, "validation-error")
    assert "missing_items" in body["errors"], body
    for status in ("approved", "assigned", "cancelled"):
        assert_problem(resolve(client, conflict_id, "custom", value=status), 422, "validation-error")
    assert inspection_status(t) == "in_progress"
    assert record_version(t.world, "inspection", t.world.inspection) == version

    answer(t, ALL_ITEMS[1:])
    response = resolve(client, conflict_id, "take_client")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert inspection_status(t) == "submitted"


# ---- deletes -------------------------------------------------------------------------------------


def test_delete_versus_edit_is_a_conflict_and_take_client_deletes(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    push_one(t.client_one, t.one, change("finding", w.finding, "update", {"note": "edited"}, 1))
    receipt = push_one(t.client_two, t.two, change("finding", w.finding, "delete", None, 1))
    assert receipt["status"] == "conflict", receipt
    [conflict] = receipt["conflicts"]
    assert conflict["field"] == "_deleted"
    assert (conflict["base_value"], conflict["server_value"], conflict["client_value"]) == (
        False,
        False,
        True,
    )
    assert receipt["record"]["deleted_at"] is None
    assert receipt["record"]["note"] == "edited"
    assert receipt["record"]["open_conflicts"] == 1
    cursor = current_cursor(t.client_one, t.one)

    response = resolve(t.client_one, conflict["conflict_id"], "take_client")
    assert response.status_code == 200, response.get_data(as_text=True)
    changes, _ = pull_all(t.client_one, t.one, cursor)
    entry = pulled(changes, "finding", w.finding)
    assert entry is not None
    assert entry["deleted"] is True
    assert entry["record"] is None
    assert entry["version"] == receipt["version"] + 1
    assert_problem(t.client_one.get(f"/api/v1/findings/{w.finding}"), 404, "not-found")


def test_delete_versus_edit_keep_server_keeps_the_record(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    push_one(t.client_one, t.one, change("finding", w.finding, "update", {"note": "edited"}, 1))
    receipt = push_one(t.client_two, t.two, change("finding", w.finding, "delete", None, 1))
    conflict_id = receipt["conflicts"][0]["conflict_id"]
    assert_problem(resolve(t.client_one, conflict_id, "custom", value=True), 422, "validation-error")
    assert resolve(t.client_one, conflict_id, "keep_server").status_code == 200
    finding = t.client_one.get(f"/api/v1/findings/{w.finding}")
    assert finding.status_code == 200
    assert finding.get_json()["note"] == "edited"
    assert finding.get_json()["version"] == receipt["version"] + 1


def test_delete_after_only_own_edits_is_applied(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    push_one(t.client_one, t.one, change("finding", w.finding, "update", {"note": "mine"}, 1))
    receipt = push_one(t.client_one, t.one, change("finding", w.finding, "delete", None, 1))
    assert receipt["status"] == "applied", receipt
    assert receipt["record"]["deleted_at"] is not None


def test_edit_versus_delete_is_a_conflict_and_take_client_revives(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    deleted = push_one(t.client_one, t.one, change("finding", w.finding, "delete", None, 1))
    assert deleted["status"] == "applied", deleted
    receipt = push_one(
        t.client_two,
        t.two,
        change("finding", w.finding, "update", {"note": "I still need this", "result": "not_applicable"}, 1),
    )
    assert receipt["status"] == "conflict", receipt
    [conflict] = receipt["conflicts"]
    assert conflict["field"] == "_deleted"
    assert conflict["server_value"] is True
    assert conflict["client_value"] == {"note": "I still need this", "result": "not_applicable"}
    assert_problem(t.client_one.get(f"/api/v1/findings/{w.finding}"), 404, "not-found")
    cursor = current_cursor(t.client_two, t.two)

    response = resolve(t.client_two, conflict["conflict_id"], "take_client")
    assert response.status_code == 200, response.get_data(as_text=True)
    changes, _ = pull_all(t.client_two, t.two, cursor)
    entry = pulled(changes, "finding", w.finding)
    assert entry is not None
    assert entry["deleted"] is False
    assert entry["record"]["note"] == "I still need this"
    assert entry["record"]["result"] == "not_applicable"
    assert entry["record"]["deleted_at"] is None
    assert entry["record"]["open_conflicts"] == 0
    assert t.client_one.get(f"/api/v1/findings/{w.finding}").status_code == 200


def test_edit_versus_delete_keep_server_stays_deleted(tablets: Tablets) -> None:
    t = tablets
    w = t.world
    push_one(t.client_one, t.one, change("finding", w.finding, "delete", None, 1))
    receipt = push_one(t.client_two, t.two, change("finding", w.finding, "update", {"note": "x"}, 1))
    conflict_id = receipt["conflicts"][0]["conflict_id"]
    assert resolve(t.client_two, conflict_id, "keep_server").status_code == 200
    assert_problem(t.client_one.get(f"/api/v1/findings/{w.finding}"), 404, "not-found")
    changes, _ = pull_all(t.client_one, t.one)
    assert pulled(changes, "finding", w.finding) is None, "a snapshot leaves tombstones out"


# ---- attachments ---------------------------------------------------------------------------------


def png(pixel: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes([0, pixel])))
        + chunk(b"IEND", b"")
    )


def upload(client: FlaskClient, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    response = client.put(f"/api/v1/blobs/{digest}", data=data, content_type="image/png")
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return digest


@pytest.mark.parametrize("uploaded_first", [True, False])
def test_taking_the_client_attachments_lists_them_with_proof(tablets: Tablets, uploaded_first: bool) -> None:
    """The device's photos win the conflict: the office can read them once the investigator holds them."""
    t = tablets
    w = t.world
    ours, theirs = png(40), png(41)
    first_digest = upload(t.client_one, ours)
    second_digest = hashlib.sha256(theirs).hexdigest()
    if uploaded_first:
        upload(t.client_two, theirs)
    push_one(t.client_one, t.one, change("finding", w.finding, "update", {"attachments": [first_digest]}, 1))
    receipt = push_one(
        t.client_two, t.two, change("finding", w.finding, "update", {"attachments": [second_digest]}, 1)
    )
    assert receipt["status"] == "conflict", receipt
    reviewer = w.client(w.reviewer)
    assert reviewer.get(f"/api/v1/blobs/{first_digest}").status_code == 200
    assert reviewer.get(f"/api/v1/blobs/{second_digest}").status_code == 404

    response = resolve(reviewer, receipt["conflicts"][0]["conflict_id"], "take_client")
    assert response.status_code == 200, response.get_data(as_text=True)
    changes, _ = pull_all(t.client_one, t.one)
    entry = pulled(changes, "finding", w.finding)
    assert entry is not None
    assert entry["record"]["attachments"] == [second_digest]
    assert entry["record"]["missing_blobs"] is (not uploaded_first)
    assert reviewer.get(f"/api/v1/blobs/{first_digest}").status_code == 404, "no longer listed"
    if not uploaded_first:
        assert reviewer.get(f"/api/v1/blobs/{second_digest}").status_code == 404
        version = entry["version"]
        upload(t.client_two, theirs)
        assert record_version(w, "finding", w.finding) == version + 1
        changes, _ = pull_all(t.client_one, t.one)
        entry = pulled(changes, "finding", w.finding)
        assert entry is not None and entry["record"]["missing_blobs"] is False
    assert reviewer.get(f"/api/v1/blobs/{second_digest}").get_data() == theirs
    assert w.client(w.reviewer_other).get(f"/api/v1/blobs/{second_digest}").status_code == 404


# ---- locked records ------------------------------------------------------------------------------


def set_inspection_status(world: World, inspection_id: uuid.UUID, status: str) -> None:
    """A server-side move (as a review would make), written straight to the database."""
    with world.app.app_context():
        from inspector.extensions import db
        from inspector.inspections.models import Inspection

        inspection = db.session.get(Inspection, inspection_id)
        assert inspection is not None
        inspection.status = status
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("status", ["submitted", "approved", "cancelled"])
def test_a_resolution_does_not_write_into_a_locked_inspection(tablets: Tablets, status: str) -> None:
    t = tablets
    conflict_id = make_note_conflict(t)["conflicts"][0]["conflict_id"]
    set_inspection_status(t.world, t.world.inspection, status)
    for resolution, value in (("take_client", {}), ("custom", {"value": "late"})):
        assert_problem(resolve(t.client_one, conflict_id, resolution, **value), 409, "record-locked")
    assert record_version(t.world, "finding", t.world.finding) == 3
    response = resolve(t.client_one, conflict_id, "keep_server")
    assert response.status_code == 200, response.get_data(as_text=True)
    finding = t.client_one.get(f"/api/v1/findings/{t.world.finding}")
    assert finding.get_json()["note"] == "from one"


def collector_inspection(world: World) -> uuid.UUID:
    """An inspection of a collector (license type 03): most checklist items are optional there."""
    with world.app.app_context():
        from inspector.extensions import db
        from tests.factories import add_inspection, add_licensee

        licensee = add_licensee(db.session, "TX", world.houston, license_type="03")
        inspection = add_inspection(db.session, licensee, world.investigator)
        db.session.commit()
        db.session.remove()
        return inspection


def test_an_open_conflict_on_a_deleted_finding_blocks_a_submit(tablets: Tablets) -> None:
    """The device wants the finding back: that open question blocks the submit (the item is optional)."""
    t = tablets
    inspection = collector_inspection(t.world)
    receipt = push_one(
        t.client_one, t.one, change("inspection", inspection, "update", {"status": "in_progress"}, 1)
    )
    assert receipt["status"] == "applied", receipt
    required = ("license-posted", "ad-record-timeliness", "theft-loss-reporting", "record-retention")
    optional = uuid.uuid4()
    receipts = push(
        t.client_one,
        t.one,
        *[
            change(
                "finding",
                uuid.uuid4(),
                "create",
                {"inspection_id": str(inspection), "item_key": key, "result": "compliant"},
            )
            for key in required
        ],
        change(
            "finding",
            optional,
            "create",
            {"inspection_id": str(inspection), "item_key": "nics-checks", "result": "compliant"},
        ),
    )
    assert {r["status"] for r in receipts} == {"applied"}, receipts
    assert (
        push_one(t.client_one, t.one, change("finding", optional, "delete", None, 1))["status"] == "applied"
    )
    edit = push_one(t.client_two, t.two, change("finding", optional, "update", {"note": "keep it"}, 1))
    assert edit["status"] == "conflict", edit

    version = record_version(t.world, "inspection", inspection)
    receipt = push_one(
        t.client_one, t.one, change("inspection", inspection, "update", {"status": "submitted"}, version)
    )
    problem = assert_receipt_problem(receipt, "validation-error")
    assert "open_conflicts" in problem["errors"]


def test_a_reassigned_inspection_takes_its_conflicts_along(tablets: Tablets) -> None:
    """Only the record's current investigator (and the office) may read or decide its conflicts."""
    t = tablets
    w = t.world
    conflict_id = make_note_conflict(t)["conflicts"][0]["conflict_id"]
    with w.app.app_context():
        from inspector.extensions import db
        from tests.factories import add_user

        ivan = add_user(db.session, "ivan", "investigator", w.houston)
        db.session.commit()
        db.session.remove()
    response = w.client(w.admin).post(
        f"/api/v1/inspections/{w.inspection}/reassign", json={"investigator_id": str(ivan.id)}
    )
    assert response.status_code == 200, response.get_data(as_text=True)

    assert conflicts_of(t.client_one) == []
    assert_problem(resolve(t.client_one, conflict_id, "custom", value="not mine any more"), 404, "not-found")
    ivan_client = w.client(ivan)
    assert [c["id"] for c in conflicts_of(ivan_client)] == [conflict_id]
    assert [c["id"] for c in conflicts_of(w.client(w.reviewer))] == [conflict_id]
    response = resolve(ivan_client, conflict_id, "keep_server")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["resolved_by"] == str(ivan.id)
