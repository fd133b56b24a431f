"""The second factor (TOTP): enrolment from the app, logins with and without the code,
the restricted session of a role that needs one, replay, lockout, disable and admin reset.

The test app turns the requirement off (tests/conftest.py); the ``policy`` fixture
puts the production default back: reviewers and admins need a second factor.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from inspector.auth import totp
from inspector.config import ConfigError, load_config
from tests.assertions import assert_problem
from tests.auth.support import API, bearer, claims
from tests.factories import PASSWORD, Persona, World


class Clock:
    """The clock codes are checked against, moved by the tests in 30-second steps."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def step(self, steps: int = 1) -> None:
        self.now += totp.STEP_SECONDS * steps


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(totp, "now", lambda: clock.now)
    return clock


@pytest.fixture
def policy(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default policy of production: reviewers and admins need a second factor."""
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", frozenset({"reviewer", "admin"}))


def token_login(app: Flask, persona: Persona, otp: str | None = None, password: str = PASSWORD) -> Any:
    body: dict[str, Any] = {
        "username": persona.username,
        "password": password,
        "device_id": str(persona.device_id),
    }
    if otp is not None:
        body["totp"] = otp
    return app.test_client().post(f"{API}/auth/token", json=body)


def user_row(app: Flask, persona: Persona) -> Any:
    from inspector.extensions import db
    from inspector.offices.models import User

    with app.app_context():
        user = db.session.get(User, persona.id)
        assert user is not None
        db.session.expunge(user)
        return user


def bearer_client(app: Flask, access: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {access}"
    return client


def enrol(app: Flask, client: FlaskClient, clock: Clock) -> tuple[str, dict[str, Any]]:
    """Start and confirm an enrolment in the client's session; returns the secret and the answer."""
    started = client.post(f"{API}/auth/totp/enrol")
    assert started.status_code == 200, started.get_data(as_text=True)
    secret = started.json["secret"]
    confirmed = client.post(f"{API}/auth/totp/confirm", json={"code": totp.current_code(secret, clock.now)})
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    return secret, confirmed.json


@pytest.fixture
def enrolled(app: Flask, world: World, clock: Clock) -> str:
    """The reviewer has an authenticator app; returns its secret."""
    client = world.client(world.reviewer)
    secret, _ = enrol(app, client, clock)
    clock.step()
    return secret


# ---- the codes themselves (pure) ---------------------------------------------------------------


def test_a_code_is_good_for_its_step_and_one_either_side_once() -> None:
    secret = totp.new_secret()
    at = 1_800_000_015.0
    step = int(at) // 30
    assert totp.accepted_step(secret, totp.current_code(secret, at), None, at) == step
    # the phone's clock a step behind or ahead
    assert totp.accepted_step(secret, totp.current_code(secret, at - 30), None, at) == step - 1
    assert totp.accepted_step(secret, totp.current_code(secret, at + 30), None, at) == step + 1
    # two steps off is too old, or too early
    assert totp.accepted_step(secret, totp.current_code(secret, at - 60), None, at) is None
    assert totp.accepted_step(secret, totp.current_code(secret, at + 60), None, at) is None
    # once used, neither that code nor an older one still in the window is taken again
    assert totp.accepted_step(secret, totp.current_code(secret, at), step, at) is None
    assert totp.accepted_step(secret, totp.current_code(secret, at - 30), step, at) is None
    assert totp.accepted_step(secret, totp.current_code(secret, at + 30), step, at) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert totp.accepted_step(totp.new_secret(), code, None) is None


def test_codes_with_spaces_are_read_as_typed() -> None:
    secret = totp.new_secret()
    code = totp.current_code(secret, 1_800_000_000)
    assert totp.accepted_step(secret, f"{code[:3]} {code[3:]}", None, 1_800_000_000) is not None


def test_the_otpauth_uri_names_the_issuer_and_the_account() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ray", "Inspector")
    assert uri.startswith("otpauth://totp/Inspector:ray?")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=Inspector" in uri


# ---- the policy (configuration) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        (None, {"reviewer", "admin"}),
        ("all", {"investigator", "reviewer", "admin"}),
        ("none", set()),
        ("admin", {"admin"}),
        (" Reviewer , admin ", {"reviewer", "admin"}),
    ],
)
def test_the_roles_that_need_a_second_factor_are_configurable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None, roles: set[str]
) -> None:
    monkeypatch.delenv("INSPECTOR_MFA_REQUIRED_ROLES", raising=False)
    if value is not None:
        monkeypatch.setenv("INSPECTOR_MFA_REQUIRED_ROLES", value)
    assert load_config(str(tmp_path))["MFA_REQUIRED_ROLES"] == roles


