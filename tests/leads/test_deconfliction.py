"""Deconfliction: shared serials, subjects and licensees flag both leads; reviewers of both
offices see whom to call, never the other lead's content; subject keys are never readable."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from inspector.leads.service import normalise_make, normalise_name, normalise_serial
from tests.factories import World, add_user
from tests.leads.helpers import device, firearm, lead_row, push_lead, update_lead
from tests.statements import recorded_statements


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("AB-123", "AB123"),
        ("ab 123", "AB123"),
        (" a b-1 2 3 ", "AB123"),
        ("ab\t-\n123", "AB123"),
        ("AB\u2013123", "AB123"),
        ("0012", "0012"),
    ],
)
def test_serial_normalisation(raw: str, normalised: str) -> None:
    assert normalise_serial(raw) == normalised


def test_make_and_name_normalisation() -> None:
    assert normalise_make(" smith  &  wesson ") == "SMITH & WESSON"
    assert normalise_make("  ") is None
    assert normalise_make(None) is None
    assert normalise_name("  John   Q.\tPublic ") == "john q. public"


def match_rows(app: Flask) -> list[tuple[str, str, str]]:
    from inspector.extensions import db
    from inspector.leads.models import LeadMatchKey

    with app.app_context():
        return [
            (r.kind, r.key_hash, r.make or "")
            for r in db.session.scalars(sa.select(LeadMatchKey).order_by(LeadMatchKey.id))
        ]


def test_same_serial_in_two_offices_flags_both_leads(world: World) -> None:
    houston = device(world, world.investigator)
    phoenix = device(world, world.investigator_other)
    ours = push_lead(houston, firearms=[firearm("AB-123", "Glock")], narrative="Houston secret narrative.")
    theirs = push_lead(phoenix, firearms=[firearm("ab 123", "GLOCK")], narrative="Phoenix secret narrative.")

    assert lead_row(world, ours).match_count == 1
    assert lead_row(world, theirs).match_count == 1

    # the investigator learns that an overlap exists, through pull and REST
    houston.sync_down()
    assert houston.replica[("lead", str(ours))]["match_count"] == 1
    own = world.client(world.investigator).get(f"/api/v1/leads/{ours}")
    assert own.status_code == 200 and own.json["match_count"] == 1
    # but not with whom
    assert world.client(world.investigator).get(f"/api/v1/leads/{ours}/matches").status_code == 403

    # reviewers of both offices see whom to call, not what the other lead holds
    for reviewer, lead, other_office, other_reviewer, secret in (
        (world.reviewer, ours, "Phoenix", "Rita", "Phoenix secret"),
        (world.reviewer_other, theirs, "Houston", "Ray", "Houston secret"),
    ):
        response = world.client(reviewer).get(f"/api/v1/leads/{lead}/matches")
        assert response.status_code == 200
        [match] = response.json
        assert match["matched_office"] == other_office
        assert match["reviewers"] == [other_reviewer]
        assert match["kind"] == "serial"
        assert set(match) == {"matched_office", "reviewers", "lead_date", "kind"}
        body = response.get_data(as_text=True)
        assert secret not in body
        assert str(theirs if lead == ours else ours) not in body
        assert "AB" not in body.upper().replace("PHOENIX", "")  # no serial either

    # the other office's lead itself stays out of reach
    assert world.client(world.reviewer).get(f"/api/v1/leads/{theirs}").status_code == 404
    assert world.client(world.reviewer).get(f"/api/v1/leads/{theirs}/matches").status_code == 404


def test_other_office_content_never_reaches_any_response(world: World) -> None:
    """Every body a Houston user gets, after Phoenix's matching lead, is free of its content."""
    houston = device(world, world.investigator)
    phoenix = device(world, world.investigator_other)
    secret_name = "Zebulon Quartermaine"
    secret_text = "Phoenix-only narrative xyzzy"
    ours = push_lead(houston, firearms=[firearm("SN-777")], subjects=[{"name": secret_name}])
    push_lead(
        phoenix,
        firearms=[firearm("SN-777", model="secret-model-q")],
        subjects=[{"name": secret_name.upper(), "description": "phoenix subject description"}],
        narrative=secret_text,
    )
    secrets = ("xyzzy", "phoenix subject description", "secret-model-q", secret_name.upper())
    for persona in (world.investigator, world.reviewer, world.admin):
        client = world.client(persona)
        for url in (
            "/api/v1/leads",
            f"/api/v1/leads/{ours}",
            f"/api/v1/leads/{ours}/matches",
            f"/api/v1/leads/{ours}/history",
        ):
            body = client.get(url).get_data(as_text=True)
            for secret in secrets:
                assert secret not in body, (persona.username, url)
    for persona in (world.investigator, world.reviewer):
        replica = device(world, persona)
        seen = replica.sync_down()
        text = str(seen)
        for secret in secrets:
            assert secret not in text


