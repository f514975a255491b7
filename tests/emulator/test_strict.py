"""Every request is checked against botocore's input shape before moto sees it: a violation is
refused with AWS's error in the request's protocol and logged; a conforming request is moto's
to answer, with its body intact."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from ferrops_local.core import strict

FORM = "application/x-www-form-urlencoded; charset=utf-8"
ROLE_ARN = "arn:aws:iam::123456789012:role/strict-role"


def _auth(signed_as: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=testing/20261122/us-east-1/{signed_as}/aws4_request, "
            "SignedHeaders=host, Signature=x")


def _send(endpoint: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(endpoint + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def call_json(local, signed_as: str, target: str, body: dict) -> tuple[int, dict]:
    status, text = _send(local.endpoint, json.dumps(body).encode(), {
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target, "Authorization": _auth(signed_as)})
    return status, json.loads(text or b"{}")


def call_query(local, signed_as: str, params: dict[str, str]) -> tuple[int, ET.Element]:
    status, text = _send(local.endpoint, urllib.parse.urlencode(params).encode(),
                         {"Content-Type": FORM, "Authorization": _auth(signed_as)})
    return status, ET.fromstring(text)


def error_of(root: ET.Element) -> dict[str, str]:
    """The first Error element's children by local name, whatever the namespace."""
    error = next(e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Error")
    return {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in error}


def environ(body: bytes, **extra: str) -> dict:
    return {"PATH_INFO": "/", "QUERY_STRING": "", "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body), **extra}


# Over HTTP, against the local AWS.

def test_a_json_request_missing_a_required_member_is_refused_before_moto(local):
    status, body = call_json(local, "ssm", "AmazonSSM.GetParameter", {"WithDecryption": True})
    assert status == 400, body
    assert body == {"__type": "ValidationException", "message":
                    "1 validation error detected: Value at 'Name' failed to satisfy constraint: "
                    "Member must not be null"}


def test_a_json_number_out_of_its_range_is_refused_naming_the_value(local):
    local.client("dynamodb").create_table(
        TableName="strict-table", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    status, body = call_json(local, "dynamodb", "DynamoDB_20120810.Scan", {"TableName": "strict-table", "Limit": 0})
    assert status == 400, body
    assert body["__type"] == "ValidationException"
    assert body["message"] == ("1 validation error detected: Value 0 at 'Limit' failed to satisfy constraint: "
                               "Member must have value greater than or equal to 1")

    status, body = call_json(local, "dynamodb", "DynamoDB_20120810.Scan", {"TableName": "strict-table", "Limit": 1})
    assert status == 200, body
    assert body["Count"] == 0


def test_a_conforming_json_request_is_answered_by_moto(local):
    status, body = call_json(local, "ssm", "AmazonSSM.GetParameter", {"Name": "/strict/absent"})
    assert (status, body["__type"]) == (400, "ParameterNotFound"), body


def test_a_query_request_breaking_a_length_is_refused_with_the_query_error(local):
    status, root = call_query(local, "sts", {"Action": "AssumeRole", "Version": "2011-06-15",
                                             "RoleArn": ROLE_ARN, "RoleSessionName": "a"})
    assert status == 400
    assert root.tag == "{https://sts.amazonaws.com/doc/2011-06-15/}ErrorResponse"
    assert error_of(root) == {
        "Type": "Sender", "Code": "ValidationError",
        "Message": "1 validation error detected: Value at 'RoleSessionName' failed to satisfy constraint: "
                   "Member must have length greater than or equal to 2"}


def test_a_pattern_violation_is_refused_without_echoing_the_value(local):
    status, root = call_query(local, "sts", {"Action": "AssumeRole", "Version": "2011-06-15",
                                             "RoleArn": ROLE_ARN, "RoleSessionName": "has space"})
    assert status == 400
    message = error_of(root)["Message"]
    assert "at 'RoleSessionName'" in message and "regular expression pattern" in message, message
    assert "has space" not in message


def test_a_query_request_missing_a_required_member_is_refused(local):
    topic = local.client("sns").create_topic(Name="strict-topic")["TopicArn"]
    status, root = call_query(local, "sns", {"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic})
    assert status == 400
    assert error_of(root)["Code"] == "ValidationError"
    assert error_of(root)["Message"].endswith("Value at 'Message' failed to satisfy constraint: Member must not be null")


def test_an_enum_inside_a_query_list_is_checked(local):
    status, root = call_query(local, "cloudformation", {
        "Action": "CreateStack", "Version": "2010-05-15", "StackName": "strict-stack",
        "TemplateBody": "{}", "Capabilities.member.1": "CAPABILITY_IAM", "Capabilities.member.2": "CAPABILITY_ALL"})
    assert status == 400
    assert "at 'Capabilities.2.member' failed to satisfy constraint: Member must satisfy enum value set" \
        in error_of(root)["Message"]


def test_an_ec2_request_missing_a_parameter_gets_ec2s_error(local):
    status, root = call_query(local, "ec2", {"Action": "RunInstances", "Version": "2016-11-15",
                                             "ImageId": "ami-12c6146b", "MinCount": "1"})
    assert status == 400
    assert root.tag == "Response"
    assert error_of(root)["Code"] == "MissingParameter"
    assert "'MaxCount'" in error_of(root)["Message"]


def test_conforming_query_requests_reach_moto_with_their_body(local):
    iam = local.client("iam")
    iam.create_role(RoleName="strict-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
    status, root = call_query(local, "sts", {"Action": "AssumeRole", "Version": "2011-06-15",
                                             "RoleArn": ROLE_ARN, "RoleSessionName": "strict-session"})
    assert status == 200, ET.tostring(root)
    arn = next(e.text for e in root.iter() if e.tag.endswith("}Arn"))
    assert arn.endswith("/strict-role/strict-session")

    # boto3's own calls, lists and maps included, go through as before.
    sns = local.client("sns")
    topic = sns.create_topic(Name="strict-tagged", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    assert sns.publish(TopicArn=topic, Message="m", MessageAttributes={
        "a": {"DataType": "String", "StringValue": "v"}})["MessageId"]
    ec2 = local.client("ec2")
    assert ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])["Reservations"] \
        is not None


def test_moto_api_and_control_paths_are_not_checked(local):
    req = urllib.request.Request(local.endpoint + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=60) as res:
        assert res.status == 200
    assert local.control("/health") is not None


# In process: what is read, what is left alone.

def test_a_refusal_is_logged_and_the_body_stays_readable(caplog):
    body = json.dumps({"WithDecryption": True}).encode()
    env = environ(body, HTTP_X_AMZ_TARGET="AmazonSSM.GetParameter", HTTP_AUTHORIZATION=_auth("ssm"))
    with caplog.at_level(logging.WARNING, logger="ferrops_local"):
        refused = strict.violation(env)
    assert refused is not None and refused[0] == 400
    assert env["wsgi.input"].read() == body
    assert any("ssm GetParameter" in r.getMessage() and "'Name'" in r.getMessage() for r in caplog.records)


def test_query_parameters_are_read_back_into_nested_lists_and_maps():
    refused = strict.violation(environ(urllib.parse.urlencode({
        "Action": "Publish", "Version": "2010-03-31", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m",
        "MessageAttributes.entry.1.Name": "a", "MessageAttributes.entry.1.Value.StringValue": "v"}).encode(),
        CONTENT_TYPE=FORM, HTTP_AUTHORIZATION=_auth("sns")))
    assert refused is not None
    assert b"Value at 'MessageAttributes.a.DataType' failed to satisfy constraint: Member must not be null" in refused[2]

    refused = strict.violation(environ(urllib.parse.urlencode({
        "Action": "DescribeInstances", "Version": "2016-11-15", "InstanceId.1": "i-1", "MaxResults": "not-a-number",
        "Filter.1.Name": "tag:k", "Filter.1.Value.1": "v"}).encode(), CONTENT_TYPE=FORM, HTTP_AUTHORIZATION=_auth("ec2")))
    assert refused is not None
    assert b"<Code>InvalidParameterValue</Code>" in refused[2]
    assert b"at 'MaxResults' failed to satisfy constraint: Member must be a number" in refused[2]


def test_what_is_not_an_aws_operation_of_a_checked_protocol_is_left_to_moto():
    empty = b"{}"
    assert strict.violation(environ(empty, PATH_INFO="/moto-api/reset", HTTP_X_AMZ_TARGET="AmazonSSM.GetParameter")) is None
    assert strict.violation(environ(empty, HTTP_X_AMZ_TARGET="NoSuchPrefix_20200101.Do")) is None
    assert strict.violation(environ(empty, HTTP_X_AMZ_TARGET="AmazonSSM.NoSuchOperation")) is None
    assert strict.violation(environ(b"not json", HTTP_X_AMZ_TARGET="AmazonSSM.GetParameter")) is None
    # A REST request (Lambda's Invoke) carries neither a target nor a form.
    assert strict.violation(environ(empty, PATH_INFO="/2015-03-31/functions/f/invocations",
                                    CONTENT_TYPE="application/json")) is None
    assert strict.violation(environ(b"Action=AssumeRole&Version=1999-01-01", CONTENT_TYPE=FORM)) is None
