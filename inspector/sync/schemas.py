"""The sync contract's request and response bodies, as they appear in the OpenAPI document."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import marshmallow as ma

from inspector.inspections.schemas import FindingSchema, InspectionSchema
from inspector.problems import ProblemSchema
from inspector.sync.entities import FirearmSchema, SubjectSchema
from inspector.sync.merge import DELETED_FIELD
from inspector.timestamps import Timestamp


class ChangeSchema(ma.Schema):
    """One queued change. Only op_id and seq are checked here; the rest is decided per change."""

    class Meta:
        unknown = ma.EXCLUDE

    op_id = ma.fields.UUID(required=True)
    seq = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=0))
    entity = ma.fields.Raw(metadata={"type": "string", "enum": ["inspection", "finding", "lead"]})
    id = ma.fields.Raw(metadata={"type": "string", "format": "uuid"})
    action = ma.fields.Raw(metadata={"type": "string", "enum": ["create", "update", "delete"]})
    base_version = ma.fields.Raw(allow_none=True, metadata={"type": "integer", "nullable": True})
    changed = ma.fields.Raw(
        data_key="fields", metadata={"type": "object", "description": "client-settable fields changed"}
    )
    client_time = ma.fields.Raw(allow_none=True, metadata={"type": "string", "format": "date-time"})

    @ma.post_load
    def _as_sent(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "changed" in data:
            data["fields"] = data.pop("changed")
        return data


MAX_CHANGES = 500
CHANGE_KEYS = ("op_id", "seq", "entity", "id", "action", "base_version", "fields", "client_time")


class ChangeList(ma.fields.Field[list[dict[str, Any]]]):
    """The ``changes`` array, documented as ChangeSchema items but checked by hand.

    Only ``op_id`` and ``seq`` belong to the request (the rest is decided per change),
    and a nested schema per change cost more than deciding the change itself.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ma.ValidationError("Not a valid list.")
        if len(value) > MAX_CHANGES:
            raise ma.ValidationError(f"At most {MAX_CHANGES} changes per request.")
        changes: list[dict[str, Any]] = []
        errors: dict[int, dict[str, list[str]]] = {}
        for index, sent in enumerate(value):
            if not isinstance(sent, dict):
                errors[index] = {"_schema": ["Invalid input type."]}
                continue
            change = {key: sent[key] for key in CHANGE_KEYS if key in sent}
            problems: dict[str, list[str]] = {}
            try:
                change["op_id"] = uuid.UUID(sent["op_id"]) if "op_id" in sent else None
            except (TypeError, ValueError, AttributeError):
                problems["op_id"] = ["Not a valid UUID."]
            if change.get("op_id") is None and "op_id" not in problems:
                problems["op_id"] = ["Missing data for required field."]
            seq = sent.get("seq")
            if "seq" not in sent:
                problems["seq"] = ["Missing data for required field."]
            elif not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                problems["seq"] = ["Not a valid integer of at least 0."]
            if problems:
                errors[index] = problems
            changes.append(change)
        if errors:
            raise ma.ValidationError(errors)  # type: ignore[arg-type]
        return changes


class PushSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    device_id = ma.fields.UUID(required=True)
    schema_version = ma.fields.Integer(required=True, strict=True)
    changes = ChangeList(
        required=True,
        metadata={"type": "array", "maxItems": MAX_CHANGES, "items": {"$ref": "#/components/schemas/Change"}},
    )

    @ma.validates_schema
    def _seq_ascends(self, data: dict[str, object], **_: object) -> None:
        seqs = [c["seq"] for c in data.get("changes", [])]  # type: ignore[attr-defined]
        if any(b <= a for a, b in itertools.pairwise(seqs)):
            raise ma.ValidationError("seq must ascend within a request", field_name="changes")


class ConflictValueSchema(ma.Schema):
    conflict_id = ma.fields.UUID()
    field = ma.fields.String(metadata={"description": f"a field name, or {DELETED_FIELD}"})
    base_value = ma.fields.Raw(allow_none=True)
    server_value = ma.fields.Raw(allow_none=True)
    client_value = ma.fields.Raw(allow_none=True)


class SyncInspectionSchema(InspectionSchema):
    open_conflicts = ma.fields.Integer()
    missing_blobs = ma.fields.Boolean()
    created_by = ma.fields.UUID(allow_none=True)
    deleted_at = Timestamp(allow_none=True)


class SyncFindingSchema(FindingSchema):
    open_conflicts = ma.fields.Integer()
    missing_blobs = ma.fields.Boolean()
    created_by = ma.fields.UUID(allow_none=True)
    deleted_at = Timestamp(allow_none=True)


class LeadSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    inspection_id = ma.fields.UUID(allow_none=True)
    licensee_id = ma.fields.UUID(allow_none=True)
    indicators = ma.fields.List(ma.fields.String())
    narrative = ma.fields.String(allow_none=True)
    firearms = ma.fields.List(ma.fields.Nested(FirearmSchema))
    subjects = ma.fields.List(ma.fields.Nested(SubjectSchema))
    referral_agency = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    attachments = ma.fields.List(ma.fields.String())
    created_by = ma.fields.UUID()
    field_office_id = ma.fields.UUID()
    purge_after = Timestamp()
    purged_at = Timestamp(allow_none=True)
    match_count = ma.fields.Integer(
        metadata={"description": "other leads sharing a serial, subject, licensee"}
    )
    referred_on = ma.fields.Date(allow_none=True)
    referral_reference = ma.fields.String(allow_none=True)
    closed_at = Timestamp(allow_none=True)
    close_result = ma.fields.String(allow_none=True)
    subjects_count = ma.fields.Integer(allow_none=True, metadata={"description": "set when purged"})
    open_conflicts = ma.fields.Integer()
    missing_blobs = ma.fields.Boolean()
    created_at = Timestamp()
    updated_at = Timestamp()
    deleted_at = Timestamp(allow_none=True)
    redacted = ma.fields.Boolean(metadata={"description": "admins see no subjects or narrative"})


class ReceiptSchema(ma.Schema):
    op_id = ma.fields.UUID(required=True)
    entity = ma.fields.Raw()
    id = ma.fields.Raw()
    status = ma.fields.String(required=True, metadata={"enum": ["applied", "merged", "conflict", "rejected"]})
    version = ma.fields.Integer(allow_none=True)
    record = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "the record after the change: SyncInspection, SyncFinding or Lead"},
    )
    replayed = ma.fields.Boolean()
    merged_into = ma.fields.UUID()
    conflicts = ma.fields.List(ma.fields.Nested(ConflictValueSchema))
    problem = ma.fields.Nested(ProblemSchema, allow_none=True)


class PushResponseSchema(ma.Schema):
    receipts = ma.fields.List(ma.fields.Nested(ReceiptSchema), required=True)
    last_seq = ma.fields.Integer(required=True)
    server_time = ma.fields.String(required=True)


class PullArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    cursor = ma.fields.String(validate=ma.validate.Length(max=200))
    limit = ma.fields.Integer(load_default=500, validate=ma.validate.Range(1, 1000))
    device_id = ma.fields.UUID(required=True)
    schema_version = ma.fields.Integer(required=True)


class FeedChangeSchema(ma.Schema):
    entity = ma.fields.String(
        required=True,
        metadata={"enum": ["inspection", "finding", "lead", "licensee", "checklist", "conflict"]},
    )
    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    deleted = ma.fields.Boolean(required=True)
    record = ma.fields.Dict(allow_none=True)


class PullResponseSchema(ma.Schema):
    changes = ma.fields.List(ma.fields.Nested(FeedChangeSchema), required=True)
    cursor = ma.fields.String(allow_none=True)
    has_more = ma.fields.Boolean(required=True)
    resync = ma.fields.Boolean(required=True)


class ConflictSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer()
    entity = ma.fields.String()
    record_id = ma.fields.UUID()
    field = ma.fields.String()
    base_value = ma.fields.Raw(allow_none=True)
    server_value = ma.fields.Raw(allow_none=True)
    client_value = ma.fields.Raw(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["open", "resolved"]})
    resolution = ma.fields.String(allow_none=True)
    resolved_value = ma.fields.Raw(allow_none=True)
    resolved_by = ma.fields.UUID(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    device_id = ma.fields.UUID(allow_none=True)
    created_at = Timestamp()


class ConflictQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    status = ma.fields.String(validate=ma.validate.OneOf(("open", "resolved")))
    inspection_id = ma.fields.UUID(
        metadata={"description": "Conflicts on this inspection and on its findings."}
    )


class ResolveSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    resolution = ma.fields.String(
        required=True, validate=ma.validate.OneOf(("keep_server", "take_client", "custom"))
    )
    value = ma.fields.Raw(allow_none=True, metadata={"description": "the value, for custom"})

    @ma.validates_schema
    def _custom_needs_value(self, data: dict[str, object], **_: object) -> None:
        if data.get("resolution") == "custom" and "value" not in data:
            raise ma.ValidationError("custom needs a value", field_name="value")


class RejectedChangeSchema(ma.Schema):
    op_id = ma.fields.UUID()
    device_id = ma.fields.UUID()
    entity = ma.fields.String()
    record_id = ma.fields.String(allow_none=True, data_key="id")
    action = ma.fields.String(allow_none=True)
    base_version = ma.fields.Integer(allow_none=True)
    sent_fields = ma.fields.Raw(allow_none=True, data_key="fields", attribute="fields")
    problem = ma.fields.Nested(ProblemSchema)
    received_at = Timestamp()


class VersionSchema(ma.Schema):
    version = ma.fields.Integer()
    deleted = ma.fields.Boolean()
    record = ma.fields.Dict(allow_none=True)
    user_id = ma.fields.UUID(allow_none=True)
    device_id = ma.fields.UUID(allow_none=True)
    op_id = ma.fields.UUID(allow_none=True)
    at = Timestamp()
