"""Test fixtures: a real app on a real database, SQLite always, PostgreSQL when
``TEST_DATABASE_URL`` is set. The schema is built by ``flask db upgrade`` once
per backend; each test starts from empty tables (the checklist data stays)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import World, build_world

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
#: tables the migrations fill with data; every other table is emptied between tests.
KEEP_TABLES = {"alembic_version", "checklists", "checklist_items", "feed_counter", "change_feed"}
#: the feed keeps the checklists' entries (from the migration); positions only ever grow.
KEEP_FEED = sa.text("DELETE FROM change_feed WHERE entity <> 'checklist'")


def pytest_report_header() -> str:
    return f"inspector database backends: {', '.join(BACKENDS)}"


def make_app(database_url: str, **overrides: Any) -> Flask:
    from inspector import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "PUSH_RATE_LIMIT": "100000 per minute",
        "DEMO_PASSWORD": "inspector-demo",
        # Personas log in by password alone; tests/auth/test_totp.py restores the default (reviewer, admin).
        "MFA_REQUIRED_ROLES": (),
    }
    config.update(overrides)
    return create_app(config)


def worker_database(url: str, worker_id: str) -> str:
    """Each pytest-xdist worker gets a database of its own next to the given one."""
    if worker_id == "master":
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker_id}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def reset_postgres_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


MIGRATIONS = str(Path(__file__).parent.parent / "migrations")


def dispose(app: Flask) -> None:
    from inspector.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def upgrade(app: Flask) -> None:
    from flask_migrate import upgrade as flask_upgrade

    with app.app_context():
        flask_upgrade(directory=MIGRATIONS)
    dispose(app)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> str:
    if request.param == "postgresql":
        assert PG_URL is not None
        url = (
            PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
            if PG_URL.startswith("postgresql://")
            else PG_URL
        )
        url = worker_database(url, worker_id)
        reset_postgres_schema(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'inspector.sqlite3'}"
    upgrade(make_app(url))
    return url


@pytest.fixture(scope="session")
def session_app(database_url: str) -> Iterator[Flask]:
    app = make_app(database_url)
    yield app
    dispose(app)


def empty_tables(app: Flask) -> None:
    from inspector.extensions import db
    from inspector.licensees.imports import wait_for_imports

    # A licensee import a test started runs on in its thread; its open transaction and
    # the TRUNCATE below would wait on each other.
    wait_for_imports()
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
            conn.execute(KEEP_FEED)
            # Checklist versions a test published go; the migration's default stays.
            extra = "SELECT id FROM checklists WHERE NOT (key = 'ffl-compliance' AND version = 1)"
            conn.execute(sa.text(f"DELETE FROM change_feed WHERE record_id IN ({extra})"))
            conn.execute(sa.text(f"DELETE FROM checklist_items WHERE checklist_id IN ({extra})"))
            conn.execute(sa.text(f"DELETE FROM checklists WHERE id IN ({extra})"))


@pytest.fixture
def app(session_app: Flask) -> Iterator[Flask]:
    from inspector.extensions import limiter

    empty_tables(session_app)
    limiter.reset()
    yield session_app
    empty_tables(session_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(app: Flask) -> World:
    """Two offices, one user per role and office, licensees and inspections."""
    return build_world(app)


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"
