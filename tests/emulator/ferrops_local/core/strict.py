"""Every request, to any operation (moto's own included), checked against botocore's input shape.

AWS checks each request against the operation's model before the operation runs; moto checks
little. `violation` finds the operation a request names, checks its members as `validation` does
(required members, types, enums, length and value ranges, and patterns) and returns AWS's
refusal, which the server answers before moto sees the request. Members the model does not know
pass: a newer SDK may send them.

What is checked, per protocol:
- JSON (`X-Amz-Target: Prefix.Operation`: DynamoDB, SSM, Logs, SQS, KMS, EventBridge,
  CodePipeline, Config, ...): the whole body, at every depth. The service is the one whose
  `targetPrefix` the target names, narrowed by the signing name in the credential scope when two
  share a prefix. Refusal: HTTP 400, `{"__type": "ValidationException", "message": ...}`.
- query (a form `Action=...&Version=...`: STS, IAM, SNS, CloudFormation, CloudWatch, ...) and
  EC2's variant: the flattened parameters are read back into the input shape, the way botocore's
  serializers write them (structures `A.B`; lists `A.member.N`, or `A.N` when flattened and in
  EC2; maps `A.entry.N.key` / `.value`; the members' `locationName` / `queryName`), numbers and
  booleans parsed from their text, and checked at every depth. The service is the one whose
  signing name (or endpoint prefix) the credential scope names and whose `apiVersion` is the
  request's `Version`. Refusal: HTTP 400, `<ErrorResponse>` with `Sender` / `ValidationError`
  (query); `<Response><Errors>` with `MissingParameter` or `InvalidParameterValue` (EC2).
- Not checked: the REST protocols (S3, Lambda, API Gateway, ...: their members are spread over
  the path, query string, headers and body) and the RPC v2 CBOR protocol; a request whose
  target, action or version this botocore does not know, or whose JSON body does not parse
  (moto answers those); `/moto-api/` and `/_ferrops/`, which are not AWS operations; patterns in
  Java-only syntax (see `validation._pattern`), and the rule that a union sets one member.

When two models fit a request (RDS, Neptune and DocumentDB share the signing name `rds` and
`Version`), it is refused only if it breaks every one of them. The models' metadata is read once
per process, each service's model at its first request.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
import re
import threading
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import OperationNotFoundError

from . import request
from .validation import problems, service_model, summary

log = logging.getLogger("ferrops_local")

Refusal = tuple[int, dict[str, str], bytes]

NOT_AWS = ("/moto-api/", "/_ferrops/")
METADATA = re.compile(r'"metadata"\s*:\s*\{')


@dataclass(frozen=True)
class Service:
    """What routing a request needs from one botocore model's metadata."""

    name: str
    signed_as: frozenset[str]  # signing name, endpoint prefix and botocore name
    protocols: tuple[str, ...]
    version: str
    target_prefix: str | None
    json_version: str
    xmlns: str


@dataclass
class Index:
    json: dict[str, list[Service]]  # by target prefix
    query: dict[str, list[Service]]  # by apiVersion; the query and EC2 protocols


_index: Index | None = None
_index_lock = threading.Lock()


def _metadata(loader: Any, service: str) -> dict:
    """The model's metadata, read from the head of its file: loading each whole model would take
    seconds, and its metadata is its first member."""
    version = loader.determine_latest_version(service, "service-2")
    for root in loader.search_paths:
        for name, opener in (("service-2.json", open), ("service-2.json.gz", gzip.open)):
            path = os.path.join(root, service, version, name)
            if not os.path.isfile(path):
                continue
            with opener(path, "rt", encoding="utf-8") as f:
                head = f.read(16384)
            found = METADATA.search(head)
            if found is not None:
                try:
                    return json.JSONDecoder().raw_decode(head, found.end() - 1)[0]
                except ValueError:
                    pass
            return loader.load_service_model(service, "service-2")["metadata"]
    return loader.load_service_model(service, "service-2")["metadata"]


