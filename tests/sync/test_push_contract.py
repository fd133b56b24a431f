"""The sync contract's push and pull, receipt by receipt and error by error."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.factories import World
from tests.sync.device import SimDevice, change


def count(app: Flask, model: Any, *where: Any) -> int:
    from inspector.extensions import db

    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def record(world: World, device: SimDevice, entity: str, record_id: Any) -> dict[str, Any]:
    device.sync_down()
    return device.replica[(entity, str(record_id))]


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.fixture
def ines(world: World) -> SimDevice:
    return SimDevice(world, world.investigator)


@pytest.fixture
def ines2(world: World) -> SimDevice:
    """The same investigator's second tablet."""
    return SimDevice(world, world.investigator)


# ---- receipts ------------------------------------------------------------------------------------


def test_create_of_a_new_id_is_applied_with_version_1(world: World, ines: SimDevice) -> None:
    finding_id = uuid.uuid4()
    body = ines.push(
        change(
            "finding",
            finding_id,
            "create",
            {
                "inspection_id": str(world.inspection),
                "item_key": "nics-checks",
                "result": "violation",
                "instances": 3,
            },
        )
    )
    (receipt,) = body["receipts"]
    assert receipt["status"] == "applied" and receipt["version"] == 1 and receipt["replayed"] is False
    assert receipt["record"]["instances"] == 3 and receipt["record"]["id"] == str(finding_id)
    assert body["last_seq"] == 1


def test_update_from_the_current_version_is_applied(world: World, ines: SimDevice) -> None:
    body = ines.push(change("finding", world.finding, "update", {"note": "sign faded"}, 1))
    (receipt,) = body["receipts"]
    assert (receipt["status"], receipt["version"], receipt["record"]["note"]) == ("applied", 2, "sign faded")


def test_disjoint_edits_from_two_devices_are_merged(world: World, ines: SimDevice, ines2: SimDevice) -> None:
    ines.push(change("finding", world.finding, "update", {"note": "from tablet 1"}, 1))
    (receipt,) = ines2.push(change("finding", world.finding, "update", {"result": "not_applicable"}, 1))[
        "receipts"
    ]
    assert receipt["status"] == "merged" and receipt["version"] == 3
    assert receipt["record"]["note"] == "from tablet 1" and receipt["record"]["result"] == "not_applicable"


def test_equal_edits_merge_without_a_new_version(world: World, ines: SimDevice, ines2: SimDevice) -> None:
    ines.push(change("finding", world.finding, "update", {"note": "same"}, 1))
    (receipt,) = ines2.push(change("finding", world.finding, "update", {"note": "same"}, 1))["receipts"]
    assert receipt["status"] == "merged" and receipt["version"] == 2 and receipt["conflicts"] == []


def test_differing_edits_conflict_and_keep_both_values(
    world: World, ines: SimDevice, ines2: SimDevice
) -> None:
    from inspector.sync.models import Conflict

    ines.push(change("finding", world.finding, "update", {"note": "A", "instances": 0}, 1))
    (receipt,) = ines2.push(
        change("finding", world.finding, "update", {"note": "B", "result": "compliant"}, 1)
    )["receipts"]
    assert receipt["status"] == "conflict" and receipt["version"] == 3
    (conflict,) = receipt["conflicts"]
    assert (
        conflict["field"],
        conflict["base_value"],
        conflict["server_value"],
        conflict["client_value"],
    ) == ("note", None, "A", "B")
    assert receipt["record"]["note"] == "A" and receipt["record"]["open_conflicts"] == 1
    assert count(world.app, Conflict, Conflict.status == "open") == 1


def test_a_device_never_conflicts_with_itself(world: World, ines: SimDevice) -> None:
    """The device edits twice from the same base (its first receipt was lost): no conflict."""
    ines.push(change("finding", world.finding, "update", {"note": "first"}, 1))
    (receipt,) = ines.push(change("finding", world.finding, "update", {"note": "second"}, 1))["receipts"]
    assert receipt["status"] == "applied" and receipt["record"]["note"] == "second"


def test_rejected_changes_are_kept_with_their_reason(world: World, ines: SimDevice) -> None:
    from inspector.sync.models import RejectedChange

    (receipt,) = ines.push(change("finding", world.finding, "update", {"result": "maybe"}, 1))["receipts"]
    assert receipt["status"] == "rejected" and receipt["version"] is None and receipt["record"] is None
    assert (
        receipt["problem"]["type"] == "/problems/validation-error"
        and "result" in receipt["problem"]["errors"]
    )
    listed = ines.client.get("/api/v1/sync/rejected").json
    assert listed[0]["fields"] == {"result": "maybe"} and listed[0]["id"] == str(world.finding)
    assert count(world.app, RejectedChange) == 1