def test_an_unknown_role_in_the_policy_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INSPECTOR_MFA_REQUIRED_ROLES", "reviewer,auditor")
    with pytest.raises(ConfigError, match="auditor"):
        load_config(str(tmp_path))


# ---- a role that needs a second factor, not enrolled yet -----------------------------------------


@pytest.mark.usefixtures("policy")
def test_a_reviewer_without_a_second_factor_gets_only_an_enrolment_session(app: Flask, world: World) -> None:
    response = token_login(app, world.reviewer)
    assert response.status_code == 200, response.get_data(as_text=True)
    access, refresh = response.json["access_token"], response.json["refresh_token"]
    assert claims(access)["mfa_enrol"] is True
    client = bearer_client(app, access)

    me = client.get(f"{API}/auth/me")
    assert me.status_code == 200
    assert me.json["mfa_enrolment_required"] is True and me.json["totp_enabled"] is False
    status = client.get(f"{API}/auth/totp")
    assert status.json == {"enabled": False, "enabled_at": None, "pending": False, "required": True}
    for method, path in [
        ("GET", "/licensees"),
        ("GET", "/inspections"),
        ("GET", "/leads"),
        ("POST", "/sync/push"),
        ("GET", f"/inspections/{world.inspection}"),
    ]:
        refused = client.open(f"{API}{path}", method=method, json={} if method == "POST" else None)
        assert_problem(refused, 403, "mfa-enrolment-required")
    # a refresh keeps the session alive, still restricted
    rotated = app.test_client().post(f"{API}/auth/refresh", headers=bearer(refresh))
    assert rotated.status_code == 200
    assert claims(rotated.json["access_token"])["mfa_enrol"] is True


@pytest.mark.usefixtures("policy")
def test_the_pwa_login_says_enrolment_is_required(app: Flask, world: World) -> None:
    body = {"username": world.admin.username, "password": PASSWORD, "device_id": str(uuid.uuid4())}
    response = app.test_client().post(f"{API}/auth/login", json=body)
    assert response.status_code == 200
    assert response.json["user"]["mfa_enrolment_required"] is True


@pytest.mark.usefixtures("policy")
def test_an_investigator_needs_no_second_factor_by_default(app: Flask, world: World) -> None:
    response = token_login(app, world.investigator)
    assert response.status_code == 200
    assert "mfa_enrol" not in claims(response.json["access_token"])
    client = bearer_client(app, response.json["access_token"])
    assert client.get(f"{API}/licensees").status_code == 200
    assert client.get(f"{API}/auth/me").json["mfa_enrolment_required"] is False


