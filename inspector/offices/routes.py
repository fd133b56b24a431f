"""/field-offices and /users: administration (admins only)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.extensions import db
from inspector.offices import service
from inspector.offices.schemas import (
    FieldOfficeCreateSchema,
    FieldOfficeSchema,
    FieldOfficeUpdateSchema,
    PasswordResetSchema,
    UserCreateSchema,
    UserQueryArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from inspector.pagination import PAGE_ARGS, page_of

blp = Blueprint("offices", __name__, description="Field offices and users (admin).")


@blp.route("/field-offices")
class FieldOffices(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, FieldOfficeSchema(many=True))
    @blp.alt_response(403, description="Admins only")
    @blp.paginate(**PAGE_ARGS)
    def get(self, pagination_parameters: Any) -> Any:
        """Every field office with the states it covers."""
        return page_of(db.session(), service.list_offices(current_user), pagination_parameters)

    @blp.arguments(FieldOfficeCreateSchema)
    @blp.response(201, FieldOfficeSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(409, description="Name taken")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a field office covering some states."""
        office = service.create_office(db.session(), current_user, data, request.remote_addr)
        db.session.commit()
        return office


@blp.route("/field-offices/<uuid:office_id>")
class FieldOfficeById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, FieldOfficeSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such office")
    def get(self, office_id: uuid.UUID) -> Any:
        """One field office."""
        return service.get_office(db.session(), current_user, office_id)

    @blp.arguments(FieldOfficeUpdateSchema)
    @blp.response(200, FieldOfficeSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such office")
    @blp.alt_response(409, description="Name taken, or open inspections in a state that would move")
    def patch(self, data: dict[str, Any], office_id: uuid.UUID) -> Any:
        """Rename, or set the covered states; licensees of a moved state move with it."""
        office = service.update_office(db.session(), current_user, office_id, data, request.remote_addr)
        db.session.commit()
        return office


@blp.route("/users")
class Users(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.alt_response(403, description="Admins only")
    @blp.paginate(**PAGE_ARGS)
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """Every user account."""
        return page_of(db.session(), service.list_users(current_user, filters), pagination_parameters)

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(409, description="User name taken")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user."""
        user = service.create_user(db.session(), current_user, data, request.remote_addr)
        db.session.commit()
        return user


@blp.route("/users/<uuid:user_id>")
class UserById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such user")
    def get(self, user_id: uuid.UUID) -> Any:
        """One user."""
        return service.get_user(db.session(), current_user, user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such user")
    def patch(self, data: dict[str, Any], user_id: uuid.UUID) -> Any:
        """Change role, office, name, password or disable; sessions end at once."""
        user = service.update_user(db.session(), current_user, user_id, data, request.remote_addr)
        db.session.commit()
        return user


@blp.route("/users/<uuid:user_id>/unlock")
class UserUnlock(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such user")
    def post(self, user_id: uuid.UUID) -> Any:
        """Unlock an account locked by failed logins."""
        user = service.unlock_user(db.session(), current_user, user_id, request.remote_addr)
        db.session.commit()
        return user


@blp.route("/users/<uuid:user_id>/disable")
class UserDisable(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such user")
    @blp.alt_response(409, description="Admins cannot disable themselves")
    def post(self, user_id: uuid.UUID) -> Any:
        """Disable an account: every session ends at once."""
        user = service.disable_user(db.session(), current_user, user_id, request.remote_addr)
        db.session.commit()
        return user


@blp.route("/users/<uuid:user_id>/enable")
class UserEnable(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such user")
    def post(self, user_id: uuid.UUID) -> Any:
        """Enable a disabled account again (the user logs in anew)."""
        user = service.enable_user(db.session(), current_user, user_id, request.remote_addr)
        db.session.commit()
        return user


@blp.route("/users/<uuid:user_id>/reset-password")
class UserResetPassword(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(PasswordResetSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such user")
    def post(self, data: dict[str, Any], user_id: uuid.UUID) -> Any:
        """Set a new password (at least 12 characters); the user's sessions end at once."""
        user = service.reset_password(
            db.session(), current_user, user_id, data["password"], request.remote_addr
        )
        db.session.commit()
        return user


@blp.route("/users/<uuid:user_id>/reset-second-factor")
class UserResetSecondFactor(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, UserSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such user")
    def post(self, user_id: uuid.UUID) -> Any:
        """Remove the user's second factor (a lost phone); sessions end, the next login enrols anew."""
        user = service.reset_second_factor(db.session(), current_user, user_id, request.remote_addr)
        db.session.commit()
        return user