@pytest.mark.parametrize(
    "field", ["version", "created_at", "open_conflicts", "missing_blobs", "created_by", "review_comment"]
)
def test_server_owned_fields_are_rejected_whatever_their_value(
    world: World, ines: SimDevice, field: str
) -> None:
    (receipt,) = ines.push(change("finding", world.finding, "update", {field: None, "note": "x"}, 1))[
        "receipts"
    ]
    assert receipt["status"] == "rejected" and field in receipt["problem"]["errors"]
    assert record(world, ines, "finding", world.finding)["note"] is None


@pytest.mark.parametrize(
    "field", ["investigator_id", "field_office_id", "checklist_id", "decided_outcome", "reviewer_id"]
)
def test_server_owned_inspection_fields_are_rejected(world: World, ines: SimDevice, field: str) -> None:
    (receipt,) = ines.push(change("inspection", world.inspection, "update", {field: str(uuid.uuid4())}, 1))[
        "receipts"
    ]
    assert receipt["status"] == "rejected" and field in receipt["problem"]["errors"]


def test_unknown_entity_and_action_are_rejected(ines: SimDevice) -> None:
    receipts = ines.push(
        change("licensee", uuid.uuid4(), "create", {"x": 1}), change("finding", uuid.uuid4(), "upsert", {})
    )["receipts"]
    assert [r["status"] for r in receipts] == ["rejected", "rejected"]


def test_a_record_out_of_scope_is_rejected_as_not_found(world: World, ines: SimDevice) -> None:
    (receipt,) = ines.push(change("finding", world.finding_other, "update", {"note": "x"}, 1))["receipts"]
    assert receipt["status"] == "rejected" and receipt["problem"]["type"] == "/problems/not-found"


def test_a_create_of_an_existing_id_from_another_op_is_rejected(world: World, ines: SimDevice) -> None:
    (receipt,) = ines.push(
        change(
            "finding",
            world.finding,
            "create",
            {"inspection_id": str(world.inspection), "item_key": "nics-checks", "result": "compliant"},
        )
    )["receipts"]
    assert receipt["status"] == "rejected" and receipt["problem"]["type"] == "/problems/conflict"


def test_one_change_over_the_per_change_limit_is_rejected_not_the_request(
    world: World, ines: SimDevice
) -> None:
    big = "x" * (257 * 1024)
    receipts = ines.push(
        change("finding", world.finding, "update", {"note": big}, 1),
        change("finding", world.finding, "update", {"note": "small"}, 1),
    )["receipts"]
    assert receipts[0]["status"] == "rejected"
    assert receipts[0]["problem"]["type"] == "/problems/payload-too-large"
    assert receipts[1]["status"] == "applied"


def test_a_bad_change_in_the_middle_does_not_block_the_others(world: World, ines: SimDevice) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    receipts = ines.push(
        change(
            "finding",
            a,
            "create",
            {"inspection_id": str(world.inspection), "item_key": "nics-checks", "result": "compliant"},
        ),
        change(
            "finding",
            uuid.uuid4(),
            "create",
            {"inspection_id": str(world.inspection), "item_key": "no-such-item", "result": "compliant"},
        ),
        change(
            "finding",
            b,
            "create",
            {
                "inspection_id": str(world.inspection),
                "item_key": "form-4473-complete",
                "result": "violation",
                "instances": 2,
            },
        ),
    )["receipts"]
    assert [r["status"] for r in receipts] == ["applied", "rejected", "applied"]
    assert receipts[1]["problem"]["errors"]["item_key"]
    ines.sync_down()
    assert ("finding", str(a)) in ines.replica and ("finding", str(b)) in ines.replica


def test_a_violation_needs_at_least_one_instance(world: World, ines: SimDevice) -> None:
    (receipt,) = ines.push(change("finding", world.finding, "update", {"result": "violation"}, 1))["receipts"]
    assert receipt["status"] == "rejected" and "instances" in receipt["problem"]["errors"]


# ---- idempotency -------------------------------------------------------------------------------


