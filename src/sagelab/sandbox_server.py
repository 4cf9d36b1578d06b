"""The embedded AWS sandbox's server: moto, extended with what sagelab's AWS playbooks need.

moto 5.2.5 lacks calls sagelab's AWS playbooks make (UpdateNotebookInstance, code repositories, Studio
user profiles, apps and spaces, IAM ListServiceSpecificCredentials, ...) and moves notebook instances
to their final status at once, so waiters and the stop-update-start flow would never be exercised. This
module adds those calls to moto, behaving like AWS (error codes, messages, state rules, input constraints from
botocore's service model), and adds fault injection for tests. sagelab.sandbox starts it as a detached
process (`python -m sagelab.sandbox serve`); running() serves it on a thread, in process.

moto has no supported extension hook: the additions are attached to moto's classes by patch_moto() and
are tied to the pinned moto version (pyproject.toml).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from io import BytesIO
from typing import Any, cast
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import ServiceModel, Shape, StructureShape
from moto import settings as moto_settings
from moto.ce.responses import CostExplorerResponse
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import determine_request_protocol
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import get_service_model, utcnow
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult, create_access_key
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.moto_api import state_manager
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import (
    Domain,
    FakeSagemakerNotebookInstance,
    FakeSageMakerNotebookInstanceLifecycleConfig,
    SageMakerModelBackend,
    sagemaker_backends,
)
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter
from moto.scheduler.responses import EventBridgeSchedulerResponse
from moto.utilities.paginator import paginate
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from sagelab.sandbox import (
    API_PREFIX,
    HOST,
    NOTEBOOK_MODEL,
    READY_PREFIX,
    SANDBOX_REGION,
    transition_seconds,
)

_DELETED = "Deleted"  # internal final status of a deleted notebook instance; AWS never reports it
_NOTEBOOK_TRANSITIONS: list[tuple[str | None, str]] = [
    ("Pending", "InService"),
    ("Stopping", "Stopped"),
    ("Updating", "Stopped"),
    ("Deleting", _DELETED),
]


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


def _request_params(response: Any, service: str, operation: str) -> dict[str, Any]:
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
        message = validation_message(service, operation, _request_params(response, service, operation))
    if message is None:
        return _moto_call_action(response)
    body = json.dumps({"__type": "ValidationException", "message": message})
    return 400, {"x-amzn-ErrorType": "ValidationException", "Content-Type": "application/x-amz-json-1.1",
                 "x-amzn-RequestId": str(uuid.uuid4())}, body


# --- roles passed to a service: iam:PassRole and role existence, when IAM enforcement is on -----------
#
# A request that hands a role to a service (a notebook's RoleArn, a Studio execution role, a schedule's
# target role) is authorized twice on AWS: the action itself, then iam:PassRole on the role for the caller,
# with the condition key iam:PassedToService set to the service principal
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html). Without that permission AWS
# answers AccessDeniedException "User: <caller> is not authorized to perform: iam:PassRole on resource: <role>
# because no identity-based policy allows the iam:PassRole action" (the form IAM documents in
# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html). A role that does not
# exist cannot be assumed by the service: EventBridge Scheduler answers ValidationException "The execution
# role you provide must allow AWS EventBridge Scheduler to assume the role." (aws/aws-sdk-js-v3 #6494);
# SageMaker answers ValidationException too, in words it does not publish (the sandbox's are below).
# moto checks neither; the sandbox checks both once moto's IAM enforcement is on
# (INITIAL_NO_AUTH_ACTION_COUNT spent), after moto has authorized the action itself.

_PASSED_ROLES: dict[tuple[str, str], tuple[str, tuple[tuple[str, ...], ...]]] = {
    # (service, operation): (service principal the role is passed to, paths of the role ARN members)
    ("sagemaker", "CreateNotebookInstance"): ("sagemaker.amazonaws.com", (("RoleArn",),)),
    ("sagemaker", "UpdateNotebookInstance"): ("sagemaker.amazonaws.com", (("RoleArn",),)),
    ("sagemaker", "CreateDomain"): ("sagemaker.amazonaws.com", (("DefaultUserSettings", "ExecutionRole"),
                                                                ("DefaultSpaceSettings", "ExecutionRole"))),
    ("sagemaker", "UpdateDomain"): ("sagemaker.amazonaws.com", (("DefaultUserSettings", "ExecutionRole"),
                                                                ("DefaultSpaceSettings", "ExecutionRole"))),
    ("sagemaker", "CreateUserProfile"): ("sagemaker.amazonaws.com", (("UserSettings", "ExecutionRole"),)),
    ("sagemaker", "UpdateUserProfile"): ("sagemaker.amazonaws.com", (("UserSettings", "ExecutionRole"),)),
    ("scheduler", "CreateSchedule"): ("scheduler.amazonaws.com", (("Target", "RoleArn"),)),
    ("scheduler", "UpdateSchedule"): ("scheduler.amazonaws.com", (("Target", "RoleArn"),)),
}


def iam_enforced() -> bool:
    """Whether moto authorizes requests now (its INITIAL_NO_AUTH_ACTION_COUNT unauthenticated ones spent)."""
    return ActionAuthenticatorMixin.request_count >= moto_settings.INITIAL_NO_AUTH_ACTION_COUNT


def passed_roles(service: str, operation: str, params: dict[str, Any]) -> tuple[str, list[str]]:
    """The service principal and the role ARNs a request passes to it (none for other requests)."""
    principal, paths = _PASSED_ROLES.get((service, operation), ("", ()))
    roles = []
    for path in paths:
        value: Any = params
        for member in path:
            value = value.get(member) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            roles.append(value)
    return principal, roles


def may_pass_role(policies: Iterable[Any], role_arn: str, principal: str) -> bool:
    """IAM's answer for iam:PassRole on role_arn to principal: some statement allows it, none denies it.

    Each statement is matched with moto's evaluator as if it allowed (moto 5.2 answers DENIED for an Allow
    statement whose condition does not hold, where IAM ignores the statement), then its Effect applies."""
    allowed = False
    for policy in policies:
        statements = IAMPolicy(policy)._policy_json["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            applies = IAMPolicyStatement({**statement, "Effect": "Allow"}).is_action_permitted(
                "iam:PassRole", role_arn, incoming_condition_values={"iam:PassedToService": principal})
            if applies == PermissionResult.PERMITTED:
                if statement.get("Effect") == "Deny":
                    return False
                allowed = True
    return allowed


def _role_missing_message(service: str, role_arn: str) -> str:
    if service == "scheduler":
        return "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."
    return f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal " \
           "'sagemaker.amazonaws.com' to assume the role."


_moto_authorize = BaseResponse._authenticate_and_authorize_normal_action


def _authorize_with_passed_roles(response: Any, resource: str = "*") -> None:
    """moto's authorization of the action, then iam:PassRole and existence of each role the request
    passes (installed on the response classes of VALIDATED_SERVICES by patch_moto())."""
    enforced = iam_enforced()  # before moto counts this request among the unauthenticated ones
    _moto_authorize(response, resource)
    if not enforced:
        return
    service, operation = response.boto3_service_name, response._get_action()
    if (service, operation) not in _PASSED_ROLES:
        return
    principal, roles = passed_roles(service, operation, _request_params(response, service, operation))
    if not roles:
        return
    scope = response.headers["Authorization"].split("Credential=", 1)[1].split("/")
    caller = create_access_key(account_id=response.current_account, partition="aws", access_key_id=scope[0],
                               headers=response.headers)
    iam = iam_backends[response.current_account]["aws"]
    for role_arn in roles:
        if not may_pass_role(caller.collect_policies(), role_arn, principal):
            raise JsonRESTError("AccessDeniedException", f"User: {caller.arn} is not authorized to perform: "
                                f"iam:PassRole on resource: {role_arn} because no identity-based policy "
                                "allows the iam:PassRole action")
        if not any(role.arn == role_arn for role in iam.get_roles()):
            raise JsonRESTError("ValidationException", _role_missing_message(service, role_arn))


# --- notebook instance status through moto's state manager ----------------------------------------

class NotebookInstanceState(ManagedState):
    """A notebook instance's status, advanced by moto's state manager (after a delay, by default).

    Reading the status advances it; /moto-api/state-manager/set-transition with model_name
    NOTEBOOK_MODEL changes the pace at run time (e.g. {"progression": "immediate"}).
    """

    def __init__(self) -> None:
        super().__init__(NOTEBOOK_MODEL, _NOTEBOOK_TRANSITIONS)

    def enter(self, status: str) -> None:
        """Enter status now: its delay counts from this moment, not from the previous transition."""
        self._status = status
        self._time_progressed = datetime.now()


def _notebook_state(notebook: FakeSagemakerNotebookInstance) -> NotebookInstanceState:
    state = notebook.__dict__.get("_sagelab_state")
    if state is None:
        state = notebook.__dict__["_sagelab_state"] = NotebookInstanceState()
    return cast(NotebookInstanceState, state)


def _get_notebook_status(notebook: FakeSagemakerNotebookInstance) -> str:
    status = _notebook_state(notebook).status or "Pending"
    return "Deleting" if status == _DELETED else status  # swept away by the backend, never reported


def _set_notebook_status(notebook: FakeSagemakerNotebookInstance, status: str) -> None:
    _notebook_state(notebook).enter(status)


def _notebook_start(notebook: FakeSagemakerNotebookInstance) -> None:
    notebook.status = "Pending"
    notebook.__dict__.pop("failure_reason", None)


def _notebook_stop(notebook: FakeSagemakerNotebookInstance) -> None:
    notebook.status = "Stopping"


def _instance_type_checked_against_model(notebook: FakeSagemakerNotebookInstance, instance_type: str) -> None:
    """moto's own list of instance types is a subset of AWS's; every request is checked against the real
    enum (model_violations)."""


_moto_notebook_to_dict = FakeSagemakerNotebookInstance.to_dict
_moto_domain_describe = Domain.describe


def _notebook_to_dict(notebook: FakeSagemakerNotebookInstance) -> dict[str, Any]:
    """moto's description plus the fields it does not model, kept in the instance's __dict__."""
    described = _moto_notebook_to_dict(notebook)
    extras = notebook.__dict__
    failed = described["NotebookInstanceStatus"] == "Failed"
    described.update(
        FailureReason=extras.get("failure_reason") if failed else None,
        PlatformIdentifier=extras.get("platform_identifier"),
        InstanceMetadataServiceConfiguration=extras.get("instance_metadata_service_configuration"),
        IpAddressType=extras.get("ip_address_type"),
    )
    return described


def _domain_clock(domain: Domain) -> _Transitioning | None:
    return cast(_Transitioning | None, domain.__dict__.get("_sagelab_clock"))


def _get_domain_status(domain: Domain) -> str:
    clock = _domain_clock(domain)
    if clock is not None:
        return clock.status
    return cast(str, domain.__dict__.get("_sagelab_status", "InService"))


def _set_domain_status(domain: Domain, status: str) -> None:
    domain.__dict__["_sagelab_status"] = status  # moto's constructor: InService, replaced by the clock


def _domain_describe(domain: Domain) -> dict[str, Any]:
    clock = _domain_clock(domain)
    failed = clock is not None and clock.status == "Failed"
    return {**_moto_domain_describe(domain), "TagPropagation": domain.__dict__.get("tag_propagation"),
            "FailureReason": clock.failure_reason if clock is not None and failed else None}


def _transition_error(notebook: FakeSagemakerNotebookInstance, allowed: Sequence[str],
                      target: str) -> ValidationError:
    """AWS's message for a call the notebook's current status does not allow."""
    return ValidationError(f"Status ({notebook.status}) not in ([{', '.join(allowed)}]). "
                           f"Unable to transition to ({target}) for Notebook Instance ({notebook.arn}).")


def _within(item: Any, after: datetime | None, before: datetime | None, attribute: str) -> bool:
    """The CreationTimeAfter/Before-style filters of list calls (bounds exclusive)."""
    value = getattr(item, attribute)
    return (after is None or value > after) and (before is None or value < before)


def _listed(items: Iterable[Any], name_of: Callable[[Any], str], name_contains: str | None,
            created: tuple[datetime | None, datetime | None],
            modified: tuple[datetime | None, datetime | None]) -> list[Any]:
    """The filters the SageMaker List calls share: a name substring, then creation and last-modified
    time windows (CreationTimeAfter/Before, LastModifiedTimeAfter/Before)."""
    return [item for item in items
            if (not name_contains or name_contains in name_of(item))
            and _within(item, *created, "creation_time") and _within(item, *modified, "last_modified_time")]


def _list_filters(params: dict[str, Any]) -> dict[str, Any]:
    """The name, time, order and page filters the List* operations on notebook lifecycle configurations
    and code repositories share, as the backend's keyword arguments."""
    return {"name_contains": params.get("NameContains"), "sort_by": params.get("SortBy"),
            "sort_order": params.get("SortOrder"), "creation_time_after": params.get("CreationTimeAfter"),
            "creation_time_before": params.get("CreationTimeBefore"),
            "last_modified_time_after": params.get("LastModifiedTimeAfter"),
            "last_modified_time_before": params.get("LastModifiedTimeBefore"),
            "max_results": params.get("MaxResults"), "next_token": params.get("NextToken")}


