"""/checklists: versioned checklists and their items."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_jwt_extended import jwt_required
from flask_smorest import Blueprint

from inspector.checklists import service
from inspector.checklists.schemas import ChecklistDetailSchema, ChecklistSchema
from inspector.extensions import db
from inspector.pagination import PAGE_ARGS, page_of

blp = Blueprint("checklists", __name__, description="Versioned FFL checklists.")


@blp.route("/checklists")
class Checklists(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, ChecklistSchema(many=True))
    @blp.paginate(**PAGE_ARGS)
    def get(self, pagination_parameters: Any) -> Any:
        """Every published checklist version."""
        return page_of(db.session(), service.list_checklists(), pagination_parameters)


@blp.route("/checklists/<uuid:checklist_id>")
class ChecklistById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, ChecklistDetailSchema)
    @blp.alt_response(404, description="No such checklist")
    def get(self, checklist_id: uuid.UUID) -> Any:
        """One checklist version with its items."""
        return service.get_checklist(db.session(), checklist_id)
