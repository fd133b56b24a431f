from __future__ import annotations

import marshmallow as ma

from inspector.offices.models import ROLES
from inspector.offices.states import STATES
from inspector.timestamps import Timestamp

STATE = ma.validate.OneOf(sorted(STATES), error="a US state or territory code in upper case")
PASSWORD = ma.validate.Length(12, 1024)


class FieldOfficeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    states = ma.fields.List(ma.fields.String())
    created_at = Timestamp()


class FieldOfficeCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    states = ma.fields.List(
        ma.fields.String(validate=STATE), required=True, validate=ma.validate.Length(min=1)
    )


class FieldOfficeUpdateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(validate=ma.validate.Length(1, 120))
    states = ma.fields.List(
        ma.fields.String(validate=STATE),
        metadata={"description": "every state the office covers; a state of another office moves here"},
    )


class UserSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"enum": list(ROLES)})
    field_office_id = ma.fields.UUID(allow_none=True)
    active = ma.fields.Boolean()
    locked = ma.fields.Boolean()
    second_factor = ma.fields.Function(
        lambda user: user.totp_enabled_at is not None,
        metadata={"type": "boolean", "description": "a second factor (TOTP) is enrolled"},
    )
    created_at = Timestamp()


class UserCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    username = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[a-z0-9._-]{3,80}$"))
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    field_office_id = ma.fields.UUID(load_default=None, allow_none=True)
    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)


class UserUpdateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    display_name = ma.fields.String(validate=ma.validate.Length(1, 120))
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    field_office_id = ma.fields.UUID(allow_none=True)
    active = ma.fields.Boolean()
    password = ma.fields.String(load_only=True, validate=PASSWORD)


class UserQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    field_office_id = ma.fields.UUID()


class PasswordResetSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    password = ma.fields.String(required=True, load_only=True, validate=PASSWORD)
