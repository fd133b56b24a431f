from __future__ import annotations

import marshmallow as ma

from inspector.inspections.models import INSPECTION_STATUSES, OUTCOMES
from inspector.leads.models import INDICATORS


class DashboardQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    field_office_id = ma.fields.UUID(
        metadata={"description": "one office (reviewers: their own, the default); admins: omit for all"}
    )
    from_ = ma.fields.Date(
        data_key="from", attribute="from", metadata={"description": "first day (default: 12 months back)"}
    )
    to = ma.fields.Date(metadata={"description": "last day, included (default: today)"})


class StatusCountSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": list(INSPECTION_STATUSES)})
    count = ma.fields.Integer(required=True)


class CitationCountSchema(ma.Schema):
    citation = ma.fields.String(required=True)
    findings = ma.fields.Integer(required=True, metadata={"description": "violation findings"})
    instances = ma.fields.Integer(required=True, metadata={"description": "instances they count"})


class OutcomeMonthSchema(ma.Schema):
    month = ma.fields.String(required=True, metadata={"example": "2026-11"})
    outcome = ma.fields.String(required=True, metadata={"enum": list(OUTCOMES)})
    count = ma.fields.Integer(required=True)


class IndicatorCountSchema(ma.Schema):
    indicator = ma.fields.String(required=True, metadata={"enum": list(INDICATORS)})
    count = ma.fields.Integer(required=True)


class DecisionDaysSchema(ma.Schema):
    month = ma.fields.String(required=True, metadata={"example": "2026-11"})
    median_days = ma.fields.Float(required=True)
    decisions = ma.fields.Integer(required=True)


class DashboardSchema(ma.Schema):
    field_office_id = ma.fields.UUID(allow_none=True, metadata={"description": "null: every office"})
    from_ = ma.fields.Date(data_key="from", attribute="from", required=True)
    to = ma.fields.Date(required=True)
    inspections_by_status = ma.fields.List(
        ma.fields.Nested(StatusCountSchema),
        required=True,
        metadata={"description": "inspections created in the period, by status now"},
    )
    violations_by_citation = ma.fields.List(
        ma.fields.Nested(CitationCountSchema),
        required=True,
        metadata={"description": "violation findings of inspections submitted in the period"},
    )
    outcomes_by_month = ma.fields.List(
        ma.fields.Nested(OutcomeMonthSchema),
        required=True,
        metadata={"description": "decided outcomes, by month of approval"},
    )
    leads_by_indicator = ma.fields.List(
        ma.fields.Nested(IndicatorCountSchema),
        required=True,
        metadata={"description": "leads created in the period naming each indicator (counts only)"},
    )
    decision_days_by_month = ma.fields.List(
        ma.fields.Nested(DecisionDaysSchema),
        required=True,
        metadata={"description": "median days from submission to decision, by month of decision"},
    )
    median_decision_days = ma.fields.Float(allow_none=True, required=True)
    decisions = ma.fields.Integer(required=True)
