"""Logging in: same answer for wrong names and passwords, lockout, devices, rate limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from inspector.db import utcnow
from tests.auth.support import (
    API,
    assert_problem,
    bearer,
    claims,
    update_user,
    user_row,
)
from tests.factories import PASSWORD, World

WRONG = "not the password at all"


def token_login(app: Flask, username: str, password: str, **extra: Any) -> Any:
    return app.test_client().post(
        f"{API}/auth/token", json={"username": username, "password": password, **extra}
    )


@pytest.mark.parametrize("endpoint", ["login", "token"])
def test_wrong_username_and_wrong_password_answer_the_same(world: World, endpoint: str) -> None:
    client = world.app.test_client()
    unknown = client.post(f"{API}/auth/{endpoint}", json={"username": "nobody-here", "password": PASSWORD})
    wrong = client.post(
        f"{API}/auth/{endpoint}", json={"username": world.investigator.username, "password": WRONG}
    )
    assert_problem(unknown, "unauthorized", 401)
    assert_problem(wrong, "unauthorized", 401)
    assert unknown.get_data() == wrong.get_data()
    assert "Set-Cookie" not in unknown.headers and "Set-Cookie" not in wrong.headers


def test_token_login_returns_a_working_pair(world: World) -> None:
    response = token_login(world.app, world.reviewer.username, PASSWORD)
    assert response.status_code == 200, response.json
    body = response.json
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    me = world.app.test_client().get(f"{API}/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json["role"] == "reviewer"
    assert me.json["field_office"]["id"] == str(world.houston)
    assert me.json["field_office"]["states"] == ["NM", "TX"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"username": "ines"}, id="no-password"),
        pytest.param({"password": PASSWORD}, id="no-username"),
        pytest.param({"username": "", "password": PASSWORD}, id="empty-username"),
        pytest.param({"username": "ines", "password": PASSWORD, "role": "admin"}, id="unknown"),
    ],
)
def test_login_body_is_validated(world: World, body: dict[str, Any]) -> None:
    response = world.app.test_client().post(f"{API}/auth/token", json=body)
    problem = assert_problem(response, "validation-error", 422)
    assert problem["errors"]


# -- lockout -----------------------------------------------------------------------


def fail(world: World, times: int, username: str | None = None) -> None:
    for _ in range(times):
        response = token_login(world.app, username or world.investigator.username, WRONG)
        assert_problem(response, "unauthorized", 401)


def test_four_failures_do_not_lock(world: World) -> None:
    fail(world, 4)
    assert user_row(world.app, world.investigator.id)["locked"] is False
    assert token_login(world.app, world.investigator.username, PASSWORD).status_code == 200
    # A success starts the count again.
    assert user_row(world.app, world.investigator.id)["failed_logins"] == 0
    fail(world, 4)
    assert user_row(world.app, world.investigator.id)["locked"] is False


def test_fifth_failure_locks_until_an_admin_unlocks(world: World) -> None:
    admin = world.client(world.admin)
    fail(world, 5)
    assert user_row(world.app, world.investigator.id)["locked"] is True

    # Right password: 403 account-locked. Wrong one: the same 401 as an unknown name.
    locked = token_login(world.app, world.investigator.username, PASSWORD)
    body = assert_problem(locked, "account-locked", 403)
    assert "admin" in body["detail"]
    cookie_locked = world.app.test_client().post(
        f"{API}/auth/login", json={"username": world.investigator.username, "password": PASSWORD}
    )
    assert_problem(cookie_locked, "account-locked", 403)
    assert "Set-Cookie" not in cookie_locked.headers
    wrong = token_login(world.app, world.investigator.username, WRONG)
    unknown = token_login(world.app, "nobody-here", WRONG)
    assert_problem(wrong, "unauthorized", 401)
    assert wrong.get_data() == unknown.get_data()

    unlocked = admin.post(f"{API}/users/{world.investigator.id}/unlock")
    assert unlocked.status_code == 200, unlocked.json
    assert unlocked.json["locked"] is False
    assert user_row(world.app, world.investigator.id)["failed_logins"] == 0
    assert token_login(world.app, world.investigator.username, PASSWORD).status_code == 200


def test_lockout_counts_per_account(world: World) -> None:
    fail(world, 3, world.investigator.username)
    fail(world, 3, world.reviewer.username)
    assert user_row(world.app, world.investigator.id)["locked"] is False
    assert user_row(world.app, world.reviewer.id)["locked"] is False


def test_failures_outside_the_window_do_not_accumulate(world: World) -> None:
    fail(world, 4)
    row = user_row(world.app, world.investigator.id)
    assert row["failed_logins"] == 4
    update_user(
        world.app,
        world.investigator.id,
        failed_window_started_at=row["failed_window_started_at"] - timedelta(minutes=16),
    )
    fail(world, 1)
    row = user_row(world.app, world.investigator.id)
    assert row["locked"] is False
    assert row["failed_logins"] == 1
    assert utcnow() - row["failed_window_started_at"] < timedelta(minutes=1)
    fail(world, 3)
    assert user_row(world.app, world.investigator.id)["locked"] is False
    assert token_login(world.app, world.investigator.username, PASSWORD).status_code == 200


def test_failures_inside_the_window_accumulate(world: World) -> None:
    """Control for the test above: 14 minutes back is still inside the window."""
    fail(world, 4)
    row = user_row(world.app, world.investigator.id)
    update_user(
        world.app,
        world.investigator.id,
        failed_window_started_at=row["failed_window_started_at"] - timedelta(minutes=14),
    )
    fail(world, 1)
    assert user_row(world.app, world.investigator.id)["locked"] is True


# -- devices -----------------------------------------------------------------------


def test_login_binds_the_device(world: World) -> None:
    device = world.investigator.device_id
    response = token_login(world.app, world.investigator.username, PASSWORD, device_id=str(device))
    assert response.status_code == 200, response.json
    access = response.json["access_token"]
    assert claims(access)["dev"] == str(device)
    me = world.app.test_client().get(f"{API}/auth/me", headers=bearer(access))
    assert me.json["device_id"] == str(device)


def test_login_without_a_device(world: World) -> None:
    response = token_login(world.app, world.investigator.username, PASSWORD)
    access = response.json["access_token"]
    me = world.app.test_client().get(f"{API}/auth/me", headers=bearer(access))
    assert me.status_code == 200
    assert me.json["device_id"] is None


@pytest.mark.parametrize("device_id", ["not-a-uuid", "12345", 42])
def test_malformed_device_id(world: World, device_id: Any) -> None:
    response = token_login(world.app, world.investigator.username, PASSWORD, device_id=device_id)
    body = assert_problem(response, "validation-error", 422)
    assert "device_id" in body["errors"]


# -- rate limiting -----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["login", "token"])
def test_fourth_login_in_a_minute_is_rate_limited(limited_app: Flask, endpoint: str) -> None:
    client = limited_app.test_client()
    for _ in range(3):
        response = client.post(f"{API}/auth/{endpoint}", json={"username": "nobody-here", "password": WRONG})
        assert_problem(response, "unauthorized", 401)
    response = client.post(f"{API}/auth/{endpoint}", json={"username": "nobody-here", "password": WRONG})
    assert_problem(response, "rate-limited", 429)
    retry_after = response.headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit(), response.headers
    assert 0 < int(retry_after) <= 60


def test_rate_limit_is_per_client_address(limited_app: Flask) -> None:
    client = limited_app.test_client()
    body = {"username": "nobody-here", "password": WRONG}
    for _ in range(3):
        client.post(f"{API}/auth/token", json=body, environ_overrides={"REMOTE_ADDR": "192.0.2.1"})
    limited = client.post(f"{API}/auth/token", json=body, environ_overrides={"REMOTE_ADDR": "192.0.2.1"})
    assert_problem(limited, "rate-limited", 429)
    other = client.post(f"{API}/auth/token", json=body, environ_overrides={"REMOTE_ADDR": "192.0.2.2"})
    assert_problem(other, "unauthorized", 401)
