"""Production mode: what it refuses, its probes, and its JSON log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from inspector.config import DEFAULT_SECRET, ConfigError, load_config
from inspector.ops import JsonFormatter, redact
from tests.assertions import assert_problem
from tests.conftest import dispose, make_app
from tests.factories import PASSWORD, World

SECRET = "a-production-secret-that-is-long-enough-0123456789"
PG = "postgresql://inspector@db.example/inspector"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("DATABASE_URL", "INSPECTOR_SECRET_KEY", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSPECTOR_ENV", "production")
    return monkeypatch


def test_production_runs_with_a_real_secret_redis_and_postgresql(
    production_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    production_env.setenv("INSPECTOR_SECRET_KEY", SECRET)
    production_env.setenv("DATABASE_URL", PG)
    production_env.setenv("REDIS_URL", REDIS)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert config["RATELIMIT_STORAGE_URI"] == REDIS
    assert config["JWT_COOKIE_SECURE"] is True
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


@pytest.mark.parametrize(
    ("secret", "database", "redis", "complaint"),
    [
        (None, PG, REDIS, "INSPECTOR_SECRET_KEY"),
        (DEFAULT_SECRET, PG, REDIS, "INSPECTOR_SECRET_KEY"),
        ("short-secret", PG, REDIS, "INSPECTOR_SECRET_KEY"),
        (SECRET, PG, None, "REDIS_URL"),
        (SECRET, None, REDIS, "PostgreSQL"),
        (SECRET, "sqlite:////tmp/inspector.sqlite3", REDIS, "PostgreSQL"),
    ],
    ids=["no-secret", "default-secret", "short-secret", "no-redis", "default-sqlite", "explicit-sqlite"],
)
def test_production_refuses_unsafe_settings(
    production_env: pytest.MonkeyPatch,
    tmp_path: Path,
    secret: str | None,
    database: str | None,
    redis: str | None,
    complaint: str,
) -> None:
    for name, value in (("INSPECTOR_SECRET_KEY", secret), ("DATABASE_URL", database), ("REDIS_URL", redis)):
        if value:
            production_env.setenv(name, value)
    with pytest.raises(ConfigError, match=complaint):
        load_config(str(tmp_path))


def test_the_app_factory_refuses_too(production_env: pytest.MonkeyPatch) -> None:
    from inspector import create_app

    with pytest.raises(ConfigError):
        create_app()


# ---- probes ------------------------------------------------------------------------------------


def test_healthz_is_public_and_alive(client: object) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["X-Request-Id"]


def test_readyz_is_ready_on_a_migrated_database(client: object) -> None:
    response = client.get("/readyz")  # type: ignore[attr-defined]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["status"] == "ok"


@pytest.fixture
def unmigrated_app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    yield app
    dispose(app)


def test_readyz_is_503_when_migrations_are_not_at_head(unmigrated_app: Flask) -> None:
    client = unmigrated_app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert_problem(response, 503, "not-ready")


def test_readyz_is_503_when_the_schema_is_behind(unmigrated_app: Flask) -> None:
    from inspector.extensions import db

    with unmigrated_app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('0000_not_the_head')")
    response = unmigrated_app.test_client().get("/readyz")
    assert_problem(response, 503, "not-ready")
    assert "upgrade" in response.json["detail"]


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite3'}")
    try:
        assert_problem(app.test_client().get("/readyz"), 503, "not-ready")
    finally:
        dispose(app)


# ---- logs --------------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything the app logs, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_access_lines_are_json_with_request_id_and_no_secrets(world: World, json_log: io.StringIO) -> None:
    client = world.app.test_client()
    persona = world.investigator
    login = client.post(
        "/api/v1/auth/token?debug=secret-query",
        json={"username": persona.username, "password": PASSWORD, "device_id": str(persona.device_id)},
        headers={"X-Request-Id": "req-login-1"},
    )
    assert login.status_code == 200
    access, refresh = login.json["access_token"], login.json["refresh_token"]
    me = client.get(
        "/api/v1/auth/me",
        headers={"Authorization": f"Bearer {access}", "Cookie": "access_token_cookie=" + access},
    )
    assert me.status_code == 200
    text = json_log.getvalue()
    for secret in (PASSWORD, access, refresh, "secret-query", "Bearer"):
        assert secret not in text
    entries = [e for e in lines(json_log) if e["logger"] == "inspector.access"]
    by_path = {e["path"]: e for e in entries}
    token_line = by_path["/api/v1/auth/token"]
    assert token_line["request_id"] == "req-login-1"
    assert token_line["method"] == "POST"
    assert token_line["status"] == 200
    assert isinstance(token_line["duration_ms"], float)
    me_line = by_path["/api/v1/auth/me"]
    assert me_line["request_id"] == me.headers["X-Request-Id"]
    assert me_line["user_id"] == str(persona.id)


def test_app_log_lines_are_json_and_redacted(app: Flask, json_log: io.StringIO) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    with app.test_request_context("/x", headers={"X-Request-Id": "req-7"}):
        app.preprocess_request()
        logging.getLogger("inspector.test").warning(
            "saw Authorization: Bearer %s and password=%s",
            token,
            "hunter2",
            extra={"detail": f"token={token}"},
        )
    (entry,) = [e for e in lines(json_log) if e["logger"] == "inspector.test"]
    assert entry["request_id"] == "req-7"
    assert entry["level"] == "warning"
    assert token not in json_log.getvalue()
    assert "hunter2" not in json_log.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        'password="s3cret pass"',
        "{'refresh_token': 'abc.def'}",
        "Cookie: access_token_cookie=abc",
        "Authorization: Basic dXNlcjpwdw==",
    ],
)
def test_redact_hides_credentials(text: str) -> None:
    assert "redacted" in redact(text)
    for secret in ("s3cret", "abc.def", "dXNlcjpwdw=="):
        assert secret not in redact(text)


def test_a_gunicorn_worker_freezes_what_it_loaded() -> None:
    import gc
    import runpy

    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](object())
        assert gc.get_freeze_count() > 0  # the loaded objects left the collector's generations
    finally:
        gc.unfreeze()
