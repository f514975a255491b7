"""CodePipeline's error codes that the additions answer with."""

from ..core.exceptions import AwsError


class PipelineNotFoundException(AwsError):
    """The account has no pipeline of that name."""


class StageNotFoundException(AwsError):
    """The pipeline has no stage of that name."""


class ActionNotFoundException(AwsError):
    """The stage has no action of that name."""


class JobNotFoundException(AwsError):
    """No job has that ID."""


class InvalidNonceException(AwsError):
    """AcknowledgeJob's nonce is not the job's."""


class InvalidJobStateException(AwsError):
    """The job already has its result."""


class OutputVariablesSizeExceededException(AwsError):
    """PutJobSuccessResult's output variables exceed 122,880 bytes."""


class InvalidApprovalTokenException(AwsError):
    """The token is not the one the waiting approval was given."""


class ApprovalAlreadyCompletedException(AwsError):
    """The approval already has its result."""
