"""Night and weekend stop against the embedded AWS sandbox, for real: the scheduler_schedule module runs
through `ansible-playbook` (a test's runs in one play, the schedule read between them with the AWS CLI),
the cost_controls role through `ansible-playbook playbooks/schedule.yml`.

moto's EventBridge Scheduler accepts almost anything, so the module validates expressions, time zones,
ARNs and input itself: refusals are checked to make no AWS call at all. Write calls are counted with
moto's request recorder (REST-JSON: the operation is read from the method and path).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import (
    Played,
    assert_refused_before_any_call,
    assert_stopped_in_preflight,
    preflight_refusals,
    recorded_play,
    recording,
    run_playbook,
    unique,
    writes,
)

ACCOUNT = "123456789012"
REGION = "eu-west-1"
MODULE = "sagelab.sagemaker.scheduler_schedule"
TAGS = {"Owner": "alice", "Project": "sagelab", "CostCenter": "cc-4711", "ManagedBy": "sagelab"}
STOP_ARN = "arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagelab-test-scheduler"


class Sandbox:
    def __init__(self, endpoint_url: str, env: dict[str, str]) -> None:
        self.url = endpoint_url
        self.env = env
        kwargs = dict(endpoint_url=endpoint_url, region_name=REGION, aws_access_key_id="testing",
                      aws_secret_access_key="testing",
                      config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
        self.scheduler = boto3.client("scheduler", **kwargs)
        self.iam = boto3.client("iam", **kwargs)
        self.sm = boto3.client("sagemaker", **kwargs)

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        with recording(self.url) as operations:
            yield operations

    def batch(self, tasks: list[tuple], folder: Any) -> Played:
        """Module runs in one ansible-playbook run: each task's result, AWS operations and duration."""
        return recorded_play(tasks, folder, self.url, env=self.env)

    def get_task(self, name: str) -> tuple:
        """A task reading the schedule between module runs, with the AWS CLI (read it with got())."""
        return ("ansible.builtin.command", {"argv": ["aws", "scheduler", "get-schedule", "--name", name,
                                                     "--endpoint-url", self.url, "--region", REGION,
                                                     "--output", "json"]})

    @staticmethod
    def got(result: dict) -> dict | None:
        """The schedule a get_task() read, None when there was none."""
        if result.get("rc"):
            assert "ResourceNotFoundException" in result["stderr"], result
            return None
        return json.loads(result["stdout"])

    def schedule(self, name: str, group: str = "default") -> dict | None:
        try:
            return self.scheduler.get_schedule(Name=name, GroupName=group)
        except self.scheduler.exceptions.ResourceNotFoundException:
            return None


@pytest.fixture(scope="module")
def aws(sandbox: Any) -> Sandbox:
    return Sandbox(sandbox.endpoint_url, sandbox.env)


def stop_args(name: str, instance: str = "nb-one", **extra: Any) -> dict:
    return {"name": name, "schedule_expression": "cron(0 20 ? * MON-FRI *)",
            "schedule_expression_timezone": "Europe/Dublin", "description": "Stop at night",
            "target": {"arn": STOP_ARN, "role_arn": ROLE_ARN, "input": {"NotebookInstanceName": instance},
                       "retry_policy": {"maximum_retry_attempts": 3, "maximum_event_age_in_seconds": 3600}},
            **extra}


# --- scheduler_schedule ---------------------------------------------------------------------------------

