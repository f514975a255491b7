"""AWS error answers. Each error code is one class, named as the code, so it is spelled once."""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError


class AwsError(JsonRESTError):
    """An error answered in the JSON protocols' shape, `{"__type": <code>, "message": ...}`, with
    HTTP 400. The code is the subclass's name."""

    code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(type(self).__name__, message)


class ValidationException(AwsError):
    """A request breaks its operation's input shape (every service)."""
