"""Lead REST schemas: the record (full or metadata only), workflow requests, matches."""

from __future__ import annotations

import marshmallow as ma

from inspector.leads.models import INDICATORS, LEAD_STATUSES, MATCH_KINDS
from inspector.sync.entities import FirearmSchema, SubjectSchema
from inspector.timestamps import Timestamp


class LeadRecordSchema(ma.Schema):
    """A lead. Admins get metadata and counts only: ``narrative``, ``subjects``,
    ``firearms``, ``attachments``, ``referral_reference`` and ``close_result`` are absent
    and ``redacted`` is true."""

    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(LEAD_STATUSES)})
    field_office_id = ma.fields.UUID(required=True)
    created_by = ma.fields.UUID(required=True)
    licensee_id = ma.fields.UUID(allow_none=True)
    inspection_id = ma.fields.UUID(allow_none=True)
    indicators = ma.fields.List(ma.fields.String(metadata={"enum": list(INDICATORS)}))
    narrative = ma.fields.String(allow_none=True)
    firearms = ma.fields.List(ma.fields.Nested(FirearmSchema))
    subjects = ma.fields.List(ma.fields.Nested(SubjectSchema))
    attachments = ma.fields.List(ma.fields.String())
    referral_agency = ma.fields.String(allow_none=True)
    referred_on = ma.fields.Date(allow_none=True)
    referral_reference = ma.fields.String(allow_none=True)
    closed_at = Timestamp(allow_none=True)
    close_result = ma.fields.String(allow_none=True)
    purge_after = Timestamp()
    purged_at = Timestamp(allow_none=True)
    match_count = ma.fields.Integer(
        metadata={"description": "how many other leads share a serial, subject or licensee"}
    )
    subjects_count = ma.fields.Integer(allow_none=True)
    firearms_count = ma.fields.Integer()
    open_conflicts = ma.fields.Integer()
    missing_blobs = ma.fields.Boolean()
    created_at = Timestamp()
    updated_at = Timestamp()
    redacted = ma.fields.Boolean(metadata={"description": "true for admins: metadata and counts only"})


class LeadQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # page and page_size belong to the paginator

    status = ma.fields.String(validate=ma.validate.OneOf(LEAD_STATUSES))
    field_office_id = ma.fields.UUID()


class ReferSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    agency = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    referred_on = ma.fields.Date(required=True)
    reference = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))


class CloseSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    result = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))


class ExtendSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    purge_after = Timestamp(required=True)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(3, 1000))


class LeadMatchSchema(ma.Schema):
    """Enough to call the other office, nothing of the other lead's content."""

    matched_office = ma.fields.String(required=True)
    reviewers = ma.fields.List(ma.fields.String(), metadata={"description": "the other office's reviewers"})
    lead_date = ma.fields.Date(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(MATCH_KINDS)})