def test_schedule_create_idempotence_check_mode_update_and_delete(aws, tmp_path):
    name = unique("stop")
    args = stop_args(name)
    # present again, the input as JSON text with other spacing and key order: nothing to do
    text_input = {**args, "target": {**args["target"], "input": '{ "NotebookInstanceName" : "nb-one" }'}}
    change = stop_args(name, instance="nb-two", schedule_expression="cron(30 19 ? * MON-THU *)",
                       enabled=False)
    # omitted options are left as they are
    minimal = {"name": name, "schedule_expression": "cron(30 19 ? * MON-THU *)", "enabled": False,
               "target": {"arn": STOP_ARN, "role_arn": ROLE_ARN}}
    absent = {"name": name, "state": "absent"}
    played = aws.batch([(MODULE, args), aws.get_task(name), (MODULE, text_input),
                        (MODULE, change, {"check_mode": True, "diff": True}), aws.get_task(name),
                        (MODULE, change), aws.get_task(name), (MODULE, minimal), (MODULE, absent),
                        aws.get_task(name), (MODULE, absent)], tmp_path)
    created, first, again, checked, after_check, updated, second, untouched, deleted, after_delete, gone = \
        played.results
    calls = played.calls

    assert created["changed"] is True, created
    assert writes(calls[0]) == ["CreateSchedule"], calls[0]
    got = aws.got(first)
    assert (got["ScheduleExpression"], got["ScheduleExpressionTimezone"]) == \
        ("cron(0 20 ? * MON-FRI *)", "Europe/Dublin")
    assert (got["State"], got["Description"]) == ("ENABLED", "Stop at night")
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert (got["Target"]["Arn"], got["Target"]["RoleArn"]) == (STOP_ARN, ROLE_ARN)
    assert json.loads(got["Target"]["Input"]) == {"NotebookInstanceName": "nb-one"}
    assert got["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    assert created["schedule"]["arn"] == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{name}"

    assert again["changed"] is False and again["changed_settings"] == [], again
    assert calls[2] and writes(calls[2]) == [], calls[2]

    assert checked["changed"] is True
    assert sorted(checked["changed_settings"]) == ["enabled", "schedule_expression", "target.input"]
    assert checked["diff"]["before"]["target.input"] == {"NotebookInstanceName": "nb-one"}
    assert checked["diff"]["after"]["target.input"] == {"NotebookInstanceName": "nb-two"}
    assert writes(calls[3]) == [], calls[3]
    assert aws.got(after_check)["State"] == "ENABLED"

    assert updated["changed"] is True and writes(calls[5]) == ["UpdateSchedule"], calls[5]
    got = aws.got(second)
    assert (got["ScheduleExpression"], got["State"]) == ("cron(30 19 ? * MON-THU *)", "DISABLED")
    assert json.loads(got["Target"]["Input"]) == {"NotebookInstanceName": "nb-two"}
    # UpdateSchedule replaces the whole schedule: what was not changed is sent again
    assert (got["ScheduleExpressionTimezone"], got["Description"]) == ("Europe/Dublin", "Stop at night")
    assert got["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}

    assert untouched["changed"] is False and writes(calls[7]) == [], untouched

    assert deleted["changed"] is True and writes(calls[8]) == ["DeleteSchedule"]
    assert aws.got(after_delete) is None
    assert gone["changed"] is False and not gone.get("failed") and writes(calls[10]) == []
    assert aws.schedule(name) is None


def test_schedule_window_dates_and_description_removal(aws, tmp_path):
    name = unique("win")
    args = stop_args(name, schedule_expression="rate(2 hours)", flexible_time_window=15,
                     end_date="2099-01-01T00:00:00Z")
    played = aws.batch([(MODULE, args), aws.get_task(name),
                        (MODULE, {**args, "end_date": "2099-01-01T01:00:00+01:00"}),  # the same instant
                        (MODULE, {**args, "description": "", "end_date": "", "flexible_time_window": 0})],
                       tmp_path)
    created, first, same, cleared = played.results
    assert created["changed"] is True, created
    got = aws.got(first)
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    end = datetime.fromtimestamp(got["EndDate"], UTC)  # the AWS CLI gives the Scheduler's times as numbers
    assert end.isoformat().startswith("2099-01-01T00:00:00"), end
    assert same["changed"] is False and not same.get("failed") and writes(played.calls[2]) == [], same

    assert sorted(cleared["changed_settings"]) == ["description", "end_date", "flexible_time_window"]
    got = aws.schedule(name)
    assert not got.get("Description") and not got.get("EndDate")
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    aws.scheduler.delete_schedule(Name=name)


ONE_DAY_FIELD = "exactly one of day-of-month and day-of-week must be ?"
BAD = [
    ({"schedule_expression": "cron(0 20 * * MON-FRI *)"}, ONE_DAY_FIELD),
    ({"schedule_expression": "cron(0 20 ? * ? *)"}, ONE_DAY_FIELD),
    ({"schedule_expression": "cron(0 20 ? * MON-FRI)"}, "cron needs six fields, 5 given"),
    ({"schedule_expression": "cron(0 25 ? * MON-FRI *)"}, "hours value 25 is out of range 0-23"),
    ({"schedule_expression": "cron(0 20 ? * MON-FRX *)"}, "day-of-week value 'FRX' is not a number or name"),
    ({"schedule_expression": "cron(0 20 ? 13 MON *)"}, "month value 13 is out of range 1-12"),
    ({"schedule_expression": "cron(0 ? ? * MON *)"}, "hours field '?': ? is only allowed alone"),
    ({"schedule_expression": "rate(1 hours)"}, "rate unit 'hours' for 1"),
    ({"schedule_expression": "every day at 8"}, "it is not cron(...), rate(...) or at(...)"),
    ({"schedule_expression": "at(2026-02-30T10:00:00)"}, "is not a date and time"),
    ({"schedule_expression_timezone": "Europe/Atlantis"}, "schedule_expression_timezone: 'Europe/Atlantis'"),
    ({"target": {"arn": "arn:aws:scheduler:::aws-sdk:sagemaker", "role_arn": ROLE_ARN}}, "target.arn:"),
    ({"target": {"arn": STOP_ARN, "role_arn": "sagelab-scheduler"}}, "target.role_arn: 'sagelab-scheduler'"),
    ({"target": {"arn": STOP_ARN, "role_arn": ROLE_ARN, "input": "{NotebookInstanceName: nb}"}},
     "target.input: '{NotebookInstanceName: nb}' is not allowed: not valid JSON"),
    ({"target": {"arn": STOP_ARN, "role_arn": ROLE_ARN,
                 "retry_policy": {"maximum_retry_attempts": 200, "maximum_event_age_in_seconds": 60}}},
     "maximum_retry_attempts: 200 is not allowed; allowed: 0 to 185"),
    ({"name": "night stop"}, "name: 'night stop' is not allowed"),
    ({"start_date": "2099-02-01T00:00:00Z", "end_date": "2099-01-01T00:00:00Z"},
     "allowed: a time after start_date"),
    ({"end_date": "next week"}, "end_date: 'next week' is not allowed"),
]


@pytest.fixture(scope="module")
def refusals(aws: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[str]]:
    """Every BAD case in one ansible-playbook run (one task per case): the results, and the AWS calls."""
    tasks = [{"name": f"case {i}", MODULE: {**stop_args(unique("bad")), **override}, "ignore_errors": True}
             for i, (override, _unused) in enumerate(BAD)]
    playbook = tmp_path_factory.mktemp("refusals") / "refusals.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                                     "tasks": tasks}]))
    with aws.recording() as calls:
        run = run_playbook(str(playbook), env=aws.env)
    results = [task["hosts"]["localhost"] for task in run.data["plays"][0]["tasks"]]
    assert len(results) == len(BAD), run.stdout[-2000:]
    return results, calls


@pytest.mark.parametrize("case", range(len(BAD)), ids=[m[:40] for _unused, m in BAD])
def test_bad_input_is_refused_before_any_call(refusals, case):
    results, calls = refusals
    refused, message = results[case], BAD[case][1]
    assert refused.get("failed") is True and message in refused["msg"], refused
    assert "allowed" in refused["msg"] and "Traceback" not in json.dumps(refused)
    assert calls == [], calls  # not a single AWS call, for any of them


# --- the cost_controls role, through playbooks/schedule.yml -------------------------------------------------

def converge(aws: Sandbox, **extra: Any) -> Any:
    """The sandbox's keys and region, but no AWS_ENDPOINT_URL: the playbook must pass the endpoint itself."""
    env = {k: v for k, v in aws.env.items() if k != "AWS_ENDPOINT_URL"}
    return run_playbook("playbooks/schedule.yml", env=env,
                        extra_vars={"sagelab_aws_endpoint_url": aws.url, "sagelab_aws_region": REGION,
                                    "sagelab_tags": TAGS, **extra})


def test_playbook_converges_with_a_least_privilege_role_and_is_idempotent(aws):
    instances = [unique("Nb-Alice"), unique("nb-bob")]
    role = unique("sagelab-scheduler")
    extra = {"cost_controls_notebook_instances": instances, "cost_controls_role_name": role}

    first = converge(aws, **extra)
    assert first.rc == 0, first.stdout[-3000:] + first.stderr[-3000:]
    for instance in instances:
        night, weekend = aws.schedule(f"{instance}-stop-weeknight"), aws.schedule(f"{instance}-stop-weekend")
        assert (night["ScheduleExpression"], weekend["ScheduleExpression"]) == \
            ("cron(0 20 ? * MON-FRI *)", "cron(0 0/2 ? * SAT,SUN *)")
        for schedule in (night, weekend):
            assert (schedule["ScheduleExpressionTimezone"], schedule["State"]) == ("Europe/Dublin", "ENABLED")
            assert schedule["Target"]["Arn"] == STOP_ARN
            assert schedule["Target"]["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{role}"
            assert json.loads(schedule["Target"]["Input"]) == {"NotebookInstanceName": instance}
        assert aws.schedule(f"{instance}-start-morning") is None  # the morning start is off by default

    got = aws.iam.get_role(RoleName=role)["Role"]
    trust = got["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert {t["Key"]: t["Value"] for t in got.get("Tags", [])} == TAGS
    policy = aws.iam.get_role_policy(RoleName=role, PolicyName="sagelab-notebook-schedule")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    (allow,) = policy["Statement"]
    assert allow["Action"] == ["sagemaker:StopNotebookInstance"]
    assert sorted(allow["Resource"]) == sorted(
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name.lower()}" for name in instances)
    assert aws.iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []

    with aws.recording() as calls:
        second = converge(aws, **extra)
    assert second.rc == 0 and second.stats["localhost"]["changed"] == 0, second.changed_tasks()
    assert "GetSchedule" in calls and writes(calls) == [], calls


BAD_PLAYBOOK_INPUT = [
    ({"cost_controls_weeknight_stop": "cron(0 20 * * MON-FRI *)"},
     "cost_controls_weeknight_stop: 'cron(0 20 * * MON-FRI *)' is not allowed: exactly one of day-of-month"),
    ({"cost_controls_timezone": "Europe/Paris-ish"},
     "cost_controls_timezone: 'Europe/Paris-ish' is not allowed; allowed: an IANA time zone"),
    ({"cost_controls_notebook_instances": ["bad_name!"]},
     "cost_controls_notebook_instances: ['bad_name!'] is not allowed"),
    ({"sagelab_tags": {"Owner": "alice", "Project": "sagelab", "ManagedBy": "sagelab"}},
     "untagged resources are refused"),
]


@pytest.fixture(scope="module")
def playbook_refusals(aws: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[str], Any]:
    """Every BAD_PLAYBOOK_INPUT case through playbooks/schedule.yml's preflight play, in one run
    (tests.conftest.preflight_refusals), and the first case through the whole playbook: the refusals by case
    index, the AWS calls both runs made, the whole run."""
    base = {"sagelab_aws_endpoint_url": aws.url, "sagelab_aws_region": REGION, "sagelab_tags": TAGS,
            "cost_controls_notebook_instances": ["nb-x"]}
    cases = {str(i): {**base, **extra} for i, (extra, _unused) in enumerate(BAD_PLAYBOOK_INPUT)}
    env = {k: v for k, v in aws.env.items() if k != "AWS_ENDPOINT_URL"}
    with aws.recording() as calls:
        refusals = preflight_refusals("playbooks/schedule.yml", cases, tmp_path_factory.mktemp("refusals"),
                                      env=env)
        whole = converge(aws, **{"cost_controls_notebook_instances": ["nb-x"], **BAD_PLAYBOOK_INPUT[0][0]})
    return refusals, calls, whole


@pytest.mark.parametrize(("extra", "message"), BAD_PLAYBOOK_INPUT)
def test_playbook_refuses_bad_input_before_any_call(playbook_refusals, extra, message):
    refusals, calls, _unused = playbook_refusals
    assert_refused_before_any_call(refusals, BAD_PLAYBOOK_INPUT, (extra, message), calls)


def test_a_refusal_stops_the_whole_playbook_before_any_call(playbook_refusals):
    _unused, calls, whole = playbook_refusals
    assert_stopped_in_preflight(whole, BAD_PLAYBOOK_INPUT[0][1],
                                "Check the schedules' input before anything changes", calls)
