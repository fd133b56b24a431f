"""Logins, token families, lockout and the role rules every area shares."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.util import identity_key

from inspector.audit import service as audit
from inspector.auth import totp
from inspector.auth.models import Device, TokenFamily
from inspector.auth.passwords import verify_password
from inspector.auth.tokens import TokenPair, family_problem, issue_pair
from inspector.db import short_write, utcnow
from inspector.offices.models import User
from inspector.problems import Problem

#: how often a family's last contact is written (idle timeout is 30 minutes).
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@dataclass
class LoginResult:
    """What a login attempt ended in; the route commits it before answering."""

    user: User | None
    tokens: TokenPair | None
    problem: Problem | None


def require_role(actor: User, *roles: str) -> None:
    """A role that may not use a function at all gets 403 (objects out of scope are 404)."""
    if actor.role not in roles:
        raise Problem("forbidden", f"This needs the role {' or '.join(roles)}.")


def login(
    session: Session,
    *,
    username: str,
    password: str,
    device_id: uuid.UUID | None,
    address: str | None,
    user_agent: str | None = None,
    otp: str | None = None,
) -> LoginResult:
    """Check a password (and the code of an enrolled second factor), count failures,
    lock on the 5th in 15 minutes, start a family.

    A wrong user name and a wrong password answer the same; a locked account
    answers ``account-locked`` only to the right password. A wrong or replayed
    code counts as a failed login, a missing one does not (the client asks for it).
    """
    config = current_app.config
    user = session.scalar(sa.select(User).where(User.username == username).with_for_update())
    password_ok = verify_password(user.password_hash if user else None, password)
    wrong = Problem("unauthorized", "Wrong user name or password.")

    def refused(problem: Problem, reason: str, **details: Any) -> LoginResult:
        """Every refusal is audited with its reason; the caller sees only ``problem``."""
        audit.record(
            session,
            "login",
            outcome="failure",
            actor=user,
            actor_username=username[:80],
            address=address,
            details={"reason": reason, **details},
        )
        return LoginResult(user, None, problem)

    if user is None:
        return refused(wrong, "unknown-user")
    if not password_ok:
        return refused(wrong, "wrong-password", failures=count_failure(session, user, address))
    if user.locked:
        return refused(
            Problem("account-locked", "This account is locked; ask an admin to unlock it."), "locked"
        )
    if not user.active:
        return refused(wrong, "disabled")
    step: int | None = None
    if user.totp_enabled_at is not None:
        if not otp:
            asked = Problem("otp-required", "Enter the 6-digit code of your authenticator app.")
            return refused(asked, "otp-missing")
        step = totp.accepted_step(user.totp_secret or "", otp, user.totp_last_step)
        if step is None:
            failures = count_failure(session, user, address)
            bad = Problem("otp-required", "The code is wrong or was already used; enter the current one.")
            return refused(bad, "wrong-otp", failures=failures)
    if device_id is not None:
        device = bind_device(session, user, device_id, user_agent)
        if device.revoked_at is not None:
            revoked = Problem("device-revoked", "This device was revoked; clear its data.", wipe=True)
            return refused(revoked, "device-revoked", device_id=str(device_id))
    if step is not None:
        user.totp_last_step = step  # used up only by a login that succeeds (a revoked device retries)
    user.failed_logins = 0
    user.failed_window_started_at = None
    now = utcnow().replace(microsecond=0)
    family = TokenFamily(
        user_id=user.id,
        device_id=device_id,
        created_at=now,
        generation_issued_at=now,
        last_seen_at=now,
        expires_at=now + config["JWT_REFRESH_TOKEN_EXPIRES"],
    )
    session.add(family)
    session.flush()
    audit.record(
        session,
        "login",
        actor=user,
        address=address,
        details={"device_id": str(device_id) if device_id else None, "family": str(family.id)},
    )
    return LoginResult(user, issue_pair(family, user), None)


def count_failure(session: Session, user: User, address: str | None) -> int:
    """One more failed login in the window; the threshold locks the account. Returns the count."""
    config = current_app.config
    now = utcnow()
    window: timedelta = config["LOCKOUT_WINDOW"]
    if user.failed_window_started_at is None or now - user.failed_window_started_at > window:
        user.failed_window_started_at = now
        user.failed_logins = 0
    user.failed_logins += 1
    if not user.locked and user.failed_logins >= config["LOCKOUT_THRESHOLD"]:
        user.locked = True
        audit.record(
            session, "account-locked", actor=user, target_type="user", target_id=user.id, address=address
        )
    return user.failed_logins


def bind_device(session: Session, user: User, device_id: uuid.UUID, user_agent: str | None) -> Device:
    """A device id belongs to the first user who logs in with it; another user's login moves it."""
    device = session.get(Device, device_id)
    now = utcnow()
    if device is None:
        device = Device(
            id=device_id,
            user_id=user.id,
            first_seen_at=now,
            last_seen_at=now,
            user_agent=(user_agent or "")[:255] or None,
        )
        session.add(device)
        # Stored now: the token family that names it is inserted next, and the unit of work
        # does not order the two (no relationship links them).
        session.flush()
    elif device.revoked_at is None:
        device.user_id = user.id
        device.last_seen_at = now
    return device


