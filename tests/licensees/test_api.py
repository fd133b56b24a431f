"""/api/v1/licensees: search, filters, pagination and office scope."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.assertions import assert_problem
from tests.factories import World, add_licensee


def add(world: World, state: str, office: uuid.UUID | None, **fields: Any) -> uuid.UUID:
    from inspector.extensions import db

    with world.app.app_context():
        licensee_id = add_licensee(db.session, state, office, **fields)
        db.session.commit()
    return licensee_id


def number_of(world: World, licensee_id: uuid.UUID) -> str:
    client = world.client(world.admin)
    response = client.get(f"/api/v1/licensees/{licensee_id}")
    assert response.status_code == 200
    return str(response.json["license_number"])


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.json}


def pagination(response: Any) -> dict[str, Any]:
    header = response.headers.get("X-Pagination")
    assert header, "list answers carry X-Pagination"
    return dict(json.loads(header))


@pytest.fixture
def directory(world: World) -> dict[str, uuid.UUID]:
    """A few more licensees: two in Houston's states, one in Phoenix's, one without office."""
    from inspector.extensions import db

    with world.app.app_context():
        made = {
            "austin": add_licensee(
                db.session,
                "TX",
                world.houston,
                license_name="BLUEBONNET ARMS",
                business_name="HILL COUNTRY OUTFITTERS",
                premises_city="Austin",
                license_type="07",
            ),
            "santa_fe": add_licensee(
                db.session,
                "NM",
                world.houston,
                license_name="HIGH DESERT TRADING POST",
                premises_city="Santa Fe",
                license_type="02",
            ),
            "phoenix": add_licensee(
                db.session,
                "AZ",
                world.phoenix,
                license_name="CACTUS FLATS EL PASO ROAD ARMS",
                premises_city="Phoenix",
            ),
            "nowhere": add_licensee(db.session, "OK", None, license_name="LONE STAR GUNS OF OKLAHOMA"),
        }
        db.session.commit()
    return made


def test_anonymous_cannot_list(client: FlaskClient, world: World) -> None:
    assert_problem(client.get("/api/v1/licensees"), 401, "unauthorized")


def test_investigator_lists_only_their_office(world: World, directory: dict[str, uuid.UUID]) -> None:
    houston = ids(world.client(world.investigator).get("/api/v1/licensees"))
    assert houston == {str(world.licensee), str(directory["austin"]), str(directory["santa_fe"])}
    phoenix = ids(world.client(world.investigator_other).get("/api/v1/licensees"))
    assert phoenix == {str(world.licensee_other), str(directory["phoenix"])}


def test_admin_lists_every_licensee(world: World, directory: dict[str, uuid.UUID]) -> None:
    everything = ids(world.client(world.admin).get("/api/v1/licensees"))
    assert everything == {str(world.licensee), str(world.licensee_other)} | {
        str(v) for v in directory.values()
    }


def test_list_items_have_the_documented_fields(world: World) -> None:
    [item] = world.client(world.investigator).get("/api/v1/licensees").json
    assert item["id"] == str(world.licensee)
    assert item["license_name"] == "LONE STAR GUNS LLC"
    assert item["premises_state"] == "TX"
    assert item["field_office_id"] == str(world.houston)
    assert item["license_number"].count("-") == 5
    assert "office_overridden" not in item  # only declared fields leave the server


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("lone star", {"licensee"}),  # name, case-insensitive
        ("LONE", {"licensee"}),
        ("outfitters", {"austin"}),  # business name
        ("el paso", {"licensee"}),  # city (Phoenix's "EL PASO ROAD" is out of scope)
        ("santa fe", {"santa_fe"}),
        ("austin", {"austin"}),
        ("no such dealer", set()),
    ],
)
def test_search_by_name_or_city(
    world: World, directory: dict[str, uuid.UUID], q: str, expected: set[str]
) -> None:
    objects = {"licensee": world.licensee, **directory}
    found = ids(world.client(world.investigator).get("/api/v1/licensees", query_string={"q": q}))
    assert found == {str(objects[name]) for name in expected}


def test_search_by_license_number_with_and_without_hyphens(
    world: World, directory: dict[str, uuid.UUID]
) -> None:
    number = number_of(world, directory["austin"])
    client = world.client(world.investigator)
    for q in (number, number.replace("-", ""), number.lower(), number[-8:], number[-5:]):
        found = ids(client.get("/api/v1/licensees", query_string={"q": q}))
        assert found == {str(directory["austin"])}, q


def test_search_by_number_never_reaches_another_office(world: World, directory: dict[str, uuid.UUID]) -> None:
    number = number_of(world, directory["phoenix"])
    client = world.client(world.investigator)
    assert ids(client.get("/api/v1/licensees", query_string={"q": number})) == set()
    assert ids(client.get("/api/v1/licensees", query_string={"q": number.replace("-", "")})) == set()


@pytest.mark.parametrize("q", ["%", "_", "%%", "LONE%GUNS", "_ONE STAR"])
def test_search_wildcards_are_literal(world: World, q: str) -> None:
    """A search for "%" finds names containing "%", not every licensee."""
    found = ids(world.client(world.admin).get("/api/v1/licensees", query_string={"q": q}))
    assert found == set()


def test_search_finds_names_with_wildcard_characters(world: World) -> None:
    licensee = add(world, "TX", world.houston, license_name="100% AMERICAN_ARMS")
    client = world.client(world.investigator)
    assert ids(client.get("/api/v1/licensees", query_string={"q": "100%"})) == {str(licensee)}
    assert ids(client.get("/api/v1/licensees", query_string={"q": "n_a"})) == {str(licensee)}


def test_filter_by_state(world: World, directory: dict[str, uuid.UUID]) -> None:
    client = world.client(world.admin)
    found = ids(client.get("/api/v1/licensees", query_string={"state": "NM"}))
    assert found == {str(directory["santa_fe"])}
    found = ids(client.get("/api/v1/licensees", query_string={"state": "TX"}))
    assert found == {str(world.licensee), str(directory["austin"])}


def test_filter_by_state_stays_in_scope(world: World, directory: dict[str, uuid.UUID]) -> None:
    client = world.client(world.investigator)
    assert ids(client.get("/api/v1/licensees", query_string={"state": "AZ"})) == set()


def test_filter_by_license_type(world: World, directory: dict[str, uuid.UUID]) -> None:
    client = world.client(world.admin)
    assert ids(client.get("/api/v1/licensees", query_string={"license_type": "07"})) == {
        str(directory["austin"])
    }
    assert ids(client.get("/api/v1/licensees", query_string={"license_type": "02"})) == {
        str(directory["santa_fe"])
    }
    assert ids(client.get("/api/v1/licensees", query_string={"license_type": "08"})) == set()


def test_filter_by_field_office(world: World, directory: dict[str, uuid.UUID]) -> None:
    admin = world.client(world.admin)
    found = ids(admin.get("/api/v1/licensees", query_string={"field_office_id": world.phoenix}))
    assert found == {str(world.licensee_other), str(directory["phoenix"])}
    # An investigator naming another office gets nothing, not that office's licensees.
    investigator = world.client(world.investigator)
    found = ids(investigator.get("/api/v1/licensees", query_string={"field_office_id": world.phoenix}))
    assert found == set()


def test_filters_combine(world: World, directory: dict[str, uuid.UUID]) -> None:
    client = world.client(world.admin)
    query = {"state": "TX", "license_type": "07", "q": "bluebonnet"}
    assert ids(client.get("/api/v1/licensees", query_string=query)) == {str(directory["austin"])}
    query = {"state": "NM", "q": "bluebonnet"}
    assert ids(client.get("/api/v1/licensees", query_string=query)) == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "texas"}, "state"),
        ({"state": "tx"}, "state"),
        ({"license_type": "04"}, "license_type"),
        ({"field_office_id": "houston"}, "field_office_id"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"page": "first"}, "page"),
    ],
)
def test_bad_query_parameters_are_validation_errors(world: World, query: dict[str, str], field: str) -> None:
    body = assert_problem(
        world.client(world.admin).get("/api/v1/licensees", query_string=query),
        422,
        "validation-error",
    )
    assert field in body["errors"], body


def test_pagination_header_and_pages(world: World) -> None:
    for n in range(6):
        add(world, "TX", world.houston, license_name=f"PAGED DEALER {n}")
    client = world.client(world.investigator)
    first = client.get("/api/v1/licensees", query_string={"page_size": 3})
    meta = pagination(first)
    assert meta["total"] == 7
    assert meta["page"] == 1
    assert meta["page_size"] == 3
    assert meta["total_pages"] == 3
    assert len(first.json) == 3
    pages = [first.json]
    for page in (2, 3):
        response = client.get("/api/v1/licensees", query_string={"page_size": 3, "page": page})
        assert pagination(response)["page"] == page
        pages.append(response.json)
    assert [len(p) for p in pages] == [3, 3, 1]
    every = [item["id"] for p in pages for item in p]
    assert len(set(every)) == 7  # no item twice, none missing
    names = [item["license_name"] for p in pages for item in p]
    assert names == sorted(names)  # a stable order across pages


def test_pagination_counts_what_the_filters_keep(world: World, directory: dict[str, uuid.UUID]) -> None:
    response = world.client(world.admin).get("/api/v1/licensees", query_string={"state": "TX"})
    assert pagination(response)["total"] == 2


def test_default_page_size_is_50_and_500_is_the_maximum(world: World) -> None:
    client = world.client(world.investigator)
    assert pagination(client.get("/api/v1/licensees"))["page_size"] == 50
    response = client.get("/api/v1/licensees", query_string={"page_size": 500})
    assert response.status_code == 200
    assert pagination(response)["page_size"] == 500
    assert_problem(client.get("/api/v1/licensees", query_string={"page_size": 501}), 422, "validation-error")


def test_a_page_past_the_end_is_empty(world: World) -> None:
    response = world.client(world.investigator).get("/api/v1/licensees", query_string={"page": 9})
    assert response.status_code == 200
    assert response.json == []
    assert pagination(response)["total"] == 1


def test_get_one_in_scope(world: World) -> None:
    for persona in (world.investigator, world.reviewer, world.admin):
        response = world.client(persona).get(f"/api/v1/licensees/{world.licensee}")
        assert response.status_code == 200
        assert response.json["id"] == str(world.licensee)
        assert response.json["license_name"] == "LONE STAR GUNS LLC"


def test_get_one_out_of_scope_is_404_like_a_missing_one(world: World) -> None:
    client = world.client(world.investigator_other)
    out_of_scope = assert_problem(client.get(f"/api/v1/licensees/{world.licensee}"), 404, "not-found")
    missing = assert_problem(client.get(f"/api/v1/licensees/{uuid.uuid4()}"), 404, "not-found")
    assert out_of_scope["detail"] == missing["detail"]  # nothing tells them apart
    assert_problem(world.client(world.reviewer_other).get(f"/api/v1/licensees/{world.licensee}"), 404)


def test_licensee_without_office_is_seen_by_admins_only(
    world: World, directory: dict[str, uuid.UUID]
) -> None:
    url = f"/api/v1/licensees/{directory['nowhere']}"
    assert world.client(world.admin).get(url).status_code == 200
    for persona in (world.investigator, world.reviewer, world.investigator_other):
        assert_problem(world.client(persona).get(url), 404, "not-found")


def test_phoenix_investigator_never_sees_houston(world: World, directory: dict[str, uuid.UUID]) -> None:
    """Whatever the query, a Phoenix investigator gets no Houston licensee."""
    client = world.client(world.investigator_other)
    houston = {str(world.licensee), str(directory["austin"]), str(directory["santa_fe"])}
    queries: list[dict[str, Any]] = [
        {},
        {"q": "lone star"},
        {"q": "el paso"},
        {"state": "TX"},
        {"state": "NM"},
        {"field_office_id": world.houston},
        {"page_size": 500},
    ]
    for query in queries:
        response = client.get("/api/v1/licensees", query_string=query)
        assert not ids(response) & houston, query
    for licensee_id in houston:
        assert_problem(client.get(f"/api/v1/licensees/{licensee_id}"), 404)