def _merged(current: dict[str, Any] | None, update: dict[str, Any] | None) -> dict[str, Any] | None:
    """Update calls replace the top-level settings they name and keep the others."""
    if update is None:
        return current
    return {**(current or {}), **update}


# --- resources moto does not have ----------------------------------------------------------------

class _Transitioning:
    """Pending -> InService, Updating -> InService, Deleting -> Deleted, each taking
    $SAGELAB_SANDBOX_TRANSITION_SECONDS (read by the server process, as for notebook instances), as Studio
    domains, user profiles, apps and spaces move on AWS (in minutes there); Failed (with a FailureReason)
    when a test asks (POST fail-domain / fail-user-profile), until deleted."""

    _SETTLED = {"Pending": "InService", "Updating": "InService", "Deleting": "Deleted"}

    def _start_clock(self) -> None:
        self.seconds = transition_seconds()
        self._phase, self._since = "Pending", time.monotonic()
        self.failure_reason: str | None = None

    def _enter(self, phase: str) -> None:
        self._phase, self._since = phase, time.monotonic()

    @property
    def status(self) -> str:
        settled = self._SETTLED.get(self._phase)
        if settled and time.monotonic() - self._since >= self.seconds:
            self._phase = settled
        return self._phase

    @property
    def deleting_since(self) -> float | None:
        return self._since if self._phase in ("Deleting", "Deleted") else None

    def start_deleting(self) -> None:
        self._enter("Deleting")

    def start_updating(self) -> None:
        self._enter("Updating")

    def fail(self, reason: str) -> None:
        self._enter("Failed")
        self.failure_reason = reason


class CodeRepository:
    """A Git repository registered with SageMaker (CreateCodeRepository)."""

    def __init__(self, name: str, git_config: dict[str, Any], tags: list[dict[str, str]] | None,
                 account_id: str, region_name: str) -> None:
        self.name = name
        self.git_config = git_config
        self.tags = list(tags or [])
        self.arn = arn_formatter("code-repository", name, account_id, region_name)
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        return {"CodeRepositoryName": self.name, "CodeRepositoryArn": self.arn, "GitConfig": self.git_config,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}


