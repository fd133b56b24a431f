"""/ranked-licensees and /queues: whom to inspect, and investigators' queues.

The ranking formula is ``inspector.queues.ranking`` (a table in its docstring
and in the README): seven factors, each listed with the points it adds.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.db import utcnow
from inspector.extensions import db
from inspector.pagination import PAGE_ARGS, page_of, page_of_list
from inspector.queues import service
from inspector.queues.schemas import (
    AssignSchema,
    QueueEntrySchema,
    RankedLicenseeSchema,
    RankedQueryArgsSchema,
    ReorderSchema,
)

blp = Blueprint(
    "queues",
    __name__,
    description=(
        "Whom to inspect first and investigators' queues. The ranked list scores each licensee of an "
        "office with a plain formula, every factor shown with its points: never inspected 35; years "
        "since the last inspection 5 a year (at most 30); violation findings of approved inspections 3 "
        "each (at most 15); last outcome (no_violations 0, report_of_violations 5, warning_letter 10, "
        "warning_conference 15, revocation 20); submitted or referred leads naming the licensee 10 each "
        "(at most 30); license type (02 12, 01 10, 07 and 08 8, 09 10 11 6, 06 2, 03 0); premises in "
        "AZ, CA, NM or TX 10. A licensee inspected for compliance in the last 12 months is not eligible "
        "until the date given (a recall inspection may go sooner). Admins assign, reorder and unassign; "
        "reviewers read their office's list and queues; investigators read their own queue."
    ),
)


@blp.route("/ranked-licensees")
class RankedLicensees(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(RankedQueryArgsSchema, location="query")
    @blp.response(200, RankedLicenseeSchema(many=True))
    @blp.alt_response(403, description="Admins and reviewers only")
    @blp.alt_response(404, description="No such field office, or not the reviewer's")
    @blp.paginate(**PAGE_ARGS)
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """An office's licensees, best first, with each factor's points and eligibility."""
        today = utcnow().date()
        _office, ranked = service.ranked_licensees(db.session(), current_user, filters, today)
        return service.with_factors(page_of_list(ranked, pagination_parameters), today)


@blp.route("/queues/<uuid:investigator_id>")
class Queue(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, QueueEntrySchema(many=True))
    @blp.alt_response(404, description="No such investigator, or not one the caller may see")
    @blp.paginate(**PAGE_ARGS)
    def get(self, investigator_id: uuid.UUID, pagination_parameters: Any) -> Any:
        """An investigator's open inspections (assigned, in progress, returned) in queue order."""
        session = db.session()
        query = service.queue_of(session, current_user, investigator_id)
        return service.with_licensees(session, page_of(session, query, pagination_parameters))


@blp.route("/queues/<uuid:investigator_id>/assignments")
class QueueAssignments(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(AssignSchema)
    @blp.response(201, QueueEntrySchema(many=True))
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such investigator")
    @blp.alt_response(
        422,
        description=(
            "Nothing assigned: `errors` maps each refused licensee id to why (not in the office, "
            "already queued, or a compliance inspection too early; `eligible_from` then gives the date)"
        ),
    )
    def post(self, data: dict[str, Any], investigator_id: uuid.UUID) -> Any:
        """Assign one or many licensees (all or none) to the end of an investigator's queue."""
        session = db.session()
        created = service.assign(
            session,
            current_user,
            investigator_id,
            licensee_ids=data["licensee_ids"],
            due_date=data["due_date"],
            kind=data["type"],
            address=request.remote_addr,
        )
        entries = service.with_licensees(session, created)
        session.commit()
        return entries


@blp.route("/queues/<uuid:investigator_id>/order")
class QueueOrder(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ReorderSchema)
    @blp.response(200, QueueEntrySchema(many=True))
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such investigator")
    @blp.alt_response(409, description="The ids are not exactly the queue's (it changed meanwhile)")
    def put(self, data: dict[str, Any], investigator_id: uuid.UUID) -> Any:
        """Reorder a queue: every inspection id of it, first to last (sets priorities n..1)."""
        session = db.session()
        ordered = service.reorder(
            session, current_user, investigator_id, data["inspection_ids"], request.remote_addr
        )
        entries = service.with_licensees(session, ordered)
        session.commit()
        return entries


@blp.route("/inspections/<uuid:inspection_id>/unassign")
class InspectionUnassign(MethodView):
    decorators = [jwt_required()]

    @blp.response(204)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such inspection")
    @blp.alt_response(409, description="Started already (not assigned, or has findings)")
    def post(self, inspection_id: uuid.UUID) -> None:
        """Take an unstarted inspection out of its queue (a tombstone the tablet pulls)."""
        service.unassign(db.session(), current_user, inspection_id, request.remote_addr)
        db.session.commit()
