"""/licensee-imports: dry runs and all-or-nothing applies of ATF's listing, in the background."""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from inspector.extensions import db
from inspector.licensees import imports
from inspector.licensees.models import Licensee, LicenseeImport
from inspector.offices.models import User
from inspector.sync.models import FeedEntry, RecordVersion
from tests.assertions import assert_problem
from tests.factories import World
from tests.licensees.listing_files import listing, listing_row, multipart

API = "/api/v1/licensee-imports"


_CLIENTS: dict[uuid.UUID, Any] = {}


def admin_client(world: World) -> Any:
    """One admin session per test: on SQLite a login must not race the apply for the write lock."""
    key = world.admin.id
    if key not in _CLIENTS:
        _CLIENTS.clear()
        _CLIENTS[key] = world.client(world.admin)
    return _CLIENTS[key]


def post(
    world: World, data: bytes, *, dry_run: bool | None = None, filename: str = "listing.txt"
) -> TestResponse:
    body, content_type = multipart(data, dry_run=dry_run, filename=filename)
    return admin_client(world).post(API, data=body, content_type=content_type)


def finished(world: World, response: TestResponse, timeout: float = 60) -> dict[str, Any]:
    """Poll the import's Location until the worker is done or failed."""
    assert response.status_code == 202, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.endswith(f"{API}/{response.json['id']}")
    client = admin_client(world)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(location).json
        if body["status"] in {"done", "failed"}:
            return dict(body)
        time.sleep(0.05)
    raise AssertionError(f"import still {body['status']} after {timeout} s")


def run(world: World, data: bytes, *, dry_run: bool) -> dict[str, Any]:
    return finished(world, post(world, data, dry_run=dry_run))


def licensees(app: Flask) -> dict[str, dict[str, Any]]:
    """Every stored licensee by sequence."""
    with app.app_context():
        rows = db.session.execute(sa.select(Licensee.__table__)).mappings().all()
        return {r["sequence"]: dict(r) for r in rows}


def sequence_of(world: World, licensee_id: uuid.UUID) -> str:
    with world.app.app_context():
        licensee = db.session.get(Licensee, licensee_id)
        assert licensee is not None
        return licensee.sequence


def test_a_dry_run_counts_and_changes_nothing(world: World) -> None:
    existing = sequence_of(world, world.licensee)
    before = licensees(world.app)
    data = listing(listing_row(1), listing_row(2), listing_row(existing, LIC_XPRDTE="8B"))
    response = post(world, data)  # dry_run defaults to true
    assert response.json["status"] in {"pending", "running", "done"}
    assert response.json["total_rows"] == 3
    body = finished(world, response)
    assert body["dry_run"] is True
    assert body["status"] == "done"
    assert (body["processed_rows"], body["added"], body["updated"], body["unchanged"], body["rejected"]) == (
        3,
        2,
        1,
        0,
        0,
    )
    assert body["errors"] == [] and body["failure"] is None
    assert body["finished_at"] is not None
    assert licensees(world.app) == before


def test_an_apply_adds_updates_and_leaves_unchanged_rows_alone(world: World) -> None:
    first = run(world, listing(listing_row(1), listing_row(2)), dry_run=False)
    assert (first["status"], first["added"], first["updated"]) == ("done", 2, 0)
    stored = licensees(world.app)
    one, two = stored["00001"], stored["00002"]
    assert one["license_number"] == "5-74-201-01-7F-00001"
    assert one["premises_zip"] == "78701" and one["phone"] == "5125550100"
    assert one["field_office_id"] == world.houston  # TX belongs to Houston

    renewed = listing_row(1, LIC_XPRDTE="8A", PREMISE_CITY="Round Rock")
    second = run(world, listing(renewed, listing_row(2)), dry_run=False)
    assert (second["added"], second["updated"], second["unchanged"], second["rejected"]) == (0, 1, 1, 0)
    after = licensees(world.app)
    assert after["00001"]["id"] == one["id"]  # a renewal updates the same licensee
    assert after["00001"]["license_number"] == "5-74-201-01-7F-00001".replace("7F", "8A")
    assert after["00001"]["premises_city"] == "Round Rock"
    assert after["00001"]["version"] == 2
    assert after["00002"] == two  # unchanged: not even a new version


