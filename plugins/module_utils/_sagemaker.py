# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Code shared by sagelab's SageMaker modules (private: the leading underscore).

- SageMakerApi: one boto3 client per service, every call retried on throttling and transient errors
  with amazon.aws's AWSRetry.jittered_backoff, and every AWS error turned into fail_json with AWS's own
  code and message (no traceback).
- Deadline / wait_for: polling with a timeout shared by all the waits of one module run.
- Tags: read as a dict, compared with amazon.aws's compare_aws_tags, set as a difference.
- Small helpers for validation messages and results (snake_case, datetimes as ISO strings).
"""

from __future__ import annotations

import os
import time

try:
    import botocore
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports a missing boto3/botocore itself
    botocore = None
    BotoCoreError = ClientError = Exception

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

AWS_ERRORS = (BotoCoreError, ClientError)

# Error codes retried besides those AWSRetry always retries (RequestLimitExceeded, Throttling,
# ServiceUnavailable, InternalFailure, ...). SageMaker throttles with ThrottlingException.
RETRY_CODES = [
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailableException",
]
DEFAULT_MAX_ATTEMPTS = 10  # AWSRetry's default
RETRY_DELAY = 1.0  # first backoff ceiling (s); doubles per attempt (full jitter), up to RETRY_MAX_DELAY
RETRY_MAX_DELAY = 20.0


def max_attempts(profile=None):
    """How many times a call is tried: the AWS SDK setting max_attempts (AWS_MAX_ATTEMPTS or the
    profile's max_attempts), else DEFAULT_MAX_ATTEMPTS."""
    value = os.environ.get("AWS_MAX_ATTEMPTS")
    if not value and botocore is not None:
        try:
            value = botocore.session.Session(profile=profile).get_config_variable("max_attempts")
        except Exception:  # an unknown profile: boto3 says so when the client is made
            value = None
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_MAX_ATTEMPTS


def aws_error(exc):
    """(code, message) of a botocore exception."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return error.get("Code", "Unknown"), error.get("Message", str(exc))
    return type(exc).__name__, str(exc)


# What a read call answers for a resource that does not exist: operation -> (error code, words of the
# message, or None when the code alone says it). Where botocore's service model (the API reference's
# "Errors" section) lists a not-found error, its code decides. SageMaker's older Describe* calls list no
# error at all and answer a missing resource with a ValidationException: only their message tells it from
# bad input, so for them the words AWS writes are matched (the same words terraform-provider-aws matches:
# internal/service/sagemaker, "RecordNotFound", "Cannot find CodeRepository", "Could not find endpoint").
NOT_FOUND = {
    # API_DescribeDomain / API_DescribeUserProfile / API_DescribeApp / API_DescribeSpace: ResourceNotFound
    "describe_domain": ("ResourceNotFound", None),
    "describe_user_profile": ("ResourceNotFound", None),
    "describe_app": ("ResourceNotFound", None),
    "describe_space": ("ResourceNotFound", None),
    # EventBridge Scheduler API_GetSchedule: ResourceNotFoundException
    "get_schedule": ("ResourceNotFoundException", None),
    # API_DescribeNotebookInstance lists no errors; AWS: ValidationException "RecordNotFound"
    "describe_notebook_instance": ("ValidationException", "RecordNotFound"),
    # API_DescribeNotebookInstanceLifecycleConfig lists no errors; AWS: ValidationException "Unable to
    # describe Notebook Instance Lifecycle Config '<arn>'. (Details: ... does not exist.)"
    "describe_notebook_instance_lifecycle_config": ("ValidationException", "does not exist"),
    # API_DescribeCodeRepository lists no errors; AWS: ValidationException "Cannot find CodeRepository ..."
    "describe_code_repository": ("ValidationException", "Cannot find CodeRepository"),
    # API_DescribeEndpoint / EndpointConfig / Model list no errors; AWS: 'Could not find endpoint "<arn>".'
    "describe_endpoint": ("ValidationException", "Could not find endpoint"),
    "describe_endpoint_config": ("ValidationException", "Could not find endpoint configuration"),
    "describe_model": ("ValidationException", "Could not find model"),
}


def is_not_found(exc, operation):
    """Whether exc is what operation (a read call of NOT_FOUND) answers for a resource that does not exist."""
    if not isinstance(exc, ClientError):
        return False
    wanted_code, words = NOT_FOUND[operation]
    code, message = aws_error(exc)
    return code == wanted_code and (words is None or words in message)


class SageMakerApi:
    """Boto3 clients for one module run; every call retried and its errors reported cleanly."""

    def __init__(self, module):
        self.module = module
        self.attempts = max_attempts(module.params.get("profile"))
        self._clients = {}

    def client(self, service="sagemaker"):
        if service not in self._clients:
            retry = AWSRetry.jittered_backoff(retries=self.attempts, delay=RETRY_DELAY,
                                              max_delay=RETRY_MAX_DELAY, catch_extra_error_codes=RETRY_CODES)
            # botocore's own retries are off: AWSRetry does the retrying, so attempts do not multiply
            config = Config(retries={"mode": "standard", "total_max_attempts": 1})
            self._clients[service] = self.module.client(service, retry_decorator=retry, config=config)
        return self._clients[service]

    def call(self, operation, service="sagemaker", **params):
        """client.<operation>(**params) with retries; fail_json on an AWS error."""
        try:
            result = getattr(self.client(service), operation)(aws_retry=True, **params)
        except (BotoCoreError, ClientError) as exc:
            self.fail(exc, operation)
        result.pop("ResponseMetadata", None)
        return result

    def describe(self, operation, service="sagemaker", **params):
        """A read call's result (Describe*, GetSchedule), or None when the resource does not exist: the
        answer NOT_FOUND lists for the operation."""
        try:
            result = getattr(self.client(service), operation)(aws_retry=True, **params)
        except (BotoCoreError, ClientError) as exc:
            if is_not_found(exc, operation):
                return None
            self.fail(exc, operation)
        result.pop("ResponseMetadata", None)
        return result

    def paginate(self, operation, key, service="sagemaker", **params):
        """Every item of a paginated List* call (NextToken), each page retried."""
        items, token = [], None
        while True:
            page = self.call(operation, service=service, **params, **({"NextToken": token} if token else {}))
            items.extend(page.get(key) or [])
            token = page.get("NextToken")
            if not token:
                return items

    def fail(self, exc, operation, suffix="", **extra):
        code, message = aws_error(exc)
        what = _words(operation)
        if code in RETRY_CODES or AWSRetry.found(code):
            message = f"{message} (gave up after {self.attempts} attempts; AWS_MAX_ATTEMPTS sets how many)"
        if isinstance(exc, ClientError):
            msg = f"Could not {what}: {code}: {message}"
        else:
            msg = f"Could not {what}: {message}"
        self.module.fail_json(msg=msg + suffix, **extra,
                              error={"code": code, "message": message, "operation": operation})

    def account_partition(self):
        """(account id, partition) of the caller, from STS GetCallerIdentity."""
        identity = self.call("get_caller_identity", service="sts")
        return identity["Account"], identity["Arn"].split(":")[1]

    # tags

    def tags(self, arn):
        return boto3_tag_list_to_ansible_dict(self.paginate("list_tags", "Tags", ResourceArn=arn))

    def set_tags(self, arn, to_set, to_unset):
        if to_unset:
            self.call("delete_tags", ResourceArn=arn, TagKeys=to_unset)
        if to_set:
            self.call("add_tags", ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))


def _words(operation):
    """describe_notebook_instance -> 'describe notebook instance' (for messages)."""
    return operation.replace("_", " ")


def tag_changes(current, wanted, purge):
    """(to_set, to_unset) to turn tags current into wanted (None: leave tags alone)."""
    if wanted is None:
        return {}, []
    wanted = {str(k): str(v) for k, v in wanted.items()}
    return compare_aws_tags(current or {}, wanted, purge_tags=purge)


def tags_after(current, to_set, to_unset):
    tags = {k: v for k, v in (current or {}).items() if k not in to_unset}
    tags.update(to_set)
    return tags


class Deadline:
    """The time one module run may spend waiting (wait_timeout), shared by all its waits."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self):
        return max(0.0, self.end - time.monotonic())


class Resource:
    """The one shape of sagelab's AWS modules: each resource class reads (read: the describe, None when the
    resource is absent), plans and applies through act() - every write call recorded in self.actions, and
    only recorded in check mode - waits with wait() on one deadline shared by the whole run, and ends with
    result(): changed (a write was made, or in check mode would be), the before/after diff in diff mode and
    the module's own fields. A subclass says what it manages (kind, and the name in diff headers) and
    whether its RETURN documents the actions (report_actions); ensure() returns the module's result."""

    kind = "resource"  # for diff headers: "<kind> <label>"
    report_actions = False  # True when the module's RETURN documents `actions` (then the diff names them)
    # settle(): the statuses AWS moves the resource out of by itself, where its status is, where it settles
    transitional = ()
    status_key = "Status"
    settled = "InService"
    unsettled = None  # the transitional status check mode or wait: false went on from (settle())

    def __init__(self, module, api):
        self.module = module
        self.api = api
        self.params = module.params
        self.name = module.params.get("name")
        self.deadline = Deadline(module.params.get("wait_timeout") or 0)
        self.actions = []

    @classmethod
    def run(cls, module):
        """exit_json with the result of ensure() (main() validates the input first)."""
        module.exit_json(**cls(module, SageMakerApi(module)).ensure())

    def ensure(self):
        raise NotImplementedError

    @property
    def label(self):
        return self.name

    @property
    def wrote(self):
        """Whether the run made a write call (not check mode): what it returns is then described again."""
        return bool(self.actions) and not self.module.check_mode

    # reading

    def read(self, operation, service="sagemaker", **params):
        """The Describe*/Get* result, or None when the resource does not exist (SageMakerApi.describe)."""
        return self.api.describe(operation, service=service, **params)

    # writing

    def before_write(self, action):
        """Called before every write act() records; a subclass may refuse the write (fail_json) here."""

    def act(self, operation, action=None, service="sagemaker", **params):
        """A write call: recorded in self.actions as action (by default the API's name of the operation,
        CreateDomain for create_domain), skipped in check mode. The call's result, {} in check mode."""
        action = action or "".join(word.capitalize() for word in operation.split("_"))
        self.before_write(action)
        self.actions.append(action)
        if self.module.check_mode:
            return {}
        return self.api.call(operation, service=service, **params)

    def set_tags(self, arn, to_set, to_unset):
        """Tags set as a difference (DeleteTags, AddTags), recorded like every write. Not subject to
        before_write: AWS tags a SageMaker resource in any status."""
        if to_unset:
            self.actions.append("DeleteTags")
        if to_set:
            self.actions.append("AddTags")
        if (to_set or to_unset) and not self.module.check_mode:
            self.api.set_tags(arn, to_set, to_unset)

    # a resource AWS is moving from one status to another

    def settle(self, described):
        """The resource once it is out of a transitional status (transitional; None: it went away) -
        waited for (wait_out), unless check mode or wait: false: they go on at once from the status it is in
        (self.unsettled), check mode with a warning, and refuse_unsettled() refuses any write of wait: false.
        status_key names the status in the description; settled the status a transition ends in."""
        self.unsettled = None
        status = described.get(self.status_key) if described else None
        if status not in self.transitional:
            return described
        if self.module.check_mode or not self.params.get("wait"):
            self.unsettled = status
            if self.module.check_mode:
                self.module.warn(f"{self.title} is {status}: check mode did not wait; a real run waits until "
                                 f"it is {self.settles_to(status)} first")
            return described
        if status == "Deleting":
            self.wait_out(described, gone=True)
            return None
        return self.wait_out(described) or described

    def settles_to(self, status):
        return "gone" if status == "Deleting" else self.settled

    def wait_out(self, described, gone=False):
        """Wait (needed: whatever wait says) until the resource is settled, or gone; the last description."""
        raise NotImplementedError

    def refuse_unsettled(self, action, described):
        """wait: false on a resource AWS does not change in its status: fail, naming the status and action,
        before any write (refusal_fields: what the failure adds). Check mode goes on: it only plans."""
        if self.unsettled and not self.module.check_mode:
            self.module.fail_json(
                msg=(f"{self.title} is {self.unsettled}: AWS takes {action} only once it is "
                     f"{self.settles_to(self.unsettled)}; wait: false does not wait - run again later, or "
                     "with wait: true"),
                **self.progress(), **self.refusal_fields(described))

    def refusal_fields(self, described):
        """The resource's own fields of a refusal's result (refuse_unsettled)."""
        del described
        return {}

    @property
    def title(self):
        """How a message names the resource: "<Kind> <name>"."""
        return f"{self.kind[:1].upper()}{self.kind[1:]} {self.name}"

    # waiting

    def wait(self, fetch, done, what, needed=False):
        """Poll fetch() until done(result) (wait_for, on the run's deadline) when the run waits (wait: true,
        or the next step needs it: needed); never in check mode. The last result, None when not waited."""
        if self.module.check_mode or not (needed or self.params.get("wait")):
            return None
        return wait_for(self.module, fetch, done, self.deadline, what, **self.progress())

    def progress(self):
        """What a failure after some writes adds to its result (changed, and the actions when reported)."""
        if self.report_actions:
            return {"changed": bool(self.actions), "actions": self.actions}
        return {"changed": bool(self.actions)}

    # the result

    def diff(self, before, after):
        header = f"{self.kind} {self.label}"
        done = f" ({', '.join(self.actions)})" if self.report_actions and self.actions else ""
        return {"before": before or {}, "after": after or {}, "before_header": header,
                "after_header": header + done}

    def result(self, before, after, **fields):
        """The module's result: changed, the actions (when reported), the fields, the diff in diff mode."""
        result = dict(self.progress(), **fields)
        if self.module._diff:
            result["diff"] = self.diff(before, after)
        return result


def new_tags(tags):
    """The tags option of a resource being created, as strings ({} when none)."""
    return {str(k): str(v) for k, v in (tags or {}).items()}


def wait_for(module, fetch, done, deadline, what, first_delay=0.5, max_delay=15.0, **fail_extra):
    """Poll fetch() until done(result) is true; fail_json when the deadline passes.

    done(result) may itself call fail_json (e.g. a notebook instance that went to Failed). The delay
    between polls grows from first_delay to max_delay (AWS transitions take minutes, the sandbox's
    seconds). Returns the last result; fail_extra goes into the result of a timeout.
    """
    delay = first_delay
    while True:
        result = fetch()
        if done(result):
            return result
        remaining = deadline.remaining()
        if remaining <= 0:
            module.fail_json(msg=f"Timed out after {deadline.seconds} s (wait_timeout) waiting for "
                             f"{what(result)}", timed_out=True, **fail_extra)
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, max_delay)


