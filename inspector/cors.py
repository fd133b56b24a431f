"""Cross-origin requests: only origins on the allow-list (``INSPECTOR_CORS_ORIGINS``) may call the API.

The default list is empty: the PWA is served by the API's own origin and
needs no CORS at all. An allowed origin gets ``Access-Control-Allow-Origin``
naming it (never ``*``), for Bearer clients only: credentials (the PWA's
cookies) are not allowed across origins. A preflight from any other origin
is refused with 403 and carries no CORS header, so the browser blocks the
request; a simple request from another origin gets its answer without CORS
headers, so the browser never lets the page read it.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from inspector.problems import Problem, problem_response

API_PREFIX = "/api/"
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOW_HEADERS = "Authorization, Content-Type, X-Request-Id"
#: What a page of an allowed origin may read besides the simple headers.
EXPOSE_HEADERS = "X-Pagination, X-Request-Id, Retry-After, Location"
PREFLIGHT_MAX_AGE = "600"


def allowed(origin: str) -> bool:
    return origin.rstrip("/").lower() in current_app.config["CORS_ORIGINS"]


def _is_preflight() -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def init_app(app: Flask) -> None:
    @app.before_request
    def _preflight() -> Response | None:
        """Answer preflights here, before routing (flask's automatic OPTIONS knows no CORS)."""
        origin = request.headers.get("Origin")
        if not origin or not _is_preflight() or not request.path.startswith(API_PREFIX):
            return None
        if not allowed(origin):
            response = problem_response(
                Problem("forbidden", "This origin may not call the API from a browser (CORS allow-list).")
            )
        else:
            response = current_app.response_class(status=204)
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    @app.after_request
    def _cors_headers(response: Response) -> Response:
        if not request.path.startswith(API_PREFIX):
            return response
        if current_app.config["CORS_ORIGINS"]:
            # The answer depends on Origin: caches must not hand one origin's answer to another.
            response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin and allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin.rstrip("/")
            if not _is_preflight():
                response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response