def test_a_batch_replayed_ten_times_gives_identical_receipts_and_no_duplicates(
    world: World, ines: SimDevice
) -> None:
    from inspector.inspections.models import Finding
    from inspector.sync.models import RecordVersion, SyncReceipt

    finding_id = uuid.uuid4()
    batch = [
        change(
            "finding",
            finding_id,
            "create",
            {"inspection_id": str(world.inspection), "item_key": "nics-checks", "result": "compliant"},
            seq=1,
        ),
        change("finding", world.finding, "update", {"note": "replayed"}, 1, seq=2),
        change("finding", uuid.uuid4(), "update", {"note": "missing"}, 1, seq=3),
    ]
    first = ines.push(*[dict(c) for c in batch])
    strip = [{k: v for k, v in r.items() if k != "replayed"} for r in first["receipts"]]
    versions = count(world.app, RecordVersion)
    for _ in range(10):
        again = ines.push(*[dict(c) for c in batch])
        assert [{k: v for k, v in r.items() if k != "replayed"} for r in again["receipts"]] == strip
        assert all(r["replayed"] for r in again["receipts"])
        assert again["last_seq"] == 3
    assert count(world.app, Finding, Finding.inspection_id == world.inspection) == 2
    assert count(world.app, RecordVersion) == versions
    assert count(world.app, SyncReceipt) == 3


def test_the_same_op_id_with_another_payload_is_an_idempotency_conflict(
    world: World, ines: SimDevice
) -> None:
    op = uuid.uuid4()
    ines.push(change("finding", world.finding, "update", {"note": "one"}, 1, op_id=op))
    (receipt,) = ines.push(change("finding", world.finding, "update", {"note": "two"}, 1, op_id=op))[
        "receipts"
    ]
    assert receipt["status"] == "rejected"
    assert receipt["problem"]["type"] == "/problems/idempotency-conflict"
    assert record(world, ines, "finding", world.finding)["note"] == "one"
    assert ines.client.get("/api/v1/sync/rejected").json[0]["fields"] == {"note": "two"}


def test_a_replay_under_a_new_seq_is_still_recognised(world: World, ines: SimDevice) -> None:
    """Push skips the receipt lookup for seqs above the device's last_seq; a client that
    resends an op under a higher seq must still get the replay, not a second write."""
    from inspector.sync.models import RecordVersion

    op = uuid.uuid4()
    (first,) = ines.push(change("finding", world.finding, "update", {"note": "once"}, 1, op_id=op))[
        "receipts"
    ]
    versions = count(world.app, RecordVersion)
    resent = change(
        "finding", world.finding, "update", {"note": "once"}, 1, op_id=op, seq=ines.next_seq() + 5
    )
    other = change("finding", uuid.uuid4(), "update", {"note": "missing"}, 1, seq=resent["seq"] + 1)
    receipts = ines.push(resent, other)["receipts"]
    assert receipts[0]["replayed"] is True and receipts[0]["version"] == first["version"]
    assert receipts[1]["status"] == "rejected"
    assert count(world.app, RecordVersion) == versions
    assert record(world, ines, "finding", world.finding)["note"] == "once"


# ---- natural keys, deletes, locks ----------------------------------------------------------