def test_applied_changes_reach_the_office_tablets_through_the_feed(world: World) -> None:
    run(world, listing(listing_row(1)), dry_run=False)
    run(world, listing(listing_row(1, LIC_XPRDTE="8A")), dry_run=False)
    licensee_id = licensees(world.app)["00001"]["id"]
    with world.app.app_context():
        versions = db.session.scalars(
            sa.select(RecordVersion)
            .where(RecordVersion.record_id == licensee_id)
            .order_by(RecordVersion.version)
        ).all()
        assert [(v.version, v.data["license_number"], v.user_id) for v in versions] == [
            (1, "5-74-201-01-7F-00001", world.admin.id),
            (2, "5-74-201-01-8A-00001", world.admin.id),
        ]
        feed = db.session.get(FeedEntry, ("licensee", licensee_id))
        assert feed is not None
        assert (feed.version, feed.audience, feed.field_office_id) == (2, "office", world.houston)
    pulled = world.client(world.investigator).get(
        "/api/v1/sync/pull",
        query_string={"device_id": str(world.investigator.device_id), "schema_version": 1, "limit": 500},
    )
    assert pulled.status_code == 200, pulled.json
    records = {c["id"]: c for c in pulled.json["changes"] if c["entity"] == "licensee"}
    assert records[str(licensee_id)]["record"]["license_number"] == "5-74-201-01-8A-00001"
    other = world.client(world.investigator_other).get(
        "/api/v1/sync/pull",
        query_string={"device_id": str(world.investigator_other.device_id), "schema_version": 1},
    )
    assert str(licensee_id) not in {c["id"] for c in other.json["changes"]}


def test_offices_follow_the_premises_state_unless_overridden(world: World) -> None:
    overridden = sequence_of(world, world.licensee)
    with world.app.app_context():
        db.session.execute(
            sa.update(Licensee).where(Licensee.id == world.licensee).values(office_overridden=True)
        )
        db.session.commit()
    data = listing(
        listing_row(1, PREMISE_STATE="AZ", LIC_REGN="9"),
        listing_row(2, PREMISE_STATE="WY"),  # a state no office covers: stored, no office
        listing_row(overridden, PREMISE_STATE="NM"),
    )
    body = run(world, data, dry_run=False)
    assert body["status"] == "done", body
    stored = licensees(world.app)
    assert stored["00001"]["field_office_id"] == world.phoenix
    assert stored["00002"]["field_office_id"] is None
    assert stored[overridden]["field_office_id"] == world.houston
    assert stored[overridden]["premises_state"] == "NM"


def test_a_licensee_moving_to_another_office_makes_its_old_office_resync(world: World) -> None:
    moved = sequence_of(world, world.licensee)
    epochs_before = scope_epochs(world.app)
    body = run(world, listing(listing_row(moved, PREMISE_STATE="AZ")), dry_run=False)
    assert body["updated"] == 1
    assert licensees(world.app)[moved]["field_office_id"] == world.phoenix
    epochs = scope_epochs(world.app)
    for persona in (world.investigator, world.reviewer):
        assert epochs[persona.id] == epochs_before[persona.id] + 1
    for persona in (world.investigator_other, world.reviewer_other, world.admin):
        assert epochs[persona.id] == epochs_before[persona.id]


def scope_epochs(app: Flask) -> dict[uuid.UUID, int]:
    with app.app_context():
        return {row.id: row.scope_epoch for row in db.session.execute(sa.select(User.id, User.scope_epoch))}


