"""The audit trail: who did what, when (UTC, sub-second), from where, and how it ended."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inspector.db import utcnow
from tests.auth.support import API, assert_problem, audit_rows, bearer, update_family
from tests.factories import PASSWORD, World

ADDRESS = "203.0.113.7"


def post(app: Flask, path: str, token: str | None = None, **kwargs: Any) -> Any:
    headers = bearer(token) if token else {}
    return app.test_client().post(path, headers=headers, environ_overrides={"REMOTE_ADDR": ADDRESS}, **kwargs)


def assert_event(
    event: dict[str, Any],
    *,
    action: str,
    outcome: str,
    actor_id: Any,
    actor_username: str | None,
    address: str | None = ADDRESS,
) -> None:
    assert event["action"] == action, event
    assert event["outcome"] == outcome, event
    assert event["actor_id"] == actor_id, event
    assert event["actor_username"] == actor_username, event
    assert event["address"] == address, event
    at = event["at"]
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0), at
    assert abs(utcnow() - at) < timedelta(minutes=1), at


def test_login_success_and_failures(world: World) -> None:
    user = world.investigator
    assert (
        post(
            world.app, f"{API}/auth/token", json={"username": user.username, "password": PASSWORD}
        ).status_code
        == 200
    )
    post(world.app, f"{API}/auth/token", json={"username": user.username, "password": "wrong"})
    post(world.app, f"{API}/auth/token", json={"username": "nobody-here", "password": "wrong"})

    ok, wrong, unknown = audit_rows(world.app, "login")
    assert_event(ok, action="login", outcome="success", actor_id=user.id, actor_username=user.username)
    assert ok["details"]["family"]
    assert_event(wrong, action="login", outcome="failure", actor_id=user.id, actor_username=user.username)
    assert wrong["details"] == {"reason": "wrong-password", "failures": 1}
    assert_event(unknown, action="login", outcome="failure", actor_id=None, actor_username="nobody-here")
    assert unknown["details"] == {"reason": "unknown-user"}


def test_lockout_is_audited(world: World) -> None:
    user = world.investigator
    for _ in range(5):
        post(world.app, f"{API}/auth/token", json={"username": user.username, "password": "wrong"})
    locked = post(world.app, f"{API}/auth/token", json={"username": user.username, "password": PASSWORD})
    assert_problem(locked, "account-locked", 403)
    [event] = audit_rows(world.app, "account-locked")
    assert_event(
        event,
        action="account-locked",
        outcome="success",
        actor_id=user.id,
        actor_username=user.username,
    )
    assert event["target_id"] == str(user.id)
    last = audit_rows(world.app, "login")[-1]
    assert_event(last, action="login", outcome="failure", actor_id=user.id, actor_username=user.username)
    assert last["details"] == {"reason": "locked"}


def test_logout(world: World) -> None:
    pair = world.tokens(world.reviewer)
    assert post(world.app, f"{API}/auth/logout", pair["access"]).status_code == 204
    [event] = audit_rows(world.app, "logout")
    assert_event(
        event,
        action="logout",
        outcome="success",
        actor_id=world.reviewer.id,
        actor_username=world.reviewer.username,
    )
    assert event["target_type"] == "token_family"


def test_refresh_reuse(world: World) -> None:
    pair = world.tokens(world.reviewer)
    assert post(world.app, f"{API}/auth/refresh", pair["refresh"]).status_code == 200
    update_family(world.app, pair["refresh"], rotated_at=utcnow() - timedelta(minutes=1))
    assert_problem(post(world.app, f"{API}/auth/refresh", pair["refresh"]), "token-revoked", 401)
    [event] = audit_rows(world.app, "refresh-reuse")
    assert_event(
        event,
        action="refresh-reuse",
        outcome="failure",
        actor_id=world.reviewer.id,
        actor_username=world.reviewer.username,
    )


def test_user_created_updated_unlocked(world: World) -> None:
    admin = world.admin
    token = world.tokens(admin)["access"]
    created = post(
        world.app,
        f"{API}/users",
        token,
        json={
            "username": "newbie",
            "display_name": "New Bie",
            "role": "investigator",
            "field_office_id": str(world.houston),
            "password": "a long enough password",
        },
    )
    assert created.status_code == 201, created.json
    new_id = created.json["id"]
    updated = world.app.test_client().patch(
        f"{API}/users/{new_id}",
        headers=bearer(token),
        json={"role": "reviewer"},
        environ_overrides={"REMOTE_ADDR": ADDRESS},
    )
    assert updated.status_code == 200, updated.json
    assert post(world.app, f"{API}/users/{new_id}/unlock", token).status_code == 200

    [create] = audit_rows(world.app, "user-created")
    assert_event(
        create,
        action="user-created",
        outcome="success",
        actor_id=admin.id,
        actor_username=admin.username,
    )
    assert create["target_type"] == "user" and create["target_id"] == new_id
    assert create["details"]["role"] == "investigator"
    [update] = audit_rows(world.app, "user-updated")
    assert_event(
        update,
        action="user-updated",
        outcome="success",
        actor_id=admin.id,
        actor_username=admin.username,
    )
    assert update["target_id"] == new_id
    assert update["details"] == {"changes": {"role": ["investigator", "reviewer"]}}
    [unlock] = audit_rows(world.app, "user-unlocked")
    assert_event(
        unlock,
        action="user-unlocked",
        outcome="success",
        actor_id=admin.id,
        actor_username=admin.username,
    )
    assert unlock["target_id"] == new_id


def test_password_reset_audit_holds_no_secret(world: World) -> None:
    token = world.tokens(world.admin)["access"]
    response = world.app.test_client().patch(
        f"{API}/users/{world.investigator.id}",
        headers=bearer(token),
        json={"password": "a brand new password 42"},
    )
    assert response.status_code == 200
    [event] = audit_rows(world.app, "user-updated")
    assert event["details"] == {"changes": {"password": "reset"}}
    every = repr(audit_rows(world.app))
    assert "a brand new password 42" not in every
    assert PASSWORD not in every
    assert "$argon2" not in every


def test_times_are_utc_with_sub_second_precision(world: World) -> None:
    for _ in range(3):
        post(world.app, f"{API}/auth/token", json={"username": "nobody-here", "password": "x"})
    world.tokens(world.investigator)
    events = audit_rows(world.app)
    assert len(events) == 4
    for event in events:
        assert event["at"].tzinfo is not None and event["at"].utcoffset() == timedelta(0)
    # Each stamp keeps its microseconds (all four on a whole second: one in 10^24).
    assert any(event["at"].microsecond != 0 for event in events)
    stamps = [event["at"] for event in events]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_rows_are_read_back_as_utc(app: Flask) -> None:
    """What goes in comes back unchanged, in UTC, whatever the writer's zone."""
    from datetime import datetime, timezone

    from inspector.audit import service as audit
    from inspector.audit.models import AuditEvent
    from inspector.extensions import db

    written = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-7)))
    with app.app_context():
        event = audit.record(db.session, "test-event", actor_username="someone")
        event.at = written
        db.session.commit()
        event_id = event.id
        db.session.expunge_all()
        read = db.session.get(AuditEvent, event_id)
        assert read is not None
        assert read.at == written
        assert read.at.tzinfo is not None and read.at.utcoffset() == timedelta(0)
        assert read.at.replace(tzinfo=None) == datetime(2026, 3, 1, 16, 30, 15, 123456)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'success'",
        "DELETE FROM audit_events",
    ],
)
def test_audit_trail_is_append_only_on_postgresql(world: World, backend: str, statement: str) -> None:
    if backend != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    from inspector.extensions import db

    post(world.app, f"{API}/auth/token", json={"username": "nobody-here", "password": "x"})
    with world.app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM audit_events")) == 1
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
        assert db.session.scalar(sa.text("SELECT count(*) FROM audit_events")) == 1
        assert db.session.scalar(sa.text("SELECT outcome FROM audit_events")) == "failure"
