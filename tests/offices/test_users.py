"""/users: admins create, change and unlock accounts; nobody else may."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.auth.support import API, ARGON2_MARK, assert_problem, user_row
from tests.factories import World

NEW_PASSWORD = "a long enough password"


def new_user(world: World, **changes: Any) -> dict[str, Any]:
    body = {
        "username": "newbie",
        "display_name": "New Bie",
        "role": "investigator",
        "field_office_id": str(world.houston),
        "password": NEW_PASSWORD,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def test_admin_creates_a_user_who_can_log_in(world: World) -> None:
    response = world.client(world.admin).post(f"{API}/users", json=new_user(world))
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {
        "id",
        "username",
        "display_name",
        "role",
        "field_office_id",
        "active",
        "locked",
        "second_factor",
        "created_at",
    }
    assert body["username"] == "newbie"
    assert body["role"] == "investigator"
    assert body["field_office_id"] == str(world.houston)
    assert body["active"] is True and body["locked"] is False
    assert body["second_factor"] is False
    assert body["created_at"].endswith(("Z", "+00:00"))
    assert ARGON2_MARK not in response.get_data(as_text=True)
    row = user_row(world.app, uuid.UUID(body["id"]))
    assert row["password_hash"].startswith("$argon2id$")
    assert NEW_PASSWORD not in row["password_hash"]
    login = world.app.test_client().post(
        f"{API}/auth/token", json={"username": "newbie", "password": NEW_PASSWORD}
    )
    assert login.status_code == 200, login.json


def test_admin_user_has_no_office(world: World) -> None:
    response = world.client(world.admin).post(
        f"{API}/users", json=new_user(world, role="admin", username="boss")
    )
    assert response.status_code == 201, response.json
    assert response.json["field_office_id"] is None


def test_duplicate_username_is_a_conflict(world: World) -> None:
    response = world.client(world.admin).post(
        f"{API}/users", json=new_user(world, username=world.investigator.username)
    )
    body = assert_problem(response, "conflict", 409)
    assert "taken" in body["detail"]


@pytest.mark.parametrize("role", ["investigator", "reviewer"])
def test_office_is_required_except_for_admins(world: World, role: str) -> None:
    admin = world.client(world.admin)
    for office in (None, ...):
        response = admin.post(f"{API}/users", json=new_user(world, role=role, field_office_id=office))
        body = assert_problem(response, "validation-error", 422)
        assert "field_office_id" in body["errors"]


def test_unknown_office_is_invalid(world: World) -> None:
    response = world.client(world.admin).post(
        f"{API}/users", json=new_user(world, field_office_id=str(uuid.uuid4()))
    )
    body = assert_problem(response, "validation-error", 422)
    assert "field_office_id" in body["errors"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"is_admin": True}, id="create-unknown-field"),
        pytest.param({"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$x$y"}, id="create-hash"),
        pytest.param({"password": "short"}, id="short-password"),
        pytest.param({"role": "superuser"}, id="bad-role"),
        pytest.param({"username": "Has Spaces"}, id="bad-username"),
    ],
)
def test_create_body_is_validated(world: World, changes: dict[str, Any]) -> None:
    response = world.client(world.admin).post(f"{API}/users", json=new_user(world, **changes))
    body = assert_problem(response, "validation-error", 422)
    assert set(body["errors"]) == set(changes)


@pytest.mark.parametrize(
    "patch",
    [
        pytest.param({"locked": False}, id="locked"),
        pytest.param({"username": "renamed"}, id="username"),
        pytest.param({"scope_epoch": 99}, id="scope_epoch"),
    ],
)
def test_update_body_rejects_unknown_fields(world: World, patch: dict[str, Any]) -> None:
    response = world.client(world.admin).patch(f"{API}/users/{world.investigator.id}", json=patch)
    body = assert_problem(response, "validation-error", 422)
    assert set(body["errors"]) == set(patch)
    assert user_row(world.app, world.investigator.id)["username"] == world.investigator.username


@pytest.mark.parametrize("persona", ["investigator", "reviewer"])
def test_non_admins_are_forbidden(world: World, persona: str) -> None:
    client = world.client(world.persona(persona))
    target = world.investigator_other.id
    answers = [
        client.get(f"{API}/users"),
        client.get(f"{API}/users/{target}"),
        client.post(f"{API}/users", json=new_user(world)),
        client.patch(f"{API}/users/{target}", json={"active": False}),
        client.patch(f"{API}/users/{world.persona(persona).id}", json={"role": "admin"}),
        client.post(f"{API}/users/{target}/unlock"),
        client.get(f"{API}/field-offices"),
    ]
    for response in answers:
        body = assert_problem(response, "forbidden", 403)
        assert "admin" in body["detail"]
    assert user_row(world.app, target)["active"] is True
    assert user_row(world.app, world.persona(persona).id)["role"] == persona


def test_unknown_user_is_not_found(world: World) -> None:
    admin = world.client(world.admin)
    missing = uuid.uuid4()
    for response in (
        admin.get(f"{API}/users/{missing}"),
        admin.patch(f"{API}/users/{missing}", json={"active": False}),
        admin.post(f"{API}/users/{missing}/unlock"),
    ):
        assert_problem(response, "not-found", 404)


def test_admin_lists_and_filters_users(world: World) -> None:
    admin = world.client(world.admin)
    everyone = admin.get(f"{API}/users")
    assert everyone.status_code == 200
    assert [u["username"] for u in everyone.json] == ["ada", "ines", "pat", "ray", "rita"]
    reviewers = admin.get(f"{API}/users?role=reviewer&field_office_id={world.phoenix}")
    assert [u["username"] for u in reviewers.json] == ["rita"]


def test_admin_cannot_demote_or_disable_themselves(world: World) -> None:
    admin = world.client(world.admin)
    for patch in ({"role": "reviewer", "field_office_id": str(world.houston)}, {"active": False}):
        response = admin.patch(f"{API}/users/{world.admin.id}", json=patch)
        assert_problem(response, "conflict", 409)
    row = user_row(world.app, world.admin.id)
    assert row["role"] == "admin" and row["active"] is True


def test_role_change_to_admin_drops_the_office(world: World) -> None:
    response = world.client(world.admin).patch(f"{API}/users/{world.reviewer.id}", json={"role": "admin"})
    assert response.status_code == 200, response.json
    assert response.json["role"] == "admin"
    assert response.json["field_office_id"] is None
    row = user_row(world.app, world.reviewer.id)
    assert row["scope_epoch"] == 2
