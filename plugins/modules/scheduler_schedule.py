#!/usr/bin/python
# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: scheduler_schedule
short_description: Manage an Amazon EventBridge Scheduler schedule
version_added: "0.1.0"
description:
  - Creates, updates or deletes an EventBridge Scheduler schedule - a cron, rate or one-time expression,
    in a time zone, that invokes a target (for example SageMaker's StopNotebookInstance through the
    scheduler's universal target C(arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance)).
  - The current schedule is read with GetSchedule and compared option by option; UpdateSchedule is called
    only when something differs, and then with the whole schedule (the API replaces every setting) -
    settings the module does not manage (KMS key, dead-letter queue, other target parameters, action
    after completion) are sent back as they are.
  - Every option is validated before any AWS call (cron fields and ranges, C(?) rules, rate units, time
    zone against the IANA database, ARNs, JSON input), because not every endpoint does it (the sandbox
    accepts almost anything).
  - Schedules themselves carry no tags in the Scheduler API (only schedule groups do).
options:
  name:
    description: Name of the schedule, 1 to 64 letters, digits, C(-), C(_) and C(.).
    type: str
    required: true
  group_name:
    description: The schedule group it belongs to (it must exist); same naming rules as O(name).
    type: str
    default: default
  state:
    description: V(present) creates or updates the schedule, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  schedule_expression:
    description:
      - When the target runs - C(cron(minutes hours day-of-month month day-of-week year)),
        C(rate(value unit)) or C(at(yyyy-mm-ddThh:mm:ss)).
      - "cron: six fields; minutes 0-59, hours 0-23, day-of-month 1-31 (also C(L), C(LW), C(nW)), month
        1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (also C(nL), C(n#k)), year 1970-2199; C(,) C(-) C(*)
        and C(/) where EventBridge allows them; exactly one of day-of-month and day-of-week is C(?)."
      - "rate: a positive whole number and C(minute)/C(hour)/C(day) (singular for 1, plural otherwise)."
      - Required when O(state=present).
    type: str
  schedule_expression_timezone:
    description:
      - IANA time zone the expression is evaluated in, for example C(Europe/Dublin). Checked against the
        IANA database of the machine running the module (Python zoneinfo).
      - Omitted - left as it is (C(UTC) for a new schedule).
    type: str
    aliases: [timezone]
  enabled:
    description: Whether the schedule runs (State C(ENABLED)) or is paused (C(DISABLED)).
    type: bool
    default: true
  description:
    description: Description, at most 512 characters. Omitted - left as it is; V("") removes it.
    type: str
  flexible_time_window:
    description:
      - Minutes (1-1440) within which the target may run after the scheduled time; V(0) - exactly on time
        (Mode C(OFF)).
    type: int
    default: 0
  start_date:
    description:
      - ISO 8601 date and time (for example C(2026-12-01T00:00:00Z); without an offset, UTC) before which a
        recurring schedule does not run. Omitted - left as it is; V("") removes it.
    type: str
  end_date:
    description:
      - ISO 8601 date and time after which a recurring schedule no longer runs. Omitted - left as it is;
        V("") removes it.
    type: str
  target:
    description: What the schedule invokes. Required when O(state=present).
    type: dict
    suboptions:
      arn:
        description:
          - ARN of the target - a service resource (Lambda function, SQS queue, ...) or a universal target
            C(arn:<partition>:scheduler:::aws-sdk:<service>:<apiAction>).
        type: str
        required: true
      role_arn:
        description:
          - ARN of the IAM role the scheduler assumes to invoke the target
            (C(arn:aws:iam::<account>:role/<name>)).
        type: str
        required: true
      input:
        description:
          - "The target's input - a dict or list, sent as JSON, or a string that is valid JSON. For a
            universal target, the API request's parameters, for example
            C({\"NotebookInstanceName\": \"nb\"})."
          - Compared as JSON, not as text (key order and spacing do not matter). Omitted - left as it is.
        type: raw
      retry_policy:
        description:
          - Retries of a failed invocation. Omitted - left as it is (AWS's default for a new one - 185
            attempts within 24 hours).
        type: dict
        suboptions:
          maximum_retry_attempts:
            description: At most this many retries (0-185).
            type: int
            required: true
          maximum_event_age_in_seconds:
            description: Give up retrying an event older than this (60-86400 seconds).
            type: int
            required: true
  validate_only:
    description:
      - Only check the options (expression, time zone, names, ARNs, input, dates) and return, without any
        AWS call - for a playbook's preflight checks. O(target) is not required then.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - sagelab.sagemaker.aws
attributes:
  check_mode:
    support: full
    description: Reports exactly what a real run would change, without any write call to AWS.
  diff_mode:
    support: full
    description: Shows the managed settings before and after.
notes:
  - The role in O(target.role_arn) must trust C(scheduler.amazonaws.com) and may invoke the target.
seealso:
  - name: EventBridge Scheduler schedule types
    description: The cron, rate and one-time expressions, and their time zones.
    link: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
  - name: Universal targets
    description: Calling any AWS API action from a schedule.
    link: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
author:
  - sagelab engineers (@sagelab)
"""

EXAMPLES = r"""
- name: Ensure the notebook instance is stopped at 20:00 on weekdays, Dublin time
  sagelab.sagemaker.scheduler_schedule:
    name: sagelab-alice-stop-weeknight
    schedule_expression: cron(0 20 ? * MON-FRI *)
    schedule_expression_timezone: Europe/Dublin
    description: Stop sagelab-alice at night
    target:
      arn: arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance
      role_arn: arn:aws:iam::123456789012:role/sagelab-notebook-scheduler
      input:
        NotebookInstanceName: sagelab-alice
      retry_policy:
        maximum_retry_attempts: 3
        maximum_event_age_in_seconds: 3600

- name: Pause the schedule (for a night of training)
  sagelab.sagemaker.scheduler_schedule:
    name: sagelab-alice-stop-weeknight
    schedule_expression: cron(0 20 ? * MON-FRI *)
    enabled: false
    target:
      arn: arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance
      role_arn: arn:aws:iam::123456789012:role/sagelab-notebook-scheduler

- name: Check an expression and a time zone without calling AWS
  sagelab.sagemaker.scheduler_schedule:
    name: check
    schedule_expression: cron(0 0/2 ? * SAT,SUN *)
    schedule_expression_timezone: Europe/Dublin
    validate_only: true

- name: Delete the schedule
  sagelab.sagemaker.scheduler_schedule:
    name: sagelab-alice-stop-weeknight
    state: absent
"""

RETURN = r"""
schedule:
  description: The schedule after the run as GetSchedule reports it (snake_case); empty when there is none.
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
      returned: when it exists
      sample: sagelab-alice-stop-weeknight
    group_name:
      description: Schedule group.
      type: str
      returned: when it exists
      sample: default
    arn:
      description: ARN.
      type: str
      returned: when it exists (not for a creation in check mode)
      sample: arn:aws:scheduler:eu-west-1:123456789012:schedule/default/sagelab-alice-stop-weeknight
    schedule_expression:
      description: The expression.
      type: str
      returned: when it exists
      sample: cron(0 20 ? * MON-FRI *)
    schedule_expression_timezone:
      description: Its time zone.
      type: str
      returned: when it exists
      sample: Europe/Dublin
    state:
      description: C(ENABLED) or C(DISABLED).
      type: str
      returned: when it exists
      sample: ENABLED
    flexible_time_window:
      description: C(mode) (C(OFF) or C(FLEXIBLE)) and C(maximum_window_in_minutes).
      type: dict
      returned: when it exists
      sample: {"mode": "OFF"}
    description:
      description: The schedule's description.
      type: str
      returned: when the schedule has one
      sample: Stop sagemaker-book at night
    start_date:
      description: The first time the schedule may run (ISO 8601).
      type: str
      returned: when the schedule has one
      sample: "2026-12-14T00:00:00+00:00"
    end_date:
      description: The last time the schedule may run (ISO 8601).
      type: str
      returned: when the schedule has one
      sample: "2027-03-31T00:00:00+00:00"
    creation_date:
      description: When the schedule was created (ISO 8601).
      type: str
      returned: when the schedule exists
      sample: "2026-12-07T01:12:00+00:00"
    last_modification_date:
      description: When the schedule was last changed (ISO 8601).
      type: str
      returned: when the schedule exists
      sample: "2026-12-07T01:14:00+00:00"
    target:
      description: The target (C(arn), C(role_arn), C(input) as JSON text, C(retry_policy), ...).
      type: dict
      returned: when it exists
      sample: {"arn": "arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance",
               "input": "{\"NotebookInstanceName\": \"sagelab-alice\"}"}
changed_settings:
  description: The options that differed (V(schedule_expression), V(target.input), ...).
  returned: always
  type: list
  elements: str
  sample: [schedule_expression, enabled]
changed:
  description: Whether the schedule was (or in check mode would be) changed.
  returned: always
  type: bool
diff:
  description: The managed settings before and after (empty dicts when the schedule does not exist).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Settings before.
      type: dict
      returned: always
    after:
      description: Settings after.
      type: dict
      returned: always
"""

import json  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils._sagemaker import (  # noqa: E402
    Resource,
    to_result,
)

SERVICE = "scheduler"


def parse_date(option, value):
    """An aware datetime (UTC when no offset is given) of an ISO 8601 string; ValueError with a message."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{option}: {value!r} is not allowed; allowed: an ISO 8601 date and time such as "
                         "2026-12-01T00:00:00Z, or \"\" to remove it") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_input(value):
    """The target input as a JSON value (dict, list, ...); ValueError with a message."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"target.input: {value!r} is not allowed: not valid JSON ({exc}); allowed: a "
                             "dict or list (sent as JSON) or a JSON string") from None
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise ValueError(f"target.input: {value!r} cannot be written as JSON") from None
    return value


def validate(params):
    error = rules.first(rules.schedule_name("name", params["name"]),
                        rules.schedule_name("group_name", params["group_name"]))
    if error:
        return error
    present = params["state"] == "present"
    if present and not params["schedule_expression"]:
        return "schedule_expression is required with state=present"
    error = rules.first(
        params["schedule_expression"] and rules.schedule_expression("schedule_expression",
                                                                    params["schedule_expression"]),
        params["schedule_expression_timezone"] is not None
        and rules.timezone("schedule_expression_timezone", params["schedule_expression_timezone"]))
    if error:
        return error
    if params["description"] and len(params["description"]) > 512:
        return f"description: {len(params['description'])} characters; allowed: at most 512"
    window = params["flexible_time_window"]
    if not 0 <= window <= 1440:
        return f"flexible_time_window: {window} is not allowed; allowed: 0 (off) or 1 to 1440 minutes"
    try:
        dates = {o: parse_date(o, params[o]) for o in ("start_date", "end_date") if params[o]}
    except ValueError as exc:
        return str(exc)
    if len(dates) == 2 and dates["start_date"] >= dates["end_date"]:
        return f"end_date: {params['end_date']!r} is not allowed; allowed: a time after start_date"
    target = params["target"]
    if target is None:
        if present and not params["validate_only"]:
            return "target is required with state=present"
        return None
    error = rules.first(rules.target_arn("target.arn", target["arn"]),
                        rules.role_arn("target.role_arn", target["role_arn"], max_length=1600))
    if error:
        return error
    if target["input"] is not None:
        try:
            parse_input(target["input"])
        except ValueError as exc:
            return str(exc)
    retry = target["retry_policy"]
    if retry:
        if not 0 <= retry["maximum_retry_attempts"] <= 185:
            return (f"target.retry_policy.maximum_retry_attempts: {retry['maximum_retry_attempts']} is not "
                    "allowed; allowed: 0 to 185")
        if not 60 <= retry["maximum_event_age_in_seconds"] <= 86400:
            age = retry["maximum_event_age_in_seconds"]
            return (f"target.retry_policy.maximum_event_age_in_seconds: {age} is not allowed; "
                    "allowed: 60 to 86400")
    return None


# --- comparison ---------------------------------------------------------------------------------------

def _iso(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    return parse_date("date", str(value)).astimezone(UTC).isoformat()


def _json_or_text(text):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def flexible_minutes(window):
    return (window.get("MaximumWindowInMinutes") or 0) if window.get("Mode") == "FLEXIBLE" else 0


def view(described):
    """The settings the module manages, of a GetSchedule result (or {} when there is none)."""
    if not described:
        return {}
    target = described.get("Target") or {}
    window = described.get("FlexibleTimeWindow") or {}
    retry = target.get("RetryPolicy")
    return {
        "schedule_expression": described.get("ScheduleExpression"),
        "schedule_expression_timezone": described.get("ScheduleExpressionTimezone") or "UTC",
        "enabled": (described.get("State") or "ENABLED") == "ENABLED",
        "description": described.get("Description") or "",
        "flexible_time_window": flexible_minutes(window),
        "start_date": _iso(described.get("StartDate")),
        "end_date": _iso(described.get("EndDate")),
        "target.arn": target.get("Arn"),
        "target.role_arn": target.get("RoleArn"),
        "target.input": _json_or_text(target.get("Input")),
        "target.retry_policy": {"maximum_retry_attempts": retry.get("MaximumRetryAttempts"),
                                "maximum_event_age_in_seconds": retry.get("MaximumEventAgeInSeconds")}
        if retry else None,
    }


def wanted_view(params, before):
    """The settings after the run: the options given, the current values of those omitted."""
    target = params["target"]
    new = not before

    def keep(key, value, default=None):
        if value is not None:
            return value
        return default if new else before.get(key)

    def date(key):
        value = params[key]
        return keep(key, None) if value is None else _iso(value)  # "" removes it

    return {
        "schedule_expression": params["schedule_expression"].strip(),
        "schedule_expression_timezone": keep("schedule_expression_timezone",
                                             params["schedule_expression_timezone"], "UTC"),
        "enabled": params["enabled"],
        "description": keep("description", params["description"], ""),
        "flexible_time_window": params["flexible_time_window"],
        "start_date": date("start_date"),
        "end_date": date("end_date"),
        "target.arn": target["arn"],
        "target.role_arn": target["role_arn"],
        "target.input": keep("target.input",
                             None if target["input"] is None else parse_input(target["input"])),
        "target.retry_policy": keep("target.retry_policy",
                                    target["retry_policy"] and dict(target["retry_policy"])),
    }


def request_of(params, after, described):
    """The whole CreateSchedule/UpdateSchedule request: the managed settings, and everything else the
    current schedule has (UpdateSchedule replaces the schedule)."""
    described = described or {}
    target = dict(described.get("Target") or {})  # DeadLetterConfig, SqsParameters, ... kept as they are
    target.update(Arn=after["target.arn"], RoleArn=after["target.role_arn"])
    if params["target"]["input"] is not None:  # else the current input, as it is
        target["Input"] = json.dumps(after["target.input"], separators=(",", ":"))
    retry = after["target.retry_policy"]
    if retry:
        target["RetryPolicy"] = {"MaximumRetryAttempts": retry["maximum_retry_attempts"],
                                 "MaximumEventAgeInSeconds": retry["maximum_event_age_in_seconds"]}
    window = after["flexible_time_window"]
    request = {
        "Name": params["name"],
        "GroupName": params["group_name"],
        "ScheduleExpression": after["schedule_expression"],
        "ScheduleExpressionTimezone": after["schedule_expression_timezone"],
        "State": "ENABLED" if after["enabled"] else "DISABLED",
        "Description": after["description"],
        "FlexibleTimeWindow": ({"Mode": "FLEXIBLE", "MaximumWindowInMinutes": window} if window
                               else {"Mode": "OFF"}),
        "Target": target,
    }
    for key, api_key in (("start_date", "StartDate"), ("end_date", "EndDate")):
        if after[key]:
            request[api_key] = datetime.fromisoformat(after[key])
    for api_key in ("KmsKeyArn", "ActionAfterCompletion"):  # not managed here: kept as they are
        if described.get(api_key):
            request[api_key] = described[api_key]
    return request


# --- AWS ----------------------------------------------------------------------------------------------

class Schedule(Resource):
    """Reads the schedule, compares the managed settings, plans and applies (EventBridge Scheduler)."""

    kind = "schedule"

    @property
    def label(self):
        return f"{self.params['group_name']}/{self.name}"

    def describe(self):
        return self.read("get_schedule", service=SERVICE, Name=self.name, GroupName=self.params["group_name"])

    def ensure(self):
        params = self.params
        described = self.describe()
        before = view(described)
        if params["state"] == "absent":
            if described:
                self.act("delete_schedule", service=SERVICE, Name=self.name, GroupName=params["group_name"])
            return self.result(before, {}, changed_settings=[], schedule={})
        existed = described is not None
        after = wanted_view(params, before)
        changed = [key for key in after if not existed or after[key] != before.get(key)]
        request = request_of(params, after, described)
        if changed:
            self.act("update_schedule" if existed else "create_schedule", service=SERVICE, **request)
        if self.wrote:
            described = self.describe()
        if described and (not changed or self.wrote):
            schedule = to_result(described)
        else:  # a creation or an update in check mode: the schedule as the request makes it
            schedule = to_result({k: v for k, v in request.items() if k not in ("StartDate", "EndDate")})
        return self.result(before, after, changed_settings=changed if existed else [], schedule=schedule)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            group_name=dict(type="str", default="default"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            schedule_expression=dict(type="str"),
            schedule_expression_timezone=dict(type="str", aliases=["timezone"]),
            enabled=dict(type="bool", default=True),
            description=dict(type="str"),
            flexible_time_window=dict(type="int", default=0),
            start_date=dict(type="str"),
            end_date=dict(type="str"),
            target=dict(type="dict", options=dict(
                arn=dict(type="str", required=True),
                role_arn=dict(type="str", required=True),
                input=dict(type="raw"),
                retry_policy=dict(type="dict", options=dict(
                    maximum_retry_attempts=dict(type="int", required=True),
                    maximum_event_age_in_seconds=dict(type="int", required=True),
                )),
            )),
            validate_only=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    error = validate(module.params)
    if error:
        module.fail_json(msg=error)
    if module.params["validate_only"]:
        module.exit_json(changed=False, changed_settings=[], schedule={})
    Schedule.run(module)


if __name__ == "__main__":
    main()