def token_family(session: Session, payload: dict[str, Any]) -> TokenFamily | None:
    """The login a token belongs to, read with its user and device: while the caller holds the
    family, the lookups that follow find both in the session (one query, not three)."""
    if not payload.get("fam"):
        return None
    family_id = uuid.UUID(payload["fam"])
    if (known := session.identity_map.get(identity_key(TokenFamily, family_id))) is not None:
        return known  # type: ignore[no-any-return]
    return session.execute(_family_query(), {"family": family_id}).scalar_one_or_none()


@cache
def _family_query() -> sa.Select[TokenFamily]:
    """Built once: every authenticated request runs it."""
    return (
        sa.select(TokenFamily)
        .options(joinedload(TokenFamily.user), joinedload(TokenFamily.device))
        .where(TokenFamily.id == sa.bindparam("family", type_=sa.Uuid))
    )


def check_token(
    session: Session, family: TokenFamily | None, payload: dict[str, Any], address: str | None = None
) -> Problem | None:
    """Decide whether a decoded token (of ``family``) may be used now; notes the family's last contact.

    A spent refresh token presented again more than 30 seconds after its
    rotation revokes the whole family (someone else holds a copy).
    """
    problem = family_problem(family, payload)
    if problem is not None or family is None:
        return problem
    if payload.get("type") == "refresh" and payload["gen"] < family.generation:
        grace: timedelta = current_app.config["REFRESH_REUSE_GRACE"]
        in_grace = (
            payload["gen"] == family.generation - 1
            and family.rotated_at is not None
            and utcnow() - family.rotated_at <= grace
        )
        if not in_grace:
            revoke_family(session, family, "refresh-reuse")
            user = session.get(User, family.user_id)
            audit.record(
                session,
                "refresh-reuse",
                outcome="failure",
                actor=user,
                target_type="token_family",
                target_id=family.id,
                address=address,
                details={"generation": payload["gen"]},
            )
            session.commit()
            return Problem("token-revoked", "A spent refresh token was used again; the session is ended.")
    now = utcnow()
    if now - family.last_seen_at > LAST_SEEN_RESOLUTION:
        short_write(
            session, sa.update(TokenFamily).where(TokenFamily.id == family.id).values(last_seen_at=now)
        )
    return None


def refresh(session: Session, payload: dict[str, Any], user: User) -> TokenPair:
    """Rotate: the presented refresh token is spent, the next generation is issued.

    Presented again within the grace, a spent token gets the same new pair.
    """
    family = session.get(TokenFamily, uuid.UUID(payload["fam"]), with_for_update=True)
    if family is None:
        raise Problem("token-revoked")
    if payload["gen"] == family.generation:
        family.generation += 1
        now = utcnow().replace(microsecond=0)
        family.generation_issued_at = now
        family.rotated_at = utcnow()
    return issue_pair(family, user)


