"""Many rows into one table: COPY on PostgreSQL, ``executemany`` elsewhere.

A push writes hundreds of rows per request (records, versions, receipts). With
``executemany`` each row is its own Bind/Execute on the server and its own
parameter pass in SQLAlchemy; ``COPY ... FROM STDIN (FORMAT BINARY)`` sends
them as one stream and costs about half as much per row (``make bench``).
COPY knows nothing of SQLAlchemy's column types, so this module applies them:
Python-side defaults for absent columns, ``TypeDecorator`` bind processing
(``UTCDateTime``), and JSON columns stored as SQLAlchemy stores them (``None``
as JSON ``null``, not SQL NULL). A column type it does not know falls back to
``executemany``; a database error comes out as SQLAlchemy's ``DBAPIError``,
as it would from ``executemany``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

#: SQLAlchemy type (after dialect resolution) -> the PostgreSQL type COPY is told.
PG_TYPES: dict[type[Any], str] = {
    sa.String: "text",
    sa.Uuid: "uuid",
    sa.BigInteger: "int8",
    sa.Integer: "int4",
    sa.Boolean: "bool",
    sa.Date: "date",
    sa.DateTime: "timestamptz",
    sa.JSON: "jsonb",
}


@dataclass(frozen=True)
class CopyPlan:
    sql: str
    names: tuple[str, ...]
    types: tuple[str, ...]
    #: per column: (default maker for an absent value, value converter)
    defaults: tuple[Callable[[], Any] | None, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]


def insert_many(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    plan = copy_plan(table, tuple(rows[0])) if connection.dialect.name == "postgresql" else None
    if plan is None:
        connection.execute(sa.insert(table), list(rows))
        return
    _copy(connection, plan, rows)


def _copy(connection: sa.Connection, plan: CopyPlan, rows: Sequence[dict[str, Any]]) -> None:
    import psycopg

    pairs = list(zip(plan.names, plan.defaults, plan.converters, strict=True))
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(plan.sql) as copy:
            copy.set_types(list(plan.types))
            for row in rows:
                values = []
                for name, default, convert in pairs:
                    value = row[name] if name in row else (default() if default is not None else None)
                    values.append(convert(value) if convert is not None else value)
                copy.write_row(values)
    except psycopg.Error as error:
        raise sa.exc.DBAPIError.instance(plan.sql, None, error, psycopg.Error) from error


@lru_cache(maxsize=256)
def copy_plan(table: sa.Table, keys: tuple[str, ...]) -> CopyPlan | None:
    """How to COPY rows with these keys into ``table``; None when a column's type is not handled."""
    names, types, defaults, converters = [], [], [], []
    for column in table.columns:
        given = column.name in keys
        default = _default_maker(column)
        if not given and default is None:
            if column.default is not None:
                return None  # a SQL-expression default: executemany renders it
            continue  # left to the server (its default, or an identity)
        codec = column_codec(column)
        if codec is None:
            return None
        names.append(column.name)
        types.append(codec[0])
        defaults.append(default)
        converters.append(codec[1])
    unknown = set(keys) - set(names)
    if unknown:
        raise KeyError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    quoted = ", ".join(f'"{name}"' for name in names)
    return CopyPlan(
        f'COPY "{table.name}" ({quoted}) FROM STDIN (FORMAT BINARY)',
        tuple(names),
        tuple(types),
        tuple(defaults),
        tuple(converters),
    )


@lru_cache(maxsize=1024)
def column_codec(column: sa.Column[Any]) -> tuple[str, Callable[[Any], Any] | None] | None:
    """The PostgreSQL type a column's values go to the server as, and the conversion SQLAlchemy
    would apply to them first (None for a type not handled here)."""
    from psycopg.types.json import Jsonb
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    declared = column.type.dialect_impl(dialect)
    convert: Callable[[Any], Any] | None = None
    if isinstance(declared, sa.TypeDecorator):
        decorator = declared

        def convert(value: Any, decorator: sa.TypeDecorator[Any] = decorator) -> Any:
            return decorator.process_bind_param(value, dialect)

        declared = declared.impl_instance.dialect_impl(dialect)
    pg_type = next((name for kind, name in PG_TYPES.items() if isinstance(declared, kind)), None)
    if pg_type is None or (pg_type == "timestamptz" and not getattr(declared, "timezone", False)):
        return None
    if pg_type == "jsonb":
        convert = Jsonb  # every value, None too: SQLAlchemy stores None as JSON null
    elif pg_type == "uuid":
        convert = _as_uuid
    return pg_type, convert


def update_many(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]], key: str = "id") -> None:
    """Set the columns each row names (dicts with the same keys, one per ``key``) on the row
    whose ``key`` it gives.

    PostgreSQL: one ``UPDATE ... FROM unnest(...)``, the values as one array per column
    (one execution in the server, not one per row); elsewhere ``executemany``.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    connection = session.connection()
    plan = update_plan(table, columns, key) if connection.dialect.name == "postgresql" else None
    if plan is None:
        connection.execute(_update_by_key(table, columns, key), [{f"_{key}": r[key], **r} for r in rows])
        return
    statement, converters = plan
    parameters = {
        f"c{n}": [r[name] for r in rows] if convert is None else [convert(r[name]) for r in rows]
        for n, (name, convert) in enumerate(zip(columns, converters, strict=True))
    }
    connection.execute(statement, parameters)


@lru_cache(maxsize=256)
def _update_by_key(table: sa.Table, columns: tuple[str, ...], key: str) -> sa.Update:
    """The ``executemany`` statement of ``update_many`` (built once per table and columns)."""
    return (
        sa.update(table)
        .where(table.c[key] == sa.bindparam(f"_{key}"))
        .values({c: sa.bindparam(c) for c in columns if c != key})
    )


@lru_cache(maxsize=256)
def update_plan(
    table: sa.Table, columns: tuple[str, ...], key: str
) -> tuple[sa.TextClause, tuple[Callable[[Any], Any] | None, ...]] | None:
    """The ``UPDATE ... FROM unnest`` of ``update_many`` for these columns (None: a type not handled)."""
    codecs = [column_codec(table.c[name]) for name in columns]
    if key not in columns or any(codec is None for codec in codecs):
        return None
    arrays = ", ".join(f"CAST(:c{n} AS {codec[0]}[])" for n, codec in enumerate(codecs) if codec)
    names = ", ".join(f'"{name}"' for name in columns)
    sets = ", ".join(f'"{name}" = v."{name}"' for name in columns if name != key)
    sql = (
        f'UPDATE "{table.name}" AS t SET {sets} FROM unnest({arrays}) AS v({names}) '  # noqa: S608 - our own names
        f'WHERE t."{key}" = v."{key}"'
    )
    return sa.text(sql), tuple(codec[1] for codec in codecs if codec)


def _default_maker(column: sa.Column[Any]) -> Callable[[], Any] | None:
    """The column's Python-side default as a no-argument function (what executemany would use)."""
    default = column.default
    if not isinstance(default, sa.ColumnDefault):
        return None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:
        make = cast(Callable[[Any], Any], default.arg)  # SQLAlchemy wraps it to take a context
        return lambda: make(None)
    return None


def _as_uuid(value: Any) -> Any:
    return uuid.UUID(value) if isinstance(value, str) else value
