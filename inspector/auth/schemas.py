"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

import marshmallow as ma

from inspector.timestamps import Timestamp


class StrictSchema(ma.Schema):
    """Unknown fields are an error everywhere (no mass assignment)."""

    class Meta:
        unknown = ma.RAISE


class LoginSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 80))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 1024))
    device_id = ma.fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "The installation's UUID; needed to sync."},
    )
    totp = ma.fields.String(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=ma.validate.Length(max=16),
        metadata={"description": "The authenticator app's current code, once a second factor is enrolled."},
    )


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String(dump_default="Bearer")
    expires_in = ma.fields.Integer(metadata={"description": "access token lifetime, seconds"})


class RefreshSchema(ma.Schema):
    """A rotation's answer. Bearer clients get the new pair in the body; a cookie
    session gets it only as HttpOnly cookies, so the body has no tokens for a script to read."""

    access_token = ma.fields.String(metadata={"description": "Bearer clients only"})
    refresh_token = ma.fields.String(metadata={"description": "Bearer clients only"})
    token_type = ma.fields.String(metadata={"description": "Bearer clients only"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "access token lifetime, seconds"})


class OfficeRefSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    states = ma.fields.List(ma.fields.String())


class MeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    field_office = ma.fields.Nested(OfficeRefSchema, allow_none=True)
    device_id = ma.fields.UUID(allow_none=True)
    totp_enabled = ma.fields.Boolean(metadata={"description": "A second factor is enrolled."})
    mfa_enrolment_required = ma.fields.Boolean(
        metadata={
            "description": "The role needs a second factor and none is enrolled: enrol before anything else."
        }
    )


class SessionSchema(ma.Schema):
    """The PWA's login answer: tokens travel in HttpOnly cookies, not in the body."""

    user = ma.fields.Nested(MeSchema, required=True)
    expires_in = ma.fields.Integer()


class DeviceSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    user_id = ma.fields.UUID(required=True)
    username = ma.fields.String(metadata={"description": "the user it is bound to (lists only)"})
    display_name = ma.fields.String(metadata={"description": "the user it is bound to (lists only)"})
    first_seen_at = Timestamp()
    last_seen_at = Timestamp()
    user_agent = ma.fields.String(allow_none=True)
    last_seq = ma.fields.Integer()
    revoked_at = Timestamp(allow_none=True)


class TotpStatusSchema(ma.Schema):
    enabled = ma.fields.Boolean(required=True)
    enabled_at = Timestamp(allow_none=True)
    pending = ma.fields.Boolean(metadata={"description": "Enrolment started, no code confirmed yet."})
    required = ma.fields.Boolean(metadata={"description": "The caller's role needs a second factor."})


class TotpEnrolmentSchema(ma.Schema):
    """Shown once, while enrolling: the secret never leaves the server again."""

    secret = ma.fields.String(required=True, metadata={"description": "base32, for typing into the app"})
    otpauth_uri = ma.fields.String(
        required=True, metadata={"description": "otpauth:// URI (QR code content)"}
    )
    issuer = ma.fields.String()
    account = ma.fields.String()


class TotpCodeSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))


class TotpDisableSchema(StrictSchema):
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 1024))
    code = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))


class TotpConfirmedSchema(RefreshSchema):
    """The session's new generation (no longer restricted), and the factor's status."""

    totp = ma.fields.Nested(TotpStatusSchema, required=True)


class DeviceQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # page and page_size belong to the paginator

    user_id = ma.fields.UUID()
    revoked = ma.fields.Boolean(metadata={"description": "true: revoked devices only; false: live ones"})
