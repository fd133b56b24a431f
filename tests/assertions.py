"""Shared assertions: every non-2xx answer is RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

from inspector.problems import CATALOGUE

PROBLEM_MEDIA_TYPE = "application/problem+json"


def assert_problem(response: TestResponse, status: int, slug: str | None = None) -> dict[str, Any]:
    """The response is problem+json with this status (and slug); returns the body."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, f"{response.status_code} {text[:500]}"
    assert response.mimetype == PROBLEM_MEDIA_TYPE, response.headers.get("Content-Type")
    body = response.get_json(force=True)
    assert isinstance(body, dict), text[:500]
    assert body.get("status") == status
    problem_type = body.get("type")
    assert isinstance(problem_type, str) and problem_type.startswith("/problems/"), body
    found = problem_type.removeprefix("/problems/")
    assert found in CATALOGUE, f"{found} is not in the catalogue of inspector/problems.py"
    if slug is not None:
        assert found == slug, body
    assert isinstance(body.get("title"), str) and body["title"], body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert "$argon2" not in text
    return body
