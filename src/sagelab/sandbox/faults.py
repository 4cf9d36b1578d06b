"""Fault injection for tests: AWS throttling and server errors queued for the next matching requests
(FaultInjector), and resources put in Failed on request (fail-notebook, fail-domain, fail-user-profile),
served by server.SandboxApp under /sagelab-sandbox/."""

from __future__ import annotations

import json
import re
import threading
import uuid
from io import BytesIO
from typing import Any, cast
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import FakeSagemakerNotebookInstance, sagemaker_backends
from werkzeug.wrappers import Request, Response

from sagelab.sandbox.common import SANDBOX_REGION
from sagelab.sandbox.sagemaker import SageMakerBackendExtensions, Transitioning, domain_clock

# --- fault injection and the sandbox's own endpoints ----------------------------------------------

_DEFAULT_FAULT_CODES = {400: "ThrottlingException", 429: "ThrottlingException", 500: "InternalFailure",
                        503: "ServiceUnavailable"}
_DEFAULT_FAULT_MESSAGES = {"ThrottlingException": "Rate exceeded", "Throttling": "Rate exceeded",
                           "ServiceUnavailable": "Service is unavailable. Please try again later."}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class FaultInjector:
    """Failures queued for the next matching requests, as AWS throttling or server errors look.

    A fault is {"service": signing name or "*", "operation": name or "*", "status": 400|429|5xx,
    "code": error code, "message": text, "count": N}. Operations are known for JSON and query
    protocols (SageMaker, IAM, STS, ...); REST services (S3, Scheduler) match only operation "*".
    """

    def __init__(self) -> None:
        self._faults: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        unknown = set(spec) - {"service", "operation", "status", "code", "message", "count"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        status, count = spec.get("status", 400), spec.get("count", 1)
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        code = spec.get("code") or _DEFAULT_FAULT_CODES.get(status, "InternalFailure")
        fault = {"service": spec.get("service", "*"), "operation": spec.get("operation", "*"),
                 "status": status, "code": code, "count": count,
                 "message": spec.get("message") or _DEFAULT_FAULT_MESSAGES.get(code, "Internal failure")}
        with self._lock:
            self._faults.append(fault)
        return dict(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> bool:
        return bool(self._faults)

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(fault) for fault in self._faults]

    def take(self, service: str, operation: str) -> dict[str, Any] | None:
        """The first fault matching this request, counted down (and dropped when used up)."""
        with self._lock:
            for fault in self._faults:
                if fault["service"] in ("*", service) and fault["operation"] in ("*", operation):
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self._faults.remove(fault)
                    return dict(fault)
        return None


def classify(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(signing service, operation, wire protocol: json|query|s3) of an AWS request."""
    scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return service, target.rpartition(".")[2], "json"
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if not action and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = BytesIO(body)  # moto reads the body again
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return service, action[0], "query"
    return service, "", "s3" if service == "s3" else "json"


def error_response(fault: dict[str, Any], protocol: str) -> Response:
    request_id = str(uuid.uuid4())
    code, message, status = fault["code"], fault["message"], fault["status"]
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message})
        return Response(body, status, {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": code},
                        content_type="application/x-amz-json-1.1")
    error = f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
    if protocol == "s3":
        body = f"<Error>{error}<RequestId>{request_id}</RequestId></Error>"
        return Response(body, status, {"x-amz-request-id": request_id}, content_type="application/xml")
    kind = "Sender" if status < 500 else "Receiver"
    body = (f"<ErrorResponse><Error><Type>{kind}</Type>{error}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return Response(body, status, {"x-amzn-RequestId": request_id}, content_type="text/xml")


def json_response(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data), status, content_type="application/json")


def json_body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _named_notebook(spec: dict[str, Any]) -> FakeSagemakerNotebookInstance | None:
    if not spec.get("name"):
        raise ValueError("name is required")
    backend = sagemaker_backends[spec.get("account", DEFAULT_ACCOUNT_ID)][spec.get("region", SANDBOX_REGION)]
    return backend.notebook_instances.get(spec["name"])


def legacy_notebook(spec: dict[str, Any]) -> Response:
    notebook = _named_notebook(spec)
    if notebook is None:
        return json_response({"error": f"no notebook instance named {spec['name']}"}, 404)
    notebook.__dict__.pop("ip_address_type", None)
    return json_response({"name": spec["name"], "omitted": ["IpAddressType"]})


def fail_notebook(spec: dict[str, Any]) -> Response:
    """Put a notebook instance in Failed with a FailureReason, as AWS does when e.g. a lifecycle
    script fails; it stays there until started, updated or deleted."""
    notebook = _named_notebook(spec)
    if notebook is None:
        return json_response({"error": f"no notebook instance named {spec['name']}"}, 404)
    notebook.status = "Failed"
    reason = notebook.__dict__["failure_reason"] = spec.get("reason") or "Notebook Instance failed."
    return json_response({"name": spec["name"], "status": "Failed", "reason": reason})


def fail_studio(kind: str, spec: dict[str, Any]) -> Response:
    """Put a domain or a user profile in Failed with a FailureReason (as AWS does when e.g. its EFS or
    network setup fails); it stays there until deleted."""
    if not spec.get("domain_id") or (kind == "fail-user-profile" and not spec.get("name")):
        raise ValueError("domain_id is required" + (" and so is name" if kind == "fail-user-profile" else ""))
    account, region = spec.get("account", DEFAULT_ACCOUNT_ID), spec.get("region", SANDBOX_REGION)
    backend = cast(SageMakerBackendExtensions, sagemaker_backends[account][region])
    backend._sweep_deleted_studio()
    clock: Transitioning | None
    if kind == "fail-domain":
        domain = backend.domains.get(spec["domain_id"])
        clock = domain_clock(domain) if domain is not None else None
    else:
        clock = backend.user_profiles.get((spec["domain_id"], spec["name"]))
    if clock is None:
        return json_response({"error": f"no such {kind[5:].replace('-', ' ')}"}, 404)
    reason = spec.get("reason") or "Resource failed."
    clock.fail(reason)
    return json_response({**spec, "status": "Failed", "reason": reason})
