"""Every SageMaker and EventBridge Scheduler request checked against botocore's service model, as AWS
checks it (moto accepts bad cron expressions, unknown time zones, malformed ARNs, ...)."""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from typing import Any, cast

import botocore.session
from botocore.model import ServiceModel, Shape, StructureShape
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model
from moto.sagemaker.responses import SageMakerResponse
from moto.scheduler.responses import EventBridgeSchedulerResponse

# --- every SageMaker and Scheduler request checked against botocore's service model -----------------
#
# AWS checks each request against its API model's constraints (required, enum, length, range, pattern)
# before acting, and answers HTTP 400 ValidationException with one message listing every violation:
# "2 validation errors detected: Value 'x' at 'notebookInstanceName' failed to satisfy constraint: Member
# must satisfy regular expression pattern: ...; ..." (the API references' Common Errors:
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html,
# https://docs.aws.amazon.com/scheduler/latest/APIReference/CommonErrors.html). botocore ships the same
# model but checks only types, required members and minima on the client, so a request AWS refuses would
# pass. The sandbox checks every request of these services before moto (or the sandbox) handles it.

VALIDATED_SERVICES = ("sagemaker", "scheduler")  # botocore service names
_MAX_REPORTED = 10  # AWS lists at most this many violations in one message


@cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: AWS checks it, we cannot
        return None


def _shown(value: Any) -> str:
    """A value as AWS's (Java) messages print it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_shown(item)}" for key, item in value.items()) + "}"
    return str(value)


def _scalar_violations(value: Any, shape: Shape) -> list[str]:
    """What `value` breaks of its own shape's constraints, each as 'Member must ...'."""
    meta, kind, found = shape.metadata, shape.type_name, []
    if kind == "string" and isinstance(value, str):
        if "enum" in meta and value not in meta["enum"]:
            found.append(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]")
        if "min" in meta and len(value) < meta["min"]:
            found.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            found.append(f"Member must have length less than or equal to {meta['max']}")
        pattern = _compiled(meta["pattern"]) if "pattern" in meta else None
        if pattern and not pattern.fullmatch(value):
            found.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif kind in ("integer", "long", "float", "double") and isinstance(value, int | float) \
            and not isinstance(value, bool):
        if "min" in meta and value < meta["min"]:
            found.append(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            found.append(f"Member must have value less than or equal to {meta['max']}")
    elif kind in ("list", "map", "blob") and isinstance(value, list | dict | str | bytes):
        if "min" in meta and len(value) < meta["min"]:
            found.append(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            found.append(f"Member must have length less than or equal to {meta['max']}")
    return found


def model_violations(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Every constraint of shape (and of the shapes it holds) that value breaks, in AWS's words.

    Paths are as AWS writes them: lowerCamelCase members dotted into structures, list items as
    `member.N.member` (1-based), map entries by key. Sensitive values are not repeated in the message.
    """
    errors: list[str] = []
    if value is None:
        return errors
    shown = "Value" if shape.metadata.get("sensitive") else f"Value '{_shown(value)}'"
    errors += [f"{shown} at '{path}' failed to satisfy constraint: {violation}"
               for violation in _scalar_violations(value, shape)]
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, member in shape.members.items():
            member_path = f"{path}.{name[0].lower()}{name[1:]}" if path else f"{name[0].lower()}{name[1:]}"
            if value.get(name) is None:
                if name in shape.required_members:
                    errors.append(f"Value null at '{member_path}' failed to satisfy constraint: Member must "
                                  "not be null")
                continue
            errors += model_violations(value[name], member, member_path)
    elif shape.type_name == "list" and isinstance(value, list):
        member = cast(Any, shape).member
        for index, item in enumerate(value, 1):
            errors += model_violations(item, member, f"{path}.{index}.member")
    elif shape.type_name == "map" and isinstance(value, dict):
        key_shape, value_shape = cast(Any, shape).key, cast(Any, shape).value
        for key, item in value.items():
            key_errors = _scalar_violations(key, key_shape)
            if key_errors:
                errors.append(f"Value '{_shown(value)}' at '{path}' failed to satisfy constraint: Map keys "
                              f"must satisfy constraint: [{', '.join(key_errors)}]")
            errors += model_violations(item, value_shape, f"{path}.{key}")
    return errors


def validation_message(service: str, operation: str, params: dict[str, Any]) -> str | None:
    """AWS's ValidationException message for a request that breaks its model, or None when it is valid
    (or the operation is unknown to botocore: moto answers that itself)."""
    model = _service_model(service)
    if operation not in model.operation_names:
        return None
    shape = model.operation_model(operation).input_shape
    errors = model_violations(params, shape) if shape is not None else []
    if not errors:
        return None
    listed = errors[:_MAX_REPORTED]
    plural = "s" if len(errors) > 1 else ""
    return f"{len(errors)} validation error{plural} detected: {'; '.join(listed)}"


def request_params(response: Any, service: str, operation: str) -> dict[str, Any]:
    """The request's input members, parsed from the wire by moto's protocol parser (URI, query string,
    headers and body alike, as botocore's model places them)."""
    model = get_service_model(service)  # moto's own copy of the model, which its parsers take
    request = response.normalized_request
    parser = PROTOCOL_PARSERS[determine_request_protocol(model, request.content_type)](
        model.operation_model(operation), map_type=response.PROTOCOL_PARSER_MAP_TYPE)
    return dict(parser.parse({"method": request.method, "values": request.values, "headers": request.headers,
                              "body": request.data, "url_path": request.path,
                              "url_params": response.uri_match}))


_moto_call_action = BaseResponse.call_action


def _validated_call_action(response: Any) -> Any:
    """moto's call_action, after the request is checked against the service model (installed on the
    response classes of VALIDATED_SERVICES by patch_moto())."""
    service = response.boto3_service_name
    operation = response._get_action()
    message = None
    if operation and operation in _service_model(service).operation_names:
        message = validation_message(service, operation, request_params(response, service, operation))
    if message is None:
        return _moto_call_action(response)
    body = json.dumps({"__type": "ValidationException", "message": message})
    return 400, {"x-amzn-ErrorType": "ValidationException", "Content-Type": "application/x-amz-json-1.1",
                 "x-amzn-RequestId": str(uuid.uuid4())}, body


def patch() -> None:
    """Check every request of VALIDATED_SERVICES against the model before moto handles it (called once,
    by server.patch_moto())."""
    for response_class in (SageMakerResponse, EventBridgeSchedulerResponse):
        cast(Any, response_class).call_action = _validated_call_action
