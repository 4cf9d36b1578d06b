"""Every input rule of plugins/module_utils/_validators.py, in-process: accepted and refused values with
the exact messages sagelab prints; the modules' validate() built on them (notebook instance, scheduler
schedule); the scheduler's pure comparison helpers (view, wanted_view, request_of); and a guard that a
rule's pattern is written only once in the tree. Milliseconds, no sandbox, no subprocess."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from tests.conftest import REPO

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.sagelab.sagemaker.plugins.filter import notebook_instance as nb_filter  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _notebook_input  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.module_utils import _validators as rules  # noqa: E402
from ansible_collections.sagelab.sagemaker.plugins.modules import scheduler_schedule as schedule  # noqa: E402

ROLE_ARN = "arn:aws:iam::123456789012:role/sagelab-sagemaker-execution"
STOP_ARN = "arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance"
NAME_HELP = "1 to 63 ASCII letters, digits and hyphens, starting and ending with a letter or digit"


# --- names and identifiers ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["a", "sagelab-alice", "A1--b2", "n" * 63])
def test_sagemaker_name_accepts(value):
    assert rules.sagemaker_name("name", value) is None


@pytest.mark.parametrize("value", ["", None, "-a", "a-", "bad_name!", "a.b", "n" * 64])
def test_sagemaker_name_refuses(value):
    assert rules.sagemaker_name("name", value) == f"name: {value!r} is not allowed; allowed: {NAME_HELP}"


def test_sagemaker_name_empty_detaches_when_allowed():
    assert rules.sagemaker_name("lifecycle_config_name", "", allow_empty=True) is None
    assert rules.sagemaker_name("lifecycle_config_name", "a_b", allow_empty=True) == (
        f"lifecycle_config_name: 'a_b' is not allowed; allowed: empty (to detach) or {NAME_HELP}")


@pytest.mark.parametrize("value", [None, ROLE_ARN, "arn:aws-cn:iam::123456789012:role/path/r",
                                   "arn:aws-us-gov:iam::123456789012:role/r", "sagelab-role", "team/role"])
def test_role_accepts_an_arn_or_a_name(value):
    assert rules.role("role", value) is None


@pytest.mark.parametrize("value", ["arn:aws:iam::12345:role/r", "arn:aws:iam::123456789012:user/u",
                                   "arn:aws:s3:::bucket", "has space", "/leading", "trailing/"])
def test_role_refuses(value):
    assert rules.role("execution_role", value) == (
        f"execution_role: {value!r} is not allowed; allowed: an IAM role ARN "
        "(arn:aws:iam::123456789012:role/NAME) or a role name")


def test_role_arn_refuses_a_name_and_too_long_arns():
    assert rules.role_arn("target.role_arn", ROLE_ARN) is None
    assert rules.role_arn("target.role_arn", "sagelab-scheduler") == (
        "target.role_arn: 'sagelab-scheduler' is not allowed; allowed: an IAM role ARN "
        "arn:aws:iam::<12-digit account>:role/<name>")
    long_arn = "arn:aws:iam::123456789012:role/" + "r" * 1600
    assert rules.role_arn("r", long_arn) is None
    assert rules.role_arn("r", long_arn, max_length=1600).startswith("r: 'arn:aws:iam::123456789012:role/rrr")
    assert rules.role_arn("r", "") is not None


@pytest.mark.parametrize(("value", "max_length", "ok"), [
    ("sagelab-scheduler", 64, True), ("a+b=c,d.e@f_g-h", 64, True), ("r" * 64, 64, True),
    ("r" * 65, 64, False), ("r" * 128, 128, True), ("", 64, False), ("has space", 64, False),
    ("slash/no", 64, False), (5, 64, False),
])
def test_iam_name(value, max_length, ok):
    message = rules.iam_name("cost_controls_role_name", value, max_length)
    assert (message is None) is ok
    if not ok:
        assert message == (f"cost_controls_role_name: {value!r} is not allowed; allowed: 1 to {max_length} "
                           "letters, digits and +=,.@_- characters")


@pytest.mark.parametrize(("kind", "example"), [
    ("subnet", "subnet-0abc1234"), ("security group", "sg-0abc1234"), ("VPC", "vpc-0abc1234")])
def test_aws_ids(kind, example):
    assert rules.aws_id("id", example, kind) is None
    assert rules.aws_id("id", "x" * 33, kind) == (
        f"id: {'x' * 33!r} is not allowed; allowed: a {kind} ID such as {example}")
    assert rules.aws_id("id", "sg_1", kind) is not None
    assert rules.aws_id("id", None, kind) is not None


def test_domain_id():
    assert rules.domain_id("domain_id", "d-abcdefghijkl") is None
    for bad in ("D-UPPER", "abc", "d-", "", None):
        assert rules.domain_id("domain_id", bad) == (
            f"domain_id: {bad!r} is not allowed; allowed: a Studio domain ID such as d-abcdefghijkl")


@pytest.mark.parametrize("value", [None, "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/sagelab",
                                   "arn:aws:kms:eu-west-1:123456789012:key/1234abcd"])
def test_kms_key_accepts(value):
    assert rules.kms_key("kms_key_id", value) is None


def test_kms_key_refuses():
    assert rules.kms_key("kms_key_id", "key with space") == (
        "kms_key_id: 'key with space' is not allowed; allowed: a KMS key ID, key ARN, alias name or "
        "alias ARN")
    assert rules.kms_key("kms_key_id", "k" * 2049) is not None


def test_secret_arn():
    assert rules.secret_arn("secret_arn", None) is None
    assert rules.secret_arn("secret_arn", "") is None
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:git-x"
    assert rules.secret_arn("secret_arn", secret) is None
    assert rules.secret_arn("secret_arn", "git-token") == (
        "secret_arn: 'git-token' is not allowed; allowed: a Secrets Manager secret ARN such as "
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:NAME")
    assert rules.secret_arn("secret_arn", "arn:aws:kms:eu-west-1:123456789012:secret:x") is not None


def test_repository_url():
    assert rules.repository_url("repository_url", None) is None
    assert rules.repository_url("repository_url", "https://github.com/aws/amazon-sagemaker-examples") is None
    for bad in ("git@github.com:aws/x.git", "http://github.com/aws/x", "https://a/b",
                "https://h/" + "x" * 1020):
        assert rules.repository_url("repository_url", bad) == (
            f"repository_url: {bad!r} is not allowed; allowed: an https:// URL of a Git repository "
            "(SSH URLs such as git@host:repo are not supported by SageMaker)")


@pytest.mark.parametrize(("value", "ok"), [
    (STOP_ARN, True), ("arn:aws:lambda:eu-west-1:123456789012:function:stop", True),
    ("arn:aws:scheduler:::aws-sdk:sagemaker", False), ("arn:aws:scheduler:::aws-sdk:sagemaker:Stop", False),
    ("not-an-arn", False), ("arn:aws:lambda:eu-west-1:12345:function:f", False),
    ("arn:aws:lambda:eu-west-1:123456789012:function:" + "f" * 1600, False),
])
def test_target_arn(value, ok):
    message = rules.target_arn("target.arn", value)
    assert (message is None) is ok
    if not ok:
        assert message.startswith(f"target.arn: {value!r} is not allowed; allowed: an ARN such as ")


# --- botocore's enums ------------------------------------------------------------------------------------

def test_instance_type_is_botocore_enum():
    types = rules.model_choices("InstanceType")
    assert "ml.t3.medium" in types and len(types) > 50
    assert rules.instance_type("instance_type", "ml.t3.medium") is None
    assert rules.instance_type("instance_type", None) is None
    message = rules.instance_type("instance_type", "ml.t3.tiny")
    assert message.startswith(f"instance_type: 'ml.t3.tiny' is not allowed; allowed: a notebook instance "
                              f"type, one of the {len(types)} types in botocore's SageMaker model, "
                              "e.g. ml.t3.")
    assert "ml.t3.medium" in message
    assert message.endswith("e.g. ml.t3.medium, ml.m5.xlarge") is False
    assert rules.instance_type("instance_type", "t3.medium").endswith("e.g. ml.t3.medium, ml.m5.xlarge")


def test_platform_identifiers_from_the_model_pattern():
    platforms = rules.model_choices("PlatformIdentifier", pattern=True)
    assert "notebook-al2-v2" in platforms and all(p.startswith("notebook-al") for p in platforms)


# --- the connection to AWS -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["eu-west-1", "us-east-1", "us-gov-west-1", "us-isob-east-1",
                                   "ap-southeast-4"])
def test_region_accepts(value):
    assert rules.region("aws_region", value) is None


@pytest.mark.parametrize("value", ["mars-north-1a", "EU-WEST-1", "eu-west", "", None, "eu west 1"])
def test_region_refuses(value):
    assert rules.region("s3_bucket_aws_region (sagelab_aws_region)", value) == (
        f"s3_bucket_aws_region (sagelab_aws_region): {value!r} is not allowed; allowed: an AWS region name "
        "such as eu-west-1 or us-east-1")


def test_endpoint_url():
    for ok in ("", None, "http://127.0.0.1:5000", "https://sagemaker.eu-west-1.amazonaws.com/",
               "https://proxy.example/aws"):
        assert rules.endpoint_url("endpoint_url", ok) is None
    for bad in ("127.0.0.1:5000", "ftp://host", "http://", "http://a b"):
        assert rules.endpoint_url("endpoint_url", bad) == (
            f"endpoint_url: {bad!r} is not allowed; allowed: empty (real AWS) or an http(s) URL such as "
            "http://127.0.0.1:5000 (the sandbox)")


def test_profile():
    for ok in ("", None, "default", "sagelab", "team.lab_1", "alice@corp", "a+b"):
        assert rules.profile("aws_profile", ok) is None
    for bad in ("has space", "a/b", "[x]"):
        assert rules.profile("aws_profile", bad) == (
            f"aws_profile: {bad!r} is not allowed; allowed: empty (the default credential chain) or a "
            "profile name of letters, digits and '_.@+-'")
    assert rules.profile("aws_cli_profile", "", required=True) == (
        "aws_cli_profile: '' is not allowed; allowed: a profile name of letters, digits and '_.@+-'")
    assert rules.RULES["profile_name"]("aws_cli_profile", "sagemaker") is None


# --- tags ------------------------------------------------------------------------------------------------

def test_tags_at_the_limits_are_accepted():
    at_limit = {f"k{i}": "v" for i in range(49)} | {"k" * 128: "v" * 256}
    assert len(at_limit) == 50
    assert rules.tags(at_limit) is None
    assert rules.tags({"Owner": ""}) is None
    assert rules.tags(None) is None


@pytest.mark.parametrize(("value", "message"), [
    ({f"k{i}": "v" for i in range(51)}, "tags: 51 tags given; allowed: at most 50"),
    ({"k" * 129: "v"}, f"tags: key {'k' * 129!r} is not allowed; allowed: 1 to 128 characters"),
    ({"": "v"}, "tags: key '' is not allowed; allowed: 1 to 128 characters"),
    ({"aws:team": "x"}, "tags: key 'aws:team' is not allowed; keys starting with 'aws:' are reserved by AWS"),
    ({"AWS:team": "x"}, "tags: key 'AWS:team' is not allowed; keys starting with 'aws:' are reserved by AWS"),
    ({"Owner": "o" * 257},
     f"tags: value {'o' * 257!r} of Owner is not allowed; allowed: a string of up to 256 characters"),
    ({"Owner": None}, "tags: value None of Owner is not allowed; allowed: a string of up to 256 characters"),
    (["Owner"], "tags: ['Owner'] is not allowed; allowed: a mapping of tag keys to values"),
])
def test_tags_refused(value, message):
    assert rules.tags(value) == message


@pytest.mark.parametrize("value", [None, {}])
def test_a_tag_selector_needs_at_least_one_tag(value):
    assert rules.tag_selector(value) == (
        "tags: no tags given; allowed: a mapping with at least one tag, e.g. {ManagedBy: sagelab}")


def test_a_tag_selector_follows_the_tag_rules():
    assert rules.tag_selector({"ManagedBy": "sagelab"}) is None
    assert rules.tag_selector({"aws:x": "1"}) == rules.tags({"aws:x": "1"})


def test_tags_name_the_variable_and_can_be_required():
    assert rules.tags(None, "studio_tags (sagelab_tags)", required=True) == (
        "studio_tags (sagelab_tags): None is not allowed; allowed: a mapping of tag keys to values")
    assert rules.tags({"aws:x": "1"}, "s3_bucket_tags (sagelab_tags)", required=True) == (
        "s3_bucket_tags (sagelab_tags): key 'aws:x' is not allowed; keys starting with 'aws:' are "
        "reserved by AWS")
    assert rules.tags({"Owner": "alice"}, required=True) is None
    assert rules.tags("Owner=alice", "sagelab_tags", required=True) == (
        "sagelab_tags: 'Owner=alice' is not allowed; allowed: a mapping of tag keys to values")


# --- EventBridge Scheduler: names, expressions, time zones ------------------------------------------------

def test_schedule_name():
    assert rules.schedule_name("name", "sagelab-nb-stop-weeknight") is None
    assert rules.schedule_name("group_name", "a.b_c-1") is None
    for bad in ("night stop", "", None, "n" * 65):
        assert rules.schedule_name("name", bad) == (
            f"name: {bad!r} is not allowed; allowed: 1 to 64 letters, digits, '-', '_' and '.'")


@pytest.mark.parametrize("expression", [
    "cron(0 20 ? * MON-FRI *)", "cron(0 8 1 * ? *)", "cron(*/15 9-17 ? * 2-6 2026-2030)",
    "cron(0 0 L * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)", "cron(0 0 ? * 6L *)",
    "cron(0 0 ? * FRI#3 *)", "cron(0 0 ? * L *)", "cron(0,30 1,13 ? JAN,JUL SUN *)", "cron(5/10 * ? * * *)",
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(2 days)",
    "at(2026-12-24T18:00:00)", "  cron(0 20 ? * MON-FRI *)  ",
])
def test_schedule_expression_accepts(expression):
    assert rules.schedule_expression("schedule_expression", expression) is None


@pytest.mark.parametrize(("expression", "why"), [
    ("cron(0 20 * * MON-FRI *)", "exactly one of day-of-month and day-of-week must be ? (EventBridge allows "
                                 "neither both set nor both ?)"),
    ("cron(0 20 ? * ? *)", "exactly one of day-of-month and day-of-week must be ?"),
    ("cron(0 20 ? * MON-FRI)", "cron needs six fields, 5 given"),
    ("cron(0 25 ? * MON-FRI *)", "hours value 25 is out of range 0-23"),
    ("cron(60 1 ? * MON *)", "minutes value 60 is out of range 0-59"),
    ("cron(0 20 ? * MON-FRX *)", "day-of-week value 'FRX' is not a number or name (1-7 or SUN-SAT)"),
    ("cron(0 20 ? 13 MON *)", "month value 13 is out of range 1-12"),
    ("cron(0 20 ? FOO MON *)", "month value 'FOO' is not a number or name (1-12 or JAN-DEC)"),
    ("cron(0 0 1 * ? 1969)", "year value 1969 is out of range 1970-2199"),
    ("cron(0 ? ? * MON *)", "hours field '?': ? is only allowed alone, in day-of-month or day-of-week"),
    ("cron(0 0 ? * MON/2 *)", "day-of-week field 'MON/2': / is not allowed in day-of-week"),
    ("cron(*/0 0 ? * MON *)", "minutes field '*/0': the increment after / must be a positive number"),
    ("cron(1,,2 0 ? * MON *)", "minutes field '1,,2' has an empty list item"),
    ("cron(0 0 L,5 * ? *)", "day-of-month field 'L,5': L and W cannot be used in a list"),
    ("cron(0 0 ? * FRI#6 *)", "day-of-week field 'FRI#6': the week after # must be 1-5"),
    ("cron(0 0 32W * ? *)", "day-of-month value 32 is out of range 1-31"),
    ("rate(1 hours)", "rate unit 'hours' for 1: use minute, hour, day (e.g. rate(1 minute))"),
    ("rate(5 minute)", "rate unit 'minute' for 5: use minutes, hours, days (e.g. rate(5 minutes))"),
    ("rate(0 minutes)", "rate needs a positive whole number and a unit"),
    ("rate(five minutes)", "rate needs a positive whole number and a unit"),
    ("every day at 8", "it is not cron(...), rate(...) or at(...)"),
    ("at(2026-02-30T10:00:00)", "at(2026-02-30T10:00:00) is not a date and time yyyy-mm-ddThh:mm:ss"),
])
def test_schedule_expression_refuses(expression, why):
    message = rules.schedule_expression("schedule_expression", expression)
    assert message.startswith(f"schedule_expression: {expression!r} is not allowed: {why}")
    assert message.endswith(rules.EXPRESSION_HELP)


def test_timezone():
    assert rules.timezone("tz", "Europe/Dublin") is None
    assert rules.timezone("tz", "UTC") is None
    for bad in ("Europe/Atlantis", "Europe/Paris-ish", "", None):
        assert rules.timezone("cost_controls_timezone", bad) == (
            f"cost_controls_timezone: {bad!r} is not allowed; allowed: an IANA time zone name such as "
            "Europe/Dublin, America/New_York or UTC")


def test_list_rules_check_every_item():
    assert rules.RULES["subnet_ids"]("studio_subnet_ids", ["subnet-1", "subnet-2"]) is None
    assert rules.RULES["subnet_ids"]("studio_subnet_ids", ["subnet-1", "bad id"]) == (
        "studio_subnet_ids: 'bad id' is not allowed; allowed: a subnet ID such as subnet-0abc1234")
    assert rules.RULES["security_group_ids"]("g", "sg-1") == "g: 'sg-1' is not allowed; allowed: a list"
    assert rules.RULES["sagemaker_names"]("studio_user_profiles", ["alice", "bob_b"]).startswith(
        "studio_user_profiles: 'bob_b' is not allowed; allowed: 1 to 63")
    assert rules.RULES["sagemaker_names"]("p", []) is None


def test_first_returns_the_first_message():
    assert rules.first(None, False, "b", "c") == "b"
    assert rules.first(None, None) is None


# --- the modules' validate() on top of the rules -----------------------------------------------------------

def nb_params(**given):
    return {**dict.fromkeys(nb_filter.OPTIONS), "wait_timeout": 0, "name": "nb", **given}


@pytest.mark.parametrize(("given", "message"), [
    ({}, None),
    ({"name": "bad_name!"}, f"name: 'bad_name!' is not allowed; allowed: {NAME_HELP}"),
    ({"role": "arn:aws:iam::1:role/x"}, "role: 'arn:aws:iam::1:role/x' is not allowed; allowed: an IAM role "
                                        "ARN (arn:aws:iam::123456789012:role/NAME) or a role name"),
    ({"subnet_id": "subnet 1"}, "subnet_id: 'subnet 1' is not allowed; allowed: a subnet ID such as "
                                "subnet-0abc1234"),
    ({"security_group_ids": ["sg-1", "sg 2"]}, "security_group_ids: 'sg 2' is not allowed; allowed: a "
                                               "security group ID such as sg-0abc1234"),
    ({"security_group_ids": [f"sg-{i}" for i in range(6)]}, "security_group_ids: 6 groups given; allowed: at "
                                                            "most 5"),
    ({"kms_key_id": "k k"}, "kms_key_id: 'k k' is not allowed; allowed: a KMS key ID, key ARN, alias name or "
                            "alias ARN"),
    ({"volume_size": 2}, "volume_size: 2 is not allowed; allowed: 5 to 16384 (GB)"),
    ({"lifecycle_config_name": ""}, None),
    ({"tags": {"aws:x": "1"}},
     "tags: key 'aws:x' is not allowed; keys starting with 'aws:' are reserved by AWS"),
])
def test_notebook_instance_validate(given, message):
    assert _notebook_input.validate(nb_params(**given)) == message


def test_notebook_instance_problems_names_the_role_variable():
    assert nb_filter.notebook_instance_problems({"name": "nb", "instance_type": "ml.t3.tiny"},
                                                "notebook_instance_")[0].startswith(
        "notebook_instance_type: 'ml.t3.tiny' is not allowed; allowed: a notebook instance type, one of the")
    assert nb_filter.notebook_instance_problems({"name": "nb", "volume_size": "10"}) == []


def sched_params(**given):
    params = {"name": "stop", "group_name": "default", "state": "present",
              "schedule_expression": "cron(0 20 ? * MON-FRI *)", "schedule_expression_timezone": None,
              "enabled": True, "description": None, "flexible_time_window": 0, "start_date": None,
              "end_date": None, "validate_only": False,
              "target": {"arn": STOP_ARN, "role_arn": ROLE_ARN, "input": None, "retry_policy": None}}
    target = given.pop("target", {})
    return {**params, **given, "target": {**params["target"], **target}}


@pytest.mark.parametrize(("given", "message"), [
    ({}, None),
    ({"name": "night stop"}, "name: 'night stop' is not allowed; allowed: 1 to 64 letters, digits, '-', '_' "
                             "and '.'"),
    ({"group_name": ""}, "group_name: '' is not allowed; allowed: 1 to 64 letters, digits, '-', '_' and '.'"),
    ({"schedule_expression": None}, "schedule_expression is required with state=present"),
    ({"schedule_expression_timezone": "Europe/Atlantis"},
     "schedule_expression_timezone: 'Europe/Atlantis' is not allowed; allowed: an IANA time zone name "
     "such as Europe/Dublin, America/New_York or UTC"),
    ({"target": {"role_arn": "sagelab-scheduler"}}, "target.role_arn: 'sagelab-scheduler' is not allowed; "
     "allowed: an IAM role ARN arn:aws:iam::<12-digit account>:role/<name>"),
    ({"target": {"input": "{NotebookInstanceName: nb}"}}, "target.input: '{NotebookInstanceName: nb}' is not "
     "allowed: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); "
     "allowed: a dict or list (sent as JSON) or a JSON string"),
    ({"flexible_time_window": 1441},
     "flexible_time_window: 1441 is not allowed; allowed: 0 (off) or 1 to 1440 minutes"),
    ({"start_date": "2099-02-01T00:00:00Z", "end_date": "2099-01-01T00:00:00Z"},
     "end_date: '2099-01-01T00:00:00Z' is not allowed; allowed: a time after start_date"),
    ({"state": "absent", "schedule_expression": None, "target": None}, None),
])
def test_schedule_validate(given, message):
    params = sched_params(**{k: v for k, v in given.items() if k != "target" or v is not None})
    if "target" in given and given["target"] is None:
        params["target"] = None
    assert schedule.validate(params) == message


# --- the scheduler's comparison, in-process ----------------------------------------------------------------

DESCRIBED = {
    "Name": "stop", "GroupName": "default", "ScheduleExpression": "cron(0 20 ? * MON-FRI *)",
    "ScheduleExpressionTimezone": "Europe/Dublin", "State": "ENABLED", "Description": "night stop",
    "FlexibleTimeWindow": {"Mode": "OFF"}, "StartDate": datetime(2026, 12, 1, tzinfo=UTC),
    "KmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/k",
    "Target": {"Arn": STOP_ARN, "RoleArn": ROLE_ARN, "Input": '{"NotebookInstanceName": "nb"}',
               "DeadLetterConfig": {"Arn": "arn:aws:sqs:eu-west-1:123456789012:dlq"}},
}


def test_view_of_a_described_schedule():
    view = schedule.view(DESCRIBED)
    assert view == {
        "schedule_expression": "cron(0 20 ? * MON-FRI *)", "schedule_expression_timezone": "Europe/Dublin",
        "enabled": True, "description": "night stop", "flexible_time_window": 0,
        "start_date": "2026-12-01T00:00:00+00:00", "end_date": None, "target.arn": STOP_ARN,
        "target.role_arn": ROLE_ARN, "target.input": {"NotebookInstanceName": "nb"},
        "target.retry_policy": None}
    assert schedule.view(None) == {}
    assert schedule.flexible_minutes({"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}) == 15


def test_omitted_options_keep_the_current_values_and_nothing_differs():
    before = schedule.view(DESCRIBED)
    after = schedule.wanted_view(sched_params(), before)
    assert after == before  # description, time zone, start date, input omitted: kept


def test_given_options_differ_and_the_request_keeps_unmanaged_settings():
    before = schedule.view(DESCRIBED)
    params = sched_params(schedule_expression="rate(1 day)", start_date="", enabled=False,
                          target={"input": {"NotebookInstanceName": "other"}})
    after = schedule.wanted_view(params, before)
    assert [k for k in after if after[k] != before[k]] == ["schedule_expression", "enabled", "start_date",
                                                           "target.input"]
    request = schedule.request_of(params, after, DESCRIBED)
    assert request["State"] == "DISABLED" and "StartDate" not in request
    assert request["Target"]["Input"] == '{"NotebookInstanceName":"other"}'
    assert request["Target"]["DeadLetterConfig"] == DESCRIBED["Target"]["DeadLetterConfig"]
    assert request["KmsKeyArn"] == DESCRIBED["KmsKeyArn"]
    assert request["FlexibleTimeWindow"] == {"Mode": "OFF"}


def test_a_new_schedule_gets_the_api_defaults():
    after = schedule.wanted_view(sched_params(flexible_time_window=10), {})
    assert after["schedule_expression_timezone"] == "UTC" and after["description"] == ""
    request = schedule.request_of(sched_params(flexible_time_window=10), after, None)
    assert request["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10}
    assert "Input" not in request["Target"]


def test_dates_without_offset_are_utc():
    assert schedule.parse_date("start_date", "2026-12-01T00:00:00") == datetime(2026, 12, 1, tzinfo=UTC)
    assert schedule.parse_date("start_date", "2026-12-01T01:00:00+01:00") == datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"^start_date: 'soon' is not allowed; allowed: an ISO 8601 date"):
        schedule.parse_date("start_date", "soon")


# --- S3 buckets, IAM users, environments, channels, partitions ---------------------------------------------

BUCKET_HELP = ("3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no "
               "'..', not an IP address (the S3 bucket naming rules)")


@pytest.mark.parametrize("value", ["abc", "sagelab-123456789012-eu-west-1", "a.b-c", "b" * 63])
def test_s3_bucket_name_accepts(value):
    assert rules.s3_bucket_name("s3_bucket_name", value) is None


@pytest.mark.parametrize("value", ["ab", "b" * 64, "My_Bucket", "a..b", "192.168.1.1", "-ab", "ab-",
                                   "xn--abc", "sthree-abc", "amzn-s3-demo-x", "abc-s3alias", "abc--ol-s3",
                                   "abc.mrap", "abc--x-s3", "abc--table-s3", "", None])
def test_s3_bucket_name_refuses(value):
    assert rules.s3_bucket_name("s3_bucket_name", value) == (
        f"s3_bucket_name: {value!r} is not allowed; allowed: {BUCKET_HELP}")


def test_s3_bucket_name_empty_passes_only_when_it_means_something():
    assert rules.s3_bucket_name("iam_users_bucket", "", empty="empty for the project bucket") is None
    assert rules.s3_bucket_name("iam_users_bucket", "A", empty="empty for the project bucket") == (
        f"iam_users_bucket: 'A' is not allowed; allowed: {BUCKET_HELP}, or empty for the project bucket")
    assert rules.RULES["s3_bucket_names"]("b", ["ok-bucket", "Bad", "x"]) == (
        f"b: 'Bad' is not allowed; allowed: {BUCKET_HELP}")


@pytest.mark.parametrize(("value", "ok"), [("alice", True), ("alice.smith@example.com", True),
                                           ("a+b=c,d", True), ("a" * 64, True), ("a" * 65, False),
                                           ("alice smith", False), ("", False), (None, False),
                                           ("a/b", False)])
def test_iam_user_name(value, ok):
    message = rules.iam_user_name("iam_users_list[0].name", value)
    assert (message is None) is ok
    if not ok:
        assert message == (f"iam_users_list[0].name: {value!r} is not allowed; allowed: 1-64 letters, digits "
                           "and '+=,.@_-' (the IAM user name rules), e.g. alice or alice.smith@example.com")


@pytest.mark.parametrize(("value", "ok"), [("sagemaker", True), ("conda-sagemaker", True), ("a.b_c", True),
                                           ("team/sagemaker", False), ("sage maker", False),
                                           (".hidden", False),
                                           ("", False)])
def test_env_name(value, ok):
    message = rules.env_name("venv_name", value, "sagemaker")
    assert (message is None) is ok
    if not ok:
        assert message == (f"venv_name: {value!r} is not allowed; an environment name is one folder name "
                           "made "
                           "of letters, digits, '.', '_' and '-' (no slashes, no spaces), e.g. sagemaker")


@pytest.mark.parametrize(("value", "ok"), [("conda-forge", True), ("owner/label", True),
                                           ("file:///srv/ch", True),
                                           ("https://example.org/ch", True), ("ftp://mirror", False),
                                           ("has space", False), ("/abs", False)])
def test_conda_channel(value, ok):
    assert (rules.conda_channel("conda_channels", value) is None) is ok


@pytest.mark.parametrize(("region", "partition"), [("eu-west-1", "aws"), ("us-east-1", "aws"),
                                                   ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
                                                   ("us-gov-west-1", "aws-us-gov"), ("", "aws"),
                                                   (None, "aws")])
def test_partition_from_region(region, partition):
    assert rules.partition(region) == partition


def test_the_roles_take_the_partition_from_the_filter():
    from ansible_collections.sagelab.sagemaker.plugins.filter.aws_partition import aws_partition

    assert aws_partition("cn-north-1") == "aws-cn"
    for role in ("cost_controls", "execution_role", "iam_users", "s3_bucket"):
        text = (REPO / "roles" / role / "vars" / "main.yml").read_text()
        assert f"{role}_partition: \"{{{{ {role}_aws_region | sagelab.sagemaker.aws_partition }}}}\"" in text


# --- one rule, one place ---------------------------------------------------------------------------------

def test_rules_are_not_written_again_elsewhere():
    """The patterns of _validators.py appear nowhere else in the collection's Python."""
    patterns = [rules.ROLE_ARN_RE.pattern, rules.SAGEMAKER_NAME_RE.pattern, rules.REGION_RE.pattern,
                rules.SCHEDULE_NAME_RE.pattern, rules.SECRET_ARN_RE.pattern, rules.KMS_KEY_RE.pattern,
                rules.AWS_ID_RE.pattern, rules.ENDPOINT_URL_RE.pattern, r":iam::\d{12}", ":iam::[0-9]{12}",
                rules.S3_BUCKET_RE.pattern, rules.IPV4_RE.pattern, rules.ENV_NAME_RE.pattern,
                rules.CONDA_CHANNEL_NAME_RE.pattern, rules.IAM_NAME_RE.pattern, '"aws-us-gov"',
                "'aws-us-gov'"]
    here = REPO / "plugins" / "module_utils" / "_validators.py"
    offenders = [(str(path.relative_to(REPO)), pattern)
                 for path in sorted((REPO / "plugins").rglob("*.py")) if path != here
                 for pattern in patterns if pattern in path.read_text()]
    assert offenders == []


