"""/inspections/<id>/report.pdf and /inspections/export.csv."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.db import utcnow
from inspector.extensions import db
from inspector.inspections.schemas import InspectionQueryArgsSchema
from inspector.reports import service
from inspector.web import attachment

blp = Blueprint("reports", __name__, description="Printable inspection reports and CSV exports.")


@blp.route("/inspections/<uuid:inspection_id>/report.pdf")
class InspectionReport(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, description="The report (PDF)", content_type="application/pdf")
    @blp.alt_response(403, description="Admins do not print investigations")
    @blp.alt_response(404, description="No such inspection, or not the caller's")
    @blp.alt_response(409, description="Not submitted yet")
    def get(self, inspection_id: uuid.UUID) -> Any:
        """The printable report of a submitted or approved inspection (audited)."""
        pdf = service.inspection_report(db.session(), current_user, inspection_id, request.remote_addr)
        return attachment(pdf, "application/pdf", f"inspection-{inspection_id}.pdf")


@blp.route("/inspections/export.csv")
class InspectionsExport(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(InspectionQueryArgsSchema, location="query")
    @blp.response(200, description="Inspections and findings (CSV, streamed)", content_type="text/csv")
    @blp.alt_response(403, description="Reviewers and admins only")
    def get(self, filters: dict[str, Any]) -> Any:
        """The office's inspections and findings as CSV, one row per finding, with the list's filters."""
        lines = service.export_csv(db.session(), current_user, filters, request.remote_addr)
        response = Response(stream_with_context(lines), mimetype="text/csv")
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        response.headers["Content-Disposition"] = f'attachment; filename="inspections-{stamp}.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response
