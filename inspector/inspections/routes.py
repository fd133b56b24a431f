"""/inspections and /findings: read-only here; devices write them through sync."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.extensions import db
from inspector.inspections import service
from inspector.inspections.schemas import (
    FindingSchema,
    InspectionQueryArgsSchema,
    InspectionSchema,
    ReassignSchema,
)
from inspector.pagination import PAGE_ARGS, page_of

blp = Blueprint("inspections", __name__, description="Inspections and their findings.")


@blp.route("/inspections")
class Inspections(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(InspectionQueryArgsSchema, location="query")
    @blp.response(200, InspectionSchema(many=True))
    @blp.paginate(**PAGE_ARGS)
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """The caller's inspections (investigator), office's (reviewer) or all (admin)."""
        page = page_of(db.session(), service.search_inspections(current_user, filters), pagination_parameters)
        return service.annotate(db.session(), page)


@blp.route("/inspections/<uuid:inspection_id>")
class InspectionById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, InspectionSchema)
    @blp.alt_response(404, description="No such inspection, or not the caller's")
    def get(self, inspection_id: uuid.UUID) -> Any:
        """One inspection."""
        return service.annotate(
            db.session(), [service.get_inspection(db.session(), current_user, inspection_id)]
        )[0]


@blp.route("/inspections/<uuid:inspection_id>/findings")
class InspectionFindings(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, FindingSchema(many=True))
    @blp.alt_response(404, description="No such inspection, or not the caller's")
    @blp.paginate(**PAGE_ARGS)
    def get(self, inspection_id: uuid.UUID, pagination_parameters: Any) -> Any:
        """The findings of one inspection."""
        query = service.findings_of(db.session(), current_user, inspection_id)
        return page_of(db.session(), query, pagination_parameters)


@blp.route("/findings/<uuid:finding_id>")
class FindingById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, FindingSchema)
    @blp.alt_response(404, description="No such finding, or not the caller's")
    def get(self, finding_id: uuid.UUID) -> Any:
        """One finding."""
        return service.get_finding(db.session(), current_user, finding_id)


@blp.route("/inspections/<uuid:inspection_id>/reassign")
class InspectionReassign(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ReassignSchema)
    @blp.response(200, InspectionSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such inspection")
    def post(self, data: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Move an inspection to another investigator of its office."""
        inspection = service.reassign(
            db.session(), current_user, inspection_id, data["investigator_id"], request.remote_addr
        )
        db.session.commit()
        return service.annotate(db.session(), [inspection])[0]
