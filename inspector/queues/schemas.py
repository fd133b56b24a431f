from __future__ import annotations

import marshmallow as ma

from inspector.inspections.models import INSPECTION_STATUSES, INSPECTION_TYPES
from inspector.licensees.numbers import LICENSE_TYPES
from inspector.queues import ranking
from inspector.queues.service import MAX_BATCH
from inspector.timestamps import Timestamp


class RankedQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # page and page_size belong to the paginator

    field_office_id = ma.fields.UUID(
        metadata={"description": "the office to rank (admins must name one; reviewers get their own)"}
    )
    state = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Z]{2}$"))
    license_type = ma.fields.String(validate=ma.validate.OneOf(sorted(LICENSE_TYPES)))
    eligible = ma.fields.Boolean(
        metadata={"description": "true: only licensees a compliance inspection is allowed for today"}
    )
    queued = ma.fields.Boolean(
        metadata={"description": "false: only licensees not in anyone's queue; true: only those in one"}
    )


class LicenseeSummarySchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    license_number = ma.fields.String(required=True)
    license_name = ma.fields.String(required=True)
    business_name = ma.fields.String(allow_none=True)
    license_type = ma.fields.String(required=True)
    premises_city = ma.fields.String()
    premises_state = ma.fields.String()


class RankFactorSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"enum": list(ranking.FACTORS)})
    value = ma.fields.Raw(
        allow_none=True,
        metadata={
            "description": "the input as read: a boolean, a number of years or items, an outcome or type"
        },
    )
    points = ma.fields.Float(required=True, metadata={"description": "what this factor adds to the score"})


class QueuedSchema(ma.Schema):
    inspection_id = ma.fields.UUID(required=True)
    investigator_id = ma.fields.UUID(allow_none=True)
    status = ma.fields.String(required=True, metadata={"enum": list(INSPECTION_STATUSES)})
    type = ma.fields.String(required=True, metadata={"enum": list(INSPECTION_TYPES)})


class RankedLicenseeSchema(ma.Schema):
    position = ma.fields.Integer(required=True, metadata={"description": "1 = inspect first"})
    licensee = ma.fields.Nested(LicenseeSummarySchema, required=True)
    score = ma.fields.Float(required=True, metadata={"description": "the sum of the factors' points"})
    factors = ma.fields.List(ma.fields.Nested(RankFactorSchema), required=True)
    eligible = ma.fields.Boolean(
        required=True, metadata={"description": "a compliance inspection is allowed today"}
    )
    eligible_from = ma.fields.Date(
        allow_none=True, metadata={"description": "when not eligible: the first day it is"}
    )
    last_inspection_date = ma.fields.Date(allow_none=True)
    last_outcome = ma.fields.String(allow_none=True)
    queued = ma.fields.Nested(
        QueuedSchema, allow_none=True, metadata={"description": "the open inspection, if in a queue"}
    )


class AssignSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    licensee_ids = ma.fields.List(ma.fields.UUID(), required=True, validate=ma.validate.Length(1, MAX_BATCH))
    due_date = ma.fields.Date(allow_none=True, load_default=None)
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(INSPECTION_TYPES))


class ReorderSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    inspection_ids = ma.fields.List(
        ma.fields.UUID(),
        required=True,
        validate=ma.validate.Length(0, 1000),
        metadata={"description": "every inspection of the queue, first to last"},
    )


class QueueInspectionSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    licensee_id = ma.fields.UUID(required=True)
    investigator_id = ma.fields.UUID(allow_none=True)
    type = ma.fields.String(required=True, metadata={"enum": list(INSPECTION_TYPES)})
    status = ma.fields.String(required=True, metadata={"enum": list(INSPECTION_STATUSES)})
    due_date = ma.fields.Date(allow_none=True)
    priority = ma.fields.Integer(required=True)
    created_at = Timestamp()


class QueueEntrySchema(ma.Schema):
    inspection = ma.fields.Nested(QueueInspectionSchema, required=True)
    licensee = ma.fields.Nested(LicenseeSummarySchema, allow_none=True)
