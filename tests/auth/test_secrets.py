"""Passwords, hashes and tokens never reach a response body or a log line."""

from __future__ import annotations

import logging

import pytest

from tests.auth.support import API, ARGON2_MARK, assert_problem, bearer
from tests.factories import PASSWORD, World


def test_login_refresh_logout_log_no_secrets(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = world.app.test_client()
    login = client.post(
        f"{API}/auth/token",
        json={
            "username": world.investigator.username,
            "password": PASSWORD,
            "device_id": str(world.investigator.device_id),
        },
    )
    assert login.status_code == 200
    first = login.json
    rotated = client.post(f"{API}/auth/refresh", headers=bearer(first["refresh_token"]))
    assert rotated.status_code == 200
    second = rotated.json
    me = client.get(f"{API}/auth/me", headers=bearer(second["access_token"]))
    assert me.status_code == 200
    logout = client.post(f"{API}/auth/logout", headers=bearer(second["access_token"]))
    assert logout.status_code == 204
    # Failures log too: a wrong password, and a token after logout.
    wrong = client.post(
        f"{API}/auth/token",
        json={"username": world.investigator.username, "password": "wrong " + PASSWORD},
    )
    assert_problem(wrong, "unauthorized", 401)
    assert_problem(client.get(f"{API}/auth/me", headers=bearer(second["access_token"])), "token-revoked", 401)

    # Today these requests log nothing at all; this guards the day someone adds a log line.
    text = caplog.text
    assert PASSWORD not in text
    assert ARGON2_MARK not in text
    for token in (*first.values(), *second.values()):
        if isinstance(token, str) and token.count(".") == 2:
            assert token not in text
            # Not even a token's signature alone.
            assert token.rsplit(".", 1)[1] not in text


def test_responses_never_carry_the_hash(world: World) -> None:
    admin = world.client(world.admin)
    for path in (
        f"{API}/users",
        f"{API}/users/{world.investigator.id}",
        f"{API}/auth/me",
    ):
        response = admin.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert ARGON2_MARK not in text
        assert "password" not in text
