"""Response JSON through orjson: a pull page or a push's receipts serialise several times faster.

The output means exactly what Flask's own provider writes: keys sorted, and every
value orjson does not handle natively (datetimes, dataclasses, decimals) goes
through Flask's ``default``, so a datetime still reads as Flask writes it. What
orjson refuses (an integer past 64 bits) is written by the standard library.
Request bodies are still parsed by the standard library.

JSON columns go through orjson too (``db_dumps``/``db_loads``, the engine's
serializer): a push writes a few hundred JSON values. They store what the standard
library stored; what orjson refuses or reads differently goes to the standard library.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider

OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        # ``response()`` (jsonify) asks for compact separators; indenting (debug) and any
        # other option are the standard library's.
        if kwargs.get("indent") is not None or set(kwargs) - {"indent", "separators"}:
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS).decode()
        except TypeError:
            return super().dumps(obj)


def init_app(app: Flask) -> None:
    app.json = OrjsonProvider(app)


#: datetimes and dataclasses are not JSON: refused, as the standard library refuses them.
DB_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def db_dumps(value: Any) -> str:
    """A JSON column's value as text (SQLAlchemy's ``json_serializer``)."""
    try:
        return orjson.dumps(value, option=DB_OPTIONS).decode()
    except TypeError:  # non-string keys, integers past 64 bits, a type JSON has not: as before
        return json.dumps(value)


def db_loads(text: str | bytes) -> Any:
    """A JSON column's text as a value (SQLAlchemy's ``json_deserializer``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what only the standard library reads (NaN, huge integers)
        return json.loads(text)


def engine_options(options: dict[str, Any]) -> dict[str, Any]:
    """The app's engine options with JSON columns through ``db_dumps``/``db_loads``."""
    return {"json_serializer": db_dumps, "json_deserializer": db_loads, **options}
