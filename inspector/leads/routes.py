"""/leads: need-to-know reads, the referral workflow, matches and purge extensions.

Investigators write leads through sync; reviewers refer, close and extend here.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.extensions import db
from inspector.leads import service
from inspector.leads.schemas import (
    CloseSchema,
    ExtendSchema,
    LeadMatchSchema,
    LeadQueryArgsSchema,
    LeadRecordSchema,
    ReferSchema,
)
from inspector.pagination import PAGE_ARGS, page_of
from inspector.web import attachment

blp = Blueprint("leads", __name__, description="Investigative leads (need-to-know).")


@blp.route("/leads")
class Leads(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(LeadQueryArgsSchema, location="query")
    @blp.response(200, LeadRecordSchema(many=True))
    @blp.paginate(**PAGE_ARGS)
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """The caller's leads (investigator), the office's (reviewer), or all as metadata (admin)."""
        leads = page_of(db.session(), service.search_leads(current_user, filters), pagination_parameters)
        return [service.lead_view(lead, current_user) for lead in leads]


@blp.route("/leads/<uuid:lead_id>")
class LeadById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, LeadRecordSchema)
    @blp.alt_response(404, description="No such lead, or not the caller's")
    def get(self, lead_id: uuid.UUID) -> Any:
        """One lead (every read is audited; admins get metadata only)."""
        return service.read_lead(db.session(), current_user, lead_id, request.remote_addr)


@blp.route("/leads/<uuid:lead_id>/matches")
class LeadMatches(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, LeadMatchSchema(many=True))
    @blp.alt_response(403, description="Reviewers only")
    @blp.alt_response(404, description="No such lead, or not the caller's")
    def get(self, lead_id: uuid.UUID) -> Any:
        """Other leads sharing a serial, subject or licensee: who to call, not what they hold."""
        return service.matches_of(db.session(), current_user, lead_id)


@blp.route("/leads/<uuid:lead_id>/referral-packet")
class LeadReferralPacket(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, description="The referral packet (PDF)", content_type="application/pdf")
    @blp.alt_response(403, description="Reviewers only")
    @blp.alt_response(404, description="No such lead, or not the caller's")
    @blp.alt_response(409, description="The lead is not referred yet")
    def get(self, lead_id: uuid.UUID) -> Any:
        """A PDF of the referred lead for the receiving agency (audited)."""
        pdf = service.referral_packet(db.session(), current_user, lead_id, request.remote_addr)
        return attachment(pdf, "application/pdf", f"lead-{lead_id}.pdf")


@blp.route("/leads/<uuid:lead_id>/refer")
class LeadRefer(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ReferSchema)
    @blp.response(200, LeadRecordSchema)
    @blp.alt_response(403, description="Reviewers only")
    @blp.alt_response(404, description="No such lead in the reviewer's office")
    @blp.alt_response(409, description="The lead is not submitted")
    def post(self, data: dict[str, Any], lead_id: uuid.UUID) -> Any:
        """Record the referral (agency, date, reference): submitted -> referred."""
        lead = service.refer(
            db.session(),
            current_user,
            lead_id,
            agency=data["agency"],
            referred_on=data["referred_on"],
            reference=data["reference"],
            address=request.remote_addr,
        )
        db.session.commit()
        return service.lead_view(lead, current_user)


@blp.route("/leads/<uuid:lead_id>/close")
class LeadClose(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(CloseSchema)
    @blp.response(200, LeadRecordSchema)
    @blp.alt_response(403, description="Reviewers only")
    @blp.alt_response(404, description="No such lead in the reviewer's office")
    @blp.alt_response(409, description="The lead is not submitted or referred")
    def post(self, data: dict[str, Any], lead_id: uuid.UUID) -> Any:
        """Close the lead with its result."""
        lead = service.close(
            db.session(), current_user, lead_id, result=data["result"], address=request.remote_addr
        )
        db.session.commit()
        return service.lead_view(lead, current_user)


@blp.route("/leads/<uuid:lead_id>/extend")
class LeadExtend(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(ExtendSchema)
    @blp.response(200, LeadRecordSchema)
    @blp.alt_response(403, description="Reviewers only")
    @blp.alt_response(404, description="No such lead in the reviewer's office")
    @blp.alt_response(409, description="The lead was purged")
    def post(self, data: dict[str, Any], lead_id: uuid.UUID) -> Any:
        """Keep the lead past its purge date (a later date, with a reason; audited)."""
        lead = service.extend(
            db.session(),
            current_user,
            lead_id,
            purge_after=data["purge_after"],
            reason=data["reason"],
            address=request.remote_addr,
        )
        db.session.commit()
        return service.lead_view(lead, current_user)