class UserProfile(_Transitioning):
    """A SageMaker Studio user profile in a domain (CreateUserProfile): Pending, then InService."""

    def __init__(self, domain_id: str, name: str, params: dict[str, Any], account_id: str,
                 region_name: str) -> None:
        self.domain_id = domain_id
        self.name = name
        self.user_settings: dict[str, Any] | None = params.get("UserSettings")
        self.sso_identifier = params.get("SingleSignOnUserIdentifier")
        self.sso_value = params.get("SingleSignOnUserValue")
        self.tags = list(params.get("Tags") or [])
        self.arn = arn_formatter("user-profile", f"{domain_id}/{name}", account_id, region_name)
        self.home_efs_uid = str(200000 + secrets.randbelow(800000))
        self.creation_time = self.last_modified_time = utcnow()
        self._start_clock()

    def summary(self) -> dict[str, Any]:
        return {"DomainId": self.domain_id, "UserProfileName": self.name, "Status": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "UserProfileArn": self.arn, "HomeEfsFileSystemUid": self.home_efs_uid,
                "SingleSignOnUserIdentifier": self.sso_identifier, "SingleSignOnUserValue": self.sso_value,
                "UserSettings": self.user_settings,
                "FailureReason": self.failure_reason if self.status == "Failed" else None}


class StudioApp(_Transitioning):
    """A Studio app (CreateApp) of a user profile or a space: JupyterLab, JupyterServer, KernelGateway, ..."""

    def __init__(self, domain_id: str, params: dict[str, Any], account_id: str, region_name: str) -> None:
        self.domain_id = domain_id
        self.user_profile_name = params.get("UserProfileName")
        self.space_name = params.get("SpaceName")
        self.app_type = params["AppType"]
        self.app_name = params["AppName"]
        default_type = "system" if self.app_type == "JupyterServer" else "ml.t3.medium"
        self.resource_spec = {"InstanceType": default_type, **(params.get("ResourceSpec") or {})}
        self.tags = list(params.get("Tags") or [])
        owner = self.user_profile_name or self.space_name
        self.arn = arn_formatter("app", f"{domain_id}/{owner}/{self.app_type.lower()}/{self.app_name}",
                                 account_id, region_name)
        self.creation_time = utcnow()
        self._start_clock()

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.domain_id, self.user_profile_name or self.space_name or "", self.app_type.lower(),
                self.app_name)

    def summary(self) -> dict[str, Any]:
        owner = ({"UserProfileName": self.user_profile_name} if self.user_profile_name
                 else {"SpaceName": self.space_name})
        return {"DomainId": self.domain_id, **owner, "AppType": self.app_type, "AppName": self.app_name,
                "Status": self.status, "CreationTime": self.creation_time, "ResourceSpec": self.resource_spec}

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "AppArn": self.arn}


class Space(_Transitioning):
    """A Studio space (CreateSpace); gone once its deletion has finished."""

    def __init__(self, domain_id: str, params: dict[str, Any], account_id: str, region_name: str) -> None:
        self.domain_id = domain_id
        self.name = params["SpaceName"]
        self.settings = params.get("SpaceSettings")
        self.ownership = params.get("OwnershipSettings")
        self.sharing = params.get("SpaceSharingSettings")
        self.display_name = params.get("SpaceDisplayName")
        self.tags = list(params.get("Tags") or [])
        self.arn = arn_formatter("space", f"{domain_id}/{self.name}", account_id, region_name)
        self.creation_time = self.last_modified_time = utcnow()
        self._start_clock()

    def summary(self) -> dict[str, Any]:
        return {"DomainId": self.domain_id, "SpaceName": self.name, "Status": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time,
                "SpaceDisplayName": self.display_name}

    def describe(self) -> dict[str, Any]:
        return {**self.summary(), "SpaceArn": self.arn, "SpaceSettings": self.settings,
                "OwnershipSettings": self.ownership, "SpaceSharingSettings": self.sharing}


_PAGINATION = {
    name: {"input_token": "next_token", "limit_key": "max_results", "limit_default": 100,
           "unique_attribute": "arn"}
    for name in ("list_notebook_instance_lifecycle_configs", "list_code_repositories", "list_user_profiles")
}


def _sorted(items: list[Any], key: Callable[[Any], Any], order: str | None, default_order: str) -> list[Any]:
    return sorted(items, key=key, reverse=(order or default_order) == "Descending")


# --- SageMaker backend: new calls and AWS state rules ---------------------------------------------

