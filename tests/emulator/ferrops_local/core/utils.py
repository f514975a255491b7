"""Time in the formats AWS answers with, and paging."""

from __future__ import annotations

import datetime
import time
from typing import Any

from .exceptions import AwsError


def now() -> float:
    """Seconds since the epoch: the JSON protocols' timestamp format, which the SDKs parse."""
    return round(time.time(), 3)


def iso(t: float) -> str:
    """Epoch seconds as the ISO 8601 text, with milliseconds, that events and SSM answers carry."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def epoch(value: Any) -> float:
    """A timestamp given as epoch seconds or as ISO 8601 text (moto writes "2026-11-22 02:46:10+00:00")."""
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def page(entries: list, next_token: str | None, size: int, key: str, bad_token: type[AwsError]) -> dict:
    """One page of `entries` under `key`, with the next token when more remain.

    Tokens are offsets; a token that is not one is refused with the service's own error."""
    try:
        start = int(next_token or 0)
    except ValueError:
        raise bad_token("The specified token is not valid")
    out: dict[str, Any] = {key: entries[start:start + size]}
    if start + size < len(entries):
        out["NextToken"] = str(start + size)
    return out