def test_different_makes_do_not_match(world: World) -> None:
    ours = push_lead(device(world, world.investigator), firearms=[firearm("AB-123", "Glock")])
    theirs = push_lead(device(world, world.investigator_other), firearms=[firearm("AB123", "Ruger")])
    assert lead_row(world, ours).match_count == 0
    assert lead_row(world, theirs).match_count == 0


def test_a_serial_without_make_matches_any_make(world: World) -> None:
    ours = push_lead(device(world, world.investigator), firearms=[firearm("AB-123", None)])
    theirs = push_lead(device(world, world.investigator_other), firearms=[firearm("AB123", "Ruger")])
    assert lead_row(world, ours).match_count == 1
    assert lead_row(world, theirs).match_count == 1


def test_subject_names_match_by_keyed_hash_only(world: World) -> None:
    name = "Maria  de la CRUZ"
    ours = push_lead(device(world, world.investigator), subjects=[{"name": name, "role": "buyer"}])
    theirs = push_lead(device(world, world.investigator_other), subjects=[{"name": " maria de la cruz "}])
    assert lead_row(world, ours).match_count == 1
    assert lead_row(world, theirs).match_count == 1
    response = world.client(world.reviewer).get(f"/api/v1/leads/{ours}/matches")
    assert [m["kind"] for m in response.json] == ["subject"]
    rows = match_rows(world.app)
    subject_keys = [key for kind, key, _make in rows if kind == "subject"]
    assert len(subject_keys) == 2 and subject_keys[0] == subject_keys[1]
    for _kind, key, make in rows:
        assert "maria" not in key.lower() and "cruz" not in key.lower() and "cruz" not in make.lower()
    # the key depends on the server's secret: a plain hash of the name is not it
    import hashlib

    assert subject_keys[0] != hashlib.sha256(b"maria de la cruz").hexdigest()
    assert subject_keys[0] != hashlib.sha256(b"subject:maria de la cruz").hexdigest()


def test_subject_key_depends_on_the_secret(app: Flask) -> None:
    from inspector.leads.service import subject_key

    with app.app_context():
        first = subject_key("Jane Doe")
        app.config["LEAD_MATCH_SECRET"], old = "another-secret", app.config["LEAD_MATCH_SECRET"]
        try:
            second = subject_key("Jane Doe")
        finally:
            app.config["LEAD_MATCH_SECRET"] = old
    assert first != second and len(first) == 64


def test_licensee_match(world: World) -> None:
    from inspector.extensions import db

    with world.app.app_context():
        colleague = add_user(db.session, "colleague", "investigator", world.houston)
        db.session.commit()
    ours = push_lead(device(world, world.investigator), licensee_id=str(world.licensee))
    theirs = push_lead(device(world, colleague), licensee_id=str(world.licensee))
    assert lead_row(world, ours).match_count == 1
    [match] = world.client(world.reviewer).get(f"/api/v1/leads/{theirs}/matches").json
    assert match == {
        "matched_office": "Houston",
        "reviewers": ["Ray"],
        "lead_date": match["lead_date"],
        "kind": "licensee",
    }


def test_correcting_a_serial_removes_the_match_and_both_flags(world: World) -> None:
    houston = device(world, world.investigator)
    ours = push_lead(houston, firearms=[firearm("AB-123")])
    theirs = push_lead(device(world, world.investigator_other), firearms=[firearm("AB123")])
    assert lead_row(world, theirs).match_count == 1
    version = lead_row(world, ours).version
    receipt = update_lead(houston, ours, version, firearms=[firearm("AB-124")])
    assert receipt["status"] == "applied", receipt
    assert lead_row(world, ours).match_count == 0
    assert lead_row(world, theirs).match_count == 0
    # the other lead's new flag is a new version, so its device receives it
    phoenix = device(world, world.investigator_other)
    phoenix.sync_down()
    assert phoenix.replica[("lead", str(theirs))]["match_count"] == 0


def test_matches_in_one_batch_and_a_deleted_lead(world: World) -> None:
    from tests.sync.device import change

    houston = device(world, world.investigator)
    first, second = uuid.uuid4(), uuid.uuid4()
    fields = {"firearms": [firearm("XY-1")], "status": "draft"}
    receipts = houston.push(change("lead", first, "create", fields), change("lead", second, "create", fields))
    assert [r["status"] for r in receipts["receipts"]] == ["applied", "applied"]
    assert lead_row(world, first).match_count == 1
    assert lead_row(world, second).match_count == 1
    [receipt] = houston.push(change("lead", second, "delete", None, lead_row(world, second).version))[
        "receipts"
    ]
    assert receipt["status"] == "applied", receipt
    assert lead_row(world, first).match_count == 0


