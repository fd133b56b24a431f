"""Running in production: health and readiness probes, JSON-lines logging, one access line per request.

``/healthz`` answers while the process can serve; ``/readyz`` only when the
database answers and its schema is at the migrations' head. Both live outside
``/api/v1`` and are public: they reveal nothing but "ok" or the problem.

Log lines are JSON objects, one per line, carrying the request id that
``inspector.web`` gives every request (``X-Request-Id``). Nothing a client sends
in headers or bodies is logged, and anything in a message that looks like a
token or a password is redacted before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, jsonify, request

from inspector.problems import Problem

access_log = logging.getLogger("inspector.access")

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

#: Whatever looks like a credential inside a log message.
_SECRETS = [
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), "[redacted-jwt]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',]+"), r"\1 [redacted]"),
    (
        re.compile(
            r"(?i)([\"']?(?:password|passwd|secret|token|access_token|refresh_token|totp|authorization|cookie)[\"']?"
            r"\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,}]+)"
        ),
        r"\1[redacted]",
    ),
]

#: LogRecord attributes that are not ``extra`` fields.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if has_request_context():
            entry["request_id"] = request.environ.get("inspector.request_id")
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type only: tracebacks can carry request data.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, separators=(",", ":"))


def _user_id() -> str | None:
    """The signed-in user, when this request verified a token (never the token itself)."""
    claims = g.get("_jwt_extended_jwt") or {}
    subject = claims.get("sub")
    return str(subject) if subject else None


def _schema_heads() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return set(ScriptDirectory.from_config(config).get_heads())


def init_app(app: Flask) -> None:
    heads: set[str] = set()

    @app.before_request
    def _start_clock() -> None:
        request.environ["inspector.started"] = time.perf_counter()

    @app.after_request
    def _access_line(response: Response) -> Response:
        started = request.environ.get("inspector.started")
        duration = (time.perf_counter() - started) * 1000 if started else None
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,  # never the query string
                "status": response.status_code,
                "duration_ms": round(duration, 2) if duration is not None else None,
                "user_id": _user_id(),
                "remote_addr": request.remote_addr,
            },
        )
        return response

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness: the process answers. Touches nothing else."""
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Response:
        """Readiness: the database answers, its schema is at the migrations' head, and (PostgreSQL)
        commits are durable (``synchronous_commit`` not off)."""
        from inspector.extensions import db

        if not heads:
            heads.update(_schema_heads())
        try:
            with db.engine.connect() as conn:
                current = set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
                durability = (
                    conn.scalar(sa.text("SHOW synchronous_commit"))
                    if conn.dialect.name == "postgresql"
                    else None
                )
        except sa.exc.SQLAlchemyError as error:
            logging.getLogger(__name__).warning("readiness: database check failed (%s)", type(error).__name__)
            raise Problem("not-ready", "The database is not reachable or has no schema.") from None
        if current != heads:
            raise Problem(
                "not-ready",
                "The database schema is not at the migrations' head; run `flask db upgrade`.",
            )
        if durability == "off":
            logging.getLogger(__name__).error("readiness: PostgreSQL synchronous_commit is off")
            raise Problem("not-ready", "PostgreSQL synchronous_commit is off: commits would not be durable.")
        return jsonify(status="ok", database="ok", migrations="head")