def revoke_family(session: Session, family: TokenFamily, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = utcnow()
        family.revoked_reason = reason


def revoke_families_of(
    session: Session,
    *,
    user_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    reason: str,
) -> int:
    """Revoke every live family of a user or a device at once; returns how many."""
    query = sa.update(TokenFamily).where(TokenFamily.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(TokenFamily.user_id == user_id)
    if device_id is not None:
        query = query.where(TokenFamily.device_id == device_id)
    result = session.execute(
        query.values(revoked_at=utcnow(), revoked_reason=reason),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def logout(session: Session, payload: dict[str, Any], user: User, address: str | None) -> None:
    family = session.get(TokenFamily, uuid.UUID(payload["fam"]))
    if family is not None:
        revoke_family(session, family, "logout")
    audit.record(
        session,
        "logout",
        actor=user,
        target_type="token_family",
        target_id=payload.get("fam"),
        address=address,
    )


def list_devices(actor: User, filters: dict[str, Any] | None = None) -> sa.Select[Device]:
    """Every device with its user, most recent contact first; by user, revoked or not."""
    require_role(actor, "admin")
    query = sa.select(Device)
    filters = filters or {}
    if user_id := filters.get("user_id"):
        query = query.where(Device.user_id == user_id)
    if "revoked" in filters:
        query = query.where(
            Device.revoked_at.is_not(None) if filters["revoked"] else Device.revoked_at.is_(None)
        )
    return query.order_by(Device.last_seen_at.desc(), Device.id)


def device_docs(session: Session, devices: list[Device]) -> list[dict[str, Any]]:
    """Devices with the user name each is bound to (one query for the page's users)."""
    ids = {d.user_id for d in devices}
    users = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    docs = []
    for device in devices:
        user = users.get(device.user_id)
        docs.append(
            {
                **{c: getattr(device, c) for c in ("id", "user_id", "first_seen_at", "last_seen_at")},
                **{c: getattr(device, c) for c in ("user_agent", "last_seq", "revoked_at")},
                "username": user.username if user else None,
                "display_name": user.display_name if user else None,
            }
        )
    return docs


def revoke_device(session: Session, actor: User, device_id: uuid.UUID, address: str | None) -> Device:
    """A lost tablet: its sessions die, and its next request is told to wipe its data."""
    require_role(actor, "admin")
    device = session.get(Device, device_id)
    if device is None:
        raise Problem("not-found", "No such device.")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        device.revoked_by = actor.id
    revoke_families_of(session, device_id=device_id, reason="device-revoked")
    audit.record(
        session,
        "device-revoked",
        actor=actor,
        target_type="device",
        target_id=device_id,
        address=address,
        details={"user_id": str(device.user_id)},
    )
    return device


# -- second factor (TOTP) ---------------------------------------------------------------------


def totp_status(user: User) -> dict[str, Any]:
    return {
        "enabled": user.totp_enabled_at is not None,
        "enabled_at": user.totp_enabled_at,
        "pending": user.totp_enabled_at is None and user.totp_secret is not None,
        "required": user.role in current_app.config["MFA_REQUIRED_ROLES"],
    }


def _locked_user(session: Session, user: User) -> User:
    """The caller's row, locked: codes and their replay step are read and written under it."""
    locked = session.scalar(sa.select(User).where(User.id == user.id).with_for_update())
    if locked is None:
        raise Problem("unauthorized")
    return locked


def start_enrolment(session: Session, user: User) -> dict[str, str]:
    """A new secret, shown once: the app is set up from it, then ``confirm_enrolment``.

    Starting again before confirming replaces the pending secret.
    """
    user = _locked_user(session, user)
    if user.totp_enabled_at is not None:
        raise Problem("conflict", "A second factor is enrolled already; disable it first to enrol another.")
    user.totp_secret = totp.new_secret()
    user.totp_last_step = None
    issuer = str(current_app.config["TOTP_ISSUER"])
    return {
        "secret": user.totp_secret,
        "otpauth_uri": totp.provisioning_uri(user.totp_secret, user.username, issuer),
        "issuer": issuer,
        "account": user.username,
    }


def confirm_enrolment(
    session: Session, user: User, payload: dict[str, Any], code: str, address: str | None
) -> TokenPair:
    """The first good code turns the second factor on.

    The caller's session moves to a new generation without the enrolment
    restriction; every other session of the user ends, since none of them
    proved the second factor.
    """
    user = _locked_user(session, user)
    if user.totp_enabled_at is not None:
        raise Problem("conflict", "The second factor is enrolled already.")
    if user.totp_secret is None:
        raise Problem("conflict", "Start the enrolment first (POST /auth/totp/enrol).")
    step = totp.accepted_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        raise Problem(
            "validation-error",
            "The code does not match.",
            errors={"code": ["Wrong code: check the app's clock and enter the current code."]},
        )
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    family = session.get(TokenFamily, uuid.UUID(payload["fam"]), with_for_update=True)
    if family is None:
        raise Problem("token-revoked")
    _revoke_other_families(session, user, family, "totp-enrolled")
    family.generation += 1
    family.generation_issued_at = utcnow().replace(microsecond=0)
    family.rotated_at = utcnow()
    audit.record(session, "totp-enrolled", actor=user, target_type="user", target_id=user.id, address=address)
    return issue_pair(family, user)


def _revoke_other_families(session: Session, user: User, keep: TokenFamily, reason: str) -> None:
    session.execute(
        sa.update(TokenFamily)
        .where(TokenFamily.user_id == user.id, TokenFamily.id != keep.id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason),
        execution_options={"synchronize_session": False},
    )


def _clear_totp(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None


def disable_totp(
    session: Session, user: User, password: str, code: str, address: str | None
) -> Problem | None:
    """The user turns the second factor off with the password and a current code.

    A wrong password or code counts as a failed login: the refusal is returned,
    for the route to commit the count before answering. Every session of the
    user ends; the next login is by password alone (and, for a role that needs
    a second factor, goes straight to a new enrolment).
    """
    user = _locked_user(session, user)
    if user.totp_enabled_at is None:
        raise Problem("conflict", "No second factor is enrolled.")
    step = totp.accepted_step(user.totp_secret or "", code, user.totp_last_step)
    if not verify_password(user.password_hash, password) or step is None:
        failures = count_failure(session, user, address)
        audit.record(
            session,
            "totp-disabled",
            outcome="failure",
            actor=user,
            target_type="user",
            target_id=user.id,
            address=address,
            details={"failures": failures},
        )
        return Problem(
            "validation-error", "Wrong password or code.", errors={"_schema": ["Wrong password or code."]}
        )
    _clear_totp(user)
    revoke_families_of(session, user_id=user.id, reason="totp-disabled")
    audit.record(session, "totp-disabled", actor=user, target_type="user", target_id=user.id, address=address)
    return None


def reset_totp(session: Session, user: User, actor: User, address: str | None = None) -> None:
    """An admin removes a user's second factor (a lost phone): the user's sessions end,
    and the next login enrols a new one when the role needs it."""
    require_role(actor, "admin")
    _clear_totp(user)
    revoke_families_of(session, user_id=user.id, reason="totp-reset")
    audit.record(session, "totp-reset", actor=actor, target_type="user", target_id=user.id, address=address)
