"""/users/<id>/disable, enable, reset-password, reset-second-factor; role and office changes."""

from __future__ import annotations

import uuid

import pytest

from tests.auth.support import API, audit_rows, bearer, update_user, user_row
from tests.factories import PASSWORD, World

NEW_PASSWORD = "a brand new long password"
ACTIONS = ("disable", "enable", "reset-password", "reset-second-factor", "unlock")


def token_login(world: World, password: str = PASSWORD) -> int:
    response = world.app.test_client().post(
        f"{API}/auth/token", json={"username": world.investigator.username, "password": password}
    )
    return response.status_code


def session_works(world: World, access: str) -> bool:
    response = world.app.test_client().get(f"{API}/auth/me", headers=bearer(access))
    assert response.status_code in {200, 401}, response.json
    return response.status_code == 200


def act(world: World, action: str, user_id: uuid.UUID, json: object = None) -> object:
    body = {"password": NEW_PASSWORD} if action == "reset-password" and json is None else json
    return world.client(world.admin).post(f"{API}/users/{user_id}/{action}", json=body)


def test_disabling_ends_every_session_at_once_and_enabling_lets_the_user_back(world: World) -> None:
    pair = world.tokens(world.investigator)
    assert session_works(world, pair["access"])
    response = act(world, "disable", world.investigator.id)
    assert response.status_code == 200, response.json  # type: ignore[attr-defined]
    assert response.json["active"] is False  # type: ignore[attr-defined]
    me = world.app.test_client().get(f"{API}/auth/me", headers=bearer(pair["access"]))
    assert me.status_code == 401
    assert (me.json["type"], me.json.get("wipe")) == ("/problems/account-disabled", True)  # the tablet wipes
    refresh = world.app.test_client().post(f"{API}/auth/refresh", headers=bearer(pair["refresh"]))
    assert refresh.status_code == 401
    assert token_login(world) == 401  # the same answer as a wrong password
    [event] = audit_rows(world.app, "user-updated")
    assert event["actor_id"] == world.admin.id
    assert event["details"]["changes"] == {"active": [True, False]}

    enabled = act(world, "enable", world.investigator.id)
    assert enabled.json["active"] is True  # type: ignore[attr-defined]
    assert token_login(world) == 200
    assert not session_works(world, pair["access"])  # the old session stays ended


def test_an_admin_cannot_disable_themselves(world: World) -> None:
    response = act(world, "disable", world.admin.id)
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert user_row(world.app, world.admin.id)["active"] is True


def test_a_password_reset_ends_sessions_and_the_old_password(world: World) -> None:
    pair = world.tokens(world.investigator)
    response = act(world, "reset-password", world.investigator.id)
    assert response.status_code == 200, response.json  # type: ignore[attr-defined]
    assert NEW_PASSWORD not in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert not session_works(world, pair["access"])
    assert token_login(world) == 401
    assert token_login(world, NEW_PASSWORD) == 200
    [event] = audit_rows(world.app, "user-updated")
    assert event["details"]["changes"] == {"password": "reset"}
    assert NEW_PASSWORD not in str(event)


@pytest.mark.parametrize("body", [{"password": "too short"}, {}, {"password": NEW_PASSWORD, "x": 1}])
def test_a_password_reset_needs_a_long_enough_password(world: World, body: dict[str, object]) -> None:
    response = act(world, "reset-password", world.investigator.id, json=body)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert token_login(world) == 200


def test_resetting_the_second_factor_clears_it_and_ends_sessions(world: World) -> None:
    from inspector.db import utcnow

    update_user(
        world.app,
        world.investigator.id,
        totp_secret="4ZQZHD4IIFSB3YTU3QG5V6EQGBEBFNEK",
        totp_enabled_at=utcnow(),
        totp_last_step=5,
    )
    listed = world.client(world.admin).get(f"{API}/users/{world.investigator.id}")
    assert listed.json["second_factor"] is True
    pair = world.tokens(world.investigator, otp=_current_code("4ZQZHD4IIFSB3YTU3QG5V6EQGBEBFNEK"))
    response = act(world, "reset-second-factor", world.investigator.id)
    assert response.status_code == 200, response.json  # type: ignore[attr-defined]
    assert response.json["second_factor"] is False  # type: ignore[attr-defined]
    row = user_row(world.app, world.investigator.id)
    assert (row["totp_secret"], row["totp_enabled_at"], row["totp_last_step"]) == (None, None, None)
    assert not session_works(world, pair["access"])
    [event] = audit_rows(world.app, "totp-reset")
    assert event["actor_id"] == world.admin.id and event["target_id"] == str(world.investigator.id)


def _current_code(secret: str) -> str:
    import pyotp

    return str(pyotp.TOTP(secret).now())


def test_moving_a_user_to_another_office_ends_sessions_and_makes_their_tablet_resync(world: World) -> None:
    client = world.client(world.investigator)
    pull = {"device_id": str(world.investigator.device_id), "schema_version": 1}
    first = client.get(f"{API}/sync/pull", query_string=pull)
    assert first.status_code == 200
    cursor = first.json["cursor"]
    epoch = user_row(world.app, world.investigator.id)["scope_epoch"]

    moved = world.client(world.admin).patch(
        f"{API}/users/{world.investigator.id}", json={"field_office_id": str(world.phoenix)}
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["field_office_id"] == str(world.phoenix)
    assert user_row(world.app, world.investigator.id)["scope_epoch"] == epoch + 1
    assert client.get(f"{API}/sync/pull", query_string=pull).status_code == 401  # the session ended
    again = world.client(world.investigator).get(f"{API}/sync/pull", query_string={**pull, "cursor": cursor})
    assert again.status_code == 200
    assert again.json["resync"] is True


def test_changing_a_role_ends_sessions(world: World) -> None:
    pair = world.tokens(world.investigator)
    response = world.client(world.admin).patch(
        f"{API}/users/{world.investigator.id}", json={"role": "reviewer"}
    )
    assert response.status_code == 200, response.json
    assert response.json["role"] == "reviewer"
    assert not session_works(world, pair["access"])


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_is_admin_only_and_404_for_an_unknown_user(world: World, action: str) -> None:
    body = {"password": NEW_PASSWORD} if action == "reset-password" else None
    for persona in (world.investigator, world.reviewer, world.reviewer_other):
        response = world.client(persona).post(
            f"{API}/users/{world.investigator_other.id}/{action}", json=body
        )
        assert response.status_code == 403, response.json
        assert response.json["type"] == "/problems/forbidden"
    missing = act(world, action, uuid.uuid4())
    assert missing.status_code == 404  # type: ignore[attr-defined]
    row = user_row(world.app, world.investigator_other.id)
    assert row["active"] is True