def test_matching_uses_the_index(world: World, backend: str) -> None:
    """The lookup is an index search on (kind, key_hash), not a scan of leads."""
    from inspector.extensions import db

    with world.app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.execute(sa.text("SET enable_seqscan = off"))
                plan = "\n".join(
                    r[0]
                    for r in conn.execute(
                        sa.text(
                            "EXPLAIN SELECT lead_id FROM lead_match_keys "
                            "WHERE kind IN ('serial') AND key_hash IN ('serial:AB123')"
                        )
                    )
                )
            else:
                plan = "\n".join(
                    str(r[-1])
                    for r in conn.execute(
                        sa.text(
                            "EXPLAIN QUERY PLAN SELECT lead_id FROM lead_match_keys "
                            "WHERE kind IN ('serial') AND key_hash IN ('serial:AB123')"
                        )
                    )
                )
    assert "ix_lead_match_keys_lookup" in plan, plan


def test_rebuilding_match_keys_after_the_secret_changes(world: World) -> None:
    from inspector.extensions import db
    from inspector.leads.models import LeadMatch, LeadMatchKey

    ours = push_lead(device(world, world.investigator), subjects=[{"name": "Rekey Person"}])
    theirs = push_lead(device(world, world.investigator_other), subjects=[{"name": "rekey  person"}])
    before = [key for kind, key, _make in match_rows(world.app) if kind == "subject"]
    old = world.app.config["LEAD_MATCH_SECRET"]
    world.app.config["LEAD_MATCH_SECRET"] = "a-rotated-lead-match-secret"
    try:
        result = world.app.test_cli_runner().invoke(args=["rebuild-lead-matches"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "Match keys rebuilt for 2 leads."
        after = [key for kind, key, _make in match_rows(world.app) if kind == "subject"]
        assert len(after) == 2 and after[0] == after[1] and after[0] != before[0]
        assert lead_row(world, ours).match_count == lead_row(world, theirs).match_count == 1
        # leads stored without keys (before deconfliction existed) get theirs
        with world.app.app_context():
            db.session.execute(sa.delete(LeadMatch))
            db.session.execute(sa.delete(LeadMatchKey))
            db.session.commit()
        world.app.test_cli_runner().invoke(args=["rebuild-lead-matches"])
        assert sorted(kind for kind, _key, _make in match_rows(world.app)) == ["subject", "subject"]
        [match] = world.client(world.reviewer).get(f"/api/v1/leads/{ours}/matches").json
        assert match["kind"] == "subject" and match["matched_office"] == "Phoenix"
    finally:
        world.app.config["LEAD_MATCH_SECRET"] = old


def test_a_stale_match_count_is_corrected_when_the_matches_stand(world: World) -> None:
    """Deconflicting a lead whose matches did not change still fixes a count that drifted."""
    from inspector.extensions import db
    from inspector.leads.models import Lead
    from inspector.leads.service import deconflict

    ours = push_lead(device(world, world.investigator), firearms=[firearm("ST-1")])
    push_lead(device(world, world.investigator_other), firearms=[firearm("ST-1")])
    with world.app.app_context():
        db.session.execute(sa.update(Lead).where(Lead.id == ours).values(match_count=5))
        db.session.commit()
        deconflict(db.session(), [ours], user_id=None)
        db.session.commit()
    assert lead_row(world, ours).match_count == 1


def test_match_key_locks_are_taken_once_per_transaction(world: World, backend: str) -> None:

    from inspector.extensions import db
    from inspector.leads.service import lock_match_keys

    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    with world.app.app_context(), recorded_statements(db.engine) as statements:

        def taken() -> list[str]:
            return [s for s in statements if "pg_advisory_xact_lock(" in s]

        session = db.session()
        lock_match_keys(session, ["serial:A1", "serial:B2"])
        lock_match_keys(session, ["serial:B2"])  # held already
        assert len(taken()) == 1
        lock_match_keys(session, ["serial:B2", "serial:C3"])  # only C3 is new
        assert len(taken()) == 2
        with session.begin_nested():
            lock_match_keys(session, ["serial:A1"])  # a savepoint may be rolled back: its own
        assert len(taken()) == 3
        session.commit()
        lock_match_keys(session, ["serial:A1"])  # a new transaction takes it again
        assert len(taken()) == 4
        session.rollback()


def test_writers_of_one_key_wait_for_each_other_and_of_others_do_not(world: World, backend: str) -> None:
    """Key locks serialise the writers of one key only; a batch job's whole lock holds off all."""
    from sqlalchemy.orm import Session

    from inspector.extensions import db
    from inspector.leads.service import lock_deconfliction, lock_match_keys

    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")

    def blocked(session: Session, keys: list[str]) -> bool:
        """Would this writer wait? (a lock timeout instead of waiting)"""
        session.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
        try:
            lock_match_keys(session, keys)
        except sa.exc.OperationalError:
            session.rollback()
            return True
        session.rollback()
        return False

    with world.app.app_context():
        first, second = Session(db.engine), Session(db.engine)
        try:
            lock_match_keys(first, ["serial:SAME"])
            assert blocked(second, ["serial:SAME"])
            assert not blocked(second, ["serial:OTHER"])
            first.rollback()
            assert not blocked(second, ["serial:SAME"])  # released with the transaction
            lock_deconfliction(first)
            assert blocked(second, ["serial:ANY"])
            first.rollback()
        finally:
            first.close()
            second.close()
