"""IAM in the sandbox: iam:PassRole and role existence for the roles a request passes to a service (when
moto's IAM enforcement is on), and the IAM calls moto lacks (ListServiceSpecificCredentials)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult, create_access_key
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.sagemaker.responses import SageMakerResponse
from moto.scheduler.responses import EventBridgeSchedulerResponse

from sagelab.sandbox.common import copy_members
from sagelab.sandbox.validation import request_params

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
    principal, roles = passed_roles(service, operation, request_params(response, service, operation))
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


class _IamResponseExtensions(IamResponse):
    """IAM handlers copied onto moto's IamResponse by patch_moto(). Never instantiated."""

    def list_service_specific_credentials(self) -> ActionResult:
        """No service-specific credentials exist in the sandbox; amazon.aws iam_user state=absent lists
        them before deleting a user. The named user must exist (NoSuchEntity otherwise:
        https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListServiceSpecificCredentials.html)."""
        user_name = self._get_param("UserName")
        if user_name:
            self.backend.get_user(user_name)
        return ActionResult({"ServiceSpecificCredentials": []})


def patch() -> None:
    """Attach the IAM additions to moto's classes (called once, by server.patch_moto()): the IAM calls,
    and the iam:PassRole check on the response classes of VALIDATED_SERVICES."""
    copy_members(_IamResponseExtensions, IamResponse)
    for response_class in (SageMakerResponse, EventBridgeSchedulerResponse):
        cast(Any, response_class)._authenticate_and_authorize_normal_action = _authorize_with_passed_roles
