"""Inspector: offline-first inspections of federal firearms licensees."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, error handling, areas, front end."""
    from inspector import cors, jsonio, limits, ops, web
    from inspector.config import load_config
    from inspector.db import configure_postgresql, configure_sqlite
    from inspector.extensions import api, db, jwt, limiter, migrate
    from inspector.models import register_blueprints
    from inspector.problems import register_problem_handlers

    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    jsonio.init_app(app)
    app.config.update(load_config(app.instance_path, overrides))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = jsonio.engine_options(app.config["SQLALCHEMY_ENGINE_OPTIONS"])

    db.init_app(app)
    from sqlalchemy.orm import Session

    from inspector.sync import journal

    journal.install(Session)
    with app.app_context():
        configure_sqlite(db.engine)
        configure_postgresql(db.engine)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    jwt.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    register_problem_handlers(app)
    register_blueprints(api)
    web.init_app(app)
    cors.init_app(app)
    limits.init_app(app)
    ops.init_app(app)

    from inspector.auth.tokens import register_jwt_callbacks
    from inspector.cli import register_commands

    register_jwt_callbacks(jwt)
    register_commands(app)
    return app
