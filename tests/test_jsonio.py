"""Responses written through orjson mean what Flask's own provider writes."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

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
