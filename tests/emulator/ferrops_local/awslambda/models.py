"""Lambda's state beyond moto's: every deployed function runs its own zip.

moto stores a function's configuration and code but, without Docker, answers Invoke with a canned
reply. This backend answers it as Lambda does: the function's `bootstrap` runs in an execution
environment of its own (environments.py), with the function's environment variables and its
execution role's credentials, one warm process per function. Asynchronous invocations get
Lambda's retries and on-failure destination; the processes' output goes to the function's log
group.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from moto.awslambda import models as moto_models
from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.logs.models import logs_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.sts.models import sts_backends

from ..core.settings import SETTINGS
from ..core.state import LOCK
from .environments import FUNCTIONS, FunctionSpec
from .workers import MAX_RETRIES, RETRY_DELAYS, invoke_async, invoke_sync

def role_credentials(fn: Any) -> dict[str, str]:
    """Credentials for the function's execution role, from STS as Lambda gets them."""
    account = fn.role.split(":")[4] if fn.role.count(":") >= 5 else fn.account_id
    with LOCK:
        role = sts_backends[account]["aws"].assume_role(
            region_name=fn.region, role_session_name=fn.function_name[:64], role_arn=fn.role,
            policy=None, duration=3600, external_id=None)
        # The IAM check (access/) knows a function's calls by this mark on its session.
        role.ferrops_function = (fn.account_id, fn.region, fn.function_name)
    return {"AccessKeyId": role.access_key_id, "SecretAccessKey": role.secret_access_key,
            "SessionToken": role.session_token}


def spec_of(fn: Any) -> FunctionSpec:
    """What the execution environment needs of moto's function."""
    extra = {"AWS_EC2_METADATA_DISABLED": "true"}
    if SETTINGS.endpoint_url:
        extra["AWS_ENDPOINT_URL"] = SETTINGS.endpoint_url
    if SETTINGS.ca_bundle:
        # rustls' native roots read SSL_CERT_FILE; botocore reads AWS_CA_BUNDLE.
        extra["SSL_CERT_FILE"] = extra["AWS_CA_BUNDLE"] = SETTINGS.ca_bundle
    return FunctionSpec(
        account=fn.account_id, region=fn.region, name=fn.function_name, arn=fn.function_arn,
        code_zip=fn.code_bytes, code_sha256=fn.code_sha_256,
        environment=dict(fn.environment_vars or {}), timeout=int(fn.timeout or 3),
        memory_mb=int(fn.memory_size or 128), credentials=lambda: role_credentials(fn),
        extra_env=extra, handler=fn.handler or "bootstrap", role_arn=fn.role)


def write_log(account: str, region: str, group: str, stream: str, timestamp_ms: int, message: str) -> None:
    """Appends one line to the function's log group, creating the group and stream on first use."""
    logs = logs_backends[account][region]
    with LOCK:
        if group not in logs.groups:
            logs.create_log_group(group, {})
        if stream not in logs.groups[group].streams:
            try:
                logs.create_log_stream(group, stream)
            except ResourceAlreadyExistsException:
                pass
        logs.put_log_events(group, stream, [{"timestamp": timestamp_ms, "message": message}])


FUNCTIONS.log_sink = write_log

log = logging.getLogger("ferrops_local")


def _destination(arn: str, record: dict) -> None:
    """Delivers an on-failure record to an SQS queue, an SNS topic or another function."""
    parts = arn.split(":")
    service, region, account, name = parts[2], parts[3], parts[4], parts[-1]
    body = json.dumps(record)
    with LOCK:
        if service == "sqs":
            sqs_backends[account][region].send_message(name, body)
        elif service == "sns":
            sns_backends[account][region].publish(body, arn=arn)
    if service == "lambda":
        target = lambda_backends[account][region].get_function(name)
        invoke_async(spec_of(target), body.encode(), retries=0)
    elif service not in ("sqs", "sns"):
        # AWS also takes an EventBridge bus; the local AWS does not deliver there, and says so.
        log.warning("the on-failure record of %s was not delivered: %s destinations are not supported locally",
                    record.get("requestContext", {}).get("functionArn"), service)


class LambdaBackend(moto_models.LambdaBackend):
    def reset(self) -> None:
        # moto's reset clears every account and region at once: so do the processes and retries.
        FUNCTIONS.stop_all()
        super().reset()

    def delete_function(self, function_name: str, qualifier: str | None = None) -> None:
        fn = self.get_function(function_name, qualifier)
        FUNCTIONS.stop(self.account_id, self.region_name, fn.function_name)
        super().delete_function(function_name, qualifier)

    def invoke(self, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: Any) -> bytes:
        fn = self.get_function(function_name, qualifier)
        payload = body if isinstance(body, bytes) else (body or "{}").encode()
        kind = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if kind == "DryRun":
            return b""
        spec = spec_of(fn)
        if kind == "Event":
            config = fn.event_invoke_config[0].config if fn.event_invoke_config else {}
            target = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            invoke_async(spec, payload, on_failure=(lambda record: _destination(target, record)) if target else None,
                         retries=int(config.get("MaximumRetryAttempts", MAX_RETRIES)), retry_delays=RETRY_DELAYS)
            return b""
        result = invoke_sync(spec, payload)
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        if headers.get("X-Amz-Log-Type") == "Tail":
            response_headers["x-amz-log-result"] = base64.b64encode(result.log_tail.encode()[-4096:]).decode()
        response_headers["x-amz-executed-version"] = result.executed_version
        return result.payload


lambda_backends = moto_models.lambda_backends
