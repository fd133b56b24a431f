from __future__ import annotations

import marshmallow as ma

from inspector.inspections.models import FINDING_RESULTS, INSPECTION_STATUSES, INSPECTION_TYPES
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
    created_at = Timestamp()
    updated_at = Timestamp()


class InspectionQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # page and page_size belong to the paginator

    status = ma.fields.String(validate=ma.validate.OneOf(INSPECTION_STATUSES))
    investigator_id = ma.fields.UUID()
    licensee_id = ma.fields.UUID()


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
