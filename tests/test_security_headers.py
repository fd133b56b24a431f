"""Headers every response carries, the front end's caching, and the self-hosted API docs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from apispec.ext.marshmallow import resolver
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from inspector.problems import ProblemSchema
from tests.factories import PASSWORD, World
from tests.test_authorization_matrix import api_routes

API_ROUTE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def get(client: FlaskClient, path: str, **options: object) -> TestResponse:
    """GET, read the body and close it (files are streamed; an open one would leak)."""
    response = client.get(path, **options)  # type: ignore[arg-type]
    response.get_data()
    response.close()
    return response


def csp_directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, "every response carries a Content-Security-Policy"
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.urls.append(str(values["src"]))
            else:
                self._in_script_without_src = True
        elif tag == "link" and values.get("href"):
            self.urls.append(str(values["href"]))

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


def assets_of(response: TestResponse) -> _Assets:
    parser = _Assets()
    parser.feed(response.get_data(as_text=True))
    return parser


def assert_common_headers(response: TestResponse) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/index.html", "/inspections/some-client-route"])
def test_front_end_pages_have_a_strict_policy_and_revalidate(client: FlaskClient, path: str) -> None:
    response = get(client, path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert_common_headers(response)
    directives = csp_directives(response)
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert "*" not in policy.split()
    # the shell must be revalidated, or a new release never reaches the device
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_shell_needs_no_inline_script(client: FlaskClient) -> None:
    """script-src 'self' without 'unsafe-inline' blocks inline scripts: the page must have none."""
    page = assets_of(get(client, "/"))
    assert page.inline_scripts == 0
    for url in page.urls:
        assert not url.startswith(("http:", "https:", "//")), f"{url} is not from our origin"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/me",
        "/api/v1/licensees",
        f"/api/v1/licensees/{'00000000-0000-0000-0000-000000000000'}",
        "/api/v1/inspections",
        "/api/v1/checklists",
        "/api/v1/users",
    ],
)
def test_authenticated_api_responses_are_never_stored(world: World, path: str) -> None:
    response = world.client(world.admin).get(path)
    assert response.status_code in {200, 404}
    assert response.headers["Cache-Control"] == "no-store"
    assert_common_headers(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_token_answers_are_never_stored(world: World, client: FlaskClient) -> None:
    credentials = {"username": world.reviewer.username, "password": PASSWORD}
    for path in ("/api/v1/auth/token", "/api/v1/auth/login"):
        response = client.post(path, json=credentials)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert_common_headers(response)


def test_error_answers_are_never_stored_either(client: FlaskClient) -> None:
    for response in (
        client.get("/api/v1/licensees"),
        client.get("/api/v1/no-such-route"),
        client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}),
    ):
        assert response.status_code >= 400
        assert response.headers["Cache-Control"] == "no-store"
        assert_common_headers(response)


def test_every_response_has_a_request_id(client: FlaskClient) -> None:
    assert get(client, "/").headers["X-Request-Id"]
    echoed = client.get("/api/v1/licensees", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["X-Request-Id"] == "abc-123"
    long = client.get("/api/v1/licensees", headers={"X-Request-Id": "x" * 500})
    assert len(long.headers["X-Request-Id"]) <= 64


def test_api_docs_load_with_their_assets_from_our_origin(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert_common_headers(page)
    assets = assets_of(page)
    assert assets.urls, "the docs page loads Swagger UI's files"
    for url in assets.urls:
        assert url.startswith("/api/docs/assets/"), f"{url}: served by us, no CDN"
        response = get(client, url)
        assert response.status_code == 200, url
        assert response.data, url
    assert "/api/v1/openapi.json" in page.get_data(as_text=True)


def test_only_the_docs_page_allows_its_inline_bootstrap(client: FlaskClient) -> None:
    docs = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in docs  # flask-smorest's one inline script
    assert "frame-ancestors 'none'" in docs
    for path in ("/", "/api/v1/openapi.json", "/api/v1/licensees"):
        assert "unsafe-inline" not in get(client, path).headers["Content-Security-Policy"]


def test_a_missing_docs_asset_is_a_problem(client: FlaskClient) -> None:
    response = get(client, "/api/docs/assets/no-such-file.js")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def openapi_path(rule: str) -> str:
    return API_ROUTE_ARGUMENT.sub(lambda m: "{" + m.group(1) + "}", rule)


def test_openapi_document_lists_every_api_route(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.json
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    missing = []
    for method, rule in sorted(api_routes(app)):
        operation = paths.get(openapi_path(rule), {}).get(method.lower())
        if operation is None:
            missing.append(f"{method} {rule}")
    assert not missing, f"routes the OpenAPI document does not list: {missing}"
    served = {(m, openapi_path(r)) for m, r in api_routes(app)}
    documented = {
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented <= served, f"documented but not served: {documented - served}"


def test_openapi_document_names_the_problem_schema(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    name = resolver(ProblemSchema)  # the name flask-smorest gives ProblemSchema
    assert name in schemas
    problem = schemas[name]
    assert {"type", "title", "status", "detail", "errors"} <= problem["properties"].keys()
    assert {"type", "title", "status"} <= set(problem["required"])
    default_error = document["components"]["responses"]["DEFAULT_ERROR"]
    assert default_error["content"]["application/problem+json"]["schema"]["$ref"].endswith(f"/{name}")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], f"{method} {path} documents no errors"


def test_openapi_document_describes_the_pagination_header(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    header = document["components"]["headers"]["PAGINATION"]
    name = header["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = document["components"]["schemas"][name]["properties"]
    assert {"total", "total_pages", "page", "page_size"} <= properties.keys()