class _SageMakerBackendExtensions(SageMakerModelBackend):
    """Methods copied onto moto's SageMakerModelBackend by patch_moto(); never instantiated.

    A subclass only so that `self` is typed: patch_moto() copies the functions, so `super()` must not
    be used here; moto's originals are kept in `_moto_*` attributes instead.
    """

    _moto_list_notebook_instances = SageMakerModelBackend.list_notebook_instances
    _moto_create_domain = SageMakerModelBackend.create_domain
    _moto_list_domains = SageMakerModelBackend.list_domains
    _moto_get_resource_from_arn = SageMakerModelBackend._get_resource_from_arn

    @property
    def code_repositories(self) -> dict[str, CodeRepository]:
        return cast(dict[str, CodeRepository], self.__dict__.setdefault("_sagelab_code_repositories", {}))

    @property
    def user_profiles(self) -> dict[tuple[str, str], UserProfile]:
        return cast(dict[tuple[str, str], UserProfile],
                    self.__dict__.setdefault("_sagelab_user_profiles", {}))

    @property
    def studio_apps(self) -> dict[tuple[str, str, str, str], StudioApp]:
        return cast(dict[tuple[str, str, str, str], StudioApp], self.__dict__.setdefault("_sagelab_apps", {}))

    @property
    def spaces(self) -> dict[tuple[str, str], Space]:
        return cast(dict[tuple[str, str], Space], self.__dict__.setdefault("_sagelab_spaces", {}))

    # notebook instances

    def _sweep_deleted_notebook_instances(self) -> None:
        """Forget notebook instances whose deletion has finished (reading the status advances it)."""
        for name, notebook in list(self.notebook_instances.items()):
            if _notebook_state(notebook).status == _DELETED:
                self.notebook_instances.pop(name, None)

    def _validate_unique_notebook_instance_name(self, notebook_instance_name: str) -> None:
        self._sweep_deleted_notebook_instances()
        if notebook_instance_name in self.notebook_instances:
            duplicate_arn = self.notebook_instances[notebook_instance_name].arn
            raise ValidationError(f"Cannot create a duplicate Notebook Instance ({duplicate_arn})")

    def get_notebook_instance(self, notebook_instance_name: str) -> FakeSagemakerNotebookInstance:
        self._sweep_deleted_notebook_instances()
        if notebook_instance_name not in self.notebook_instances:
            raise ValidationError("RecordNotFound")
        return self.notebook_instances[notebook_instance_name]

    def list_notebook_instances(self, *args: Any, **kwargs: Any) -> Any:
        self._sweep_deleted_notebook_instances()
        return self._moto_list_notebook_instances(*args, **kwargs)

    def start_notebook_instance(self, notebook_instance_name: str) -> None:
        notebook = self.get_notebook_instance(notebook_instance_name)
        if notebook.status not in ("Stopped", "Failed"):
            raise _transition_error(notebook, ["Stopped", "Failed"], "Pending")
        notebook.start()

    def stop_notebook_instance(self, notebook_instance_name: str) -> None:
        notebook = self.get_notebook_instance(notebook_instance_name)
        if notebook.status != "InService":
            raise _transition_error(notebook, ["InService"], "Stopping")
        notebook.stop()

    def delete_notebook_instance(self, notebook_instance_name: str) -> None:
        notebook = self.get_notebook_instance(notebook_instance_name)
        if not notebook.is_deletable:
            raise _transition_error(notebook, ["Stopped", "Failed"], "Deleting")
        notebook.status = "Deleting"

    def check_notebook_references(self, arn: str, params: dict[str, Any], subnet_id: str | None) -> None:
        """What CreateNotebookInstance and UpdateNotebookInstance refuse beyond the model
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateNotebookInstance.html):
        the named lifecycle configuration and code repositories (names, not https:// URLs) must exist, and
        IpAddressType dualstack needs a subnet ("When you specify dualstack, the subnet must support IPv6
        addressing"; the sandbox cannot tell IPv6 subnets, so it refuses only a missing one - AWS's exact
        wording for that case is not published, this message is the sandbox's)."""
        if params.get("LifecycleConfigName"):
            self._lifecycle_config(params["LifecycleConfigName"], "describe")
        additional = params.get("AdditionalCodeRepositories") or []
        for repository in [params.get("DefaultCodeRepository"), *additional]:
            if repository and not repository.startswith("https://"):
                self.describe_code_repository(repository)
        if params.get("IpAddressType") == "dualstack" and not subnet_id:
            raise ValidationError(f"IpAddressType dualstack requires a SubnetId with IPv6 addressing for "
                                  f"Notebook Instance ({arn}).")

    def update_notebook_instance(self, notebook_instance_name: str, changes: dict[str, Any]) -> None:
        """UpdateNotebookInstance: a stopped (or failed) instance is updated, then stopped again."""
        notebook = self.get_notebook_instance(notebook_instance_name)
        if notebook.status not in ("Stopped", "Failed"):
            raise _transition_error(notebook, ["Stopped", "Failed"], "Updating")
        self.check_notebook_references(notebook.arn, changes, notebook.subnet_id)
        volume = changes.get("VolumeSizeInGB")
        if volume is not None and volume < notebook.volume_size_in_gb:
            raise ValidationError(f"Volume size cannot be decreased from {notebook.volume_size_in_gb} GB to "
                                  f"{volume} GB for Notebook Instance ({notebook.arn}).")
        attributes = {
            "InstanceType": "instance_type", "RoleArn": "role_arn", "VolumeSizeInGB": "volume_size_in_gb",
            "LifecycleConfigName": "lifecycle_config_name",
            "DefaultCodeRepository": "default_code_repository",
            "AdditionalCodeRepositories": "additional_code_repositories",
            "AcceleratorTypes": "accelerator_types", "RootAccess": "root_access",
            "IpAddressType": "ip_address_type", "PlatformIdentifier": "platform_identifier",
            "InstanceMetadataServiceConfiguration": "instance_metadata_service_configuration",
        }
        for key, attribute in attributes.items():
            if changes.get(key) is not None:
                notebook.__dict__[attribute] = changes[key]
        disassociations = {
            "DisassociateLifecycleConfig": "lifecycle_config_name",
            "DisassociateDefaultCodeRepository": "default_code_repository",
            "DisassociateAdditionalCodeRepositories": "additional_code_repositories",
            "DisassociateAcceleratorTypes": "accelerator_types",
        }
        for key, attribute in disassociations.items():
            if changes.get(key):
                notebook.__dict__[attribute] = None
        notebook.last_modified_time = utcnow()
        notebook.status = "Updating"

    # lifecycle configurations

    def _lifecycle_config(self, name: str, verb: str) -> FakeSageMakerNotebookInstanceLifecycleConfig:
        if name not in self.notebook_instance_lifecycle_configurations:
            arn = FakeSageMakerNotebookInstanceLifecycleConfig.arn_formatter(name, self.account_id,
                                                                             self.region_name)
            raise ValidationError(f"Unable to {verb} Notebook Instance Lifecycle Config '{arn}'. "
                                  "(Details: Notebook Instance Lifecycle Config does not exist.)")
        return self.notebook_instance_lifecycle_configurations[name]

    @paginate(pagination_model=_PAGINATION)
    def list_notebook_instance_lifecycle_configs(
        self, name_contains: str | None = None, sort_by: str | None = None, sort_order: str | None = None,
        creation_time_after: datetime | None = None, creation_time_before: datetime | None = None,
        last_modified_time_after: datetime | None = None, last_modified_time_before: datetime | None = None,
    ) -> list[FakeSageMakerNotebookInstanceLifecycleConfig]:
        configs = _listed(self.notebook_instance_lifecycle_configurations.values(),
                          lambda c: c.notebook_instance_lifecycle_config_name, name_contains,
                          (creation_time_after, creation_time_before),
                          (last_modified_time_after, last_modified_time_before))
        keys: dict[str, Callable[[Any], Any]] = {
            "Name": lambda c: c.notebook_instance_lifecycle_config_name,
            "LastModifiedTime": lambda c: c.last_modified_time,
        }
        return _sorted(configs, keys.get(sort_by or "", lambda c: c.creation_time), sort_order, "Ascending")

    def update_notebook_instance_lifecycle_config(self, name: str, on_create: list[dict[str, str]] | None,
                                                  on_start: list[dict[str, str]] | None) -> None:
        config = self._lifecycle_config(name, "update")
        if on_create is not None:
            config.on_create = on_create
        if on_start is not None:
            config.on_start = on_start
        config.last_modified_time = utcnow()

    def create_presigned_notebook_instance_url(self, notebook_instance_name: str) -> str:
        notebook = self.get_notebook_instance(notebook_instance_name)
        return f"https://{notebook.url}?authToken={secrets.token_urlsafe(32)}"

    # code repositories

    def create_code_repository(self, name: str, git_config: dict[str, Any],
                               tags: list[dict[str, str]] | None) -> CodeRepository:
        if name in self.code_repositories:
            duplicate_arn = self.code_repositories[name].arn
            raise ValidationError(f"Cannot create a duplicate Code Repository ({duplicate_arn})")
        repository = CodeRepository(name, git_config, tags, self.account_id, self.region_name)
        self.code_repositories[name] = repository
        return repository

    def describe_code_repository(self, name: str) -> CodeRepository:
        if name not in self.code_repositories:
            arn = arn_formatter("code-repository", name, self.account_id, self.region_name)
            raise ValidationError(f"Cannot find Code Repository ({arn})")
        return self.code_repositories[name]

    @paginate(pagination_model=_PAGINATION)
    def list_code_repositories(
        self, name_contains: str | None = None, sort_by: str | None = None, sort_order: str | None = None,
        creation_time_after: datetime | None = None, creation_time_before: datetime | None = None,
        last_modified_time_after: datetime | None = None, last_modified_time_before: datetime | None = None,
    ) -> list[CodeRepository]:
        repositories = _listed(self.code_repositories.values(), lambda r: r.name, name_contains,
                               (creation_time_after, creation_time_before),
                               (last_modified_time_after, last_modified_time_before))
        keys: dict[str, Callable[[Any], Any]] = {
            "CreationTime": lambda r: r.creation_time, "LastModifiedTime": lambda r: r.last_modified_time,
        }
        return _sorted(repositories, keys.get(sort_by or "", lambda r: r.name), sort_order, "Ascending")

    def update_code_repository(self, name: str, git_config: dict[str, Any] | None) -> CodeRepository:
        repository = self.describe_code_repository(name)
        if git_config and git_config.get("SecretArn"):
            repository.git_config = {**repository.git_config, "SecretArn": git_config["SecretArn"]}
        repository.last_modified_time = utcnow()
        return repository

    def delete_code_repository(self, name: str) -> None:
        self.describe_code_repository(name)
        del self.code_repositories[name]

    # Studio: domains and user profiles

    def _sweep_deleted_studio(self) -> None:
        """Forget domains and user profiles whose deletion has finished (reading the status advances it)."""
        for domain_id, domain in list(self.domains.items()):
            if domain.status == "Deleted":
                self.domains.pop(domain_id, None)
        for key, profile in list(self.user_profiles.items()):
            if profile.status == "Deleted":
                self.user_profiles.pop(key, None)

    def create_domain(self, *args: Any, **kwargs: Any) -> dict[str, str]:
        """moto's create; the domain then stays Pending for the transition time, as on AWS."""
        created = cast(dict[str, str], self._moto_create_domain(*args, **kwargs))
        clock = _Transitioning()
        clock._start_clock()
        self.domains[created["DomainArn"].rpartition("/")[2]].__dict__["_sagelab_clock"] = clock
        return created

    def describe_domain(self, domain_id: str) -> dict[str, Any]:
        self._sweep_deleted_studio()
        if domain_id not in self.domains:
            raise ValidationError(message=f"Could not find domain '{domain_id}'.")
        return cast(dict[str, Any], self.domains[domain_id].describe())

    def list_domains(self, *args: Any, **kwargs: Any) -> Any:
        self._sweep_deleted_studio()
        return self._moto_list_domains(*args, **kwargs)

    def _domain(self, domain_id: str) -> Domain:
        self._sweep_deleted_studio()
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Could not find domain '{domain_id}'.")
        return self.domains[domain_id]

    def update_domain(self, domain_id: str, params: dict[str, Any]) -> Domain:
        """UpdateDomain (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html).

        Switching to VpcOnly needs VpcId and SubnetIds in the same call: AWS answers "VpcId and Subnet IDs
        are required for updating domains to VpcOnly mode" (terraform-provider-aws #45528)."""
        domain = self._domain(domain_id)
        if params.get("AppNetworkAccessType") == "VpcOnly" and domain.app_network_access_type != "VpcOnly" \
                and not (params.get("VpcId") and params.get("SubnetIds")):
            raise ValidationError("VpcId and Subnet IDs are required for updating domains to VpcOnly mode")
        domain.default_user_settings = _merged(domain.default_user_settings,
                                               params.get("DefaultUserSettings"))
        domain.default_space_settings = _merged(domain.default_space_settings,
                                                params.get("DefaultSpaceSettings"))
        settings = dict(params.get("DomainSettingsForUpdate") or {})
        rstudio = settings.pop("RStudioServerProDomainSettingsForUpdate", None)
        if rstudio is not None:
            settings["RStudioServerProDomainSettings"] = rstudio
        domain.domain_settings = _merged(domain.domain_settings, settings or None)
        for key, attribute in {"AppSecurityGroupManagement": "app_security_group_management",
                               "SubnetIds": "subnet_ids", "AppNetworkAccessType": "app_network_access_type",
                               "TagPropagation": "tag_propagation", "VpcId": "vpc_id"}.items():
            if params.get(key) is not None:
                domain.__dict__[attribute] = params[key]
        domain.last_modified_time = utcnow()
        clock = _domain_clock(domain)
        if clock is not None:
            clock.start_updating()
        return domain

    def delete_domain(self, domain_id: str, retention_policy: dict[str, str] | None) -> None:
        """AWS refuses to delete a domain that still has apps, spaces or user profiles; one it deletes is
        Deleting for the transition time, then gone."""
        self._sweep_deleted_studio()
        if domain_id not in self.domains:
            raise ValidationError(message=f"Could not find domain '{domain_id}'.")
        arn = self.domains[domain_id].arn
        if self._live_apps(domain_id):
            raise ResourceInUseException(f"Unable to delete Domain [{arn}] because Apps are associated "
                                         "with it.")
        if self._spaces_of(domain_id):
            raise ResourceInUseException(f"Unable to delete Domain [{arn}] because Space(s) are associated "
                                         "with it.")
        if any(key[0] == domain_id for key in self.user_profiles):
            raise ResourceInUseException(f"Unable to delete Domain [{arn}] because "
                                         "UserProfile(s) are associated with it.")
        for key in [key for key in self.studio_apps if key[0] == domain_id]:
            del self.studio_apps[key]
        clock = _domain_clock(self.domains[domain_id])
        if clock is None:
            del self.domains[domain_id]
        elif clock.status != "Deleting":
            clock.start_deleting()

    # Studio: apps and spaces

    def _live_apps(self, domain_id: str, owner: str | None = None) -> list[StudioApp]:
        return [app for app in self.studio_apps.values() if app.domain_id == domain_id
                and (owner is None or app.key[1] == owner) and app.status not in ("Deleted", "Failed")]

    def _spaces_of(self, domain_id: str) -> list[Space]:
        """The domain's spaces; those whose deletion has finished are forgotten."""
        for key, space in list(self.spaces.items()):
            if space.status == "Deleted":
                del self.spaces[key]
        return [space for space in self.spaces.values() if space.domain_id == domain_id]

    def _space(self, domain_id: str, name: str) -> Space:
        self._spaces_of(domain_id)
        if (domain_id, name) not in self.spaces:
            arn = arn_formatter("space", f"{domain_id}/{name}", self.account_id, self.region_name)
            raise ResourceNotFound(f"Space [{arn}] does not exist.")
        return self.spaces[(domain_id, name)]

    def create_space(self, domain_id: str, params: dict[str, Any]) -> Space:
        self._domain(domain_id)
        name = params["SpaceName"]
        self._spaces_of(domain_id)
        if (domain_id, name) in self.spaces:
            raise ResourceInUseException(f"Resource Already Exists: Space with name {name} already exists. "
                                         "Choose a different name.")
        space = self.spaces[(domain_id, name)] = Space(domain_id, params, self.account_id, self.region_name)
        return space

    def delete_space(self, domain_id: str, name: str) -> None:
        space = self._space(domain_id, name)
        if self._live_apps(domain_id, name):
            raise ResourceInUseException(f"Unable to delete Space [{space.arn}] because Apps are associated "
                                         "with it.")
        if space.deleting_since is None:
            space.start_deleting()

    def list_spaces(self, domain_id_equals: str | None) -> list[Space]:
        if domain_id_equals:
            self._domain(domain_id_equals)
        self._spaces_of("")
        return [s for s in self.spaces.values() if not domain_id_equals or s.domain_id == domain_id_equals]

    def create_app(self, params: dict[str, Any]) -> StudioApp:
        domain_id = params["DomainId"]
        self._domain(domain_id)
        if bool(params.get("UserProfileName")) == bool(params.get("SpaceName")):
            raise ValidationError("Exactly one of UserProfileName or SpaceName must be specified.")
        if params.get("UserProfileName"):
            self._user_profile(domain_id, params["UserProfileName"])
        else:
            self._space(domain_id, params["SpaceName"])
        app = StudioApp(domain_id, params, self.account_id, self.region_name)
        current = self.studio_apps.get(app.key)
        if current is not None and current.status not in ("Deleted", "Failed"):
            raise ResourceInUseException(f"Resource Already Exists: App with name {app.app_name} already "
                                         "exists. Choose a different name.")
        self.studio_apps[app.key] = app
        return app

    def describe_app(self, params: dict[str, Any]) -> StudioApp:
        owner = params.get("UserProfileName") or params.get("SpaceName") or ""
        key = (params["DomainId"], owner, params["AppType"].lower(), params["AppName"])
        if key not in self.studio_apps:
            arn = arn_formatter("app", "/".join(key), self.account_id, self.region_name)
            raise ResourceNotFound(f"App [{arn}] does not exist.")
        return self.studio_apps[key]

    def delete_app(self, params: dict[str, Any]) -> None:
        app = self.describe_app(params)
        if app.status in ("Deleting", "Deleted"):
            raise ResourceNotFound(f"App [{app.arn}] does not exist.")  # AWS: already deleted
        app.start_deleting()

    def list_apps(self, params: dict[str, Any]) -> list[StudioApp]:
        if params.get("DomainIdEquals"):
            self._domain(params["DomainIdEquals"])
        apps = [app for app in self.studio_apps.values()
                if (not params.get("DomainIdEquals") or app.domain_id == params["DomainIdEquals"])
                and (not params.get("UserProfileNameEquals")
                     or app.user_profile_name == params["UserProfileNameEquals"])
                and (not params.get("SpaceNameEquals") or app.space_name == params["SpaceNameEquals"])]
        return _sorted(apps, lambda a: a.creation_time, params.get("SortOrder"), "Descending")

    def _user_profile(self, domain_id: str, name: str) -> UserProfile:
        self._sweep_deleted_studio()
        if (domain_id, name) not in self.user_profiles:
            arn = arn_formatter("user-profile", f"{domain_id}/{name}", self.account_id, self.region_name)
            raise ResourceNotFound(f"User profile [{arn}] does not exist.")
        return self.user_profiles[(domain_id, name)]

    def create_user_profile(self, domain_id: str, name: str, params: dict[str, Any]) -> UserProfile:
        domain = self._domain(domain_id)
        if (domain_id, name) in self.user_profiles:
            raise ResourceInUseException(f"Resource Already Exists: UserProfile with name {name} already "
                                         "exists. Choose a different name.")
        has_sso = params.get("SingleSignOnUserIdentifier") is not None
        if domain.auth_mode == "SSO" and not has_sso:
            raise ValidationError("SingleSignOnUserIdentifier is required for a Domain with AuthMode SSO.")
        if domain.auth_mode != "SSO" and (has_sso or params.get("SingleSignOnUserValue") is not None):
            raise ValidationError("SingleSignOnUserIdentifier and SingleSignOnUserValue cannot be specified "
                                  f"for a Domain with AuthMode {domain.auth_mode}.")
        profile = UserProfile(domain_id, name, params, self.account_id, self.region_name)
        self.user_profiles[(domain_id, name)] = profile
        return profile

    def describe_user_profile(self, domain_id: str, name: str) -> UserProfile:
        return self._user_profile(domain_id, name)

    @paginate(pagination_model=_PAGINATION)
    def list_user_profiles(self, domain_id_equals: str | None = None, name_contains: str | None = None,
                           sort_by: str | None = None, sort_order: str | None = None) -> list[UserProfile]:
        self._sweep_deleted_studio()
        profiles = [
            profile for profile in self.user_profiles.values()
            if (not domain_id_equals or profile.domain_id == domain_id_equals)
            and (not name_contains or name_contains in profile.name)
        ]
        attribute = "last_modified_time" if sort_by == "LastModifiedTime" else "creation_time"
        return _sorted(profiles, lambda p: getattr(p, attribute), sort_order, "Ascending")

    def update_user_profile(self, domain_id: str, name: str,
                            user_settings: dict[str, Any] | None) -> UserProfile:
        profile = self._user_profile(domain_id, name)
        profile.user_settings = _merged(profile.user_settings, user_settings)
        profile.last_modified_time = utcnow()
        profile.start_updating()
        return profile

    def delete_user_profile(self, domain_id: str, name: str) -> None:
        profile = self._user_profile(domain_id, name)
        if self._live_apps(domain_id, name):
            raise ResourceInUseException(f"Unable to delete UserProfile [{profile.arn}] because Apps are "
                                         "associated with it.")
        if profile.status != "Deleting":
            profile.start_deleting()

    def create_presigned_domain_url(self, domain_id: str, name: str) -> str:
        """Only IAM domains hand out presigned URLs; SSO users sign in through IAM Identity Center."""
        domain = self._domain(domain_id)
        self._user_profile(domain_id, name)
        if domain.auth_mode != "IAM":
            raise ValidationError(f"CreatePresignedDomainUrl is not supported for Domain {domain_id} with "
                                  f"AuthMode {domain.auth_mode}.")
        token = secrets.token_urlsafe(32)
        return f"https://{domain_id}.studio.{self.region_name}.sagemaker.aws/auth?token={token}"

    # tags

    def _get_resource_from_arn(self, arn: str) -> Any:
        """moto's lookup plus lifecycle configurations, code repositories and the Studio resources (user
        profiles, spaces and apps, whose ARNs have several path parts)."""
        resource_type, _unused, name = arn.split(":", 5)[-1].partition("/")
        resource: Any
        if resource_type == "code-repository":
            resource = self.code_repositories.get(name)
        elif resource_type == "notebook-instance-lifecycle-config":
            resource = self.notebook_instance_lifecycle_configurations.get(name)
        elif resource_type == "user-profile":
            domain_id, _unused, profile = name.partition("/")
            resource = self.user_profiles.get((domain_id, profile))
        elif resource_type == "space":
            domain_id, _unused, space = name.partition("/")
            resource = self.spaces.get((domain_id, space))
        elif resource_type == "app":
            resource = self.studio_apps.get(cast(tuple[str, str, str, str], tuple(name.split("/", 3))))
        else:
            try:
                resource = self._moto_get_resource_from_arn(arn)
            except (AttributeError, ValueError):  # a resource type moto does not tag
                resource = None
        if resource is None:
            raise ValidationError(f"Could not find {resource_type} with name {name}")
        if getattr(resource, "tags", None) is None:
            resource.tags = []  # domains created without tags
        return resource

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        """AddTags overwrites the value of a key that exists (moto appends a duplicate)."""
        resource = self._get_resource_from_arn(arn)
        new = {tag["Key"]: tag for tag in tags}
        resource.tags = [tag for tag in resource.tags if tag["Key"] not in new] + list(new.values())
        return cast(list[dict[str, str]], resource.tags)