def index() -> Index:
    """The services of the installed botocore, by target prefix and by API version."""
    global _index
    if _index is not None:
        return _index
    with _index_lock:
        if _index is None:
            loader = botocore.session.get_session().get_component("data_loader")
            found = Index(json={}, query={})
            for name in loader.list_available_services("service-2"):
                meta = _metadata(loader, name)
                service = Service(
                    name=name,
                    signed_as=frozenset(filter(None, (meta.get("signingName"), meta.get("endpointPrefix"), name))),
                    protocols=tuple(meta.get("protocols") or (meta.get("protocol"),)),
                    version=meta.get("apiVersion", ""),
                    target_prefix=meta.get("targetPrefix"),
                    json_version=meta.get("jsonVersion", "1.0"),
                    xmlns=meta.get("xmlNamespace", ""),
                )
                if "json" in service.protocols and service.target_prefix:
                    found.json.setdefault(service.target_prefix, []).append(service)
                if "query" in service.protocols or "ec2" in service.protocols:
                    found.query.setdefault(service.version, []).append(service)
            _index = found
        return _index


def violation(environ: dict) -> Refusal | None:
    """AWS's refusal of a request that breaks its operation's input shape; None when it conforms,
    or when it is not one this module checks (see the module's docstring)."""
    if environ.get("PATH_INFO", "").startswith(NOT_AWS):
        return None
    target = environ.get("HTTP_X_AMZ_TARGET")
    query = environ.get("QUERY_STRING", "")
    form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
    if not target and not form and "Action=" not in query:
        return None
    body = request.body(environ)
    signed_as = _signed_as(environ, query)
    try:
        if target:
            return _json(target, body, signed_as)
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if form:
            params.update(urllib.parse.parse_qsl(body.decode(errors="replace"), keep_blank_values=True))
        return _query(params, signed_as)
    except Exception:  # a fault here must not take the request from moto, who answered it before
        log.exception("strict: the request could not be checked; it goes to moto unchecked")
        return None


def answer(refused: Refusal, start_response: Callable) -> list[bytes]:
    """Sends a refusal as the WSGI answer."""
    status, headers, body = refused
    start_response(f"{status} Bad Request", list(headers.items()) + [("Content-Length", str(len(body)))])
    return [body]


def _signed_as(environ: dict, query: str) -> str | None:
    """The service named in the SigV4 credential scope (header or presigned query)."""
    found = request.CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found is None and "X-Amz-Credential=" in query:
        found = request.CREDENTIAL.search(
            "Credential=" + urllib.parse.parse_qs(query).get("X-Amz-Credential", [""])[0])
    return found.group(3) if found else None


def _narrowed(services: Iterable[Service], signed_as: str | None) -> list[Service]:
    """The services a request may be for; the one named as it was signed first, as the endpoint
    that answers is that service's (RDS's for Neptune and DocumentDB)."""
    services = list(services)
    if signed_as is None:
        return services
    fitting = [s for s in services if signed_as in s.signed_as] or services
    return sorted(fitting, key=lambda s: s.name != signed_as)


@functools.lru_cache(maxsize=4096)
def _input_shape(service: Service, operation: str) -> tuple[bool, Any]:
    """(whether the service has the operation, its input shape); kept, as botocore builds each
    operation's shapes anew on every call."""
    try:
        return True, service_model(service.name).operation_model(operation).input_shape
    except OperationNotFoundError:
        return False, None


def _first_breach(candidates: list[Service], operation: str,
                  read: Callable[[Service, Any], Any]) -> tuple[Service, list[str]] | None:
    """The first candidate's violations when the request breaks every candidate that has the
    operation; None when one of them takes it, or none has it."""
    breach: tuple[Service, list[str]] | None = None
    for service in candidates:
        known, shape = _input_shape(service, operation)
        if not known:
            continue
        found = problems(shape, read(service, shape), patterns=True) if shape is not None else []
        if not found:
            return None
        breach = breach or (service, found)
    return breach


def _json(target: str, body: bytes, signed_as: str | None) -> Refusal | None:
    prefix, _, operation = target.rpartition(".")
    candidates = _narrowed(index().json.get(prefix, ()), signed_as)
    if not candidates:
        return None
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        return None
    if not isinstance(params, dict):
        return None
    breach = _first_breach(candidates, operation, lambda _service, _shape: params)
    if breach is None:
        return None
    service, found = breach
    message = summary(found)
    log.warning("strict: refused %s %s: %s", service.name, operation, message)
    body_out = json.dumps({"__type": "ValidationException", "message": message}).encode()
    return 400, {"Content-Type": f"application/x-amz-json-{service.json_version}",
                 "x-amzn-RequestId": str(uuid.uuid4())}, body_out


