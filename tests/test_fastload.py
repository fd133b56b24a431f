"""The fast path of loading a change's fields accepts nothing marshmallow would not load the same."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.fastload import fast_loader
from inspector.inspections.models import FINDING_RESULTS, INSPECTION_STATUSES, INSPECTION_TYPES
from inspector.leads.models import INDICATORS
from inspector.sync.entities import SYNCED

WORDS = [*FINDING_RESULTS, *INSPECTION_STATUSES, *INSPECTION_TYPES, *INDICATORS, "draft", "submitted"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-2, max_value=100_002),
    st.floats(allow_nan=False),
    st.sampled_from(WORDS),
    st.text(max_size=70),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=63, max_size=65),
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.just("not-a-uuid"),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.lists(st.dictionaries(st.text(max_size=8), scalars, max_size=3), max_size=2),
)


FIELDS = [(entity, name) for entity, spec in sorted(SYNCED.items()) for name in spec.loader.fields]


@pytest.mark.parametrize(("entity", "name"), FIELDS)
@settings(max_examples=150, deadline=None)
@given(value=values)
def test_whatever_the_fast_path_accepts_marshmallow_loads_the_same(
    entity: str, name: str, value: Any
) -> None:
    schema = SYNCED[entity].loader
    fast = fast_loader(schema)({name: value})
    if fast is not None:
        assert schema.load({name: value}, partial=True) == fast


@pytest.mark.parametrize("entity", sorted(SYNCED))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_several_fields_at_once(entity: str, data: Any) -> None:
    schema = SYNCED[entity].loader
    names = st.sampled_from([*schema.fields, "unknown_field"])
    fields = data.draw(st.dictionaries(names, values, min_size=1, max_size=4))
    fast = fast_loader(schema)(fields)
    if fast is not None:
        assert schema.load(fields, partial=True) == fast


@pytest.mark.parametrize(
    ("entity", "fields"),
    [
        (
            "finding",
            {"result": "violation", "instances": 2, "note": None, "inspection_id": str(uuid.UUID(int=1))},
        ),
        ("inspection", {"status": "in_progress", "summary": "Text", "attachments": ["a" * 64]}),
        ("lead", {"indicators": ["multiple-sales"], "status": "draft", "licensee_id": None}),
    ],
)
def test_it_takes_the_usual_changes(entity: str, fields: dict[str, Any]) -> None:
    schema = SYNCED[entity].loader
    assert fast_loader(schema)(fields) == schema.load(fields, partial=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"instances": True},  # a bool is not an integer
        {"instances": -1},
        {"result": "maybe"},
        {"item_key": ""},
        {"inspection_id": "nope"},
        {"attachments": ["A" * 64]},
        {"note": 5},
        {"surprise": 1},
    ],
)
def test_what_it_refuses_gets_marshmallows_error(fields: dict[str, Any]) -> None:
    schema = SYNCED["finding"].loader
    assert fast_loader(schema)(fields) is None
    with pytest.raises(ma.ValidationError):
        schema.load(fields, partial=True)


def test_nested_and_datetime_fields_are_left_to_marshmallow() -> None:
    lead, inspection = SYNCED["lead"].loader, SYNCED["inspection"].loader
    assert fast_loader(lead)({"firearms": [{"serial": "AB1"}]}) is None
    assert fast_loader(inspection)({"started_at": "2026-11-30T10:00:00Z"}) is None
