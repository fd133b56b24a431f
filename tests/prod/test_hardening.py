"""Hardening: body and page size caps, CORS only for allow-listed origins, rate limits on
refresh and push, and the databases' durability settings (SQLite WAL, synchronous=FULL,
foreign keys; PostgreSQL synchronous_commit).

The limits across two gunicorn workers through Redis are in test_gunicorn.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from inspector.config import ConfigError, load_config
from tests.assertions import assert_problem
from tests.conftest import dispose, make_app
from tests.factories import World
from tests.test_authorization_matrix import MATRIX, PERSONAS, request_options, url_for_route
from tests.test_pagination import ARGUMENT, paginated_routes

ALLOWED = "https://field.example.gov"
STRANGER = "https://evil.example.com"


@pytest.fixture
def make(database_url: str) -> Iterator[Any]:
    """Apps with their own settings on the test database; disposed at the end."""
    from inspector.extensions import limiter

    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = make_app(database_url, **overrides)
        made.append(app)
        limiter.reset()
        return app

    yield build
    limiter.reset()
    for app in made:
        dispose(app)


# ---- body size --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token", "/api/v1/sync/push", "/api/v1/auth/totp/confirm", "/api/v1/field-offices"]
)
def test_a_body_over_the_cap_is_413(world: World, make: Any, path: str) -> None:
    app = make(MAX_CONTENT_LENGTH=2048)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens(world.investigator)['access']}"
    body = json.dumps({"padding": "x" * 4096}).encode()
    response = client.post(path, data=body, content_type="application/json")
    assert_problem(response, 413, "payload-too-large")


# ---- page size --------------------------------------------------------------------------------


def test_every_list_caps_its_page_size_at_500(world: World, client: FlaskClient) -> None:
    """Over the cap is 422 (api-conventions: maximum 500), never a bigger page; at the cap it serves."""
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
        query = options.pop("query_string", {})
        api = world.client(persona)
        for too_many in (501, 10**9):
            over = api.get(url, query_string={**query, "page_size": too_many}, **options)
            assert "page_size" in assert_problem(over, 422, "validation-error")["errors"], rule
        assert_problem(
            api.get(url, query_string={**query, "page_size": 0}, **options), 422, "validation-error"
        )
        at_cap = api.get(url, query_string={**query, "page_size": 500}, **options)
        assert at_cap.status_code == 200, (rule, at_cap.get_data(as_text=True))
        assert json.loads(at_cap.headers["X-Pagination"])["page_size"] == 500
        checked.append(path)
    # every list with a MATRIX row (test_pagination.py checks that every list has one)
    assert {"/api/v1/licensees", "/api/v1/inspections", "/api/v1/users", "/api/v1/leads"} <= set(checked)


# ---- CORS -------------------------------------------------------------------------------------


def preflight(client: FlaskClient, origin: str, path: str = "/api/v1/licensees") -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_by_default_no_other_origin_may_call_the_api(world: World) -> None:
    api = world.client(world.investigator)
    refused = preflight(api, STRANGER)
    assert_problem(refused, 403, "forbidden")
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Methods" not in refused.headers
    # a simple request is answered, but without CORS headers the browser hides it from the page
    answered = api.get("/api/v1/licensees", headers={"Origin": STRANGER})
    assert answered.status_code == 200
    assert not [name for name, _ in answered.headers if name.lower().startswith("access-control-")]
    # the PWA itself (same origin) needs no CORS and is unaffected
    assert api.get("/api/v1/licensees").status_code == 200


def test_an_allowed_origin_gets_exactly_its_own_name_back(world: World, make: Any) -> None:
    from tests.factories import PASSWORD

    app = make(CORS_ORIGINS=f"{ALLOWED}, https://other.example.gov/")
    client = app.test_client()
    ok = preflight(client, ALLOWED)
    assert ok.status_code == 204, ok.get_data(as_text=True)
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "GET" in ok.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in ok.headers["Access-Control-Allow-Headers"]
    assert int(ok.headers["Access-Control-Max-Age"]) > 0
    # Bearer tokens only: the PWA's cookies never travel across origins
    assert "Access-Control-Allow-Credentials" not in ok.headers

    token = client.post(
        "/api/v1/auth/token",
        json={"username": world.investigator.username, "password": PASSWORD},
        headers={"Origin": ALLOWED},
    )
    assert token.headers["Access-Control-Allow-Origin"] == ALLOWED
    access = token.json["access_token"]
    listed = client.get("/api/v1/licensees", headers={"Origin": ALLOWED, "Authorization": f"Bearer {access}"})
    assert listed.status_code == 200
    assert listed.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-Pagination" in listed.headers["Access-Control-Expose-Headers"]
    assert "Origin" in listed.headers["Vary"]
    # errors carry it too, so the page can read the problem
    missing = client.get(
        f"/api/v1/licensees/{uuid.uuid4()}", headers={"Origin": ALLOWED, "Authorization": f"Bearer {access}"}
    )
    assert missing.status_code == 404 and missing.headers["Access-Control-Allow-Origin"] == ALLOWED

    # anyone else is still refused
    for origin in (
        STRANGER,
        "https://field.example.gov.evil.example.com",
        "http://field.example.gov",
        "null",
    ):
        refused = preflight(client, origin)
        assert refused.status_code == 403, origin
        assert "Access-Control-Allow-Origin" not in refused.headers
        other = client.get(
            "/api/v1/licensees", headers={"Origin": origin, "Authorization": f"Bearer {access}"}
        )
        assert "Access-Control-Allow-Origin" not in other.headers, origin


def test_cors_stays_off_the_pages_and_probes(make: Any) -> None:
    client = make(CORS_ORIGINS=ALLOWED).test_client()
    for path in ("/", "/healthz"):
        response = client.get(path, headers={"Origin": ALLOWED})
        assert "Access-Control-Allow-Origin" not in response.headers, path
        response.close()


@pytest.mark.parametrize(
    "origins", ["*", "null", "field.example.gov", "https://a.example/path", "ftp://x.example"]
)
def test_a_wildcard_or_malformed_origin_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, origins: str
) -> None:
    monkeypatch.setenv("INSPECTOR_CORS_ORIGINS", origins)
    with pytest.raises(ConfigError, match="INSPECTOR_CORS_ORIGINS"):
        load_config(str(tmp_path))


# ---- rate limits (one process; across workers: test_gunicorn.py) -------------------------------


def test_refresh_is_rate_limited_per_address(world: World, make: Any) -> None:
    app = make(LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = []
    for _ in range(3):
        refresh = world.tokens(world.investigator)["refresh"]
        response = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh}"})
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429]
    assert_problem(response, 429, "rate-limited")
    assert int(response.headers["Retry-After"]) > 0


def push_body(device: uuid.UUID) -> dict[str, Any]:
    return {"device_id": str(device), "schema_version": 1, "changes": []}


def test_pushes_are_limited_per_device_not_per_address(world: World, make: Any) -> None:
    from tests.factories import Persona

    app = make(PUSH_RATE_LIMIT="3 per minute")
    tablet = app.test_client()
    tablet.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens(world.investigator)['access']}"
    statuses = [tablet.post("/api/v1/sync/push", json=push_body(world.investigator.device_id)).status_code]
    statuses += [
        tablet.post("/api/v1/sync/push", json=push_body(world.investigator.device_id)).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 200, 429]
    limited = tablet.post("/api/v1/sync/push", json=push_body(world.investigator.device_id))
    assert_problem(limited, 429, "rate-limited")
    assert int(limited.headers["Retry-After"]) > 0
    # another tablet behind the same address (an office NAT) pushes on, even for the same person
    second = Persona(world.investigator.id, world.investigator.username, "investigator", world.houston)
    phone = app.test_client()
    phone.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens(second)['access']}"
    assert phone.post("/api/v1/sync/push", json=push_body(second.device_id)).status_code == 200
    # pulling is not a push
    pulled = tablet.get(
        "/api/v1/sync/pull",
        query_string={"device_id": str(world.investigator.device_id), "schema_version": 1},
    )
    assert pulled.status_code == 200


def test_the_default_push_limit_is_generous(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backlog of 20,000 changes is 80 batches of 250 (the PWA's batch): under two minutes' worth."""
    monkeypatch.delenv("INSPECTOR_PUSH_RATE_LIMIT", raising=False)
    assert load_config(str(tmp_path))["PUSH_RATE_LIMIT"] == "120 per minute"


# ---- durability of the databases ----------------------------------------------------------------


def test_sqlite_runs_with_wal_full_sync_and_foreign_keys(app: Flask, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
    from inspector.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_postgresql_commits_synchronously_whatever_the_database_default(
    make: Any, database_url: str, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    from inspector.extensions import db

    name = sa.engine.make_url(database_url).database
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        app = make()
        with app.app_context(), db.engine.connect() as conn:
            assert conn.scalar(sa.text("SHOW synchronous_commit")) == "on"
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" RESET synchronous_commit'))
        admin.dispose()


def test_readyz_refuses_when_commits_are_not_durable(make: Any, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    from inspector.extensions import db

    app = make()
    with app.app_context():
        # something after our own connect hook (a pooler, a stray setting) turns it off again

        @sa.event.listens_for(db.engine, "connect")
        def _undo(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            dbapi_connection.autocommit = False

        db.engine.dispose()
    response = app.test_client().get("/readyz")
    body = assert_problem(response, 503, "not-ready")
    assert "synchronous_commit" in body["detail"]