def test_with_all_roles_investigators_must_enrol_too(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", frozenset({"investigator", "reviewer", "admin"}))
    client = bearer_client(app, token_login(app, world.investigator).json["access_token"])
    assert_problem(client.get(f"{API}/licensees"), 403, "mfa-enrolment-required")


def test_without_a_required_role_nobody_is_restricted(app: Flask, world: World) -> None:
    client = bearer_client(app, token_login(app, world.reviewer).json["access_token"])
    assert client.get(f"{API}/licensees").status_code == 200


# ---- enrolment -------------------------------------------------------------------------------


@pytest.mark.usefixtures("policy")
def test_enrolment_lifts_the_restriction_and_ends_the_other_sessions(
    app: Flask, world: World, clock: Clock
) -> None:
    other_session = token_login(app, world.reviewer).json["access_token"]
    login = token_login(app, world.reviewer).json
    client = bearer_client(app, login["access_token"])

    started = client.post(f"{API}/auth/totp/enrol")
    assert started.status_code == 200
    secret = started.json["secret"]
    assert started.json["otpauth_uri"].startswith("otpauth://totp/Inspector:ray?")
    assert client.get(f"{API}/auth/totp").json["pending"] is True

    wrong = client.post(f"{API}/auth/totp/confirm", json={"code": "000000"})
    assert "code" in assert_problem(wrong, 422, "validation-error")["errors"]
    assert user_row(app, world.reviewer).totp_enabled_at is None

    confirmed = client.post(f"{API}/auth/totp/confirm", json={"code": totp.current_code(secret, clock.now)})
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert confirmed.json["totp"]["enabled"] is True and confirmed.json["totp"]["enabled_at"]
    new_access = confirmed.json["access_token"]
    assert "mfa_enrol" not in claims(new_access)
    assert claims(new_access)["fam"] == claims(login["access_token"])["fam"]  # the same session, moved on
    assert bearer_client(app, new_access).get(f"{API}/licensees").status_code == 200
    assert bearer_client(app, new_access).get(f"{API}/auth/me").json["totp_enabled"] is True

    assert_problem(bearer_client(app, other_session).get(f"{API}/auth/me"), 401, "token-revoked")
    # the secret never leaves the server again
    again = bearer_client(app, new_access).post(f"{API}/auth/totp/enrol")
    assert again.status_code == 409
    assert secret not in again.get_data(as_text=True)
    assert secret not in bearer_client(app, new_access).get(f"{API}/auth/totp").get_data(as_text=True)


def test_confirming_before_starting_is_a_conflict(app: Flask, world: World) -> None:
    client = world.client(world.reviewer)
    assert_problem(client.post(f"{API}/auth/totp/confirm", json={"code": "123456"}), 409, "conflict")


def test_a_pwa_session_confirms_through_cookies(app: Flask, world: World, clock: Clock) -> None:
    client = app.test_client()
    body = {"username": world.investigator.username, "password": PASSWORD, "device_id": str(uuid.uuid4())}
    assert client.post(f"{API}/auth/login", json=body).status_code == 200
    csrf = {"X-CSRF-TOKEN": client.get_cookie("csrf_access_token").value}  # type: ignore[union-attr]
    secret = client.post(f"{API}/auth/totp/enrol", headers=csrf).json["secret"]
    confirmed = client.post(
        f"{API}/auth/totp/confirm", json={"code": totp.current_code(secret, clock.now)}, headers=csrf
    )
    assert confirmed.status_code == 200
    assert "access_token" not in confirmed.json  # the new generation travels only in HttpOnly cookies
    assert any("access_token_cookie=" in c for c in confirmed.headers.getlist("Set-Cookie"))
    assert client.get(f"{API}/auth/me").json["totp_enabled"] is True


# ---- logging in with a second factor ---------------------------------------------------------


@pytest.mark.usefixtures("policy")
def test_login_asks_for_the_code_and_takes_each_code_once(
    app: Flask, world: World, clock: Clock, enrolled: str
) -> None:
    body = assert_problem(token_login(app, world.reviewer), 401, "otp-required")
    assert "access_token" not in body
    assert user_row(app, world.reviewer).failed_logins == 0  # asking is not failing

    code = totp.current_code(enrolled, clock.now)
    ok = token_login(app, world.reviewer, code)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert "mfa_enrol" not in claims(ok.json["access_token"])
    assert bearer_client(app, ok.json["access_token"]).get(f"{API}/licensees").status_code == 200

    assert_problem(token_login(app, world.reviewer, code), 401, "otp-required")  # replayed
    clock.step()
    assert token_login(app, world.reviewer, totp.current_code(enrolled, clock.now)).status_code == 200


def test_the_pwa_login_takes_the_code_too(app: Flask, world: World, clock: Clock, enrolled: str) -> None:
    body = {"username": world.reviewer.username, "password": PASSWORD, "device_id": str(uuid.uuid4())}
    client = app.test_client()
    assert_problem(client.post(f"{API}/auth/login", json=body), 401, "otp-required")
    body["totp"] = totp.current_code(enrolled, clock.now)
    response = client.post(f"{API}/auth/login", json=body)
    assert response.status_code == 200
    assert response.json["user"]["totp_enabled"] is True


def test_a_wrong_password_with_a_right_code_is_a_wrong_password(
    app: Flask, world: World, clock: Clock, enrolled: str
) -> None:
    response = token_login(app, world.reviewer, totp.current_code(enrolled, clock.now), password="wrong")
    assert_problem(response, 401, "unauthorized")


def test_wrong_codes_count_as_failed_logins_and_lock_the_account(
    app: Flask, world: World, clock: Clock, enrolled: str
) -> None:
    from inspector.audit.models import AuditEvent
    from inspector.extensions import db

    threshold = app.config["LOCKOUT_THRESHOLD"]
    right = totp.current_code(enrolled, clock.now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for attempt in range(1, threshold + 1):
        assert_problem(token_login(app, world.reviewer, wrong), 401, "otp-required")
        assert user_row(app, world.reviewer).failed_logins == attempt
    assert user_row(app, world.reviewer).locked is True
    assert_problem(token_login(app, world.reviewer, right), 403, "account-locked")
    with app.app_context():
        reasons = db.session.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "login", AuditEvent.outcome == "failure")
        ).all()
    assert sum(1 for d in reasons if d.get("reason") == "wrong-otp") == threshold


