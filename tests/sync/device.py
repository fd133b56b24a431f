"""A simulated device: a token bound to a device id, a queue of changes, a replica of what it pulled."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

from tests.factories import Persona, World


def change(
    entity: str,
    record_id: uuid.UUID | str,
    action: str,
    fields: dict[str, Any] | None = None,
    base_version: int | None = None,
    *,
    seq: int | None = None,
    op_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "op_id": str(op_id or uuid.uuid4()),
        "seq": seq,
        "entity": entity,
        "id": str(record_id),
        "action": action,
        "base_version": base_version,
        "fields": fields or {},
        "client_time": "2026-11-28T14:03:11Z",
    }


@dataclass
class SimDevice:
    world: World
    persona: Persona
    device_id: uuid.UUID = field(default_factory=uuid.uuid4)
    client: FlaskClient = field(init=False)
    cursor: str | None = None
    replica: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def __post_init__(self) -> None:
        persona = Persona(
            self.persona.id, self.persona.username, self.persona.role, self.persona.office_id, self.device_id
        )
        self.client = self.world.client(persona)

    def next_seq(self) -> int:
        return next(self._seq)

    def push(self, *changes: dict[str, Any], expect: int = 200) -> Any:
        for c in changes:
            if c.get("seq") is None:
                c["seq"] = self.next_seq()
        response = self.client.post(
            "/api/v1/sync/push",
            json={"device_id": str(self.device_id), "schema_version": 1, "changes": list(changes)},
        )
        assert response.status_code == expect, response.get_data(as_text=True)
        return response.json

    def pull_page(self, cursor: str | None = None, limit: int = 500) -> Any:
        query = f"/api/v1/sync/pull?device_id={self.device_id}&schema_version=1&limit={limit}"
        if cursor:
            query += f"&cursor={cursor}"
        response = self.client.get(query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    def sync_down(self, limit: int = 500) -> list[dict[str, Any]]:
        """Pull until no more; on resync drop server copies and take a fresh snapshot."""
        seen: list[dict[str, Any]] = []
        while True:
            page = self.pull_page(self.cursor, limit)
            if page["resync"]:
                self.replica.clear()
                self.cursor = None
                continue
            for item in page["changes"]:
                key = (item["entity"], item["id"])
                if item["deleted"]:
                    self.replica.pop(key, None)
                else:
                    self.replica[key] = item["record"]
                seen.append(item)
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return seen
