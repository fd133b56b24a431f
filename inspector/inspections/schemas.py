from __future__ import annotations

import marshmallow as ma

from inspector.inspections.models import FINDING_RESULTS, INSPECTION_STATUSES, INSPECTION_TYPES, OUTCOMES
from inspector.timestamps import Timestamp


class InspectionSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    licensee_id = ma.fields.UUID(required=True)
    checklist_id = ma.fields.UUID(required=True)
    investigator_id = ma.fields.UUID(allow_none=True)
    field_office_id = ma.fields.UUID(required=True)
    type = ma.fields.String(required=True, metadata={"enum": list(INSPECTION_TYPES)})
    status = ma.fields.String(required=True, metadata={"enum": list(INSPECTION_STATUSES)})
    due_date = ma.fields.Date(allow_none=True)
    priority = ma.fields.Integer()
    started_at = Timestamp(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    summary = ma.fields.String(allow_none=True)
    recommended_outcome = ma.fields.String(allow_none=True)
    attachments = ma.fields.List(ma.fields.String())
    decided_outcome = ma.fields.String(allow_none=True)
    reviewer_id = ma.fields.UUID(allow_none=True)
    reviewed_at = Timestamp(allow_none=True)
    review_comment = ma.fields.String(allow_none=True)
    submitted_at = Timestamp(allow_none=True)
    open_conflicts = ma.fields.Integer(metadata={"description": "Open conflicts on the inspection itself."})
    created_at = Timestamp()
    updated_at = Timestamp()
    # Shown beside it in lists and on the review screen (not columns of the inspection).
    licensee_name = ma.fields.String(dump_only=True, allow_none=True)
    license_number = ma.fields.String(dump_only=True, allow_none=True)
    investigator_name = ma.fields.String(dump_only=True, allow_none=True)
    reviewer_name = ma.fields.String(dump_only=True, allow_none=True)
    violation_count = ma.fields.Integer(dump_only=True, metadata={"description": "Live violation findings."})
    conflict_count = ma.fields.Integer(
        dump_only=True, metadata={"description": "Open conflicts on the inspection and its findings."}
    )


class InspectionQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # page and page_size belong to the paginator

    status = ma.fields.String(validate=ma.validate.OneOf(INSPECTION_STATUSES))
    investigator_id = ma.fields.UUID()
    licensee_id = ma.fields.UUID()
    field_office_id = ma.fields.UUID()
    type = ma.fields.String(validate=ma.validate.OneOf(INSPECTION_TYPES))
    outcome = ma.fields.String(
        validate=ma.validate.OneOf(OUTCOMES),
        metadata={"description": "The decided outcome, else the recommended one."},
    )
    submitted_from = ma.fields.Date(metadata={"description": "Submitted on or after this day (UTC)."})
    submitted_to = ma.fields.Date(metadata={"description": "Submitted on or before this day (UTC)."})
    has_violations = ma.fields.Boolean()
    has_open_conflicts = ma.fields.Boolean()
    q = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "Part of the licensee's name or license number."},
    )


class FindingSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    inspection_id = ma.fields.UUID(required=True)
    item_key = ma.fields.String(required=True)
    result = ma.fields.String(required=True, metadata={"enum": list(FINDING_RESULTS)})
    instances = ma.fields.Integer()
    note = ma.fields.String(allow_none=True)
    attachments = ma.fields.List(ma.fields.String())
    review_comment = ma.fields.String(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class ReassignSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    investigator_id = ma.fields.UUID(required=True)
