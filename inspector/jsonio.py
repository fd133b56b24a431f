"""Response JSON through orjson: a pull page or a push's receipts serialise several times faster.

The output means exactly what Flask's own provider writes: keys sorted, and every
value orjson does not handle natively (datetimes, dataclasses, decimals) goes
through Flask's ``default``, so a datetime still reads as Flask writes it. What
orjson refuses (an integer past 64 bits) is written by the standard library.
Request bodies are still parsed by the standard library.
"""

from __future__ import annotations

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
