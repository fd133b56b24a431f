"""Responses written through orjson mean what Flask's own provider writes."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider


@dataclasses.dataclass
class Point:
    x: int


def test_the_same_document_as_flasks_provider(app: Flask) -> None:
    document = {
        "when": datetime.datetime(2026, 11, 30, 9, 30, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 11, 30),
        "ids": [uuid.UUID(int=7)],
        "amount": decimal.Decimal("1.50"),
        "point": Point(3),
        "text": "Sérial №5",
        "nested": {"b": 1, "a": None, "c": [True, 1.5]},
    }
    ours = app.json.dumps(document)
    flasks = DefaultJSONProvider(app).dumps(document)
    assert json.loads(ours) == json.loads(flasks)
    assert list(json.loads(ours)) == sorted(document)  # keys sorted, as Flask sorts them


def test_what_orjson_refuses_is_written_by_the_standard_library(app: Flask) -> None:
    assert json.loads(app.json.dumps({"n": 2**70})) == {"n": 2**70}


def test_responses_use_it(app: Flask) -> None:
    # orjson writes UTF-8 where the standard library (ensure_ascii) would escape
    assert app.json.response({"text": "é"}).get_data(as_text=True).strip() == '{"text":"é"}'
    assert app.test_client().get("/healthz").get_data(as_text=True).strip() == '{"status":"ok"}'


# ---- JSON columns ---------------------------------------------------------------------------------


def test_json_columns_are_written_as_the_standard_library_writes_them() -> None:
    from inspector.jsonio import db_dumps, db_loads

    for value in (
        {"note": "Sérial №5", "n": [1, 2.5, None, True], "nested": {"b": 1, "a": {}}},
        [],
        None,
        "text",
        {1: "a non-string key"},  # orjson refuses; the standard library writes "1"
        {"big": 2**70},  # past 64 bits: the standard library
    ):
        assert json.loads(db_dumps(value)) == json.loads(json.dumps(value))
        assert db_loads(db_dumps(value)) == json.loads(json.dumps(value))
    assert db_loads(b'{"a": [1, "\\u00e9"]}') == {"a": [1, "é"]}
    assert db_loads("[NaN]")[0] != db_loads("[NaN]")[0]  # only the standard library reads NaN


def test_what_json_does_not_have_is_still_refused() -> None:
    from inspector.jsonio import db_dumps

    for value in (datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC), Point(3), {1, 2}):
        with pytest.raises(TypeError):
            db_dumps(value)


def test_the_engine_stores_and_reads_json_columns_through_them(app: Flask) -> None:
    import sqlalchemy as sa

    from inspector.extensions import db
    from inspector.jsonio import db_dumps, db_loads
    from inspector.sync.models import RecordVersion

    value = {"serials": ["A1", "é"], "count": 2**70, "none": None, "nested": {"z": 1, "a": [{}]}}
    with app.app_context():
        assert db.engine.dialect._json_serializer is db_dumps  # type: ignore[attr-defined]
        assert db.engine.dialect._json_deserializer is db_loads  # type: ignore[attr-defined]
        row = RecordVersion(entity="finding", record_id=uuid.uuid4(), version=1, data=value, deleted=False)
        db.session.add(row)
        db.session.commit()
        db.session.expire_all()
        assert db.session.scalar(sa.select(RecordVersion.data).where(RecordVersion.id == row.id)) == value
