"""A fast path for loading flat marshmallow schemas: what a push does for every change.

``marshmallow.Schema.load`` costs tens of microseconds per change, more than the
rest of deciding it. ``fast_loader(schema)`` compiles the schema's simple fields
(strings, UUIDs, strict integers, lists of those) and their validators (Length,
OneOf, Regexp, Range) into plain checks. The fast path only ever *accepts*: any
value it is not sure of (a wrong type, a failed check, an unknown key, a field
kind it does not compile) makes it answer ``None``, and the caller loads with
marshmallow, which then gives the result or the error it always gave. So the
schema stays the one definition of a field (and of the OpenAPI document), and
the fast path can be wrong only by being slower (``tests/test_fastload.py``
checks that whatever it accepts, marshmallow loads the same).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

import marshmallow as ma

#: a compiled field: value -> (accepted, loaded value)
Check = Callable[[Any], tuple[bool, Any]]
REFUSED: tuple[bool, Any] = (False, None)


@cache
def fast_loader(schema: ma.Schema) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """``load(data)`` -> the loaded dict (as ``schema.load(data, partial=True)``), or None."""
    hooks = any(schema._hooks.values())  # pre/post-load and schema validators: marshmallow's job
    checks = (
        {} if hooks else {name: check for name, field in schema.fields.items() if (check := _compile(field))}
    )

    def load(data: dict[str, Any]) -> dict[str, Any] | None:
        loaded: dict[str, Any] = {}
        for name, value in data.items():
            check = checks.get(name)
            if check is None:
                return None
            accepted, result = check(value)
            if not accepted:
                return None
            loaded[name] = result
        return loaded

    return load


def _compile(field: ma.fields.Field[Any]) -> Check | None:
    if field.data_key is not None or field.dump_only or field.load_only:
        return None
    validators = [_predicate(v) for v in field.validators]
    if any(v is None for v in validators):
        return None
    passes = [v for v in validators if v is not None]
    convert = _converter(field)
    if convert is None:
        return None
    allow_none = field.allow_none

    def check(value: Any) -> tuple[bool, Any]:
        if value is None:
            return (True, None) if allow_none else REFUSED
        accepted, result = convert(value)
        if not accepted or not all(p(result) for p in passes):
            return REFUSED
        return True, result

    return check


def _converter(field: ma.fields.Field[Any]) -> Check | None:
    if type(field) is ma.fields.String:
        return lambda value: (True, value) if type(value) is str else REFUSED
    if type(field) is ma.fields.UUID:
        return _uuid
    if type(field) is ma.fields.Integer and field.strict and not field.as_string:
        return lambda value: (True, value) if type(value) is int else REFUSED
    if type(field) is ma.fields.List:
        inner = _compile(field.inner)
        if inner is None:
            return None
        return lambda value: _list(inner, value)
    return None


def _uuid(value: Any) -> tuple[bool, Any]:
    if type(value) is not str:
        return REFUSED
    try:
        return True, uuid.UUID(value)
    except ValueError:
        return REFUSED


def _list(inner: Check, value: Any) -> tuple[bool, Any]:
    if type(value) is not list:
        return REFUSED
    result = []
    for item in value:
        accepted, loaded = inner(item)
        if not accepted:
            return REFUSED
        result.append(loaded)
    return True, result


def _predicate(validator: Any) -> Callable[[Any], bool] | None:
    """A validator as a yes/no test, for the kinds whose rules are plain; else None."""
    if type(validator) is ma.validate.Length:
        low, high, equal = validator.min, validator.max, validator.equal
        if equal is not None:
            return lambda value: len(value) == equal
        return lambda value: (low is None or len(value) >= low) and (high is None or len(value) <= high)
    if type(validator) is ma.validate.OneOf:
        choices = list(validator.choices)
        return lambda value: type(value) is str and value in choices
    if type(validator) is ma.validate.Regexp:
        regex = validator.regex
        return lambda value: regex.match(value) is not None
    if type(validator) is ma.validate.Range:
        v = validator
        return lambda value: (
            (v.min is None or (value >= v.min if v.min_inclusive else value > v.min))
            and (v.max is None or (value <= v.max if v.max_inclusive else value < v.max))
        )
    return None
