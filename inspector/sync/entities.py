"""What each synced entity is made of: client-settable fields, server-owned fields,
how a record becomes the JSON a device receives, and who it is visible to."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any

import marshmallow as ma

from inspector.db import Base
from inspector.inspections.models import (
    FINDING_RESULTS,
    INSPECTION_STATUSES,
    INSPECTION_TYPES,
    OUTCOMES,
    Finding,
    Inspection,
)
from inspector.leads.models import INDICATORS, Lead
from inspector.timestamps import rfc3339

DIGEST = ma.validate.Regexp(r"^[0-9a-f]{64}$", error="a lower-case SHA-256 hex digest")


#: values that are their own JSON form (the common case, checked first).
PLAIN = frozenset({str, int, bool, float, list, dict, type(None)})


def to_json(value: Any) -> Any:
    """One canonical JSON form per value, so equal values compare equal in merges."""
    if type(value) in PLAIN:
        return value
    if isinstance(value, datetime):
        return _time_text(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@lru_cache(maxsize=1024)
def _time_text(value: datetime) -> str:
    """A batch stamps its records with one server time: formatted once."""
    return rfc3339(value)


class FirearmSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    make = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=80))
    model = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=80))
    serial = ma.fields.String(required=True, validate=ma.validate.Length(1, 60))
    caliber = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40))
    type = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40))


class SubjectSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    role = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=80))
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


@cache
def _loader(schema: type[ma.Schema]) -> ma.Schema:
    return schema()


@cache
def _client_fields(schema: type[ma.Schema]) -> tuple[str, ...]:
    return tuple(schema._declared_fields)


@cache
def _doc_fields(schema: type[ma.Schema], server_fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(("id", "version", *_client_fields(schema), *server_fields[1:])))


def _text(maximum: int) -> ma.fields.String:
    return ma.fields.String(allow_none=True, validate=ma.validate.Length(max=maximum))


def _attachments() -> ma.fields.List[Any]:
    return ma.fields.List(ma.fields.String(validate=DIGEST), validate=ma.validate.Length(max=50))


class InspectionFields(ma.Schema):
    """What a device may set on an inspection."""

    class Meta:
        unknown = ma.RAISE

    licensee_id = ma.fields.UUID()
    type = ma.fields.String(validate=ma.validate.OneOf(INSPECTION_TYPES))
    status = ma.fields.String(validate=ma.validate.OneOf(INSPECTION_STATUSES))
    started_at = ma.fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    completed_at = ma.fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    summary = _text(20000)
    recommended_outcome = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(OUTCOMES))
    attachments = _attachments()


class FindingFields(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    inspection_id = ma.fields.UUID()
    item_key = ma.fields.String(validate=ma.validate.Length(1, 60))
    result = ma.fields.String(validate=ma.validate.OneOf(FINDING_RESULTS))
    instances = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=0, max=100000))
    note = _text(20000)
    attachments = _attachments()


class LeadFields(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    inspection_id = ma.fields.UUID(allow_none=True)
    licensee_id = ma.fields.UUID(allow_none=True)
    indicators = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(INDICATORS)),
        validate=ma.validate.Length(max=len(INDICATORS)),
    )
    narrative = _text(20000)
    firearms = ma.fields.List(ma.fields.Nested(FirearmSchema), validate=ma.validate.Length(max=200))
    subjects = ma.fields.List(ma.fields.Nested(SubjectSchema), validate=ma.validate.Length(max=50))
    referral_agency = _text(120)
    status = ma.fields.String(validate=ma.validate.OneOf(("draft", "submitted")))
    attachments = _attachments()


#: Fields every synced record has, set by the server only.
COMMON_SERVER_FIELDS = (
    "id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
    "open_conflicts",
    "missing_blobs",
)


@dataclass(frozen=True)
class EntitySpec:
    name: str
    model: type[Base]
    fields_schema: type[ma.Schema]
    #: fields a create must carry.
    required_on_create: tuple[str, ...]
    #: fields a device may never set (named so the error can say so).
    server_fields: tuple[str, ...]
    #: fields of a new record the device did not send.
    defaults: Mapping[str, Callable[[], Any]]

    @property
    def client_fields(self) -> tuple[str, ...]:
        return _client_fields(self.fields_schema)

    @property
    def doc_fields(self) -> tuple[str, ...]:
        """The fields of the record a device receives, in order."""
        return _doc_fields(self.fields_schema, self.server_fields)

    @property
    def loader(self) -> ma.Schema:
        """One schema instance per entity: building a marshmallow schema costs ~4 ms."""
        return _loader(self.fields_schema)

    def client_doc(self, record: Any) -> dict[str, Any]:
        """The client-settable fields as JSON values: what merges compare."""
        return {name: to_json(getattr(record, name)) for name in self.client_fields}

    def record_doc(self, record: Any) -> dict[str, Any]:
        """The whole record as a device receives it."""
        return {name: to_json(getattr(record, name)) for name in self.doc_fields}


INSPECTION = EntitySpec(
    name="inspection",
    model=Inspection,
    fields_schema=InspectionFields,
    required_on_create=("licensee_id", "type"),
    server_fields=(
        *COMMON_SERVER_FIELDS,
        "created_by",
        "field_office_id",
        "investigator_id",
        "checklist_id",
        "due_date",
        "priority",
        "decided_outcome",
        "reviewer_id",
        "reviewed_at",
        "review_comment",
        "submitted_at",
    ),
    defaults={"status": lambda: "in_progress", "attachments": list},
)
FINDING = EntitySpec(
    name="finding",
    model=Finding,
    fields_schema=FindingFields,
    required_on_create=("inspection_id", "item_key", "result"),
    server_fields=(*COMMON_SERVER_FIELDS, "created_by", "review_comment"),
    defaults={"instances": lambda: 0, "attachments": list},
)
LEAD = EntitySpec(
    name="lead",
    model=Lead,
    fields_schema=LeadFields,
    required_on_create=(),
    server_fields=(
        *COMMON_SERVER_FIELDS,
        "created_by",
        "field_office_id",
        "purge_after",
        "purged_at",
        "match_count",
        "referred_on",
        "referral_reference",
        "closed_at",
        "close_result",
        "subjects_count",
    ),
    defaults={
        "match_count": lambda: 0,
        "status": lambda: "draft",
        "indicators": list,
        "firearms": list,
        "subjects": list,
        "attachments": list,
    },
)

SYNCED: dict[str, EntitySpec] = {spec.name: spec for spec in (INSPECTION, FINDING, LEAD)}
#: lead content that admins never see and purging removes.
LEAD_CONTENT = ("narrative", "subjects")
