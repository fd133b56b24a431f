"""Device revocation: a lost tablet's sessions die and it is told to wipe its data.

Contract (sync-protocol.md, "Devices and versions"): an admin can revoke a
device; its token families die, and its next request gets 401 with problem type
``device-revoked`` and ``"wipe": true``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import PASSWORD, Persona, World
from tests.sync.helpers import (
    another_device,
    assert_problem,
    change,
    pull_response,
    push_response,
)


def revoke(client: FlaskClient, device_id: uuid.UUID) -> Any:
    return client.post(f"/api/v1/devices/{device_id}/revoke")


def assert_wipe(response: Any) -> None:
    body = assert_problem(response, 401, "device-revoked")
    assert body["wipe"] is True


def a_push(persona: Persona, world: World) -> dict[str, Any]:
    return change("finding", world.finding, "update", {"note": f"from {persona.device_id}"}, 1)


def login(client: FlaskClient, persona: Persona, device_id: uuid.UUID | None, path: str = "token") -> Any:
    body: dict[str, Any] = {"username": persona.username, "password": PASSWORD}
    if device_id is not None:
        body["device_id"] = str(device_id)
    return client.post(f"/api/v1/auth/{path}", json=body)


def devices(world: World) -> list[dict[str, Any]]:
    response = world.client(world.admin).get("/api/v1/devices")
    assert response.status_code == 200, response.get_data(as_text=True)
    listed: list[dict[str, Any]] = response.get_json()
    return listed


def test_admin_lists_devices(world: World) -> None:
    second = another_device(world.investigator)
    world.client(world.investigator)
    world.client(second)
    world.client(world.reviewer)
    listed = {d["id"]: d for d in devices(world)}
    for persona, user in (
        (world.investigator, world.investigator),
        (second, world.investigator),
        (world.reviewer, world.reviewer),
    ):
        device = listed[str(persona.device_id)]
        assert device["user_id"] == str(user.id)
        assert device["revoked_at"] is None
        assert device["last_seen_at"]


@pytest.mark.parametrize("persona", ["investigator", "reviewer", "investigator_other"])
def test_only_admins_list_and_revoke_devices(world: World, persona: str) -> None:
    target = world.investigator
    world.client(target)
    client = world.client(world.persona(persona))
    assert_problem(client.get("/api/v1/devices"), 403, "forbidden")
    assert_problem(revoke(client, target.device_id), 403, "forbidden")
    assert all(d["revoked_at"] is None for d in devices(world))
    # The device still works.
    assert world.client(target).get("/api/v1/auth/me").status_code == 200


def test_revoking_an_unknown_device_is_404(world: World) -> None:
    assert_problem(revoke(world.client(world.admin), uuid.uuid4()), 404, "not-found")


def test_a_revoked_device_is_told_to_wipe_on_every_request(world: World) -> None:
    lost = world.investigator
    kept = another_device(world.investigator)
    lost_client = world.client(lost)
    refresh_token = world.tokens(lost)["refresh"]
    kept_client = world.client(kept)
    assert push_response(lost_client, lost, a_push(lost, world)).status_code == 200

    response = revoke(world.client(world.admin), lost.device_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == str(lost.device_id)
    assert body["revoked_at"]
    assert devices(world) and {d["id"]: d for d in devices(world)}[str(lost.device_id)]["revoked_at"]

    assert_wipe(push_response(lost_client, lost, a_push(lost, world)))
    assert_wipe(pull_response(lost_client, lost))
    assert_wipe(lost_client.get("/api/v1/auth/me"))
    assert_wipe(lost_client.get(f"/api/v1/inspections/{world.inspection}"))
    refreshed = world.app.test_client().post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"}
    )
    assert_wipe(refreshed)

    # Logging in again from that tablet does not bring it back, with either login.
    anonymous = world.app.test_client()
    assert_wipe(login(anonymous, lost, lost.device_id))
    assert_wipe(login(anonymous, lost, lost.device_id, "login"))
    # Nor does another user's login move the revoked device to them.
    assert_wipe(login(anonymous, world.investigator_other, lost.device_id))

    # The user's other tablet keeps working, and so does a fresh tablet.
    assert kept_client.get("/api/v1/auth/me").status_code == 200
    assert pull_response(kept_client, kept).status_code == 200
    second_push = change("finding", world.finding, "update", {"instances": 0}, 2)
    response = push_response(kept_client, kept, second_push)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["receipts"][0]["status"] in ("applied", "merged")
    fresh = another_device(world.investigator)
    assert login(anonymous, fresh, fresh.device_id).status_code == 200


def test_revoking_twice_is_harmless(world: World) -> None:
    world.client(world.investigator)
    admin = world.client(world.admin)
    first = revoke(admin, world.investigator.device_id)
    second = revoke(admin, world.investigator.device_id)
    assert first.status_code == second.status_code == 200
    assert first.get_json()["revoked_at"] == second.get_json()["revoked_at"]


def test_other_users_devices_are_untouched(world: World) -> None:
    ines = world.client(world.investigator)
    pat = world.client(world.investigator_other)
    assert revoke(world.client(world.admin), world.investigator.device_id).status_code == 200
    assert_wipe(ines.get("/api/v1/auth/me"))
    assert pat.get("/api/v1/auth/me").status_code == 200
    assert pull_response(pat, world.investigator_other).status_code == 200
