"""JWTs: forged, expired and misused tokens, refresh rotation and reuse, revocation."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest

from inspector.db import utcnow
from tests.auth.support import (
    API,
    assert_problem,
    audit_rows,
    bearer,
    claims,
    family_row,
    minutes_ago,
    update_family,
)
from tests.factories import PASSWORD, World
from tests.statements import recorded_statements

SECRET = "test-secret-key-that-is-long-enough-0123456789"  # tests/conftest.py's key


def me(world: World, token: str) -> Any:
    return world.app.test_client().get(f"{API}/auth/me", headers=bearer(token))


def refresh(world: World, token: str) -> Any:
    return world.app.test_client().post(f"{API}/auth/refresh", headers=bearer(token))


def resign(token: str, key: str = SECRET, **changes: Any) -> str:
    """The token's claims, changed and signed again with ``key`` (HS256)."""
    payload = {**claims(token), **changes}
    return jwt.encode(payload, key, algorithm="HS256")


def unsigned(token: str) -> str:
    """The token's claims under ``alg: none`` and an empty signature."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(token))}."


# -- forged, expired and misused tokens ---------------------------------------------


def test_a_token_signed_again_with_the_right_key_is_accepted(world: World) -> None:
    """Control for the forgeries below: re-signing alone does not break a token."""
    access = world.tokens(world.investigator)["access"]
    response = me(world, resign(access))
    assert response.status_code == 200, response.json
    assert response.json["username"] == world.investigator.username


def test_expired_access_token(world: World) -> None:
    access = world.tokens(world.investigator)["access"]
    expired = resign(access, exp=int(utcnow().timestamp()) - 5)
    body = assert_problem(me(world, expired), "token-expired", 401)
    assert "expired" in body["detail"]


def test_bad_signature(world: World) -> None:
    access = world.tokens(world.investigator)["access"]
    forged = resign(access, key="another-secret-key-that-is-long-enough-987654")
    assert_problem(me(world, forged), "unauthorized", 401)


def test_tampered_claims_break_the_signature(world: World) -> None:
    access = world.tokens(world.investigator)["access"]
    header, _payload, signature = access.split(".")
    raised = {**claims(access), "role": "admin"}
    payload = base64.urlsafe_b64encode(json.dumps(raised).encode()).rstrip(b"=").decode()
    assert_problem(me(world, f"{header}.{payload}.{signature}"), "unauthorized", 401)


def test_alg_none_token(world: World) -> None:
    access = world.tokens(world.investigator)["access"]
    assert_problem(me(world, unsigned(access)), "unauthorized", 401)


def test_garbage_token(world: World) -> None:
    assert_problem(me(world, "not.a.jwt"), "unauthorized", 401)


def test_no_token(world: World) -> None:
    response = world.app.test_client().get(f"{API}/auth/me")
    assert_problem(response, "unauthorized", 401)


def test_refresh_token_is_not_an_access_token(world: World) -> None:
    pair = world.tokens(world.investigator)
    assert_problem(me(world, pair["refresh"]), "unauthorized", 401)
    assert me(world, pair["access"]).status_code == 200


def test_access_token_is_not_a_refresh_token(world: World) -> None:
    pair = world.tokens(world.investigator)
    assert_problem(refresh(world, pair["access"]), "unauthorized", 401)


def test_token_with_a_generation_the_server_never_issued(world: World) -> None:
    access = world.tokens(world.investigator)["access"]
    # Only someone holding the secret could do this; the family still says no.
    assert_problem(me(world, resign(access, gen=claims(access)["gen"] + 1)), "token-revoked", 401)


# -- refresh rotation and reuse -----------------------------------------------------


def test_refresh_rotates_to_a_new_pair(world: World) -> None:
    old = world.tokens(world.investigator)
    response = refresh(world, old["refresh"])
    assert response.status_code == 200, response.json
    new = response.json
    assert new["token_type"] == "Bearer"
    assert new["expires_in"] == 15 * 60
    assert {new["access_token"], new["refresh_token"]}.isdisjoint(old.values())
    assert claims(new["refresh_token"])["fam"] == claims(old["refresh"])["fam"]
    assert claims(new["refresh_token"])["gen"] == claims(old["refresh"])["gen"] + 1
    assert me(world, new["access_token"]).json["username"] == world.investigator.username
    # The new refresh token rotates in turn.
    again = refresh(world, new["refresh_token"])
    assert again.status_code == 200
    assert again.json["refresh_token"] != new["refresh_token"]


def test_spent_refresh_token_within_grace_gets_the_same_pair(world: World) -> None:
    old = world.tokens(world.investigator)
    first = refresh(world, old["refresh"])
    assert first.status_code == 200
    second = refresh(world, old["refresh"])
    assert second.status_code == 200, second.json
    assert second.json == first.json
    assert family_row(world.app, old["refresh"])["revoked_at"] is None
    assert me(world, first.json["access_token"]).status_code == 200
    assert refresh(world, first.json["refresh_token"]).status_code == 200
    assert audit_rows(world.app, "refresh-reuse") == []


@pytest.mark.parametrize("how", ["rotated_at", "grace_config"])
def test_spent_refresh_token_after_grace_revokes_the_family(
    world: World, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = world.tokens(world.investigator)
    other_session = world.tokens(world.investigator)
    first = refresh(world, old["refresh"])
    assert first.status_code == 200
    new = first.json
    if how == "rotated_at":
        update_family(world.app, old["refresh"], rotated_at=utcnow() - timedelta(seconds=31))
    else:
        monkeypatch.setitem(world.app.config, "REFRESH_REUSE_GRACE", timedelta(0))

    client = world.app.test_client()
    reuse = client.post(
        f"{API}/auth/refresh",
        headers=bearer(old["refresh"]),
        environ_overrides={"REMOTE_ADDR": "198.51.100.23"},
    )
    body = assert_problem(reuse, "token-revoked", 401)
    assert "spent" in body["detail"]

    # Every token of the family fails from now on.
    assert_problem(refresh(world, new["refresh_token"]), "token-revoked", 401)
    assert_problem(me(world, new["access_token"]), "token-revoked", 401)
    assert_problem(me(world, old["access"]), "token-revoked", 401)
    assert_problem(refresh(world, old["refresh"]), "token-revoked", 401)
    assert family_row(world.app, old["refresh"])["revoked_reason"] == "refresh-reuse"
    # Another login of the same user is another family, untouched.
    assert me(world, other_session["access"]).status_code == 200

    [event] = audit_rows(world.app, "refresh-reuse")
    assert event["actor_id"] == world.investigator.id
    assert event["actor_username"] == world.investigator.username
    assert event["outcome"] == "failure"
    assert event["target_type"] == "token_family"
    assert event["target_id"] == claims(old["refresh"])["fam"]
    assert event["address"] == "198.51.100.23"


def test_older_spent_refresh_token_revokes_even_within_grace(world: World) -> None:
    """Only the token spent by the latest rotation has a grace; older ones are theft."""
    gen1 = world.tokens(world.investigator)
    gen2 = refresh(world, gen1["refresh"]).json
    gen3 = refresh(world, gen2["refresh_token"]).json
    assert_problem(refresh(world, gen1["refresh"]), "token-revoked", 401)
    assert_problem(me(world, gen3["access_token"]), "token-revoked", 401)


# -- logout and account changes revoke ----------------------------------------------


def test_logout_revokes_access_and_refresh(world: World) -> None:
    pair = world.tokens(world.investigator)
    other_session = world.tokens(world.investigator)
    response = world.app.test_client().post(f"{API}/auth/logout", headers=bearer(pair["access"]))
    assert response.status_code == 204
    assert_problem(me(world, pair["access"]), "token-revoked", 401)
    assert_problem(refresh(world, pair["refresh"]), "token-revoked", 401)
    again = world.app.test_client().post(f"{API}/auth/logout", headers=bearer(pair["access"]))
    assert_problem(again, "token-revoked", 401)
    assert me(world, other_session["access"]).status_code == 200
    assert family_row(world.app, pair["refresh"])["revoked_reason"] == "logout"


def test_logout_needs_an_access_token(world: World) -> None:
    pair = world.tokens(world.investigator)
    response = world.app.test_client().post(f"{API}/auth/logout", headers=bearer(pair["refresh"]))
    assert_problem(response, "unauthorized", 401)
    assert me(world, pair["access"]).status_code == 200


def patch_user(world: World, user_id: Any, body: dict[str, Any]) -> Any:
    response = world.client(world.admin).patch(f"{API}/users/{user_id}", json=body)
    assert response.status_code == 200, response.json
    return response


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda w: {"role": "reviewer"}, id="role"),
        pytest.param(lambda w: {"field_office_id": str(w.phoenix)}, id="office"),
        pytest.param(lambda w: {"password": "a brand new password 42"}, id="password-reset"),
    ],
)
def test_account_change_revokes_at_once(world: World, change: Any) -> None:
    pair = world.tokens(world.investigator)
    assert me(world, pair["access"]).status_code == 200
    patch_user(world, world.investigator.id, change(world))
    assert_problem(me(world, pair["access"]), "token-revoked", 401)
    assert_problem(refresh(world, pair["refresh"]), "token-revoked", 401)
    assert family_row(world.app, pair["access"])["revoked_reason"] == "account-changed"


def test_disabled_user_is_told_to_wipe_local_data(world: World) -> None:
    """Like a revoked device: the tablet deletes its data and keys at its next request."""
    pair = world.tokens(world.investigator)
    patch_user(world, world.investigator.id, {"active": False})
    for response in (me(world, pair["access"]), refresh(world, pair["refresh"])):
        assert_problem(response, "account-disabled", 401)
        assert response.json["wipe"] is True
    assert family_row(world.app, pair["access"])["revoked_reason"] == "account-disabled"
    # Enabled again: sessions of other changes are not told to wipe.
    patch_user(world, world.investigator.id, {"active": True})
    again = world.tokens(world.investigator)
    patch_user(world, world.investigator.id, {"role": "reviewer"})
    assert "wipe" not in me(world, again["access"]).json


def test_display_name_change_keeps_sessions(world: World) -> None:
    """Control: only changes to what the user may do end their sessions."""
    pair = world.tokens(world.investigator)
    patch_user(world, world.investigator.id, {"display_name": "Ines Q."})
    assert me(world, pair["access"]).json["display_name"] == "Ines Q."
    assert refresh(world, pair["refresh"]).status_code == 200


def test_disabled_user_cannot_log_in(world: World) -> None:
    patch_user(world, world.investigator.id, {"active": False})
    response = world.app.test_client().post(
        f"{API}/auth/token", json={"username": world.investigator.username, "password": PASSWORD}
    )
    assert_problem(response, "unauthorized", 401)


def test_password_reset_changes_which_password_works(world: World) -> None:
    patch_user(world, world.investigator.id, {"password": "a brand new password 42"})
    client = world.app.test_client()
    old = client.post(
        f"{API}/auth/token", json={"username": world.investigator.username, "password": PASSWORD}
    )
    assert_problem(old, "unauthorized", 401)
    new = client.post(
        f"{API}/auth/token",
        json={"username": world.investigator.username, "password": "a brand new password 42"},
    )
    assert new.status_code == 200


# -- absolute and idle lifetimes ----------------------------------------------------


def test_lifetimes_in_the_claims(world: World) -> None:
    pair = world.tokens(world.investigator)
    access, refresh_claims = claims(pair["access"]), claims(pair["refresh"])
    assert access["exp"] - access["iat"] == 15 * 60
    assert refresh_claims["exp"] - refresh_claims["iat"] == 12 * 3600
    family = family_row(world.app, pair["refresh"])
    assert family["expires_at"] - family["created_at"] == timedelta(hours=12)
    # Rotation keeps the absolute end: 12 hours from login, not from the refresh.
    # (As if the login was 5 hours ago: the rotated refresh token ends 7 hours from now.)
    logged_in = family["created_at"] - timedelta(hours=5)
    update_family(
        world.app, pair["refresh"], created_at=logged_in, expires_at=logged_in + timedelta(hours=12)
    )
    rotated = refresh(world, pair["refresh"]).json
    rotated_claims = claims(rotated["refresh_token"])
    assert rotated_claims["exp"] == int((logged_in + timedelta(hours=12)).timestamp())
    assert rotated_claims["exp"] - rotated_claims["iat"] <= 7 * 3600
    # The access token never outlives the session either.
    update_family(world.app, pair["refresh"], expires_at=utcnow() + timedelta(minutes=5))
    again = refresh(world, rotated["refresh_token"]).json
    assert claims(again["access_token"])["exp"] <= int((utcnow() + timedelta(minutes=5)).timestamp())


def test_twelve_hour_absolute_expiry(world: World) -> None:
    pair = world.tokens(world.investigator)
    update_family(world.app, pair["refresh"], expires_at=utcnow() - timedelta(seconds=1))
    # The JWTs themselves have not expired; the family has.
    assert claims(pair["refresh"])["exp"] > utcnow().timestamp()
    assert_problem(refresh(world, pair["refresh"]), "token-expired", 401)
    assert_problem(me(world, pair["access"]), "token-expired", 401)


def test_still_valid_just_before_the_absolute_end(world: World) -> None:
    pair = world.tokens(world.investigator)
    update_family(world.app, pair["refresh"], expires_at=utcnow() + timedelta(seconds=30))
    assert me(world, pair["access"]).status_code == 200
    assert refresh(world, pair["refresh"]).status_code == 200


def test_thirty_minute_idle_timeout(world: World) -> None:
    pair = world.tokens(world.investigator)
    update_family(world.app, pair["refresh"], last_seen_at=minutes_ago(31))
    assert_problem(me(world, pair["access"]), "token-expired", 401)
    assert_problem(refresh(world, pair["refresh"]), "token-expired", 401)


def test_activity_keeps_a_session_alive(world: World) -> None:
    pair = world.tokens(world.investigator)
    update_family(world.app, pair["refresh"], last_seen_at=minutes_ago(29))
    assert me(world, pair["access"]).status_code == 200
    # That request counted as contact: the idle clock starts again.
    assert utcnow() - family_row(world.app, pair["refresh"])["last_seen_at"] < timedelta(minutes=1)
    assert refresh(world, pair["refresh"]).status_code == 200


def test_checking_a_token_reads_its_family_and_user_in_one_query(world: World) -> None:
    """Every authenticated request pays this; the user comes with the family."""
    from inspector.extensions import db

    client = world.client(world.investigator)
    client.get(f"{API}/auth/me")  # the family's last contact is noted: a write, once a minute
    with world.app.app_context():
        engine = db.engine
    with recorded_statements(engine) as statements:
        assert client.get(f"{API}/auth/me").status_code == 200
    reads = [s for s in statements if "FROM token_families" in s or "FROM users" in s]
    assert len(reads) == 1 and "JOIN users" in reads[0], statements