def test_a_second_create_of_the_same_item_merges_into_the_first(
    world: World, ines: SimDevice, ines2: SimDevice
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    fields = {
        "inspection_id": str(world.inspection),
        "item_key": "nics-checks",
        "result": "violation",
        "instances": 2,
    }
    ines.push(change("finding", first, "create", fields))
    (receipt,) = ines2.push(change("finding", second, "create", {**fields, "instances": 5}))["receipts"]
    assert (
        receipt["status"] == "conflict"
        and receipt["merged_into"] == str(first)
        and receipt["id"] == str(first)
    )
    assert [c["field"] for c in receipt["conflicts"]] == ["instances"]
    (same,) = ines2.push(change("finding", uuid.uuid4(), "create", fields))["receipts"]
    assert same["status"] == "merged" and same["merged_into"] == str(first)


def test_delete_is_a_tombstone_that_pull_delivers(world: World, ines: SimDevice, ines2: SimDevice) -> None:
    ines2.sync_down()
    (receipt,) = ines.push(change("finding", world.finding, "delete", None, 1))["receipts"]
    assert receipt["status"] == "applied" and receipt["version"] == 2
    delivered = ines2.sync_down()
    assert {
        "entity": "finding",
        "id": str(world.finding),
        "version": 2,
        "deleted": True,
        "record": None,
    } in delivered
    (again,) = ines.push(change("finding", world.finding, "delete", None, 2))["receipts"]
    assert again["status"] == "applied"
    fresh = SimDevice(world, world.investigator)
    fresh.sync_down()
    assert ("finding", str(world.finding)) not in fresh.replica


def test_delete_versus_edit_is_a_conflict(world: World, ines: SimDevice, ines2: SimDevice) -> None:
    ines.push(change("finding", world.finding, "update", {"note": "kept"}, 1))
    (receipt,) = ines2.push(change("finding", world.finding, "delete", None, 1))["receipts"]
    assert receipt["status"] == "conflict" and receipt["conflicts"][0]["field"] == "_deleted"
    assert record(world, ines, "finding", world.finding)["note"] == "kept"


def test_edit_versus_delete_is_a_conflict(world: World, ines: SimDevice, ines2: SimDevice) -> None:
    ines.push(change("finding", world.finding, "delete", None, 1))
    (receipt,) = ines2.push(change("finding", world.finding, "update", {"note": "late"}, 1))["receipts"]
    assert receipt["status"] == "conflict"
    (conflict,) = receipt["conflicts"]
    assert conflict["field"] == "_deleted" and conflict["client_value"] == {"note": "late"}


def test_edits_to_an_approved_inspection_are_rejected_and_kept(world: World, ines: SimDevice) -> None:
    from inspector.extensions import db
    from inspector.inspections.models import Inspection
    from inspector.sync.models import RejectedChange

    with world.app.app_context():
        db.session.get(Inspection, world.inspection).status = "approved"  # type: ignore[union-attr]
        db.session.commit()
    receipts = ines.push(
        change("inspection", world.inspection, "update", {"summary": "late"}, 1),
        change("finding", world.finding, "update", {"note": "late"}, 1),
    )["receipts"]
    assert [r["problem"]["type"] for r in receipts] == ["/problems/record-locked"] * 2
    assert count(world.app, RejectedChange) == 2


def test_status_moves_a_device_may_not_make_are_rejected(world: World, ines: SimDevice) -> None:
    (receipt,) = ines.push(change("inspection", world.inspection, "update", {"status": "approved"}, 1))[
        "receipts"
    ]
    assert receipt["status"] == "rejected" and "status" in receipt["problem"]["errors"]


def test_submit_with_missing_required_items_is_rejected_with_the_list(world: World, ines: SimDevice) -> None:
    receipts = ines.push(
        change("inspection", world.inspection, "update", {"status": "in_progress"}, 1),
        change("inspection", world.inspection, "update", {"status": "submitted"}, 2),
    )["receipts"]
    assert receipts[0]["status"] == "applied" and receipts[1]["status"] == "rejected"
    missing = receipts[1]["problem"]["errors"]["missing_items"]
    assert "nics-checks" in missing and "license-posted" not in missing


# ---- whole-request errors ------------------------------------------------------------------


def _post(device: SimDevice, body: Any, **kwargs: Any) -> Any:
    return device.client.post("/api/v1/sync/push", json=body, **kwargs)


def envelope(device: SimDevice, *changes: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"device_id": str(device.device_id), "schema_version": 1, "changes": list(changes), **overrides}


def test_whole_request_errors_apply_nothing(world: World, ines: SimDevice) -> None:
    from inspector.sync.models import SyncReceipt

    good = change("finding", world.finding, "update", {"note": "x"}, 1, seq=1)
    assert_problem(
        ines.client.post("/api/v1/sync/push", data="{nope", content_type="application/json"),
        400,
        "malformed-json",
    )
    assert_problem(
        ines.client.post("/api/v1/sync/push", data="x", content_type="text/plain"),
        415,
        "unsupported-media-type",
    )
    assert_problem(
        world.app.test_client().post("/api/v1/sync/push", json=envelope(ines, good)), 401, "unauthorized"
    )
    other = envelope(ines, good, device_id=str(uuid.uuid4()))
    assert_problem(_post(ines, other), 403, "device-mismatch")
    assert_problem(_post(ines, envelope(ines, good, schema_version=99)), 426, "client-outdated")
    missing = {"schema_version": 1, "changes": [good]}
    assert "device_id" in assert_problem(_post(ines, missing), 422, "validation-error")["errors"]
    too_many = envelope(ines, *[change("finding", world.finding, "update", {}, 1, seq=i) for i in range(501)])
    assert_problem(_post(ines, too_many), 422, "validation-error")
    descending = envelope(
        ines,
        change("finding", world.finding, "update", {}, 1, seq=5),
        change("finding", world.finding, "update", {}, 1, seq=4),
    )
    assert_problem(_post(ines, descending), 422, "validation-error")
    assert count(world.app, SyncReceipt) == 0


def test_a_body_over_the_limit_is_413(session_app: Flask, world: World, ines: SimDevice) -> None:
    limit = session_app.config["MAX_CONTENT_LENGTH"]
    body = envelope(ines, change("finding", world.finding, "update", {"note": "x" * limit}, 1))
    assert_problem(_post(ines, body), 413, "payload-too-large")


def test_a_token_without_a_device_cannot_sync(world: World) -> None:
    client = world.client(world.investigator, device=False)
    body = {"device_id": str(uuid.uuid4()), "schema_version": 1, "changes": []}
    assert_problem(client.post("/api/v1/sync/push", json=body), 403, "device-mismatch")


# ---- pull --------------------------------------------------------------------------------------


def test_pull_pages_without_gaps_and_an_empty_page_keeps_the_cursor(world: World, ines: SimDevice) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = ines.pull_page(cursor, limit=1)
        seen += [c["id"] for c in page["changes"]]
        if not page["has_more"]:
            break
        cursor = page["cursor"]
    assert len(seen) == len(set(seen)) >= 4  # checklist, licensee, inspection, finding
    last = ines.pull_page(page["cursor"])
    assert last["changes"] == [] and last["cursor"] == page["cursor"]


def test_pull_includes_the_devices_own_writes_once_per_record(world: World, ines: SimDevice) -> None:
    ines.sync_down()
    for n in range(3):
        ines.push(change("finding", world.finding, "update", {"note": f"v{n}"}, n + 1))
    changes = ines.sync_down()
    assert [(c["entity"], c["version"]) for c in changes] == [("finding", 4)]


def test_a_malformed_or_foreign_cursor_answers_resync(world: World, ines: SimDevice) -> None:
    assert ines.pull_page("garbage")["resync"] is True
    other = SimDevice(world, world.investigator_other)
    other.sync_down()
    assert ines.pull_page(other.cursor)["resync"] is True


def test_pull_checks_schema_version_and_device(world: World, ines: SimDevice) -> None:
    base = "/api/v1/sync/pull?schema_version={v}&device_id={d}"
    assert_problem(ines.client.get(base.format(v=7, d=ines.device_id)), 426, "client-outdated")
    assert_problem(ines.client.get(base.format(v=1, d=uuid.uuid4())), 403, "device-mismatch")


def test_each_user_receives_exactly_what_they_may_see(world: World) -> None:
    views = {}
    for name in ("investigator", "investigator_other", "reviewer", "reviewer_other", "admin"):
        device = SimDevice(world, world.persona(name))
        device.sync_down()
        views[name] = {k for k in device.replica if k[0] in ("inspection", "finding")}
    mine = {("inspection", str(world.inspection)), ("finding", str(world.finding))}
    theirs = {("inspection", str(world.inspection_other)), ("finding", str(world.finding_other))}
    assert views["investigator"] == mine and views["reviewer"] == mine
    assert views["investigator_other"] == theirs and views["reviewer_other"] == theirs
    assert views["admin"] == mine | theirs


def test_after_reassignment_both_investigators_resync_to_exactly_their_scope(world: World) -> None:
    from inspector.extensions import db
    from tests.factories import add_user

    with world.app.app_context():
        newcomer = add_user(db.session, "nina", "investigator", world.houston)
        db.session.commit()
    old, new = SimDevice(world, world.investigator), SimDevice(world, newcomer)
    old.sync_down()
    new.sync_down()
    assert ("inspection", str(world.inspection)) in old.replica
    admin = world.client(world.admin)
    response = admin.post(
        f"/api/v1/inspections/{world.inspection}/reassign", json={"investigator_id": str(newcomer.id)}
    )
    assert response.status_code == 200, response.json
    for device in (old, new):
        assert device.pull_page(device.cursor)["resync"] is True
        device.sync_down()
    scoped = {("inspection", str(world.inspection)), ("finding", str(world.finding))}
    assert not scoped & set(old.replica)
    assert scoped <= set(new.replica)
    (receipt,) = old.push(change("finding", world.finding, "update", {"note": "too late"}, 1))["receipts"]
    assert receipt["status"] == "rejected"
