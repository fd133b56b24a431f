"""Every error path answers RFC 9457 problem details, never a stack trace or a secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inspector.problems import CATALOGUE
from tests.assertions import PROBLEM_MEDIA_TYPE, assert_problem
from tests.conftest import dispose, make_app
from tests.factories import PASSWORD, World

SECRET_DETAIL = "db password is hunter2-secret"


@pytest.fixture
def boom_app(database_url: str) -> Iterator[Flask]:
    """A fresh app, run as in production (exceptions not propagated), with a failing route."""
    app = make_app(database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def boom() -> str:
        raise RuntimeError(SECRET_DETAIL)

    def boom_key() -> str:
        return {"present": 1}[SECRET_DETAIL]  # type: ignore[return-value]

    app.add_url_rule("/api/v1/test-only/boom", "test_only_boom", boom)
    app.add_url_rule("/api/v1/test-only/key-error", "test_only_key_error", boom_key)
    yield app
    dispose(app)


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/nowhere", "/api/v1/licensees/7"])
def test_unknown_route_is_not_found(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path), 404, "not-found")


def test_unknown_route_is_not_found_for_unsafe_methods_too(client: FlaskClient) -> None:
    assert_problem(client.post("/api/v1/no-such-thing", json={}), 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/licensees", {"GET"}),
        ("PUT", "/api/v1/auth/me", {"GET"}),
        ("GET", "/api/v1/auth/token", {"POST"}),
        ("DELETE", "/api/v1/users", {"GET", "POST"}),
    ],
)
def test_method_not_allowed_says_what_is(
    client: FlaskClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.open(path, method=method)
    assert_problem(response, 405, "method-not-allowed")
    allow = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed <= allow
    assert method not in allow


def test_payload_too_large(client: FlaskClient, app: Flask) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"username": "' + b"x" * limit + b'", "password": "p"}'
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert_problem(response, 413, "payload-too-large")


def test_payload_too_large_with_a_smaller_limit(database_url: str) -> None:
    app = make_app(database_url, MAX_CONTENT_LENGTH=1024)
    try:
        client = app.test_client()
        body = {"username": "x" * 2000, "password": "p"}
        assert_problem(client.post("/api/v1/auth/token", json=body), 413, "payload-too-large")
        # under the limit the same route answers normally
        small = client.post("/api/v1/auth/token", json={"username": "x", "password": "p"})
        assert small.status_code == 401
    finally:
        dispose(app)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_unsupported_media_type(client: FlaskClient, content_type: str) -> None:
    response = client.post(
        "/api/v1/auth/token",
        data=b'{"username": "a", "password": "b"}',
        content_type=content_type,
    )
    assert_problem(response, 415, "unsupported-media-type")


def test_missing_field_is_a_validation_error(client: FlaskClient) -> None:
    body = assert_problem(
        client.post("/api/v1/auth/token", json={"username": "ines"}), 422, "validation-error"
    )
    assert body["errors"] == {"password": ["Missing data for required field."]}


def test_unknown_field_is_a_validation_error(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "ines", "password": "x", "role": "admin"})
    body = assert_problem(response, 422, "validation-error")
    assert list(body["errors"]) == ["role"]
    assert all(isinstance(m, str) for m in body["errors"]["role"])


def test_wrong_type_is_a_validation_error(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"username": "ines", "password": "x", "device_id": "phone"}
    )
    body = assert_problem(response, 422, "validation-error")
    assert "device_id" in body["errors"]


def test_a_body_that_is_not_an_object_is_a_validation_error(client: FlaskClient) -> None:
    body = assert_problem(client.post("/api/v1/auth/token", json=[1, 2]), 422, "validation-error")
    assert isinstance(body["errors"], dict) and body["errors"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=texas", "state"),
        ("page_size=501", "page_size"),
        ("page=-1", "page"),
        ("license_type=05", "license_type"),
    ],
)
def test_bad_query_parameters_are_validation_errors(world: World, query: str, field: str) -> None:
    response = world.client(world.investigator).get(f"/api/v1/licensees?{query}")
    body = assert_problem(response, 422, "validation-error")
    assert isinstance(body["errors"], dict)
    assert field in body["errors"]
    assert all(isinstance(m, str) for m in body["errors"][field])


def test_bad_inspection_status_filter_is_a_validation_error(world: World) -> None:
    response = world.client(world.investigator).get("/api/v1/inspections?status=done")
    body = assert_problem(response, 422, "validation-error")
    assert "status" in body["errors"]


@pytest.mark.parametrize("data", [b"{bad", b'{"username": "a",}', b"\xff\xfe", b'"unterminated'])
def test_malformed_json(client: FlaskClient, data: bytes) -> None:
    response = client.post("/api/v1/auth/token", data=data, content_type="application/json")
    assert_problem(response, 400, "malformed-json")


def test_malformed_json_on_an_authenticated_route(world: World) -> None:
    response = world.client(world.admin).post(
        "/api/v1/field-offices", data=b"{nope", content_type="application/json"
    )
    assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize("path", ["/api/v1/test-only/boom", "/api/v1/test-only/key-error"])
def test_internal_error_reveals_nothing(boom_app: Flask, path: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    response = boom_app.test_client().get(path, headers={"X-Request-Id": "req-abc-123"})

    body = assert_problem(response, 500, "internal-error")
    text = response.get_data(as_text=True)
    for leak in ("Traceback", SECRET_DETAIL, "hunter2", "RuntimeError", "KeyError", 'File "'):
        assert leak not in text
    assert body["request_id"] == "req-abc-123"
    assert "req-abc-123" in body["detail"]
    # The log says that it failed, under the request id, without the traceback or the message.
    assert "req-abc-123" in caplog.text
    assert "Traceback" not in caplog.text
    assert "hunter2" not in caplog.text
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            assert record.exc_info is None, record.getMessage()


def test_internal_error_gets_a_request_id_when_the_client_sent_none(boom_app: Flask) -> None:
    response = boom_app.test_client().get("/api/v1/test-only/boom")
    body = assert_problem(response, 500, "internal-error")
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert len(body["request_id"]) >= 16


def test_internal_error_keeps_the_security_headers(boom_app: Flask) -> None:
    response = boom_app.test_client().get("/api/v1/test-only/boom")
    assert response.status_code == 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_every_catalogued_slug_is_documented() -> None:
    for slug, kind in CATALOGUE.items():
        assert slug == slug.lower() and " " not in slug
        assert 400 <= kind.status <= 599
        assert kind.title and kind.doc


def test_the_slugs_the_conventions_require_exist() -> None:
    required = {
        "validation-error",
        "malformed-json",
        "unsupported-media-type",
        "not-found",
        "method-not-allowed",
        "payload-too-large",
        "unauthorized",
        "token-expired",
        "token-revoked",
        "forbidden",
        "account-locked",
        "rate-limited",
        "conflict",
        "idempotency-conflict",
        "record-locked",
        "client-outdated",
        "device-revoked",
        "internal-error",
    }
    assert required <= CATALOGUE.keys()


def test_no_response_carries_a_password_hash(world: World, client: FlaskClient) -> None:
    """Users, logins, profiles, errors: "$argon2" never leaves the server."""
    admin = world.client(world.admin)
    investigator = world.client(world.investigator)
    user_url = f"/api/v1/users/{world.investigator.id}"
    new_user = {
        "username": "hash-check",
        "display_name": "Hash Check",
        "role": "reviewer",
        "field_office_id": str(world.houston),
        "password": "another long password",
    }
    responses = [
        admin.get("/api/v1/users"),
        admin.get("/api/v1/users?page_size=500"),
        admin.get(user_url),
        admin.patch(user_url, json={"display_name": "Ines Again"}),
        admin.patch(user_url, json={"password": "a brand new long password"}),
        admin.post("/api/v1/users", json=new_user),
        admin.post("/api/v1/users", json=new_user),  # 409, taken
        admin.post("/api/v1/users", json={**new_user, "username": "x", "password": "short"}),
        admin.patch(user_url, json={"password_hash": "$argon2id$v=19$forged"}),  # unknown field
        admin.post(f"/api/v1/users/{world.investigator.id}/unlock"),
        investigator.get("/api/v1/auth/me"),
        investigator.get("/api/v1/users"),
        client.post(
            "/api/v1/auth/token",
            json={"username": world.reviewer.username, "password": PASSWORD},
        ),
        client.post(
            "/api/v1/auth/login",
            json={"username": world.reviewer.username, "password": PASSWORD},
        ),
        client.post("/api/v1/auth/token", json={"username": "ray", "password": "wrong"}),
    ]
    statuses = [r.status_code for r in responses]
    assert statuses[0] == 200 and statuses[5] == 201 and statuses[6] == 409, statuses
    for response in responses:
        assert "$argon2" not in response.get_data(as_text=True)
        assert all("$argon2" not in value for _name, value in response.headers.items())
        if response.status_code >= 400:
            assert response.mimetype == PROBLEM_MEDIA_TYPE


def test_rate_limited_says_when_to_retry(database_url: str) -> None:
    from inspector.extensions import limiter

    app = make_app(database_url, LOGIN_RATE_LIMIT="2 per minute")
    try:
        limiter.reset()
        client = app.test_client()
        wrong = {"username": "nobody", "password": "wrong"}
        for _ in range(2):
            assert_problem(client.post("/api/v1/auth/token", json=wrong), 401, "unauthorized")
        response = client.post("/api/v1/auth/token", json=wrong)
        assert_problem(response, 429, "rate-limited")
        assert int(response.headers["Retry-After"]) > 0
    finally:
        limiter.reset()
        dispose(app)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer garbage", "Bearer ", "Basic aW5lczpwYXNzd29yZA==", "Bearer a.b.c"],
)
def test_bad_credentials_are_unauthorized(world: World, authorization: str) -> None:
    client = world.app.test_client()
    response = client.get("/api/v1/licensees", headers={"Authorization": authorization})
    assert_problem(response, 401, "unauthorized")


def test_a_token_signed_with_another_key_is_unauthorized(world: World, database_url: str) -> None:
    other = make_app(database_url, SECRET_KEY="another-secret-key-that-is-long-enough-987654321")
    try:
        forged = World(**{**world.__dict__, "app": other}).tokens(world.admin)["access"]
    finally:
        dispose(other)
    response = world.app.test_client().get("/api/v1/licensees", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401, "unauthorized")
