"""CodePipeline: the job API, approvals, pipeline state, and executions that actually run.

moto stores pipelines and marks every execution Succeeded at once. Here an execution walks the
stages in run order (workers.py): an S3 source copies the object into the artifact store, a
Lambda action creates a job and invokes the function (re-invoking on a continuation token), and
a manual approval waits for `PutApprovalResult`. CloudFormation creates pipelines too.
"""