def test_no_role_or_playbook_writes_a_rule_again():
    """The preflights call sagelab.sagemaker.preflight instead of repeating a rule as a Jinja regex."""
    patterns = ["match('^arn:aws", "[0-9]{12}:role", "-iso[a-z]*", "^https?://", "A-Za-z0-9_.@+-",
                "(-*[a-zA-Z0-9])*", "[-0-9a-zA-Z]{1,32}", "A-Za-z0-9+=,.@_-", "0-9a-zA-Z._-]{1,64}",
                "a-z0-9.-]{1,61}", "A-Za-z0-9._-]*$", "match('^cn-')", "match('^us-gov-')"]
    files = sorted([*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("roles/*/vars/*.yml"),
                    *REPO.glob("playbooks/*.yml")])
    offenders = [(str(path.relative_to(REPO)), pattern) for path in files
                 for pattern in patterns if pattern in path.read_text()]
    assert offenders == []


def test_studio_app_rules():
    """Studio app settings: botocore's AppInstanceType enum, StudioLifecycleConfigArn and ImageArn."""
    assert rules.app_instance_type("t", "system") is None and rules.app_instance_type("t", None) is None
    assert "system" in rules.model_choices("AppInstanceType")
    assert rules.app_instance_type("t", "ml.t3.tiny").startswith(
        "t: 'ml.t3.tiny' is not allowed; allowed: a Studio app instance type, one of the ")
    lcc = "arn:aws:sagemaker:eu-west-1:123456789012:studio-lifecycle-config/setup"
    assert rules.studio_lifecycle_config_arn("l", lcc) is None
    for bad in ("setup", "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance-lifecycle-config/x",
                lcc + "x" * 256):
        assert rules.studio_lifecycle_config_arn("l", bad).startswith(
            f"l: {bad!r} is not allowed; allowed: a Studio lifecycle configuration ARN")
    image = "arn:aws:sagemaker:eu-west-1:123456789012:image/my-image"
    assert rules.sagemaker_image_arn("i", image) is None
    assert rules.sagemaker_image_arn("i", image + "/1").startswith("i: ")  # an image version is not an image
    assert rules.sagemaker_image_arn("i", "my-image").startswith("i: 'my-image' is not allowed")
