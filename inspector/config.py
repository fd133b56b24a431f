"""Configuration: defaults, then the environment, then explicit overrides.

Nothing is read from the environment at import time; ``load_config`` is called
by ``create_app`` so tests can build apps with different settings side by side.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_SECRET = "dev-secret-change-me-0123456789abcdef"  # noqa: S105 - development only

#: Environment variables we read, and the config key each one sets.
ENV_KEYS = {
    "INSPECTOR_ENV": "INSPECTOR_ENV",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "INSPECTOR_SECRET_KEY": "SECRET_KEY",
    "REDIS_URL": "REDIS_URL",
    "INSPECTOR_DEMO_PASSWORD": "DEMO_PASSWORD",
    "INSPECTOR_LOGIN_RATE_LIMIT": "LOGIN_RATE_LIMIT",
    "INSPECTOR_PUSH_RATE_LIMIT": "PUSH_RATE_LIMIT",
    "INSPECTOR_CORS_ORIGINS": "CORS_ORIGINS",
    "INSPECTOR_MFA_REQUIRED_ROLES": "MFA_REQUIRED_ROLES",
    "INSPECTOR_LEAD_MATCH_SECRET": "LEAD_MATCH_SECRET",
    "INSPECTOR_FRONTEND_DIST": "FRONTEND_DIST",
}


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the app refuses to start."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Values that make ``make run`` work on a machine with nothing installed."""
    sqlite_path = Path(instance_path) / "inspector.sqlite3"
    return {
        "INSPECTOR_ENV": "development",
        "SECRET_KEY": DEFAULT_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{sqlite_path}",
        "REDIS_URL": None,
        "DEMO_PASSWORD": "inspector-demo",
        "LOGIN_RATE_LIMIT": "30 per minute",
        # Per device (or user): a backlog of thousands of changes is a few dozen batches.
        "PUSH_RATE_LIMIT": "120 per minute",
        # Origins whose pages may call the API from a browser; none: same origin only.
        "CORS_ORIGINS": (),
        # Roles that must log in with a second factor (TOTP); "all", or "none".
        "MFA_REQUIRED_ROLES": ("reviewer", "admin"),
        "TOTP_ISSUER": "Inspector",
        "LEAD_MATCH_SECRET": None,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "SYNC_MAX_CHANGE_BYTES": 256 * 1024,
        "SYNC_MAX_CHANGES": 500,
        "BLOB_MAX_BYTES": 15 * 1024 * 1024,
        # Auth
        "JWT_TOKEN_LOCATION": ["headers", "cookies"],
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=15),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(hours=12),
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_COOKIE_SAMESITE": "Strict",
        "JWT_ACCESS_COOKIE_PATH": "/api/",
        "JWT_REFRESH_COOKIE_PATH": "/api/v1/auth/",
        "JWT_SESSION_COOKIE": False,
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "REFRESH_REUSE_GRACE": timedelta(seconds=30),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
        "LOCKOUT_THRESHOLD": 5,
        "LOCKOUT_WINDOW": timedelta(minutes=15),
        # OpenAPI
        "API_TITLE": "Inspector",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "v1/openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Offline-first FFL inspections. Errors are RFC 9457."},
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "access_token_cookie"},
                }
            },
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        },
        "RATELIMIT_HEADERS_ENABLED": True,
        # A moving window: "5 per minute" never lets 10 through across a minute's edge.
        "RATELIMIT_STRATEGY": "moving-window",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "FRONTEND_DIST": str(Path(__file__).resolve().parent.parent / "frontend" / "dist"),
    }


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, environment and overrides, then refuse unsafe combinations."""
    config = defaults(instance_path)
    for env_name, key in ENV_KEYS.items():
        value = os.environ.get(env_name)
        if value:
            config[key] = value
    config.update(overrides or {})
    validate(config)
    return config


def validate(config: dict[str, Any]) -> None:
    """Production must not run with development shortcuts."""
    env = config["INSPECTOR_ENV"]
    if env not in {"development", "production"}:
        raise ConfigError(f"INSPECTOR_ENV must be development or production, not {env!r}")
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # psycopg 3 is our driver; plain postgresql:// would ask for psycopg2.
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://") :]
    config["JWT_SECRET_KEY"] = config["SECRET_KEY"]
    config["JWT_COOKIE_SECURE"] = env == "production"
    config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    config["CORS_ORIGINS"] = cors_origins(config["CORS_ORIGINS"])
    config["MFA_REQUIRED_ROLES"] = mfa_roles(config["MFA_REQUIRED_ROLES"])
    if not config.get("LEAD_MATCH_SECRET"):
        config["LEAD_MATCH_SECRET"] = config["SECRET_KEY"]
    if env == "production":
        secret = config["SECRET_KEY"]
        if secret == DEFAULT_SECRET or len(secret) < 32:
            raise ConfigError("production needs INSPECTOR_SECRET_KEY of at least 32 characters")
        if not config.get("REDIS_URL"):
            raise ConfigError("production needs REDIS_URL (rate limits shared across workers)")
        if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            raise ConfigError("production needs a PostgreSQL DATABASE_URL")
        # A pooled connection that died with a database restart is replaced, not handed to a request.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **config["SQLALCHEMY_ENGINE_OPTIONS"]}


def _items(value: str | list[str] | tuple[str, ...]) -> list[str]:
    """A comma-separated environment value, or a list given by code."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def cors_origins(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Exact origins (scheme://host[:port]); ``*`` and ``null`` are never allowed."""
    origins = tuple(item.rstrip("/").lower() for item in _items(value))
    for origin in origins:
        if not re.fullmatch(r"https?://[a-z0-9.-]+(:\d{1,5})?", origin):
            raise ConfigError(f"INSPECTOR_CORS_ORIGINS: {origin!r} is not an origin like https://host[:port]")
    return origins


def mfa_roles(value: str | list[str] | tuple[str, ...]) -> frozenset[str]:
    """The roles that need a second factor: a list of roles, ``all`` or ``none``."""
    from inspector.offices.models import ROLES

    roles = {item.lower() for item in _items(value)}
    if roles == {"all"}:
        return frozenset(ROLES)
    if roles == {"none"}:
        return frozenset()
    unknown = roles - set(ROLES)
    if unknown:
        raise ConfigError(f"INSPECTOR_MFA_REQUIRED_ROLES: unknown role(s) {', '.join(sorted(unknown))}")
    return frozenset(roles)
