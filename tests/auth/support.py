"""Shared checks for the auth, user-admin and audit tests.

``assert_problem`` checks an error answer is RFC 9457 problem+json with the
expected slug, title, status and a detail. ``no_secret_leaks`` (a fixture the
conftests of tests/auth, tests/offices and tests/audit use on every test) looks
at every response the app sends and fails the test when an argon2 hash is in
its headers or body.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask, Response, request_finished
from werkzeug.test import TestResponse

from inspector.db import utcnow

API = "/api/v1"

#: The titles the catalogue promises, written out so a changed title is noticed.
TITLES = {
    "validation-error": "Invalid input",
    "not-found": "Not found",
    "unauthorized": "Unauthorized",
    "token-expired": "Token expired",
    "token-revoked": "Token revoked",
    "forbidden": "Forbidden",
    "csrf-failed": "CSRF check failed",
    "account-locked": "Account locked",
    "rate-limited": "Too many requests",
    "conflict": "Conflict",
    "device-revoked": "Device revoked",
    "account-disabled": "Account disabled",
}

ARGON2_MARK = "$argon2"


def assert_problem(response: TestResponse, slug: str, status: int) -> dict[str, Any]:
    """The response is problem+json of type ``/problems/<slug>``; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json", response.headers
    body = response.get_json()
    assert isinstance(body, dict), body
    assert body["type"] == f"/problems/{slug}", body
    assert body["title"] == TITLES[slug], body
    assert body["status"] == status, body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert ARGON2_MARK not in response.get_data(as_text=True)
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(token: str) -> dict[str, Any]:
    """A token's claims, read without checking it (to find its family and lifetimes)."""
    return jwt.decode(token, options={"verify_signature": False})  # type: ignore[no-any-return]


def family_id(token: str) -> uuid.UUID:
    return uuid.UUID(claims(token)["fam"])


def update_family(app: Flask, token: str, **values: Any) -> None:
    """Change the token's family in the database (how the tests move time)."""
    from inspector.auth.models import TokenFamily
    from inspector.extensions import db

    with app.app_context():
        family = db.session.get(TokenFamily, family_id(token))
        assert family is not None
        for name, value in values.items():
            setattr(family, name, value)
        db.session.commit()


def family_row(app: Flask, token: str) -> dict[str, Any]:
    from inspector.auth.models import TokenFamily
    from inspector.extensions import db

    with app.app_context():
        family = db.session.get(TokenFamily, family_id(token))
        assert family is not None
        return {c.name: getattr(family, c.name) for c in TokenFamily.__table__.columns}


def minutes_ago(minutes: float) -> Any:
    return utcnow() - timedelta(minutes=minutes)


def audit_rows(app: Flask, action: str | None = None) -> list[dict[str, Any]]:
    """Audit events, oldest first, as plain dicts."""
    import sqlalchemy as sa

    from inspector.audit.models import AuditEvent
    from inspector.extensions import db

    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return [
            {c.name: getattr(e, c.name) for c in AuditEvent.__table__.columns}
            for e in db.session.scalars(query)
        ]


def user_row(app: Flask, user_id: uuid.UUID) -> dict[str, Any]:
    from inspector.extensions import db
    from inspector.offices.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return {c.name: getattr(user, c.name) for c in User.__table__.columns}


def update_user(app: Flask, user_id: uuid.UUID, **values: Any) -> None:
    from inspector.extensions import db
    from inspector.offices.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


#: argon2id at the lowest cost: real hashing and verification, without the ~100 ms each.
CHEAP_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture
def cheap_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """New hashes (user creation, password reset, the unknown-user dummy) at low cost.

    A test that asks for the ``real_hashing`` fixture keeps the production hasher.
    """
    if "real_hashing" in request.fixturenames:
        return
    from argon2 import PasswordHasher

    from inspector.auth import passwords

    cheap = PasswordHasher(**CHEAP_ARGON2)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not-a-real-password-only-for-timing"))


@pytest.fixture
def real_hashing() -> None:
    """Marker fixture: this test runs the production argon2 parameters."""


@pytest.fixture
def no_secret_leaks() -> Iterator[list[str]]:
    """Fails the test when any response carries an argon2 hash (body or headers)."""
    leaks: list[str] = []

    def _check(sender: Flask, response: Response, **_extra: Any) -> None:
        from flask import request

        text = response.get_data(as_text=True) if not response.is_streamed else ""
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        if ARGON2_MARK in text or ARGON2_MARK in headers:
            leaks.append(f"{request.method} {request.path} -> {response.status_code}")

    request_finished.connect(_check, weak=False)
    try:
        yield leaks
    finally:
        request_finished.disconnect(_check)
    assert not leaks, f"argon2 hashes in responses: {leaks}"