# ---- turning it off ----------------------------------------------------------------------------


@pytest.mark.usefixtures("policy")
def test_disabling_needs_the_password_and_a_code_and_ends_every_session(
    app: Flask, world: World, clock: Clock, enrolled: str
) -> None:
    access = token_login(app, world.reviewer, totp.current_code(enrolled, clock.now)).json["access_token"]
    clock.step()
    client = bearer_client(app, access)
    code = totp.current_code(enrolled, clock.now)

    refused = client.post(f"{API}/auth/totp/disable", json={"password": "wrong", "code": code})
    assert_problem(refused, 422, "validation-error")
    assert user_row(app, world.reviewer).failed_logins == 1
    assert user_row(app, world.reviewer).totp_enabled_at is not None

    done = client.post(f"{API}/auth/totp/disable", json={"password": PASSWORD, "code": code})
    assert done.status_code == 204, done.get_data(as_text=True)
    row = user_row(app, world.reviewer)
    assert row.totp_enabled_at is None and row.totp_secret is None
    assert client.get(f"{API}/auth/me").status_code == 401
    # the next login is by password, and the role sends it back to enrolment
    again = token_login(app, world.reviewer)
    assert again.status_code == 200 and claims(again.json["access_token"])["mfa_enrol"] is True


def test_an_admin_reset_removes_the_factor_and_ends_the_sessions(
    app: Flask, world: World, clock: Clock, enrolled: str
) -> None:
    from inspector.audit.models import AuditEvent
    from inspector.auth.service import reset_totp
    from inspector.extensions import db
    from inspector.offices.models import User
    from inspector.problems import Problem

    access = token_login(app, world.reviewer, totp.current_code(enrolled, clock.now)).json["access_token"]
    with app.app_context():
        user = db.session.get(User, world.reviewer.id)
        investigator = db.session.get(User, world.investigator.id)
        admin = db.session.get(User, world.admin.id)
        assert user is not None and investigator is not None and admin is not None
        with pytest.raises(Problem) as refused:
            reset_totp(db.session, user, investigator)
        assert refused.value.status == 403
        reset_totp(db.session, user, admin, "192.0.2.7")
        db.session.commit()
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "totp-reset")).one()
        assert event.actor_id == admin.id and event.target_id == str(user.id)
    assert user_row(app, world.reviewer).totp_enabled_at is None
    assert bearer_client(app, access).get(f"{API}/auth/me").status_code == 401
    assert token_login(app, world.reviewer).status_code == 200  # no code asked any more


def test_a_code_refused_for_a_revoked_device_is_not_used_up(
    app: Flask, world: World, clock: Clock, enrolled: str
) -> None:
    """A revoked installation wipes itself and logs in again as a new device with the same code."""
    from inspector.auth.models import Device
    from inspector.db import utcnow
    from inspector.extensions import db

    with app.app_context():
        device = db.session.get(Device, world.reviewer.device_id)  # bound by the enrolling login
        assert device is not None
        device.revoked_at = utcnow()
        db.session.commit()
    code = totp.current_code(enrolled, clock.now)
    assert_problem(token_login(app, world.reviewer, code), 401, "device-revoked")
    fresh = Persona(world.reviewer.id, world.reviewer.username, "reviewer", world.houston)
    assert token_login(app, fresh, code).status_code == 200
    assert_problem(token_login(app, fresh, code), 401, "otp-required")  # now it is used
