from __future__ import annotations

import marshmallow as ma

from inspector.timestamps import Timestamp


class ChecklistItemSchema(ma.Schema):
    key = ma.fields.String(required=True)
    area = ma.fields.String(required=True)
    prompt = ma.fields.String(required=True)
    citation = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True)
    license_types = ma.fields.List(ma.fields.String(), metadata={"description": "empty: all types"})
    states = ma.fields.List(ma.fields.String(), metadata={"description": "empty: all states"})
    position = ma.fields.Integer()


class ChecklistSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    key = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    published_at = Timestamp(required=True)


class ChecklistDetailSchema(ChecklistSchema):
    items = ma.fields.List(ma.fields.Nested(ChecklistItemSchema))
