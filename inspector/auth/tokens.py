"""JWTs derived from token families, and flask-jwt-extended's callbacks as problem+json."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, request
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token

from inspector.auth.models import Device, TokenFamily
from inspector.db import utcnow
from inspector.extensions import db
from inspector.offices.models import User
from inspector.problems import Problem, problem_response


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


def _claims(family: TokenFamily, kind: str, expires_at: datetime) -> dict[str, Any]:
    """Deterministic claims for a family's current generation.

    The same family and generation always give the same tokens, so the pair
    issued by a rotation can be answered again within the reuse grace without
    ever storing a token.
    """
    issued = int(family.generation_issued_at.timestamp())
    jti = uuid.uuid5(family.id, f"{family.generation}:{kind}")
    secret = current_app.config["SECRET_KEY"].encode()
    csrf = hmac.new(secret, f"csrf:{jti}".encode(), hashlib.sha256).hexdigest()[:32]
    return {
        "jti": str(jti),
        "iat": issued,
        "nbf": issued,
        "exp": int(expires_at.timestamp()),
        "csrf": csrf,
        "fam": str(family.id),
        "gen": family.generation,
        "dev": str(family.device_id) if family.device_id else None,
    }


#: What a session that still owes its second factor may call: itself, and the enrolment.
ENROLMENT_PATHS = ("/api/v1/auth/me", "/api/v1/auth/logout", "/api/v1/auth/refresh", "/api/v1/auth/totp")


def needs_enrolment(user: User) -> bool:
    """The user's role requires a second factor and the user has not enrolled one yet."""
    return user.role in current_app.config["MFA_REQUIRED_ROLES"] and user.totp_enabled_at is None


def issue_pair(family: TokenFamily, user: User) -> TokenPair:
    """The family's current pair. Until a required second factor is enrolled the access
    token carries ``mfa_enrol``, which confines it to ``ENROLMENT_PATHS``."""
    config = current_app.config
    issued = family.generation_issued_at
    access_exp = min(issued + config["JWT_ACCESS_TOKEN_EXPIRES"], family.expires_at)
    claims = {**_claims(family, "access", access_exp), "role": user.role}
    if needs_enrolment(user):
        claims["mfa_enrol"] = True
    access = create_access_token(identity=str(user.id), additional_claims=claims)
    refresh = create_refresh_token(
        identity=str(user.id), additional_claims=_claims(family, "refresh", family.expires_at)
    )
    return TokenPair(access, refresh)


def family_problem(family: TokenFamily | None, payload: dict[str, Any]) -> Problem | None:
    """Why a token of this family may not be used now, or None when it may."""
    if family is None:
        return Problem("token-revoked", "This session is unknown.")
    if family.revoked_at is not None:
        if family.revoked_reason == "device-revoked":
            return Problem("device-revoked", "An admin revoked this device; clear its local data.", wipe=True)
        if family.revoked_reason == "account-disabled":
            return Problem("account-disabled", "An admin disabled this account; clear local data.", wipe=True)
        return Problem("token-revoked", "This session was ended; log in again.")
    now = utcnow()
    if now >= family.expires_at:
        return Problem("token-expired", "The session reached its 12-hour limit; log in again.")
    idle: timedelta = current_app.config["SESSION_IDLE_TIMEOUT"]
    if now - family.last_seen_at > idle:
        return Problem("token-expired", "The session was idle too long; log in again.")
    if payload.get("gen", 0) > family.generation:
        return Problem("token-revoked", "This token was not issued by the server.")
    return None


def register_jwt_callbacks(jwt: JWTManager) -> None:
    """Every flask-jwt-extended error becomes RFC 9457, not its default ``{"msg"}``."""

    @jwt.token_in_blocklist_loader
    def _is_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        from inspector.auth import service

        family = service.token_family(db.session(), payload)
        g.token_family = family  # held for the request, and with it the user (see token_family)
        problem = service.check_token(db.session(), family, payload, request.remote_addr)
        if problem is not None:
            request.environ["inspector.token_problem"] = problem
            return True
        return False

    @jwt.revoked_token_loader
    def _revoked(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        problem = request.environ.get("inspector.token_problem") or Problem("token-revoked")
        return problem_response(problem)

    @jwt.expired_token_loader
    def _expired(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        return problem_response(Problem("token-expired", "The token has expired; refresh or log in again."))

    @jwt.invalid_token_loader
    def _invalid(reason: str) -> Any:
        return problem_response(Problem("unauthorized", "The token is not valid."))

    @jwt.unauthorized_loader
    def _missing(reason: str) -> Any:
        if "csrf" in reason.lower():
            return problem_response(
                Problem("csrf-failed", "Send the X-CSRF-TOKEN header with cookie sessions.")
            )
        return problem_response(Problem("unauthorized", "Log in first: no token was sent."))

    @jwt.user_lookup_loader
    def _load_user(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        user = db.session.get(User, uuid.UUID(payload["sub"]))
        if user is None or not user.active:
            return None
        return user

    @jwt.user_lookup_error_loader
    def _user_gone(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        return problem_response(
            Problem("account-disabled", "This account is disabled; clear its local data.", wipe=True)
        )

    @jwt.token_verification_loader
    def _within_scope(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        """A session owing its second factor reaches only its profile, logout and the enrolment."""
        if payload.get("mfa_enrol") and not _enrolment_path(request.path):
            request.environ["inspector.token_problem"] = Problem(
                "mfa-enrolment-required",
                "Your role needs a second factor: enrol an authenticator app first (Security).",
            )
            return False
        return True

    @jwt.token_verification_failed_loader
    def _claims_failed(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        problem = request.environ.get("inspector.token_problem")
        return problem_response(problem or Problem("unauthorized", "The token is not valid."))

    @jwt.needs_fresh_token_loader
    def _needs_fresh(_header: dict[str, Any], _payload: dict[str, Any]) -> Any:
        return problem_response(Problem("unauthorized", "Log in again for this action."))


def _enrolment_path(path: str) -> bool:
    return any(path == allowed or path.startswith(allowed + "/") for allowed in ENROLMENT_PATHS)


def device_of(payload: dict[str, Any]) -> uuid.UUID | None:
    dev = payload.get("dev")
    return uuid.UUID(dev) if dev else None


__all__ = [
    "Device",
    "TokenPair",
    "device_of",
    "family_problem",
    "issue_pair",
    "needs_enrolment",
    "register_jwt_callbacks",
]
