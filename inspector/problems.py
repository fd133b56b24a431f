"""RFC 9457 problem details: one catalogue, one exception, one set of handlers.

Every non-2xx answer of the API is ``application/problem+json`` with a stable
``type`` of the form ``/problems/<slug>``. Slugs are never reused for another
meaning; the catalogue below documents each one.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, json, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    doc: str


#: slug -> (default status, title, when it is used)
CATALOGUE: dict[str, ProblemType] = {
    "validation-error": ProblemType(
        422,
        "Invalid input",
        "A field is missing, malformed or not allowed; `errors` maps fields to messages.",
    ),
    "malformed-json": ProblemType(400, "Malformed JSON", "The body is not valid JSON."),
    "bad-request": ProblemType(400, "Bad request", "The request cannot be understood."),
    "unsupported-media-type": ProblemType(
        415, "Unsupported media type", "The Content-Type is not one this endpoint takes."
    ),
    "not-found": ProblemType(404, "Not found", "No such resource, or not one the caller may see."),
    "method-not-allowed": ProblemType(
        405, "Method not allowed", "The resource does not support this method."
    ),
    "payload-too-large": ProblemType(
        413, "Payload too large", "The body (or one sync change) is over its limit."
    ),
    "unauthorized": ProblemType(
        401, "Unauthorized", "No valid credentials, or a wrong user name or password."
    ),
    "token-expired": ProblemType(
        401, "Token expired", "The token's lifetime is over; refresh or log in again."
    ),
    "token-revoked": ProblemType(
        401, "Token revoked", "The token's family was revoked (logout, reuse, account change)."
    ),
    "forbidden": ProblemType(403, "Forbidden", "The caller's role may not use this function."),
    "csrf-failed": ProblemType(
        401,
        "CSRF check failed",
        "A cookie-authenticated unsafe request lacks the matching X-CSRF-TOKEN header.",
    ),
    "account-locked": ProblemType(
        403, "Account locked", "Too many failed logins; an admin must unlock the account."
    ),
    "otp-required": ProblemType(
        401,
        "Second factor required",
        "The account has a second factor: send the current code of the authenticator app as `totp`"
        " (also when the code sent was wrong or already used).",
    ),
    "mfa-enrolment-required": ProblemType(
        403,
        "Second factor enrolment required",
        "The role needs a second factor; until one is enrolled the session reaches only"
        " /auth/me, /auth/logout, /auth/refresh and /auth/totp.",
    ),
    "account-disabled": ProblemType(401, "Account disabled", "The account was disabled by an admin."),
    "rate-limited": ProblemType(429, "Too many requests", "Slow down; `Retry-After` says when to try again."),
    "conflict": ProblemType(409, "Conflict", "The request conflicts with the current state of the resource."),
    "idempotency-conflict": ProblemType(
        409, "Idempotency conflict", "The same op_id was sent before with a different payload."
    ),
    "record-locked": ProblemType(
        409, "Record locked", "The record can no longer be changed (e.g. an approved inspection)."
    ),
    "client-outdated": ProblemType(
        426, "Client outdated", "The schema_version is not supported; reload the app."
    ),
    "device-revoked": ProblemType(
        401, "Device revoked", "An admin revoked this device; its local data must be wiped."
    ),
    "device-mismatch": ProblemType(
        403, "Device mismatch", "The request names another device than the token's."
    ),
    "not-ready": ProblemType(
        503, "Not ready", "The server cannot serve yet: its database is unreachable or not migrated."
    ),
    "internal-error": ProblemType(
        500, "Internal error", "Something failed on the server; the request id is logged."
    ),
}


class Problem(Exception):
    """Raised by services and routes; rendered as problem+json by the handlers."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        kind = CATALOGUE[slug]
        self.slug = slug
        self.status = status or kind.status
        self.title = kind.title
        self.detail = detail or kind.doc
        self.headers = headers or {}
        self.extensions = extensions
        super().__init__(f"{slug}: {self.detail}")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extensions)
        return body


def problem_response(problem: Problem) -> Response:
    response = current_app.response_class(
        json.dumps(problem.to_dict()), status=problem.status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error of this API is returned."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(required=True, metadata={"example": "/problems/not-found"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "validation-error: field -> messages"}
    )


_STATUS_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
}


def _flatten_webargs_messages(messages: Any) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {"field": [...]}}); clients want fields."""
    errors: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    for location_or_field, value in messages.items():
        if location_or_field in {
            "json",
            "query",
            "querystring",
            "form",
            "headers",
            "files",
            "view_args",
        } and isinstance(value, dict):
            for field, field_messages in value.items():
                errors[str(field)] = _as_list(field_messages)
        else:
            errors[str(location_or_field)] = _as_list(value)
    return errors


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    if isinstance(value, dict):
        return [json.dumps(value)]
    if isinstance(value, list):
        return [json.dumps(v) if not isinstance(v, str) else v for v in value]
    return [str(value)]


def problem_from_http_exception(error: HTTPException) -> Problem:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and messages and "json" in messages:
        return Problem("malformed-json", "The body is not valid JSON.")
    if status == 422 and messages is not None:
        return Problem(
            "validation-error",
            "Some fields are invalid.",
            errors=_flatten_webargs_messages(messages),
        )
    slug = _STATUS_SLUGS.get(status, "internal-error" if status >= 500 else "bad-request")
    if status == 400 and request.is_json and _body_is_malformed_json():
        slug = "malformed-json"
    detail = data.get("message") or error.description
    if status >= 500:
        detail = CATALOGUE["internal-error"].doc
    headers = {k: v for k, v in (data.get("headers") or {}).items()}
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return Problem(slug, detail, status=status, headers=headers)


def _body_is_malformed_json() -> bool:
    try:
        json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        return True
    return False


class ProblemApi(Api):
    """flask-smorest Api whose errors, documented and returned, are RFC 9457.

    It also pages every blueprint it registers the same way: ``X-Pagination``
    carries ``page_size`` (and ``page``) as the API conventions promise, which
    flask-smorest's own metadata leaves out.
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """The shared error responses (``DEFAULT_ERROR``, ``UNPROCESSABLE_ENTITY``, ...) are
        documented as ``application/problem+json``, the type they are sent with."""
        default: str = Api.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MEDIA_TYPE
        try:
            super()._register_responses()  # type: ignore[misc]
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = default

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return problem_response(problem_from_http_exception(error))

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        from inspector.pagination import pagination_metadata

        # flask-smorest's documented hook, set per blueprint so every area gets it.
        blp._make_pagination_metadata = pagination_metadata
        super().register_blueprint(blp, parameters=parameters, **options)

    def _register_pagination_header(self) -> None:
        from inspector.pagination import PAGINATION_HEADER

        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)


def register_problem_handlers(app: Flask) -> None:
    """Turn every error the app can raise into problem+json, never a stack trace."""

    app.register_error_handler(Problem, problem_response)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return problem_response(problem_from_http_exception(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        request_id = request.environ.get("inspector.request_id") or uuid.uuid4().hex
        # One line at ERROR (no secrets can ride along in a traceback's locals or
        # messages); the traceback itself only at DEBUG, for a developer's console.
        log.error("unhandled %s in request %s", type(error).__name__, request_id)
        log.debug("traceback of request %s", request_id, exc_info=error)
        problem = Problem(
            "internal-error",
            f"Request {request_id} failed; it is logged under this id.",
            request_id=request_id,
        )
        return problem_response(problem)
