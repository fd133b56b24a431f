"""/inspections/<id>/approve and /return: the reviewer's decisions (parse, decide, commit)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.extensions import db
from inspector.inspections.schemas import InspectionSchema
from inspector.inspections.service import annotate
from inspector.review import service
from inspector.review.schemas import ApproveSchema, ReturnSchema

blp = Blueprint("review", __name__, description="Field-office review: approve or return inspections.")


@blp.route("/inspections/<uuid:inspection_id>/approve")
class Approve(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ApproveSchema)
    @blp.response(200, InspectionSchema)
    @blp.alt_response(403, description="Reviewers only")
    @blp.alt_response(404, description="No such inspection in the reviewer's office")
    @blp.alt_response(409, description="Not submitted, or open conflicts (count in open_conflicts)")
    @blp.alt_response(422, description="The outcome does not fit the findings")
    def post(self, data: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Approve a submitted inspection with the decided outcome (audited)."""
        inspection = service.approve(
            db.session(),
            current_user,
            inspection_id,
            outcome=data["decided_outcome"],
            comment=data["comment"],
            willful_ids=data["willful_finding_ids"],
            address=request.remote_addr,
        )
        db.session.commit()
        return annotate(db.session(), [inspection])[0]


@blp.route("/inspections/<uuid:inspection_id>/return")
class Return(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ReturnSchema)
    @blp.response(200, InspectionSchema)
    @blp.alt_response(403, description="Reviewers only")
    @blp.alt_response(404, description="No such inspection in the reviewer's office")
    @blp.alt_response(409, description="Not submitted")
    @blp.alt_response(422, description="A comment names a finding of another inspection")
    def post(self, data: dict[str, Any], inspection_id: uuid.UUID) -> Any:
        """Return a submitted inspection to its investigator with comments (audited)."""
        inspection = service.return_to_field(
            db.session(),
            current_user,
            inspection_id,
            comment=data["comment"],
            finding_comments=[(f["finding_id"], f["comment"]) for f in data["findings"]],
            address=request.remote_addr,
        )
        db.session.commit()
        return annotate(db.session(), [inspection])[0]
