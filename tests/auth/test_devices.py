"""Devices: a login binds one; revoking it ends its sessions and tells it to wipe."""

from __future__ import annotations

from typing import Any

from tests.auth.support import API, assert_problem, audit_rows, bearer, family_row
from tests.factories import PASSWORD, World


def token_login(world: World, device_id: Any = None) -> Any:
    body: dict[str, Any] = {"username": world.investigator.username, "password": PASSWORD}
    if device_id is not None:
        body["device_id"] = str(device_id)
    return world.app.test_client().post(f"{API}/auth/token", json=body)


def test_revoking_a_device_ends_its_sessions_at_once(world: World) -> None:
    device = world.investigator.device_id
    on_device = world.tokens(world.investigator)
    elsewhere = world.tokens(world.investigator, device=False)
    revoked = world.client(world.admin).post(f"{API}/devices/{device}/revoke")
    assert revoked.status_code == 200, revoked.json
    assert revoked.json["revoked_at"] is not None

    me = world.app.test_client().get(f"{API}/auth/me", headers=bearer(on_device["access"]))
    body = assert_problem(me, "device-revoked", 401)
    assert body["wipe"] is True
    again = world.app.test_client().post(f"{API}/auth/refresh", headers=bearer(on_device["refresh"]))
    assert_problem(again, "device-revoked", 401)
    assert family_row(world.app, on_device["access"])["revoked_reason"] == "device-revoked"
    # The user's session on no device goes on.
    other = world.app.test_client().get(f"{API}/auth/me", headers=bearer(elsewhere["access"]))
    assert other.status_code == 200

    [event] = audit_rows(world.app, "device-revoked")
    assert event["actor_id"] == world.admin.id
    assert event["target_id"] == str(device)


def test_a_revoked_device_cannot_log_in_again(world: World) -> None:
    device = world.investigator.device_id
    world.tokens(world.investigator)
    assert world.client(world.admin).post(f"{API}/devices/{device}/revoke").status_code == 200
    body = assert_problem(token_login(world, device), "device-revoked", 401)
    assert body["wipe"] is True
    # The right password is needed to learn that: a wrong one is the usual 401.
    wrong = world.app.test_client().post(
        f"{API}/auth/token",
        json={"username": world.investigator.username, "password": "wrong", "device_id": str(device)},
    )
    assert_problem(wrong, "unauthorized", 401)
    assert token_login(world).status_code == 200


def test_non_admins_cannot_revoke_devices(world: World) -> None:
    device = world.investigator.device_id
    pair = world.tokens(world.investigator)
    for persona in (world.investigator, world.reviewer):
        response = world.client(persona).post(f"{API}/devices/{device}/revoke")
        assert_problem(response, "forbidden", 403)
    assert world.app.test_client().get(f"{API}/auth/me", headers=bearer(pair["access"])).status_code == 200


def test_the_device_list_names_users_and_filters(world: World) -> None:
    world.tokens(world.investigator)
    world.tokens(world.investigator_other)
    admin = world.client(world.admin)  # the admin's own device too
    everyone = admin.get(f"{API}/devices")
    assert everyone.status_code == 200
    by_device = {d["id"]: d for d in everyone.json}
    mine = by_device[str(world.investigator.device_id)]
    assert (mine["username"], mine["user_id"], mine["revoked_at"]) == (
        "ines",
        str(world.investigator.id),
        None,
    )
    assert mine["first_seen_at"].endswith("Z") and mine["last_seen_at"].endswith("Z")
    only = admin.get(f"{API}/devices", query_string={"user_id": str(world.investigator_other.id)})
    assert [d["id"] for d in only.json] == [str(world.investigator_other.device_id)]

    assert admin.post(f"{API}/devices/{world.investigator.device_id}/revoke").status_code == 200
    revoked = admin.get(f"{API}/devices", query_string={"revoked": "true"})
    assert [d["id"] for d in revoked.json] == [str(world.investigator.device_id)]
    live = admin.get(f"{API}/devices", query_string={"revoked": "false"})
    assert str(world.investigator.device_id) not in {d["id"] for d in live.json}
    assert len(live.json) == len(everyone.json) - 1
