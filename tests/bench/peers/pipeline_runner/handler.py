"""A CodePipeline Lambda action in boto3: send one SSM command, report the job result."""

import json

import boto3

ssm = boto3.client("ssm")
codepipeline = boto3.client("codepipeline")


def lambda_handler(event, context):
    job = event["CodePipeline.job"]
    job_id = job["id"]
    try:
        params = json.loads(job["data"]["actionConfiguration"]["configuration"]["UserParameters"])
        response = ssm.send_command(
            InstanceIds=params["instanceIds"],
            DocumentName="AWS-RunShellScript",
            Comment=f"job {job_id}"[:100],
            TimeoutSeconds=600,
            Parameters={
                "commands": params["commands"],
                "executionTimeout": [str(params.get("executionTimeout", 3600))],
            },
        )
        command_id = response["Command"]["CommandId"]
        codepipeline.put_job_success_result(
            jobId=job_id,
            continuationToken=json.dumps({"commandId": command_id}),
            executionDetails={"summary": f"Sent command {command_id}", "externalExecutionId": command_id},
        )
    except Exception as e:
        codepipeline.put_job_failure_result(
            jobId=job_id, failureDetails={"type": "JobFailed", "message": str(e)[:5000]}
        )
        raise
    return {"jobId": job_id}
