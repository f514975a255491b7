"""Whether a role's identity policies allow an action: explicit Deny wins, then any Allow."""

from __future__ import annotations

import ast
import json
import re
import urllib.parse
from typing import Any


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _matches(pattern: str, action: str) -> bool:
    # IAM action names are case-insensitive; `*` and `?` are their only wildcards.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _covers(statement: dict, action: str) -> bool:
    if "NotAction" in statement:
        return not any(_matches(p, action) for p in _as_list(statement["NotAction"]))
    return any(_matches(p, action) for p in _as_list(statement.get("Action")))


def document(policy: Any) -> dict:
    """A policy document, whether moto holds it as a dict, JSON text, URL-encoded JSON or a repr."""
    if isinstance(policy, dict):
        return policy
    text = str(policy)
    if text.lstrip().startswith("%7B") or text.lstrip().startswith("%7b"):
        text = urllib.parse.unquote(text)
    try:
        return json.loads(text)
    except ValueError:
        pass
    # moto keeps the inline policies of a role made by CloudFormation as a Python repr.
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {}
    return value if isinstance(value, dict) else {}


def allowed(action: str, policies: list[Any]) -> bool:
    """True when some statement allows `action` and none denies it outright.

    A Deny limited to certain resources or conditions is not applied: the resource of a request
    is not known here, and refusing on a guess would fail calls that AWS allows."""
    allow = False
    for policy in policies:
        for st in _as_list(document(policy).get("Statement")):
            if not isinstance(st, dict) or not _covers(st, action):
                continue
            if st.get("Effect") == "Deny":
                if _as_list(st.get("Resource")) == ["*"] and not st.get("Condition"):
                    return False
            elif st.get("Effect") == "Allow":
                allow = True
    return allow
