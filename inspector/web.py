"""What every response shares: security headers, request ids, media types, the front end."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, Response, request, send_from_directory
from werkzeug.routing import PathConverter

from inspector.db import WRITE_INTENT
from inspector.problems import Problem

#: Fits the PWA: everything from our own origin, no inline script, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: The interactive API docs page carries one inline bootstrap script (flask-smorest's template).
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

#: Bodies we accept besides JSON: blob uploads carry their own media type.
RAW_BODY_PREFIXES = ("/api/v1/blobs/",)


#: Paths that take a file upload as multipart/form-data instead of JSON.
def attachment(body: bytes, mimetype: str, filename: str) -> Response:
    """A private download (a report, a referral packet): saved under its name, never cached."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


MULTIPART_PATHS = ("/api/v1/licensee-imports",)

#: What a client-chosen X-Request-Id may look like.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

PLACEHOLDER = Path(__file__).parent / "placeholder"


class FrontendPathConverter(PathConverter):
    """A path of the front end: anything but ``/api`` and what lies below it.

    Were the PWA's catch-all to match ``/api/...``, an unknown API path would
    answer 405 to a POST (the catch-all takes GET only) and a known one 404 to
    the wrong method, instead of 404 and 405 with ``Allow``.
    """

    regex = r"(?!api(?:/|$))[^/].*?"


def init_app(app: Flask) -> None:
    @app.before_request
    def _tag_request() -> None:
        given = request.headers.get("X-Request-Id", "")
        # A client's id is kept only when it is short and plain, so it can go into logs as is.
        request.environ["inspector.request_id"] = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.before_request
    def _sqlite_write_intent() -> None:
        """On SQLite, a request that may write takes the write lock at BEGIN (see db.WRITE_INTENT)."""
        if request.method in {"POST", "PUT", "PATCH", "DELETE"} and app.config[
            "SQLALCHEMY_DATABASE_URI"
        ].startswith("sqlite"):
            request.environ["inspector.write_intent"] = WRITE_INTENT.set(True)

    @app.teardown_request
    def _end_write_intent(_error: BaseException | None) -> None:
        token = request.environ.pop("inspector.write_intent", None)
        if token is not None:
            WRITE_INTENT.reset(token)

    @app.before_request
    def _require_json_bodies() -> None:
        """Unsafe API requests with a body must say it is JSON (else 415, nothing read)."""
        if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
            return
        if not request.path.startswith("/api/") or request.path.startswith(RAW_BODY_PREFIXES):
            return
        has_body = (request.content_length or 0) > 0 or request.headers.get("Transfer-Encoding") == "chunked"
        if request.path in MULTIPART_PATHS:
            if request.mimetype != "multipart/form-data":
                raise Problem("unsupported-media-type", "Send the file as multipart/form-data.")
            return
        if has_body and not request.is_json:
            raise Problem("unsupported-media-type", "Send the body as application/json.")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        docs = request.path.startswith("/api/docs")
        headers.setdefault(
            "Content-Security-Policy",
            DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY,
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers["X-Request-Id"] = request.environ.get("inspector.request_id", "")
        if request.path.startswith("/api/v1/"):
            # Authenticated data must never sit in a shared or disk cache.
            headers["Cache-Control"] = "no-store"
        if app.config["INSPECTOR_ENV"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response

    app.url_map.converters["frontend_path"] = FrontendPathConverter
    swagger_dir = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        """Swagger UI's files, served by us: no CDN, so the docs work offline and under our CSP."""
        return send_from_directory(swagger_dir, filename, max_age=86400)

    @app.get("/")
    @app.get("/<frontend_path:filename>")
    def frontend(filename: str = "index.html") -> Response:
        """The PWA (frontend/dist when built, else a placeholder page)."""
        if filename.startswith("api/"):
            raise Problem("not-found", f"No such resource: /{filename}")
        dist = Path(app.config["FRONTEND_DIST"])
        root = dist if (dist / "index.html").exists() else PLACEHOLDER
        if not (root / filename).is_file():
            filename = "index.html"  # client-side routes fall back to the shell
        response = send_from_directory(root, filename)
        if filename in {"index.html", "sw.js", "manifest.webmanifest"}:
            response.headers["Cache-Control"] = "no-cache"
        return response