# --- SageMaker response handlers -----------------------------------------------------------------

class _SageMakerResponseExtensions(SageMakerResponse):
    """Handlers copied onto moto's SageMakerResponse by patch_moto(): moto dispatches a call to the
    method named after it (UpdateNotebookInstance -> update_notebook_instance). Never instantiated."""

    _moto_create_notebook_instance = SageMakerResponse.create_notebook_instance
    _moto_create_lifecycle_config = SageMakerResponse.create_notebook_instance_lifecycle_config

    @property
    def _sagelab_backend(self) -> _SageMakerBackendExtensions:
        return cast(_SageMakerBackendExtensions, self.sagemaker_backend)

    def _params(self) -> dict[str, Any]:
        """The request's members (checked against botocore's model before any handler runs)."""
        return dict(self.params or {})

    def create_notebook_instance(self) -> ActionResult:
        """moto's create, plus the fields it drops and the defaults AWS fills in."""
        params = self._params()
        name = params["NotebookInstanceName"]
        arn = arn_formatter("notebook-instance", name, self.current_account, self.region)
        self._sagelab_backend.check_notebook_references(arn, params, params.get("SubnetId"))
        result = self._moto_create_notebook_instance()
        notebook = self._sagelab_backend.notebook_instances[params["NotebookInstanceName"]]
        notebook.root_access = params.get("RootAccess") or "Enabled"
        notebook.__dict__.update(
            platform_identifier=params.get("PlatformIdentifier") or "notebook-al2-v2",
            ip_address_type=params.get("IpAddressType") or "ipv4",
            instance_metadata_service_configuration=params.get("InstanceMetadataServiceConfiguration")
            or {"MinimumInstanceMetadataServiceVersion": "1"},
        )
        return result

    def create_notebook_instance_lifecycle_config(self) -> ActionResult:
        """moto's create, plus the Tags it drops (CreateNotebookInstanceLifecycleConfig takes them)."""
        params = self._params()
        result = self._moto_create_lifecycle_config()
        config = self._sagelab_backend.notebook_instance_lifecycle_configurations[
            params["NotebookInstanceLifecycleConfigName"]]
        config.tags = list(params.get("Tags") or [])
        return result

    def update_notebook_instance(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.update_notebook_instance(params.pop("NotebookInstanceName"), params)
        return EmptyResult()

    def list_notebook_instance_lifecycle_configs(self) -> ActionResult:
        params = self._params()
        configs, next_token = self._sagelab_backend.list_notebook_instance_lifecycle_configs(
            **_list_filters(params))
        summaries = [{"NotebookInstanceLifecycleConfigName": c.notebook_instance_lifecycle_config_name,
                      "NotebookInstanceLifecycleConfigArn": c.arn, "CreationTime": c.creation_time,
                      "LastModifiedTime": c.last_modified_time} for c in configs]
        return ActionResult({"NotebookInstanceLifecycleConfigs": summaries, "NextToken": next_token})

    def update_notebook_instance_lifecycle_config(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.update_notebook_instance_lifecycle_config(
            params["NotebookInstanceLifecycleConfigName"], params.get("OnCreate"), params.get("OnStart"))
        return EmptyResult()

    def create_presigned_notebook_instance_url(self) -> ActionResult:
        params = self._params()
        url = self._sagelab_backend.create_presigned_notebook_instance_url(params["NotebookInstanceName"])
        return ActionResult({"AuthorizedUrl": url})

    def create_code_repository(self) -> ActionResult:
        params = self._params()
        repository = self._sagelab_backend.create_code_repository(
            params["CodeRepositoryName"], params["GitConfig"], params.get("Tags"))
        return ActionResult({"CodeRepositoryArn": repository.arn})

    def describe_code_repository(self) -> ActionResult:
        params = self._params()
        repository = self._sagelab_backend.describe_code_repository(params["CodeRepositoryName"])
        return ActionResult(repository.describe())

    def list_code_repositories(self) -> ActionResult:
        params = self._params()
        repositories, next_token = self._sagelab_backend.list_code_repositories(**_list_filters(params))
        return ActionResult({"CodeRepositorySummaryList": [r.describe() for r in repositories],
                             "NextToken": next_token})

    def update_code_repository(self) -> ActionResult:
        params = self._params()
        repository = self._sagelab_backend.update_code_repository(params["CodeRepositoryName"],
                                                                  params.get("GitConfig"))
        return ActionResult({"CodeRepositoryArn": repository.arn})

    def delete_code_repository(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.delete_code_repository(params["CodeRepositoryName"])
        return EmptyResult()

    def update_domain(self) -> ActionResult:
        params = self._params()
        domain = self._sagelab_backend.update_domain(params["DomainId"], params)
        return ActionResult({"DomainArn": domain.arn})

    def create_user_profile(self) -> ActionResult:
        params = self._params()
        profile = self._sagelab_backend.create_user_profile(params["DomainId"], params["UserProfileName"],
                                                            params)
        return ActionResult({"UserProfileArn": profile.arn})

    def describe_user_profile(self) -> ActionResult:
        params = self._params()
        profile = self._sagelab_backend.describe_user_profile(params["DomainId"], params["UserProfileName"])
        return ActionResult(profile.describe())

    def list_user_profiles(self) -> ActionResult:
        params = self._params()
        profiles, next_token = self._sagelab_backend.list_user_profiles(
            domain_id_equals=params.get("DomainIdEquals"),
            name_contains=params.get("UserProfileNameContains"),
            sort_by=params.get("SortBy"), sort_order=params.get("SortOrder"),
            max_results=params.get("MaxResults"), next_token=params.get("NextToken"),
        )
        return ActionResult({"UserProfiles": [p.summary() for p in profiles], "NextToken": next_token})

    def update_user_profile(self) -> ActionResult:
        params = self._params()
        profile = self._sagelab_backend.update_user_profile(params["DomainId"], params["UserProfileName"],
                                                            params.get("UserSettings"))
        return ActionResult({"UserProfileArn": profile.arn})

    def delete_user_profile(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.delete_user_profile(params["DomainId"], params["UserProfileName"])
        return EmptyResult()

    def create_app(self) -> ActionResult:
        app = self._sagelab_backend.create_app(self._params())
        return ActionResult({"AppArn": app.arn})

    def describe_app(self) -> ActionResult:
        return ActionResult(self._sagelab_backend.describe_app(self._params()).describe())

    def delete_app(self) -> ActionResult:
        self._sagelab_backend.delete_app(self._params())
        return EmptyResult()

    def list_apps(self) -> ActionResult:
        apps = self._sagelab_backend.list_apps(self._params())
        return ActionResult({"Apps": [app.summary() for app in apps]})

    def create_space(self) -> ActionResult:
        params = self._params()
        space = self._sagelab_backend.create_space(params["DomainId"], params)
        return ActionResult({"SpaceArn": space.arn})

    def describe_space(self) -> ActionResult:
        params = self._params()
        return ActionResult(self._sagelab_backend._space(params["DomainId"], params["SpaceName"]).describe())

    def delete_space(self) -> ActionResult:
        params = self._params()
        self._sagelab_backend.delete_space(params["DomainId"], params["SpaceName"])
        return EmptyResult()

    def list_spaces(self) -> ActionResult:
        params = self._params()
        spaces = self._sagelab_backend.list_spaces(params.get("DomainIdEquals"))
        return ActionResult({"Spaces": [space.summary() for space in spaces]})

    def create_presigned_domain_url(self) -> ActionResult:
        params = self._params()
        url = self._sagelab_backend.create_presigned_domain_url(params["DomainId"], params["UserProfileName"])
        return ActionResult({"AuthorizedUrl": url})


class _IamResponseExtensions(IamResponse):
    """IAM handlers copied onto moto's IamResponse by patch_moto(). Never instantiated."""

    def list_service_specific_credentials(self) -> ActionResult:
        """No service-specific credentials exist in the sandbox; amazon.aws iam_user state=absent lists
        them before deleting a user. The named user must exist (NoSuchEntity otherwise)."""
        user_name = self._get_param("UserName")
        if user_name:
            self.backend.get_user(user_name)
        return ActionResult({"ServiceSpecificCredentials": []})


# --- Cost Explorer: cost allocation tags (moto has none) -------------------------------------------

_COST_ALLOCATION_TAGS: dict[str, dict[str, dict[str, str]]] = {}  # account -> tag key -> entry
_COST_ALLOCATION_STATUSES = ("Active", "Inactive")
_COST_ALLOCATION_BATCH = 20  # AWS: 1 to 20 entries per UpdateCostAllocationTagsStatus request


class _CostExplorerResponseExtensions(CostExplorerResponse):
    """Cost allocation tag handlers copied onto moto's CostExplorerResponse by patch_moto(): what
    `sagelab cost` activates its tags with. The sandbox keeps the status per account (as AWS keeps it
    per payer account); a tag key it has not seen yet is added when activated (AWS lists only keys
    seen in billing data, which the sandbox has none of)."""

    def update_cost_allocation_tags_status(self) -> str:
        entries = json.loads(self.body or "{}").get("CostAllocationTagsStatus") or []
        if not 1 <= len(entries) <= _COST_ALLOCATION_BATCH:
            raise JsonRESTError("ValidationException", f"1 validation error detected: Value at "
                                f"'costAllocationTagsStatus' failed to satisfy constraint: Member must have "
                                f"length between 1 and {_COST_ALLOCATION_BATCH}")
        bad = [e.get("Status") for e in entries if e.get("Status") not in _COST_ALLOCATION_STATUSES]
        if bad:
            raise JsonRESTError("ValidationException", f"1 validation error detected: Value '{bad[0]}' at "
                                "'costAllocationTagsStatus.member.status' failed to satisfy constraint: "
                                "Member must satisfy enum value set: [Active, Inactive]")
        tags = _COST_ALLOCATION_TAGS.setdefault(self.current_account, {})
        today = utcnow().strftime("%Y-%m-%d")
        for entry in entries:
            found = tags.setdefault(entry["TagKey"], {"TagKey": entry["TagKey"], "Type": "UserDefined",
                                                      "Status": "Inactive", "LastUsedDate": today})
            if found["Status"] != entry["Status"]:  # the same status again changes nothing (as in AWS)
                found.update(Status=entry["Status"], LastUpdatedDate=today)
        return json.dumps({"Errors": []})

    def list_cost_allocation_tags(self) -> str:
        params = json.loads(self.body or "{}")
        wanted = params.get("TagKeys")
        found = [dict(t) for key, t in sorted(_COST_ALLOCATION_TAGS.get(self.current_account, {}).items())
                 if (not wanted or key in wanted) and params.get("Status") in (None, t["Status"])]
        return json.dumps({"CostAllocationTags": found})


# --- patching ------------------------------------------------------------------------------------

_patch_lock = threading.Lock()


def _copy_members(source: type, target: type) -> None:
    for name, member in vars(source).items():
        if not (name.startswith("__") and name.endswith("__")):
            setattr(target, name, member)


def patch_moto() -> None:
    """Add the sandbox's calls and rules to moto's classes, once per process (idempotent), and set the
    notebook status transitions from $SAGELAB_SANDBOX_TRANSITION_SECONDS (re-read on every call)."""
    seconds = transition_seconds()
    transition = {"progression": "time", "seconds": seconds} if seconds else {"progression": "immediate"}
    state_manager.register_default_transition(NOTEBOOK_MODEL, transition)
    with _patch_lock:
        if getattr(SageMakerModelBackend, "_sagelab_patched", False):
            return
        # Models are patched with plain functions: subclassing them would register the subclass in
        # moto's model tracking and CloudFormation resource map.
        notebook_class = cast(Any, FakeSagemakerNotebookInstance)
        notebook_class.status = property(_get_notebook_status, _set_notebook_status)
        notebook_class.start = _notebook_start
        notebook_class.stop = _notebook_stop
        notebook_class.to_dict = _notebook_to_dict
        notebook_class.validate_instance_type = _instance_type_checked_against_model
        cast(Any, Domain).describe = _domain_describe
        cast(Any, Domain).status = property(_get_domain_status, _set_domain_status)
        _copy_members(_SageMakerResponseExtensions, SageMakerResponse)
        _copy_members(_IamResponseExtensions, IamResponse)
        _copy_members(_CostExplorerResponseExtensions, CostExplorerResponse)
        _copy_members(_SageMakerBackendExtensions, SageMakerModelBackend)
        for response_class in (SageMakerResponse, EventBridgeSchedulerResponse):
            cast(Any, response_class).call_action = _validated_call_action
            cast(Any, response_class)._authenticate_and_authorize_normal_action = _authorize_with_passed_roles
        cast(Any, SageMakerModelBackend)._sagelab_patched = True


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


def _classify(environ: dict[str, Any]) -> tuple[str, str, str]:
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


def _error_response(fault: dict[str, Any], protocol: str) -> Response:
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


class SandboxApp:
    """WSGI front of the moto server: the sandbox's endpoints under API_PREFIX, then injected faults,
    then moto (whose /moto-api/ stays reachable).

    GET  ping           {"sandbox": "sagelab", "pid": ...}: tells a live sandbox from anything else
    GET/POST/DELETE faults   list / queue (JSON body, see FaultInjector) / clear injected faults
    POST fail-notebook  {"name", "reason", "region"?, "account"?}: put a notebook instance in Failed
    POST legacy-notebook {"name", "region"?, "account"?}: describe it without IpAddressType, as AWS
                        describes instances made before the field existed
    POST fail-domain    {"domain_id", "reason"?, "region"?, "account"?}: put a Studio domain in Failed
    POST fail-user-profile {"domain_id", "name", "reason"?, ...}: put a user profile in Failed
    """

    def __init__(self, moto_app: Callable[..., Any]) -> None:
        self.moto_app = moto_app
        self.faults = FaultInjector()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(API_PREFIX):
            return self._api(Request(environ), path[len(API_PREFIX):].strip("/"))(environ, start_response)
        if self.faults.active and not path.startswith("/moto-api/"):
            service, operation, protocol = _classify(environ)
            fault = self.faults.take(service, operation)
            if fault:
                return _error_response(fault, protocol)(environ, start_response)
        return self.moto_app(environ, start_response)

    def _api(self, request: Request, name: str) -> Response:
        try:
            if name == "ping" and request.method == "GET":
                return _json_response({"sandbox": "sagelab", "pid": os.getpid()})
            if name == "faults" and request.method == "GET":
                return _json_response({"faults": self.faults.pending()})
            if name == "faults" and request.method == "POST":
                return _json_response(self.faults.add(_json_body(request)), 201)
            if name == "faults" and request.method == "DELETE":
                self.faults.clear()
                return _json_response({"faults": []})
            if name == "fail-notebook" and request.method == "POST":
                return _fail_notebook(_json_body(request))
            if name == "legacy-notebook" and request.method == "POST":
                return _legacy_notebook(_json_body(request))
            if name in ("fail-domain", "fail-user-profile") and request.method == "POST":
                return _fail_studio(name, _json_body(request))
        except ValueError as exc:
            return _json_response({"error": str(exc)}, 400)
        return _json_response({"error": f"no such sandbox endpoint: {request.method} {request.path}"}, 404)


def _json_response(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data), status, content_type="application/json")


def _json_body(request: Request) -> dict[str, Any]:
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


def _legacy_notebook(spec: dict[str, Any]) -> Response:
    notebook = _named_notebook(spec)
    if notebook is None:
        return _json_response({"error": f"no notebook instance named {spec['name']}"}, 404)
    notebook.__dict__.pop("ip_address_type", None)
    return _json_response({"name": spec["name"], "omitted": ["IpAddressType"]})


def _fail_notebook(spec: dict[str, Any]) -> Response:
    """Put a notebook instance in Failed with a FailureReason, as AWS does when e.g. a lifecycle
    script fails; it stays there until started, updated or deleted."""
    notebook = _named_notebook(spec)
    if notebook is None:
        return _json_response({"error": f"no notebook instance named {spec['name']}"}, 404)
    notebook.status = "Failed"
    reason = notebook.__dict__["failure_reason"] = spec.get("reason") or "Notebook Instance failed."
    return _json_response({"name": spec["name"], "status": "Failed", "reason": reason})


def _fail_studio(kind: str, spec: dict[str, Any]) -> Response:
    """Put a domain or a user profile in Failed with a FailureReason (as AWS does when e.g. its EFS or
    network setup fails); it stays there until deleted."""
    if not spec.get("domain_id") or (kind == "fail-user-profile" and not spec.get("name")):
        raise ValueError("domain_id is required" + (" and so is name" if kind == "fail-user-profile" else ""))
    account, region = spec.get("account", DEFAULT_ACCOUNT_ID), spec.get("region", SANDBOX_REGION)
    backend = cast(_SageMakerBackendExtensions, sagemaker_backends[account][region])
    backend._sweep_deleted_studio()
    clock: _Transitioning | None
    if kind == "fail-domain":
        domain = backend.domains.get(spec["domain_id"])
        clock = _domain_clock(domain) if domain is not None else None
    else:
        clock = backend.user_profiles.get((spec["domain_id"], spec["name"]))
    if clock is None:
        return _json_response({"error": f"no such {kind[5:].replace('-', ' ')}"}, 404)
    reason = spec.get("reason") or "Resource failed."
    clock.fail(reason)
    return _json_response({**spec, "status": "Failed", "reason": reason})


# --- serving ------------------------------------------------------------------------------------

def _endpoint_url(port: int, host: str = HOST) -> str:
    return f"http://{host}:{port}"


def _make_server(host: str, port: int) -> BaseWSGIServer:
    patch_moto()
    app = SandboxApp(DomainDispatcherApplication(create_backend_app))
    return make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def serve(host: str = HOST, port: int = 0) -> None:
    """Serve the sandbox until the process ends (port 0: any free port); announce the endpoint on stdout.

    AWS managed policies (AmazonSageMakerFullAccess, ...) are loaded unless the environment says
    otherwise: the book's execution role attaches them.
    """
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    server = _make_server(host, port)
    print(f"{READY_PREFIX}{_endpoint_url(server.server_port, host)}", flush=True)
    server.serve_forever()


@contextmanager
def running(port: int = 0) -> Iterator[str]:
    """An in-process sandbox on a thread, for tests; yields its endpoint URL.

    moto's state and the patches are per process: they are shared with anything else using moto in the
    process. Unlike serve(), AWS managed policies load only if MOTO_IAM_LOAD_MANAGED_POLICIES says so.
    """
    server = _make_server(HOST, port)
    thread = threading.Thread(target=server.serve_forever, name="sagelab-sandbox", daemon=True)
    thread.start()
    try:
        yield _endpoint_url(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
