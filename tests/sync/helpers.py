"""Small helpers for sync tests: changes, pushes, pulls, extra devices, problem checks."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from inspector.problems import CATALOGUE
from tests.factories import Persona, World

PROBLEM_MEDIA_TYPE = "application/problem+json"
_seq = itertools.count(1)


def another_device(persona: Persona) -> Persona:
    """The same user on a second tablet: a copy of the persona with a new device id."""
    return dataclasses.replace(persona, device_id=uuid.uuid4())


def change(
    entity: str,
    record_id: uuid.UUID | str,
    action: str = "update",
    fields: dict[str, Any] | None = None,
    base_version: int | None = None,
    *,
    op_id: uuid.UUID | str | None = None,
    seq: int | None = None,
) -> dict[str, Any]:
    """One queued change as a device sends it."""
    return {
        "op_id": str(op_id or uuid.uuid4()),
        "seq": seq if seq is not None else next(_seq),
        "entity": entity,
        "id": str(record_id),
        "action": action,
        "base_version": base_version,
        "fields": fields if fields is not None else {},
        "client_time": "2026-11-28T14:03:11Z",
    }


def push_response(client: FlaskClient, persona: Persona, *changes: dict[str, Any]) -> TestResponse:
    ordered = sorted(changes, key=lambda c: c["seq"])
    return client.post(
        "/api/v1/sync/push",
        json={"device_id": str(persona.device_id), "schema_version": 1, "changes": ordered},
    )


def push(client: FlaskClient, persona: Persona, *changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Push changes from the persona's device; returns the receipts (in request order)."""
    response = push_response(client, persona, *changes)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert len(body["receipts"]) == len(changes)
    receipts: list[dict[str, Any]] = body["receipts"]
    return receipts


def push_one(client: FlaskClient, persona: Persona, one: dict[str, Any]) -> dict[str, Any]:
    return push(client, persona, one)[0]


def pull_response(client: FlaskClient, persona: Persona, cursor: str | None = None) -> TestResponse:
    query = f"/api/v1/sync/pull?device_id={persona.device_id}&schema_version=1&limit=1000"
    if cursor:
        query += f"&cursor={cursor}"
    return client.get(query)


def pull_all(
    client: FlaskClient, persona: Persona, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Every feed entry after the cursor (all pages); returns them and the last cursor."""
    changes: list[dict[str, Any]] = []
    while True:
        response = pull_response(client, persona, cursor)
        assert response.status_code == 200, response.get_data(as_text=True)
        page = response.get_json()
        assert page["resync"] is False, page
        changes.extend(page["changes"])
        cursor = page["cursor"]
        assert cursor
        if not page["has_more"]:
            return changes, cursor


def pulled(changes: list[dict[str, Any]], entity: str, record_id: uuid.UUID | str) -> dict[str, Any] | None:
    """The entry of one record in a pulled list (the feed has at most one per record)."""
    found = [c for c in changes if c["entity"] == entity and c["id"] == str(record_id)]
    assert len(found) <= 1, found
    return found[0] if found else None


def current_cursor(client: FlaskClient, persona: Persona) -> str:
    return pull_all(client, persona)[1]


def finding_version(world: World, finding_id: uuid.UUID | str) -> int:
    """The server's current version of a finding, read from the database."""
    with world.app.app_context():
        from inspector.extensions import db
        from inspector.inspections.models import Finding

        finding = db.session.get(Finding, uuid.UUID(str(finding_id)))
        assert finding is not None
        version = finding.version
        db.session.remove()
        return version


def record_version(world: World, entity: str, record_id: uuid.UUID | str) -> int:
    with world.app.app_context():
        from inspector.extensions import db
        from inspector.sync.entities import SYNCED

        record: Any = db.session.get(SYNCED[entity].model, uuid.UUID(str(record_id)))
        assert record is not None
        version = int(record.version)
        db.session.remove()
        return version


def assert_problem(response: TestResponse, status: int, slug: str | None = None) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with this status (and slug); returns the body."""
    text = response.get_data().decode(errors="replace")
    assert response.status_code == status, f"{response.status_code} {text[:500]}"
    assert response.mimetype == PROBLEM_MEDIA_TYPE, response.headers.get("Content-Type")
    body = response.get_json(force=True)
    assert isinstance(body, dict), text[:500]
    assert body.get("status") == status, body
    problem_type = body.get("type")
    assert isinstance(problem_type, str) and problem_type.startswith("/problems/"), body
    found = problem_type.removeprefix("/problems/")
    assert found in CATALOGUE, body
    if slug is not None:
        assert found == slug, body
    assert isinstance(body.get("title"), str) and body["title"], body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert "Traceback" not in text
    return body


def assert_receipt_problem(receipt: dict[str, Any], slug: str) -> dict[str, Any]:
    """A rejected receipt carries an RFC 9457 problem of this type."""
    assert receipt["status"] == "rejected", receipt
    assert receipt["version"] is None and receipt["record"] is None, receipt
    problem = receipt["problem"]
    assert problem["type"] == f"/problems/{slug}", problem
    assert problem["status"] == CATALOGUE[slug].status
    assert problem["title"] and problem["detail"]
    return dict(problem)
