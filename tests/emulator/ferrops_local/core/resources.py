"""What the additions' CloudFormation resource types share.

moto lists resource types by the *direct* subclasses of `CloudFormationModel`, so each resource
model subclasses it itself and takes the shared part from this mixin rather than from a base
class between them.
"""

from __future__ import annotations

from typing import Any


class NamedResource:
    """A resource known by its name, which is also its physical ID (what Ref returns)."""

    def __init__(self, name: str, account_id: str, region: str):
        self.name = name
        self.account_id = account_id
        self.region = region

    @property
    def physical_resource_id(self) -> str:
        return self.name


def camel(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Template properties (PascalCase) as API member names (camelCase), except under `keep`."""
    if isinstance(value, list):
        return [camel(v, keep) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            name = k[:1].lower() + k[1:]
            out[name] = v if k in keep else camel(v, keep)
        return out
    return value
