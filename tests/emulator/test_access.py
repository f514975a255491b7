"""IAM for the functions the local Lambda runs: a call the execution role does not allow is
refused with AWS's AccessDenied, in the JSON and the query protocols; an allowed one goes through."""

from __future__ import annotations

import io
import json
import sys
import zipfile

# The function's code: each call with the role's credentials from the environment, as the SDKs
# take them, and the error code each got ("ok" when none).
CALLER = """#!{python}
import json, os, urllib.request
import boto3, botocore.exceptions
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
def code(call):
    try:
        call()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
while True:
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        r.read()
    ssm, ddb, sns = (boto3.client(s) for s in ("ssm", "dynamodb", "sns"))
    reply = {{
        "ssm:GetParameter": code(lambda: ssm.get_parameter(Name="/absent")),
        "dynamodb:ListTables": code(lambda: ddb.list_tables()),
        "sns:Publish": code(lambda: sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:t", Message="m")),
    }}
    urllib.request.urlopen(urllib.request.Request(api + request_id + "/response",
                                                  data=json.dumps(reply).encode(), method="POST")).read()
"""


def test_a_function_may_make_only_the_calls_its_role_allows(local):
    iam, lam = local.client("iam"), local.client("lambda")
    role = iam.create_role(RoleName="access-fn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="access-fn", PolicyName="params", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/*"},
            {"Effect": "Allow", "NotAction": ["dynamodb:*", "sns:*"], "Resource": "*"}]}))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", CALLER.format(python=sys.executable))
    lam.create_function(FunctionName="access-caller", Runtime="provided.al2023", Role=role, Handler="bootstrap",
                        Timeout=30, Code={"ZipFile": buf.getvalue()})
    reply = json.load(lam.invoke(FunctionName="access-caller", Payload=b"{}")["Payload"])
    assert reply == {
        "ssm:GetParameter": "ParameterNotFound",
        "dynamodb:ListTables": "AccessDeniedException",
        "sns:Publish": "AuthorizationError",
    }, reply

    # The same calls by anyone else are moto's to answer, as before.
    assert local.client("dynamodb").list_tables()["TableNames"] is not None
