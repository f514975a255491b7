"""Request and response validation against botocore's published service models.

moto checks little of what it receives; AWS checks every member against the model before the
operation runs. The additions check the same constraints (required members, types, enums, length
and value ranges) and answer the way AWS does: a `ValidationException` listing each violation.
An addition's response class mixes in `ValidatedResponse` and reads its request's members
through `validated()`; the tests check answers with `response()`.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import botocore.session

from .exceptions import ValidationException

_TYPES = {
    "string": str,
    "boolean": bool,
    "blob": str,
}


@functools.lru_cache(maxsize=None)
def service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def operation_model(service: str, operation: str):
    return service_model(service).operation_model(operation)


def problems(shape, value: Any, path: str = "", strict: bool = False, patterns: bool = False) -> list[str]:
    """Every constraint of `shape` that `value` violates, in AWS's wording.

    `strict` also reports members the model does not know: right for checking our own answers,
    wrong for requests, because a newer SDK may send members this botocore does not know yet.
    `patterns` also checks strings against the model's regular expressions, as far as Python's
    `re` reads them as Java does (see `_pattern`).
    """
    found: list[str] = []
    _check(shape, value, path, found, strict, patterns)
    return found


def summary(found: list[str]) -> str:
    """AWS's message for a request with these violations (`problems`' findings)."""
    n = len(found)
    return f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(found)


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's pattern (Java syntax) compiled; None when Python would read it otherwise.

    Java's `\\w`, `\\d` and `\\s` are ASCII-only, hence `re.ASCII`. Java-only syntax fails to
    compile (`\\p{L}`) or is found by `_java_sets`, and is then not checked rather than misread.
    """
    if _java_sets(pattern):
        return None
    try:
        return re.compile(pattern, re.ASCII)
    except re.error:
        return None


def _java_sets(pattern: str) -> bool:
    """Whether a character class holds a nested class or a set operator (`[a-z[0-9]]`,
    `[\\w&&[^_]]`): Java reads them as set algebra, Python as literal characters."""
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if not in_class:
            if c == "[":
                in_class = True
                i += 2 if pattern[i + 1:i + 2] == "^" else 1
                continue
        elif c == "[" or pattern[i:i + 2] in ("&&", "||", "~~", "--"):
            return True
        elif c == "]":
            in_class = False
        i += 1
    return False


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _violation(path: str, value: Any, constraint: str) -> str:
    shown = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    where = f"Value{'' if shown is None else f' {shown!r}'} at '{path}'"
    return f"{where} failed to satisfy constraint: {constraint}"


def _check(shape, value: Any, path: str, found: list[str], strict: bool, patterns: bool) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if meta.get("document"):
        return  # any JSON value
    if kind == "structure":
        if not isinstance(value, dict):
            found.append(_violation(path or shape.name, value, "Member must be a structure"))
            return
        for name in shape.required_members:
            if value.get(name) is None:
                found.append(_violation(_at(path, name), None, "Member must not be null"))
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                if strict:
                    found.append(f"Unknown member '{_at(path, name)}'")
            elif member_value is not None:
                _check(member, member_value, _at(path, name), found, strict, patterns)
    elif kind == "list":
        if not isinstance(value, list):
            found.append(_violation(path, value, "Member must be a list"))
            return
        _length(meta, len(value), value, path, found)
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}.{i + 1}.member", found, strict, patterns)
    elif kind == "map":
        if not isinstance(value, dict):
            found.append(_violation(path, value, "Member must be a map"))
            return
        _length(meta, len(value), value, path, found)
        for k, v in value.items():
            _check(shape.key, k, f"{path}.key", found, strict, patterns)
            _check(shape.value, v, f"{path}.{k}", found, strict, patterns)
    elif kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append(_violation(path, value, "Member must be a number"))
            return
        if "min" in meta and value < meta["min"]:
            found.append(_violation(path, value, f"Member must have value greater than or equal to {meta['min']}"))
        if "max" in meta and value > meta["max"]:
            found.append(_violation(path, value, f"Member must have value less than or equal to {meta['max']}"))
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            found.append(_violation(path, value, "Member must be a timestamp"))
    else:
        expected = _TYPES.get(kind, str)
        if not isinstance(value, expected):
            found.append(_violation(path, value, f"Member must be of type {kind}"))
            return
        if kind == "string":
            _length(meta, len(value), value, path, found)
            if shape.enum and value not in shape.enum:
                found.append(
                    _violation(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
                )
            compiled = _pattern(meta["pattern"]) if patterns and "pattern" in meta else None
            if compiled is not None and compiled.fullmatch(value) is None:
                found.append(_violation(path, value,
                                        f"Member must satisfy regular expression pattern: {meta['pattern']}"))


def _length(meta: dict, n: int, value: Any, path: str, found: list[str]) -> None:
    if "min" in meta and n < meta["min"]:
        found.append(_violation(path, value, f"Member must have length greater than or equal to {meta['min']}"))
    if "max" in meta and n > meta["max"]:
        found.append(_violation(path, value, f"Member must have length less than or equal to {meta['max']}"))


def request(service: str, operation: str, body: str | bytes | None) -> dict:
    """A JSON-protocol request's members, once they pass the operation's input shape."""
    try:
        params = json.loads(body or "{}")
    except ValueError:
        raise ValidationException("The request body is not valid JSON")
    if not isinstance(params, dict):
        raise ValidationException("The request body must be a JSON object")
    shape = operation_model(service, operation).input_shape
    found = problems(shape, params) if shape is not None else []
    if found:
        raise ValidationException(summary(found))
    return params


def response(service: str, operation: str, body: dict) -> list[str]:
    """The ways `body` departs from the operation's output shape; empty when it conforms."""
    shape = operation_model(service, operation).output_shape
    if shape is None:
        return [] if not body else ["the operation has no output, but a body was returned"]
    return problems(shape, body, strict=True)


class ValidatedResponse:
    """Mixed into an addition's response class (a subclass of moto's), before moto's class."""

    service_name: str
    body: Any

    def validated(self) -> dict:
        """The members of the request being answered, checked against its operation's input shape."""
        return request(self.service_name, self._get_action(), self.body)  # type: ignore[attr-defined]
