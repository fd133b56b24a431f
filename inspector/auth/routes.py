"""/auth: login (cookies for the PWA), token (JSON for API clients), refresh, logout, me."""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify, request
from flask.views import MethodView
from flask_jwt_extended import (
    current_user,
    get_jwt,
    get_jwt_request_location,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
)
from flask_smorest import Blueprint

from inspector.auth import service
from inspector.auth.schemas import (
    DeviceQueryArgsSchema,
    DeviceSchema,
    LoginSchema,
    MeSchema,
    RefreshSchema,
    SessionSchema,
    TokenPairSchema,
    TotpCodeSchema,
    TotpConfirmedSchema,
    TotpDisableSchema,
    TotpEnrolmentSchema,
    TotpStatusSchema,
)
from inspector.auth.tokens import TokenPair, device_of, needs_enrolment
from inspector.extensions import db, limiter
from inspector.offices.models import User
from inspector.pagination import PAGE_ARGS, page_of
from inspector.problems import Problem

blp = Blueprint("auth", __name__, description="Log in, rotate and end sessions.")


def _login_limit() -> str:
    from flask import current_app

    return str(current_app.config["LOGIN_RATE_LIMIT"])


def me_payload(user: User, device: Any = None) -> dict[str, Any]:
    office = user.field_office
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "field_office": {"id": office.id, "name": office.name, "states": office.states} if office else None,
        "device_id": device,
        "totp_enabled": user.totp_enabled_at is not None,
        "mfa_enrolment_required": needs_enrolment(user),
    }


def _expires_in() -> int:
    from flask import current_app

    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def _do_login(data: dict[str, Any]) -> tuple[User, TokenPair]:
    result = service.login(
        db.session(),
        username=data["username"],
        password=data["password"],
        device_id=data.get("device_id"),
        address=request.remote_addr,
        user_agent=request.user_agent.string,
        otp=data.get("totp"),
    )
    db.session.commit()
    if result.problem is not None:
        raise result.problem
    assert result.user is not None and result.tokens is not None
    return result.user, result.tokens


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [limiter.limit(_login_limit, methods=["POST"])]

    @blp.arguments(LoginSchema)
    @blp.response(200, SessionSchema)
    @blp.alt_response(401, description="Wrong user name or password; otp-required: send the code as totp")
    @blp.alt_response(403, description="Account locked")
    @blp.alt_response(429, description="Rate limited")
    def post(self, data: dict[str, Any]) -> Any:
        """Log in from the PWA: tokens are set as HttpOnly cookies with a CSRF double submit."""
        user, tokens = _do_login(data)
        body = SessionSchema().dump(
            {"user": me_payload(user, data.get("device_id")), "expires_in": _expires_in()}
        )
        response = jsonify(body)
        set_access_cookies(response, tokens.access_token)
        set_refresh_cookies(response, tokens.refresh_token)
        return response


@blp.route("/auth/token")
class Token(MethodView):
    decorators = [limiter.limit(_login_limit, methods=["POST"])]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong user name or password; otp-required: send the code as totp")
    @blp.alt_response(403, description="Account locked")
    @blp.alt_response(429, description="Rate limited")
    def post(self, data: dict[str, Any]) -> Any:
        """Log in as an API client: the token pair comes back as JSON (send it as Bearer)."""
        _user, tokens = _do_login(data)
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "token_type": "Bearer",
            "expires_in": _expires_in(),
        }


@blp.route("/auth/refresh")
class Refresh(MethodView):
    decorators = [limiter.limit(_login_limit, methods=["POST"])]

    @jwt_required(refresh=True)
    @blp.response(200, RefreshSchema)
    @blp.alt_response(401, description="Token expired, revoked or invalid")
    def post(self) -> Any:
        """Rotate the refresh token; a spent one reused after 30 s ends the session.

        Sent as Bearer, the new pair comes back in the body; sent as the refresh
        cookie (the PWA), it comes back only as HttpOnly cookies.
        """
        tokens = service.refresh(db.session(), get_jwt(), current_user)
        db.session.commit()
        return _new_generation(tokens, RefreshSchema())


