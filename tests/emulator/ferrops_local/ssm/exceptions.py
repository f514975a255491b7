"""SSM's error codes that the additions answer with."""

from ..core.exceptions import AwsError


class InvalidDocument(AwsError):
    """The document is not one the local agent runs (only AWS-RunShellScript)."""


class InvalidInstanceId(AwsError):
    """An instance of the command is not a managed instance."""


class InvocationDoesNotExist(AwsError):
    """No such invocation, or not yet: SSM shows one only a moment after SendCommand."""


class InvalidNextToken(AwsError):
    """The paging token is not one this listing issued."""


class InvalidInstanceInformationFilterValue(AwsError):
    """DescribeInstanceInformation does not know the filter key."""
