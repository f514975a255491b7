"""AWS Config's error codes that the additions answer with."""

from ..core.exceptions import AwsError


class NoSuchConfigRuleException(AwsError):
    def __init__(self, name: str) -> None:
        super().__init__(f"The ConfigRule '{name}' provided in the request is invalid. Please check the configRule name")


class InvalidParameterValueException(AwsError):
    """A member has a value AWS Config refuses (INSUFFICIENT_DATA from a rule)."""


class InvalidResultTokenException(AwsError):
    def __init__(self) -> None:
        super().__init__("The resultToken provided is invalid")


class InvalidNextTokenException(AwsError):
    """The paging token is not one this listing issued."""


class ResourceNotDiscoveredException(AwsError):
    """Config has recorded no such resource."""
