"""The declarative base, shared column types and database-engine set-up."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, QueryableAttribute, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON documents: JSONB on PostgreSQL, JSON text elsewhere.
JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")


def among(
    session: Any, column: sa.ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any]
) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(:array)``, one parameter however many
    values. (psycopg parses a statement of over 50 parameters anew every time, and an IN
    list's statement text changes with its length: the batch reads of a push paid for both.)"""
    return _among(session.get_bind().dialect.name, column, None, list(values))


def among_param(
    dialect: str, column: sa.ColumnElement[Any] | QueryableAttribute[Any], name: str
) -> sa.ColumnElement[bool]:
    """``among`` for a statement built once: the values come as the parameter ``name``."""
    return _among(dialect, column, name, None)


def _among(
    dialect: str, column: sa.ColumnElement[Any] | QueryableAttribute[Any], name: str | None, values: Any
) -> sa.ColumnElement[bool]:
    expression = column.expression
    if dialect == "postgresql":
        return expression == sa.any_(sa.bindparam(name, values, type_=ARRAY(expression.type)))
    if name is None:
        return expression.in_(values)
    return expression.in_(sa.bindparam(name, expanding=True))


def utcnow() -> datetime:
    """The server's clock, always timezone-aware UTC (promise 3: the server stamps time)."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite drops time zones; without this, a value read back there compares
    unequal to the one written, and RFC 3339 output would lack its ``Z``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use inspector.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), uuid.UUID: sa.Uuid()},
    )


class SyncedColumns:
    """Columns every record that devices write carries (see the sync contract)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]
    #: conflicts on this record still waiting for a person (server-owned).
    open_conflicts: Mapped[int] = mapped_column(default=0)
    #: the record lists a blob whose bytes its writer has not uploaded yet (server-owned).
    missing_blobs: Mapped[bool] = mapped_column(default=False)


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave: foreign keys, WAL, fsync, and savepoints that isolate.

    pysqlite begins transactions lazily and breaks SAVEPOINT; SQLAlchemy's
    documented recipe turns that off and emits BEGIN itself.
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if WRITE_INTENT.get() else "BEGIN")


def configure_postgresql(engine: Engine) -> None:
    """Every connection commits durably: ``synchronous_commit`` on, whatever the server's default.

    With it off, PostgreSQL acknowledges a commit before its WAL reaches disk,
    and a crash loses pushes whose receipts the devices already hold (they
    would then drop their copies). ``/readyz`` reads the setting back.
    """
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO on")
        dbapi_connection.autocommit = autocommit


#: set while a request is about to read-then-write (a push); SQLite then takes
#: its write lock at BEGIN, instead of failing when a read snapshot goes stale.
WRITE_INTENT: ContextVar[bool] = ContextVar("write_intent", default=False)


@contextmanager
def write_intent() -> Iterator[None]:
    token = WRITE_INTENT.set(True)
    try:
        yield
    finally:
        WRITE_INTENT.reset(token)


def short_write(session: Any, statement: Any) -> None:
    """A small write during a read (a GET noting a device's contact): its own transaction.

    Ending the read first means SQLite never has to upgrade a stale read
    snapshot to a write lock (which fails at once, busy timeout or not).
    """
    session.commit()
    with write_intent():
        session.execute(statement)
        session.commit()
