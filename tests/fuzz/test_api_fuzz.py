"""schemathesis over every operation of ``/api/v1/openapi.json``, with each role's token.

Checks: no 5xx, and every answer conforms to the document (status code, content
type, headers, body schema). Valid and invalid inputs alike. CI runs a few
examples per operation and role; ``make fuzz`` runs many more
(``INSPECTOR_API_FUZZ_EXAMPLES``). A failure lists every operation that broke,
with a reproducing request.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import World

EXAMPLES = int(os.environ.get("INSPECTOR_API_FUZZ_EXAMPLES", "3"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Operations that end the caller's own session: a new token is taken after each of their cases.
ENDS_SESSION = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/refresh")}


def operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) > 20, "the OpenAPI document lists fewer operations than expected"
    return found


def fuzz(
    operation: Any, mode: GenerationMode, authorization: Callable[[], str], after: Callable[[], None]
) -> None:
    """Send generated cases of one operation; raise schemathesis's report of what failed."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not os.environ.get("INSPECTOR_API_FUZZ_RANDOM"),
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers={"Authorization": authorization()}, checks=CHECKS)
        finally:
            after()

    run()


@pytest.mark.parametrize("role", ["investigator", "reviewer", "admin"])
def test_every_operation_holds_against_generated_input(world: World, role: str) -> None:
    persona = world.persona(role)
    token = {"value": world.tokens(persona)["access"]}

    def new_token() -> None:
        token["value"] = world.tokens(persona)["access"]

    failures: dict[str, str] = {}
    for operation in operations(world.app):
        key = (operation.method.upper(), operation.path)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(
                    operation,
                    mode,
                    lambda: f"Bearer {token['value']}",
                    new_token if key in ENDS_SESSION else lambda: None,
                )
            except (Exception, BaseExceptionGroup) as error:  # every failing operation is reported at once
                failures[f"{key[0]} {key[1]} ({mode.value})"] = str(error)[:3000]
    assert not failures, "\n\n".join(f"== {name}\n{text}" for name, text in failures.items())


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/licensees",
        "/api/v1/inspections",
        "/api/v1/checklists",
        "/api/v1/conflicts",
        "/api/v1/sync/rejected",
    ],
)
def test_a_page_far_past_the_end_is_empty_not_an_overflow(world: World, path: str) -> None:
    """Found by the fuzzer: page=10**24 overflowed the database's OFFSET (500)."""
    client = world.client(world.investigator)
    response = client.get(f"{path}?page={10**24}&page_size=500")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == []
