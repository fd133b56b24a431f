from __future__ import annotations

import marshmallow as ma

from inspector.licensees.numbers import LICENSE_TYPES


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
