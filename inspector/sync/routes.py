"""/sync (push, pull, rejected), /conflicts, and the history of synced records."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_jwt_extended import current_user, get_current_user, get_jwt, jwt_required
from flask_smorest import Blueprint

from inspector.auth.models import Device
from inspector.auth.tokens import device_of
from inspector.db import short_write, utcnow
from inspector.extensions import db, limiter
from inspector.pagination import PAGE_ARGS, page_of
from inspector.sync import conflicts, service
from inspector.sync.push import push
from inspector.sync.schemas import (
    ConflictQueryArgsSchema,
    ConflictSchema,
    PullArgsSchema,
    PullResponseSchema,
    PushResponseSchema,
    PushSchema,
    RejectedChangeSchema,
    ResolveSchema,
    VersionSchema,
)

blp = Blueprint("sync", __name__, description="Offline sync: push with receipts, pull the change feed.")


def _push_limit() -> str:
    return str(current_app.config["PUSH_RATE_LIMIT"])


def _pusher() -> str:
    """Pushes are counted per device (per user for a session without one), not per address:
    an office's tablets may share one NAT address."""
    claims = get_jwt()
    return f"push:{claims.get('dev') or claims['sub']}"


@blp.route("/sync/push")
class Push(MethodView):
    # The limit is checked inside jwt_required (decorators apply first to last, innermost first).
    decorators = [limiter.limit(_push_limit, key_func=_pusher, methods=["POST"]), jwt_required()]

    @blp.arguments(PushSchema)
    @blp.response(200, PushResponseSchema)
    @blp.alt_response(403, description="device_id differs from the session's device")
    @blp.alt_response(413, description="Body over the limit")
    @blp.alt_response(426, description="schema_version not supported (client-outdated)")
    @blp.alt_response(429, description="Too many pushes from this device (Retry-After)")
    def post(self, data: dict[str, Any]) -> Any:
        """Push queued changes; every change gets exactly one receipt."""
        service.check_schema_version(data["schema_version"])
        service.check_device(device_of(get_jwt()), data["device_id"])
        actor = get_current_user()  # the User itself: the proxy costs a lookup per attribute
        result = push(db.session(), actor, data["device_id"], data["changes"])
        db.session.commit()
        # The body follows PushResponseSchema; built by the service, sent as is (no second pass).
        return jsonify(result)


@blp.route("/sync/pull")
class Pull(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(PullArgsSchema, location="query")
    @blp.response(200, PullResponseSchema)
    @blp.alt_response(403, description="device_id differs from the session's device")
    @blp.alt_response(426, description="schema_version not supported (client-outdated)")
    def get(self, args: dict[str, Any]) -> Any:
        """Pull the change feed after a cursor (no cursor: a snapshot)."""
        service.check_schema_version(args["schema_version"])
        service.check_device(device_of(get_jwt()), args["device_id"])
        result = service.pull(db.session(), current_user, cursor=args.get("cursor"), limit=args["limit"])
        note_contact(args["device_id"])
        return jsonify(result)  # follows PullResponseSchema, sent as built


def note_contact(device_id: uuid.UUID) -> None:
    """The one write a GET may make: when the device was last heard from (once a minute)."""
    device = db.session.get(Device, device_id)
    if device is not None and utcnow() - device.last_seen_at > timedelta(minutes=1):
        short_write(db.session, sa.update(Device).where(Device.id == device_id).values(last_seen_at=utcnow()))


@blp.route("/sync/rejected")
class Rejected(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, RejectedChangeSchema(many=True))
    @blp.alt_response(403, description="Admins do not read field data")
    @blp.paginate(**PAGE_ARGS)
    def get(self, pagination_parameters: Any) -> Any:
        """Rejected changes, newest first: the sender's own, or the office's for reviewers."""
        return page_of(db.session(), conflicts.visible_rejected(current_user), pagination_parameters)


@blp.route("/conflicts")
class Conflicts(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ConflictQueryArgsSchema, location="query")
    @blp.response(200, ConflictSchema(many=True))
    @blp.alt_response(403, description="Admins do not decide conflicts")
    @blp.paginate(**PAGE_ARGS)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Conflicts the caller may see (?status=open, ?inspection_id= for one inspection's)."""
        query = conflicts.list_conflicts(current_user, args.get("status"), args.get("inspection_id"))
        return page_of(db.session(), query, pagination_parameters)


@blp.route("/conflicts/<uuid:conflict_id>/resolve")
class ResolveConflict(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ResolveSchema)
    @blp.response(200, ConflictSchema)
    @blp.alt_response(404, description="No such conflict, or not the caller's")
    @blp.alt_response(409, description="Already resolved")
    def post(self, data: dict[str, Any], conflict_id: uuid.UUID) -> Any:
        """Resolve a conflict: keep the server's value, take the device's, or a custom one."""
        conflict = conflicts.resolve(
            db.session(),
            current_user,
            conflict_id,
            data["resolution"],
            data.get("value"),
            request.remote_addr,
        )
        db.session.commit()
        return conflict


def _history_view(entity: str) -> Any:
    def get(self: Any, record_id: uuid.UUID) -> Any:
        versions = service.history(db.session(), current_user, entity, record_id)
        if entity == "lead":  # a lead's history is a read of its detail: audited
            from inspector.leads.service import audit_read

            audit_read(db.session(), current_user, record_id, request.remote_addr, via="history")
        return versions

    get.__doc__ = f"Every version of one {entity}: who, which device, which op, when."
    return get


for _entity, _rule in (
    ("inspection", "/inspections/<uuid:record_id>/history"),
    ("finding", "/findings/<uuid:record_id>/history"),
    ("lead", "/leads/<uuid:record_id>/history"),
):
    _view = type(
        f"{_entity.title()}History",
        (MethodView,),
        {
            "decorators": [jwt_required()],
            "get": blp.alt_response(404, description=f"No such {_entity}, or not the caller's")(
                blp.response(200, VersionSchema(many=True))(_history_view(_entity))
            ),
        },
    )
    blp.route(_rule)(_view)