def _query(params: dict[str, str], signed_as: str | None) -> Refusal | None:
    operation, version = params.get("Action"), params.get("Version")
    if not operation or not version:
        return None
    candidates = _narrowed(index().query.get(version, ()), signed_as)
    if not candidates:
        return None
    keys = _prefixes(params)
    breach = _first_breach(candidates, operation,
                           lambda service, shape: _read(shape, params, keys, "", _is_ec2(service), top=True))
    if breach is None:
        return None
    service, found = breach
    message = summary(found)
    log.warning("strict: refused %s %s: %s", service.name, operation, message)
    request_id = str(uuid.uuid4())
    if _is_ec2(service):
        code = "MissingParameter" if all(f.endswith("Member must not be null") for f in found) else "InvalidParameterValue"
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
               f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")
    else:
        xmlns = f' xmlns="{escape(service.xmlns)}"' if service.xmlns else ""
        xml = (f"<ErrorResponse{xmlns}><Error><Type>Sender</Type><Code>ValidationError</Code>"
               f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return 400, {"Content-Type": "text/xml"}, xml.encode()


def _is_ec2(service: Service) -> bool:
    return "query" not in service.protocols and "ec2" in service.protocols


# Reading the query protocol's flattened parameters back into the input shape's value.

ABSENT = object()


def _prefixes(params: dict[str, str]) -> set[str]:
    """Every dotted prefix of every parameter name: `A.member.1.B` gives `A`, `A.member`, ..."""
    found: set[str] = set()
    for key in params:
        parts = key.split(".")
        for i in range(1, len(parts) + 1):
            found.add(".".join(parts[:i]))
    return found


def _name(shape: Any, default: str, ec2: bool) -> str:
    """The name botocore's query (or EC2) serializer gives a member."""
    serialization = shape.serialization
    if ec2:
        if "queryName" in serialization:
            return serialization["queryName"]
        if "name" in serialization:
            return serialization["name"][0].upper() + serialization["name"][1:]
        return default
    return serialization.get("name", default)


def _indices(keys: set[str], prefix: str) -> list[int]:
    """The N of each `prefix.N` present, in order."""
    start = prefix + "."
    return sorted({int(k[len(start):]) for k in keys
                   if k.startswith(start) and k[len(start):].isdigit() and "." not in k[len(start):]})


def _read(shape: Any, params: dict[str, str], keys: set[str], prefix: str, ec2: bool, top: bool = False) -> Any:
    """The value of `shape` serialized under `prefix`, or ABSENT."""
    kind = shape.type_name
    if kind == "structure":
        if not top and prefix not in keys:
            return ABSENT
        value = {}
        for member, member_shape in shape.members.items():
            name = _name(member_shape, member, ec2)
            got = _read(member_shape, params, keys, f"{prefix}.{name}" if prefix else name, ec2)
            if got is not ABSENT:
                value[member] = got
        return value
    if kind == "list":
        if ec2:
            items = prefix
        elif shape.serialization.get("flattened"):
            items = prefix
            if shape.member.serialization.get("name"):
                items = ".".join(prefix.split(".")[:-1] + [_name(shape.member, "", ec2)])
        else:
            items = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        if prefix not in keys and items not in keys:
            return ABSENT
        found = [_read(shape.member, params, keys, f"{items}.{i}", ec2) for i in _indices(keys, items)]
        # botocore sends an empty list as `Name=`; a list of empty items is read as absent items.
        return [v for v in found if v is not ABSENT]
    if kind == "map":
        if prefix not in keys:
            return ABSENT
        entries = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = _name(shape.key, "key", ec2)
        value_name = _name(shape.value, "value", ec2)
        value = {}
        for i in _indices(keys, entries):
            k = _read(shape.key, params, keys, f"{entries}.{i}.{key_name}", ec2)
            v = _read(shape.value, params, keys, f"{entries}.{i}.{value_name}", ec2)
            if k is not ABSENT and v is not ABSENT:
                value[k] = v
        return value
    if prefix not in params:
        return ABSENT
    return _scalar(kind, params[prefix])


def _scalar(kind: str, text: str) -> Any:
    """A scalar from its text; text that does not parse stays text, which the check reports."""
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text