def _new_generation(tokens: TokenPair, schema: Any, **extra: Any) -> Any:
    """A session's next pair: in the body for Bearer clients, only as HttpOnly cookies for the PWA."""
    if get_jwt_request_location() == "cookies":
        response = jsonify(schema.dump({"expires_in": _expires_in(), **extra}))
        set_access_cookies(response, tokens.access_token)
        set_refresh_cookies(response, tokens.refresh_token)
        return response
    body = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": "Bearer",
        "expires_in": _expires_in(),
        **extra,
    }
    return jsonify(schema.dump(body))


@blp.route("/auth/logout")
class Logout(MethodView):
    @jwt_required()
    @blp.response(204)
    @blp.alt_response(401, description="Not logged in")
    def post(self) -> Any:
        """End the session: the whole token family is revoked."""
        service.logout(db.session(), get_jwt(), current_user, request.remote_addr)
        db.session.commit()
        response = jsonify({})
        response.status_code = 204
        unset_jwt_cookies(response)
        return response


@blp.route("/auth/me")
class Me(MethodView):
    @jwt_required()
    @blp.response(200, MeSchema)
    @blp.alt_response(401, description="Not logged in")
    def get(self) -> Any:
        """The caller's own profile, office and bound device."""
        user = current_user
        if user is None:
            raise Problem("unauthorized")
        return me_payload(user, device_of(get_jwt()))


@blp.route("/auth/totp")
class Totp(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, TotpStatusSchema)
    @blp.alt_response(401, description="Not logged in")
    def get(self) -> Any:
        """The caller's second factor: enrolled or not, and whether the role needs one."""
        return service.totp_status(current_user)


@blp.route("/auth/totp/enrol")
class TotpEnrol(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, TotpEnrolmentSchema)
    @blp.alt_response(401, description="Not logged in")
    @blp.alt_response(409, description="A second factor is enrolled already")
    def post(self) -> Any:
        """Start enrolling an authenticator app: a new secret and its otpauth:// URI, shown this once."""
        enrolment = service.start_enrolment(db.session(), current_user)
        db.session.commit()
        return enrolment


@blp.route("/auth/totp/confirm")
class TotpConfirm(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(TotpCodeSchema)
    @blp.response(200, TotpConfirmedSchema)
    @blp.alt_response(401, description="Not logged in")
    @blp.alt_response(409, description="Not started, or enrolled already")
    def post(self, data: dict[str, Any]) -> Any:
        """Confirm the enrolment with the app's current code: the second factor is on.

        This session continues at a new generation (Bearer: new pair in the body;
        PWA: new cookies); every other session of the user ends.
        """
        user = current_user._get_current_object()
        tokens = service.confirm_enrolment(db.session(), user, get_jwt(), data["code"], request.remote_addr)
        db.session.commit()
        return _new_generation(tokens, TotpConfirmedSchema(), totp=service.totp_status(user))


@blp.route("/auth/totp/disable")
class TotpDisable(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(TotpDisableSchema)
    @blp.response(204)
    @blp.alt_response(401, description="Not logged in")
    @blp.alt_response(409, description="No second factor is enrolled")
    def post(self, data: dict[str, Any]) -> Any:
        """Turn the second factor off (password and current code). Every session of the user ends."""
        problem = service.disable_totp(
            db.session(), current_user, data["password"], data["code"], request.remote_addr
        )
        db.session.commit()
        if problem is not None:
            raise problem
        response = jsonify({})
        response.status_code = 204
        unset_jwt_cookies(response)
        return response


@blp.route("/devices")
class Devices(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(DeviceQueryArgsSchema, location="query")
    @blp.response(200, DeviceSchema(many=True))
    @blp.alt_response(403, description="Admins only")
    @blp.paginate(**PAGE_ARGS)
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """Every device that has logged in, with its user, most recent contact first."""
        devices = page_of(db.session(), service.list_devices(current_user, filters), pagination_parameters)
        return service.device_docs(db.session(), devices)


@blp.route("/devices/<uuid:device_id>/revoke")
class DeviceRevoke(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, DeviceSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such device")
    def post(self, device_id: uuid.UUID) -> Any:
        """Revoke a device: its sessions end and its next request is told to wipe local data."""
        device = service.revoke_device(db.session(), current_user, device_id, request.remote_addr)
        db.session.commit()
        return device
