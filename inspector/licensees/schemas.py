from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from inspector.licensees.numbers import LICENSE_TYPES
from inspector.timestamps import Timestamp


class LicenseeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    license_number = ma.fields.String(required=True, metadata={"example": "5-74-201-01-7F-04321"})
    license_type = ma.fields.String(required=True)
    license_name = ma.fields.String(required=True)
    business_name = ma.fields.String(allow_none=True)
    premises_street = ma.fields.String()
    premises_city = ma.fields.String()
    premises_state = ma.fields.String()
    premises_zip = ma.fields.String()
    mailing_street = ma.fields.String(allow_none=True)
    mailing_city = ma.fields.String(allow_none=True)
    mailing_state = ma.fields.String(allow_none=True)
    mailing_zip = ma.fields.String(allow_none=True)
    county = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    field_office_id = ma.fields.UUID(allow_none=True)
    last_inspection_date = ma.fields.Date(allow_none=True)
    last_inspection_outcome = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()


class LicenseeQueryArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # page and page_size belong to the paginator

    q = ma.fields.String(
        metadata={"description": "name, license number or city contains"},
        validate=ma.validate.Length(1, 100),
    )
    state = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Z]{2}$"))
    license_type = ma.fields.String(validate=ma.validate.OneOf(sorted(LICENSE_TYPES)))
    field_office_id = ma.fields.UUID()


class LicenseeImportUploadSchema(ma.Schema):
    """The multipart body of an import: the file and the dry-run flag."""

    class Meta:
        unknown = ma.RAISE

    file = Upload(
        required=True,
        metadata={"description": "ATF's listing: tab or pipe delimited text with a header row"},
    )
    dry_run = ma.fields.Boolean(
        load_default=True,
        metadata={"description": "true (the default): check and count, change nothing"},
    )


class ImportErrorSchema(ma.Schema):
    line = ma.fields.Integer(required=True, metadata={"description": "1-based line in the file (header = 1)"})
    reason = ma.fields.String(required=True)


class LicenseeImportSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    filename = ma.fields.String(required=True)
    sha256 = ma.fields.String(required=True)
    dry_run = ma.fields.Boolean(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["pending", "running", "done", "failed"]})
    total_rows = ma.fields.Integer(metadata={"description": "data lines in the file"})
    processed_rows = ma.fields.Integer()
    added = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    rejected = ma.fields.Integer()
    errors = ma.fields.List(
        ma.fields.Nested(ImportErrorSchema), metadata={"description": "the first 1,000 rejected rows"}
    )
    failure = ma.fields.String(allow_none=True, metadata={"description": "why the import failed as a whole"})
    created_by = ma.fields.UUID()
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