BAD_ROWS = {
    "bad-license-number": (listing_row(3, LIC_REGN="2"), "region 2 does not exist"),
    "unknown-state": (listing_row(3, PREMISE_STATE="ZZ"), "PREMISE_STATE 'ZZ' is not a US state"),
    "missing-field": (
        "\t".join(listing_row(3).values()).rsplit("\t", 3)[0],
        "expected 17 tab-delimited fields, found 14",
    ),
    "wrong-delimiter": ("|".join(listing_row(3).values()), "it looks pipe delimited"),
    "duplicate": (
        listing_row(1, LIC_XPRDTE="9C"),
        "the same licensee (region 5, district 74, sequence 00001) is on line 2",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_one_bad_row_fails_the_apply_and_nothing_is_applied(world: World, kind: str) -> None:
    existing = sequence_of(world, world.licensee)
    before = licensees(world.app)
    bad, reason = BAD_ROWS[kind]
    data = listing(listing_row(1), listing_row(existing, LIC_XPRDTE="8B"), bad, listing_row(4))
    dry = run(world, data, dry_run=True)
    assert dry["status"] == "done"
    assert dry["rejected"] == 1
    [error] = dry["errors"]
    assert error["line"] == 4 and reason in error["reason"]

    applied = run(world, data, dry_run=False)
    assert applied["status"] == "failed"
    assert applied["rejected"] == 1 and applied["errors"] == dry["errors"]
    assert "nothing was applied" in applied["failure"]
    assert licensees(world.app) == before  # neither the additions nor the renewal


def test_rejected_rows_are_listed_with_their_line_numbers_across_chunks(
    world: World, monkeypatch: Any
) -> None:
    monkeypatch.setattr(imports, "CHUNK_ROWS", 7)
    rows: list[dict[str, str] | str] = [listing_row(n) for n in range(1, 41)]
    for index in (4, 17, 33):
        rows[index] = listing_row(index + 1, LIC_TYPE="04")
    body = run(world, listing(*rows), dry_run=True)
    assert [e["line"] for e in body["errors"]] == [6, 19, 35]
    assert (body["processed_rows"], body["added"], body["rejected"]) == (40, 37, 3)


def test_the_error_list_is_capped_but_the_count_is_not(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(imports, "ERROR_LIMIT", 5)
    body = run(world, listing(*[listing_row(n, PREMISE_STATE="ZZ") for n in range(1, 13)]), dry_run=True)
    assert body["rejected"] == 12
    assert [e["line"] for e in body["errors"]] == [2, 3, 4, 5, 6]


@pytest.mark.parametrize("delimiter", ["\t", "|"])
def test_tab_and_pipe_files_import_alike(world: World, delimiter: str) -> None:
    body = run(world, listing(listing_row(1), listing_row(2), delimiter=delimiter), dry_run=False)
    assert (body["status"], body["added"]) == ("done", 2)
    assert {"00001", "00002"} <= set(licensees(world.app))


@pytest.mark.parametrize(
    ("data", "failure"),
    [
        pytest.param(b"", "tab or pipe", id="empty"),
        pytest.param(listing(listing_row(1), delimiter=","), "tab or pipe", id="comma"),
        pytest.param(
            listing(columns=tuple(c for c in listing_row(1) if c != "LIC_SEQN")),
            "LIC_SEQN",
            id="missing-column",
        ),
    ],
)
def test_a_file_without_a_usable_header_fails_as_a_whole(world: World, data: bytes, failure: str) -> None:
    for dry_run in (True, False):
        body = run(world, data, dry_run=dry_run)
        assert body["status"] == "failed"
        assert failure in body["failure"]
        assert body["processed_rows"] == 0
    assert set(licensees(world.app)) == {
        sequence_of(world, world.licensee),
        sequence_of(world, world.licensee_other),
    }


def test_progress_is_visible_while_the_apply_transaction_is_open(world: World, backend: str) -> None:
    """The worker reports each chunk in its own transaction; a reader sees it mid-import."""
    data = listing(*[listing_row(n) for n in range(1, 51)])
    with world.app.app_context():
        admin = db.session.get(User, world.admin.id)
        assert admin is not None
        report, path = imports.start_import(
            db.session, admin, io.BytesIO(data), filename="big.txt", dry_run=False, address=None
        )
        db.session.commit()
        import_id = report.id
    seen: list[tuple[str, int, int]] = []
    stored: list[int] = []
    client = admin_client(world)

    def on_progress(counts: imports.Counts) -> None:
        body = client.get(f"{API}/{import_id}").json
        seen.append((body["status"], body["processed_rows"], counts.processed_rows))
        if backend == "postgresql":  # committed in the database itself, beside the open apply
            engine = sa.create_engine(world.app.config["SQLALCHEMY_DATABASE_URI"])
            with engine.connect() as conn:
                stored.append(
                    conn.scalar(
                        sa.select(LicenseeImport.processed_rows).where(LicenseeImport.id == import_id)
                    )
                )
                assert (
                    conn.scalar(
                        sa.select(sa.func.count()).select_from(Licensee).where(Licensee.sequence == "00001")
                    )
                    == 0
                )
            engine.dispose()

    imports.run_import(world.app, import_id, path, chunk_rows=10, on_progress=on_progress)
    assert seen == [("running", n, n) for n in (10, 20, 30, 40, 50)]
    if backend == "postgresql":
        assert stored == [10, 20, 30, 40, 50]
    final = client.get(f"{API}/{import_id}").json
    assert (final["status"], final["added"], final["processed_rows"], final["total_rows"]) == (
        "done",
        50,
        50,
        50,
    )
    assert "00050" in licensees(world.app)


def test_an_upload_over_five_mebibytes_is_taken(world: World) -> None:
    """The JSON body cap is 5 MiB; a listing of 130,000 rows is about 25 MB."""
    padding = " " * (6 * 1024 * 1024) + "\n"  # a blank line: skipped
    body = run(world, listing(listing_row(1), padding, listing_row(2)), dry_run=True)
    assert (body["status"], body["added"], body["total_rows"]) == ("done", 2, 2)


def test_an_upload_over_the_import_cap_is_413(world: World) -> None:
    world.app.config["LICENSEE_IMPORT_MAX_BYTES"] = 1000
    try:
        response = post(world, listing(*[listing_row(n) for n in range(1, 20)]))
    finally:
        del world.app.config["LICENSEE_IMPORT_MAX_BYTES"]
    assert_problem(response, 413, "payload-too-large")
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LicenseeImport)) == 0


def test_the_request_must_be_multipart_with_a_file(world: World) -> None:
    client = world.client(world.admin)
    assert_problem(client.post(API, json={"dry_run": True}), 415, "unsupported-media-type")
    no_file = client.post(API, data={"dry_run": "true"}, content_type="multipart/form-data")
    body = assert_problem(no_file, 422, "validation-error")
    assert "file" in str(body["errors"])
    bad_flag = client.post(
        API,
        data={"dry_run": "perhaps", "file": (io.BytesIO(b"x"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert_problem(bad_flag, 422, "validation-error")


def test_one_apply_at_a_time(world: World) -> None:
    with world.app.app_context():
        db.session.add(
            LicenseeImport(
                created_by=world.admin.id, filename="a.txt", sha256="0" * 64, dry_run=False, status="running"
            )
        )
        db.session.commit()
    assert_problem(post(world, listing(listing_row(1)), dry_run=False), 409, "conflict")
    # a dry run may go beside it
    assert finished(world, post(world, listing(listing_row(1)), dry_run=True))["status"] == "done"


def test_an_apply_abandoned_by_a_stopped_server_does_not_block_the_next(world: World) -> None:
    from datetime import timedelta

    from inspector.db import utcnow

    with world.app.app_context():
        stale = LicenseeImport(
            created_by=world.admin.id,
            filename="a.txt",
            sha256="0" * 64,
            dry_run=False,
            status="running",
            created_at=utcnow() - timedelta(hours=1),
        )
        db.session.add(stale)
        db.session.commit()
        stale_id = stale.id
    assert run(world, listing(listing_row(1)), dry_run=False)["status"] == "done"
    abandoned = admin_client(world).get(f"{API}/{stale_id}").json
    assert abandoned["status"] == "failed"
    assert "nothing was applied" in abandoned["failure"]


def test_only_admins_import_and_read_imports(world: World) -> None:
    done = run(world, listing(listing_row(1)), dry_run=True)
    for persona in (world.investigator, world.reviewer):
        client = world.client(persona)
        upload = {"file": (io.BytesIO(listing(listing_row(2))), "x.txt"), "dry_run": "false"}
        assert_problem(client.post(API, data=upload, content_type="multipart/form-data"), 403, "forbidden")
        assert_problem(client.get(API), 403, "forbidden")
        assert_problem(client.get(f"{API}/{done['id']}"), 403, "forbidden")
    assert "00002" not in licensees(world.app)
    assert_problem(world.client(world.admin).get(f"{API}/{uuid.uuid4()}"), 404, "not-found")


def test_imports_are_listed_newest_first_and_audited(world: World) -> None:
    first = run(world, listing(listing_row(1)), dry_run=True)
    second = run(world, listing(listing_row(1)), dry_run=False)
    listed = world.client(world.admin).get(API)
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json] == [second["id"], first["id"]]
    assert first["sha256"] == second["sha256"]
    from inspector.audit.models import AuditEvent

    with world.app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.target_id, AuditEvent.actor_id).order_by(AuditEvent.id)
        ).all()
    actions = [
        (a, t) for a, t, actor in events if a.startswith("licensee-import") and actor == world.admin.id
    ]
    assert actions == [
        ("licensee-import-started", first["id"]),
        ("licensee-import-started", second["id"]),
        ("licensee-import-applied", second["id"]),
    ]
