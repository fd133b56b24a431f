"""Migrations: empty -> head -> base -> head on every backend, and models agree with them.

SQLite always (a temporary file); PostgreSQL when TEST_DATABASE_URL is set, in a
database of its own (``test_migrations``, plus the xdist worker's suffix) so the
schema of the other tests is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import check, downgrade, upgrade

from tests.conftest import BACKENDS, MIGRATIONS, PG_URL, dispose, make_app, reset_postgres_schema

DEFAULT_CHECKLIST_ITEMS = 12


def migrations_database(worker_id: str) -> str:
    """A PostgreSQL database for these tests only, created when missing."""
    assert PG_URL is not None
    base = sa.engine.make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    name = "test_migrations" if worker_id == "master" else f"test_migrations_{worker_id}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    reset_postgres_schema(url)
    return url


@pytest.fixture(params=BACKENDS)
def empty_app(request: pytest.FixtureRequest, tmp_path: Any, worker_id: str) -> Iterator[Flask]:
    """An app on an empty database of the backend (no tables at all)."""
    if request.param == "postgresql":
        url = migrations_database(worker_id)
    else:
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    app = make_app(url)
    yield app
    dispose(app)


def table_names(app: Flask) -> set[str]:
    from inspector.extensions import db

    with app.app_context():
        db.session.remove()
        names = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    return names


def schema_diffs(app: Flask, metadata: sa.MetaData | None = None) -> list[Any]:
    """What ``flask db check`` compares: the database against the models (or ``metadata``)."""
    from inspector.extensions import db

    with app.app_context():
        options = dict(app.extensions["migrate"].configure_args)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts=options)
            diffs = compare_metadata(context, metadata if metadata is not None else db.metadata)
        db.engine.dispose()
    return list(diffs)


def diff_kinds(diffs: list[Any]) -> set[tuple[str, ...]]:
    """("add_table", name), ("add_column", table, column), ("modify_type", table, column), ..."""
    kinds: set[tuple[str, ...]] = set()
    for diff in diffs:
        for item in diff if isinstance(diff, list) else [diff]:
            kind = item[0]
            if kind in {"add_table", "remove_table"}:
                kinds.add((kind, item[1].name))
            elif kind in {"add_column", "remove_column"}:
                kinds.add((kind, item[2], item[3].name))
            elif kind.startswith("modify_"):
                kinds.add((kind, item[2], item[3]))
            else:
                kinds.add((kind,))
    return kinds


def migrate(app: Flask, action: str, revision: str) -> None:
    from inspector.extensions import db

    with app.app_context():
        if action == "upgrade":
            upgrade(directory=MIGRATIONS, revision=revision)
        else:
            downgrade(directory=MIGRATIONS, revision=revision)
        db.session.remove()
        db.engine.dispose()


def model_tables() -> set[str]:
    from inspector.extensions import db

    return set(db.metadata.tables)


def checklist_items(app: Flask) -> int:
    from inspector.extensions import db

    with app.app_context():
        count = db.session.scalar(sa.text("SELECT count(*) FROM checklist_items"))
        db.session.remove()
        db.engine.dispose()
    return int(count or 0)


def test_upgrade_downgrade_upgrade(empty_app: Flask) -> None:
    assert table_names(empty_app) == set()

    migrate(empty_app, "upgrade", "head")
    assert table_names(empty_app) == model_tables() | {"alembic_version"}
    assert checklist_items(empty_app) == DEFAULT_CHECKLIST_ITEMS
    assert schema_diffs(empty_app) == []

    migrate(empty_app, "downgrade", "base")
    assert table_names(empty_app) <= {"alembic_version"}, "downgrade leaves tables behind"

    migrate(empty_app, "upgrade", "head")
    assert table_names(empty_app) == model_tables() | {"alembic_version"}
    assert checklist_items(empty_app) == DEFAULT_CHECKLIST_ITEMS
    assert schema_diffs(empty_app) == []


def test_flask_db_check_passes_at_head(empty_app: Flask) -> None:
    """The same check ``make migrations-check`` runs: it exits non-zero on any difference."""
    migrate(empty_app, "upgrade", "head")
    with empty_app.app_context():
        check(directory=MIGRATIONS)  # SystemExit(1) when models and migrations differ


def test_the_check_finds_differences(empty_app: Flask) -> None:
    """The comparison is not blind: a column, a table or a type the migrations lack are found."""
    from inspector.extensions import db

    migrate(empty_app, "upgrade", "head")
    changed = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["licensees"].append_column(sa.Column("favourite_colour", sa.String(20)))
    sa.Table("not_migrated", changed, sa.Column("id", sa.Integer, primary_key=True))
    changed.tables["licensees"].c.phone.type = sa.String(40)  # String(20) in the migrations

    found = diff_kinds(schema_diffs(empty_app, changed))
    assert ("add_column", "licensees", "favourite_colour") in found
    assert ("add_table", "not_migrated") in found
    assert ("modify_type", "licensees", "phone") in found
    # and the untouched metadata still agrees
    assert schema_diffs(empty_app) == []


def test_the_check_finds_a_table_the_models_lost(empty_app: Flask) -> None:
    from inspector.extensions import db

    migrate(empty_app, "upgrade", "head")
    fewer = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        if table.name != "audit_events":
            table.to_metadata(fewer)
    assert ("remove_table", "audit_events") in diff_kinds(schema_diffs(empty_app, fewer))


def test_flask_db_check_fails_when_models_differ(empty_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """``flask db check`` itself exits non-zero when the models have a column the migrations lack."""
    from inspector.extensions import db

    migrate(empty_app, "upgrade", "head")
    changed = sa.MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["inspections"].append_column(sa.Column("unmigrated", sa.Integer))
    monkeypatch.setattr(type(db), "metadata", property(lambda _self: changed))
    with empty_app.app_context(), pytest.raises(SystemExit) as exited:
        check(directory=MIGRATIONS)
    assert exited.value.code == 1
