"""Every list pages the same way: X-Pagination with total, total_pages, page and page_size."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient

from inspector.pagination import PAGE_ARGS, pagination_metadata
from tests.factories import World
from tests.test_authorization_matrix import MATRIX, PERSONAS, request_options, url_for_route

ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.mark.parametrize(
    ("page", "page_size", "count", "expected"),
    [
        (1, 50, 0, {"total": 0, "total_pages": 0, "page": 1, "page_size": 50}),
        (
            1,
            3,
            7,
            {
                "total": 7,
                "total_pages": 3,
                "page": 1,
                "page_size": 3,
                "first_page": 1,
                "last_page": 3,
                "next_page": 2,
            },
        ),
        (
            3,
            3,
            9,
            {
                "total": 9,
                "total_pages": 3,
                "page": 3,
                "page_size": 3,
                "first_page": 1,
                "last_page": 3,
                "previous_page": 2,
            },
        ),
        (
            9,
            10,
            5,
            {"total": 5, "total_pages": 1, "page": 9, "page_size": 10, "first_page": 1, "last_page": 1},
        ),
    ],
)
def test_pagination_metadata(page: int, page_size: int, count: int, expected: dict[str, int]) -> None:
    assert pagination_metadata(page, page_size, count) == expected


def test_the_documented_limits() -> None:
    assert PAGE_ARGS == {"page_size": 50, "max_page_size": 500}


def paginated_routes(client: FlaskClient) -> list[str]:
    """The OpenAPI paths whose GET answers carry X-Pagination: the lists."""
    document = client.get("/api/v1/openapi.json").json
    return sorted(
        path
        for path, item in document["paths"].items()
        if "X-Pagination" in item.get("get", {}).get("responses", {}).get("200", {}).get("headers", {})
    )


def test_there_are_lists(client: FlaskClient) -> None:
    assert {"/api/v1/licensees", "/api/v1/inspections", "/api/v1/users"} <= set(paginated_routes(client))


def test_every_list_sends_the_same_header(world: World, client: FlaskClient) -> None:
    lists = set(paginated_routes(client))
    checked = []
    for key, row in MATRIX.items():
        method, rule = key
        path = ARGUMENT.sub(lambda m: "{" + m.group(1) + "}", rule)
        if method != "GET" or path not in lists:
            continue
        name = next(p for p, status in zip(PERSONAS, row, strict=True) if status == 200)
        persona = world.persona(name)
        url = url_for_route(key, world)
        options = request_options(key, world, persona)
        query = {**options.pop("query_string", {}), "page_size": 7}
        response = world.client(persona).get(url, query_string=query, **options)
        assert response.status_code == 200, (rule, response.get_data(as_text=True))
        meta = json.loads(response.headers["X-Pagination"])
        assert meta["page"] == 1, rule
        assert meta["page_size"] == 7, rule
        assert meta["total"] >= len(response.json), rule
        assert meta["total_pages"] == -(-meta["total"] // 7), rule
        checked.append(path)
    assert set(checked) == lists, f"lists without a MATRIX row: {lists - set(checked)}"
