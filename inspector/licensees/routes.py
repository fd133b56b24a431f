"""/licensees: the directory, scoped to the caller's office."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.extensions import db
from inspector.licensees import service
from inspector.licensees.schemas import LicenseeQueryArgsSchema, LicenseeSchema
from inspector.pagination import PAGE_ARGS, page_of

blp = Blueprint("licensees", __name__, description="The licensee directory.")


@blp.route("/licensees")
class Licensees(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(LicenseeQueryArgsSchema, location="query")
    @blp.response(200, LicenseeSchema(many=True))
    @blp.paginate(**PAGE_ARGS)
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """Search licensees by name, license number or city; filter by state, type, office."""
        return page_of(db.session(), service.search_licensees(current_user, filters), pagination_parameters)


@blp.route("/licensees/<uuid:licensee_id>")
class LicenseeById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, LicenseeSchema)
    @blp.alt_response(404, description="No such licensee, or not in the caller's office")
    def get(self, licensee_id: uuid.UUID) -> Any:
        """One licensee."""
        return service.get_licensee(db.session(), current_user, licensee_id)