def to_result(described, tags=None):
    """A Describe* result as Ansible returns it: snake_case keys, ISO datetimes, tags as a dict."""
    if not described:
        return {}
    result = camel_dict_to_snake_dict(normalize_boto3_result(described))
    if tags is not None:
        result["tags"] = tags
    return result


# --- shared by the Studio modules (sagemaker_domain, sagemaker_user_profile and their _info) ----------

# the statuses of a domain or user profile (DescribeDomain / DescribeUserProfile Status)
STUDIO_TRANSITIONAL = ("Pending", "Updating", "Deleting")
STUDIO_FAILED = ("Failed", "Update_Failed", "Delete_Failed")


def same_role(current_arn, wanted):
    """Whether a role option (name or ARN) names the current role ARN. Role names are unique in an account,
    so a name matches the last part of the ARN; an ARN must match exactly."""
    if wanted is None or not current_arn:
        return wanted is None
    if wanted.startswith("arn:"):
        return wanted == current_arn
    return current_arn.split(":role/", 1)[-1].rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]


def resolve_role(api, role):
    """An ARN for a role name, in the caller's account and partition (STS GetCallerIdentity)."""
    if role is None or role.startswith("arn:"):
        return role
    account, partition = api.account_partition()
    return f"arn:{partition}:iam::{account}:role/{role}"


def find_domains(api):
    """Summaries (ListDomains) of every Studio domain in the region."""
    return api.paginate("list_domains", "Domains")


def domain_describe(api, domain_id):
    """DescribeDomain, or None when the domain does not exist (ResourceNotFound)."""
    return api.describe("describe_domain", DomainId=domain_id)


def resolve_domain(api, domain_id=None, domain_name=None):
    """The summary of the domain given by ID or name, or None when there is none."""
    for domain in find_domains(api):
        if (domain_id and domain["DomainId"] == domain_id) or \
                (domain_name and domain["DomainName"] == domain_name):
            return domain
    return None
