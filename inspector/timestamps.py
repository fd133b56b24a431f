"""RFC 3339 timestamps in UTC with a ``Z``, one format for REST and sync alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Timestamp(ma.fields.DateTime):
    """Dumps ``2026-11-28T14:03:11.120000Z``; loads any RFC 3339 time (naive means UTC)."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else rfc3339(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
