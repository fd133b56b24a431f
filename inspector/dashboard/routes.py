"""/dashboard: an office's inspections, violations, outcomes, leads and review times in figures."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.dashboard import service
from inspector.dashboard.schemas import DashboardQueryArgsSchema, DashboardSchema
from inspector.extensions import db

blp = Blueprint(
    "dashboard",
    __name__,
    description=(
        "Figures for reviewers (their office) and admins (any office, or all): inspections by "
        "status, violations by citation, outcomes per month, leads by indicator (counts only), "
        "median days from submission to decision; each series also as CSV."
    ),
)


@blp.route("/dashboard")
class Dashboard(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(DashboardQueryArgsSchema, location="query")
    @blp.response(200, DashboardSchema)
    @blp.alt_response(403, description="Reviewers and admins only")
    @blp.alt_response(404, description="No such field office, or not the reviewer's")
    def get(self, filters: dict[str, Any]) -> Any:
        """Every series of the dashboard for one office (or all) and a period."""
        return service.dashboard(db.session(), current_user, filters)


@blp.route("/dashboard/<string:series>.csv")
class DashboardCsv(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(DashboardQueryArgsSchema, location="query")
    @blp.response(
        200,
        description=f"One series as CSV; series is one of {', '.join(service.SERIES)}",
        content_type="text/csv",
    )
    @blp.alt_response(403, description="Reviewers and admins only")
    @blp.alt_response(404, description="No such series or field office")
    def get(self, filters: dict[str, Any], series: str) -> Any:
        """One series of the dashboard as CSV."""
        body = service.series_csv(db.session(), current_user, series, filters)
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{series}.csv"'
        return response
