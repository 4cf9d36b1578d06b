"""scheduler_schedule's comparison beyond tests/unit/test_validators.py, in-process: the target input as
JSON, the same instant written in another offset, the retry policy, a padded expression. A schedule that
differs only in how a value is written must not be updated on every run."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.conftest import REPO

if str(REPO / ".collections") not in sys.path:  # the collection as ansible_collections.sagelab.sagemaker
    sys.path.insert(0, str(REPO / ".collections"))

from ansible_collections.sagelab.sagemaker.plugins.modules import scheduler_schedule as schedule  # noqa: E402

ROLE_ARN = "arn:aws:iam::123456789012:role/sagelab-scheduler"
STOP_ARN = "arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance"
DESCRIBED = {
    "Name": "stop", "GroupName": "default", "ScheduleExpression": "cron(0 20 ? * MON-FRI *)",
    "ScheduleExpressionTimezone": "Europe/Dublin", "State": "ENABLED", "FlexibleTimeWindow": {"Mode": "OFF"},
    "StartDate": datetime(2026, 12, 1, 8, tzinfo=UTC),
    "Target": {"Arn": STOP_ARN, "RoleArn": ROLE_ARN, "Input": '{"NotebookInstanceName": "nb"}',
               "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}},
}


def params(**given):
    base = {"name": "stop", "group_name": "default", "state": "present",
            "schedule_expression": "cron(0 20 ? * MON-FRI *)", "schedule_expression_timezone": None,
            "enabled": True, "description": None, "flexible_time_window": 0, "start_date": None,
            "end_date": None, "validate_only": False,
            "target": {"arn": STOP_ARN, "role_arn": ROLE_ARN, "input": None, "retry_policy": None}}
    target = given.pop("target", {})
    return {**base, **given, "target": {**base["target"], **target}}


def changed(**given) -> list[str]:
    before = schedule.view(DESCRIBED)
    after = schedule.wanted_view(params(**given), before)
    return [key for key in after if after[key] != before[key]]


@pytest.mark.parametrize("value", ['{"NotebookInstanceName": "nb"}', '{"NotebookInstanceName":"nb"}',
                                   {"NotebookInstanceName": "nb"}])
def test_the_same_input_as_a_dict_or_json_in_any_spacing_changes_nothing(value):
    assert changed(target={"input": value}) == []


def test_input_that_is_not_json_is_refused_with_the_option_named():
    with pytest.raises(ValueError, match=r"^target.input: '\{nb' is not allowed: not valid JSON"):
        schedule.parse_input("{nb")
    with pytest.raises(ValueError, match=r"^target.input: \{1, 2\} cannot be written as JSON$"):
        schedule.parse_input({1, 2})
    assert schedule.parse_input('"text"') == "text" and schedule.parse_input([1]) == [1]


@pytest.mark.parametrize("value", ["2026-12-01T08:00:00Z", "2026-12-01T08:00:00", "2026-12-01T09:00:00+01:00",
                                   "2026-12-01t08:00:00z"])
def test_the_same_start_in_another_offset_changes_nothing(value):
    assert changed(start_date=value) == []


def test_a_described_date_reads_in_utc_whatever_its_zone():
    athens = timezone(timedelta(hours=2))
    assert schedule.view({**DESCRIBED, "StartDate": datetime(2026, 12, 1, 10, tzinfo=athens)})[
        "start_date"] == "2026-12-01T08:00:00+00:00"
    assert schedule.view({**DESCRIBED, "StartDate": datetime(2026, 12, 1, 8)})["start_date"] == \
        "2026-12-01T08:00:00+00:00"  # naive: UTC


def test_an_empty_date_removes_it_and_a_later_one_differs():
    assert changed(start_date="") == ["start_date"]
    assert changed(start_date="2026-12-02T08:00:00Z") == ["start_date"]
    request = schedule.request_of(params(start_date=""), schedule.wanted_view(
        params(start_date=""), schedule.view(DESCRIBED)), DESCRIBED)
    assert "StartDate" not in request


def test_a_padded_expression_is_the_same_expression():
    assert changed(schedule_expression="  cron(0 20 ? * MON-FRI *) ") == []


def test_the_retry_policy_is_kept_when_omitted_and_compared_when_given():
    assert changed() == []
    assert changed(target={"retry_policy": {"maximum_retry_attempts": 3,
                                            "maximum_event_age_in_seconds": 3600}}) == []
    assert changed(target={"retry_policy": {"maximum_retry_attempts": 0,
                                            "maximum_event_age_in_seconds": 3600}}) == ["target.retry_policy"]
    after = schedule.wanted_view(params(), schedule.view(DESCRIBED))
    request = schedule.request_of(params(), after, DESCRIBED)
    assert request["Target"]["RetryPolicy"] == DESCRIBED["Target"]["RetryPolicy"]
    assert request["Target"]["Input"] == DESCRIBED["Target"]["Input"]  # omitted: sent as it is
