"""Drills 3 and 4: AWS throttling and server errors, and a notebook instance that ends in Failed.

Faults are injected by the session sandbox (/sagelab-sandbox/faults: the next N matching requests answer
with an AWS error instead of reaching moto). Every sagelab AWS module goes through one client wrapper
(module_utils/_sagemaker.SageMakerApi) that retries with amazon.aws's AWSRetry.jittered_backoff:

- test_modules_survive_throttling_and_server_errors: each module meets throttling (400 and 429) and
  server errors (500, 503) on its own calls, and still succeeds; every queued fault was consumed.
- test_too_many_faults_fail_with_the_aws_error_not_a_traceback: past AWS_MAX_ATTEMPTS each module fails
  with AWS's code and message and how many attempts it made, and no traceback.
- test_backoff_is_jittered_and_bounded: the retry policy itself (in process): the sleeps are random and
  within the doubling ceiling.
- test_a_notebook_failing_while_waited_for_is_reported_not_looped_on_nor_deleted (drill 4): a notebook that
  goes to Failed while the module waits for InService ends the wait at once with its FailureReason;
  nothing is deleted; the next run reports it again without writing. The other Failed cases (stop,
  update and delete of a Failed instance) are covered in tests/integration/test_notebook_instance.py::
  test_a_failed_instance_is_reported_never_stopped_and_can_be_updated_or_deleted.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import REPO, ansible_module, call_api, play, recording, unique, writes
from tests.drills.conftest import clear_faults, fault, pending_faults

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sagelab-drill"
NOTEBOOK = "sagelab.sagemaker.sagemaker_notebook_instance"
LIFECYCLE = "sagelab.sagemaker.sagemaker_lifecycle_config"
REPOSITORY = "sagelab.sagemaker.sagemaker_code_repository"
SCHEDULE = "sagelab.sagemaker.scheduler_schedule"
NOTEBOOK_INFO = "sagelab.sagemaker.sagemaker_notebook_instance_info"
STOP_ARN = "arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance"
NOTEBOOK_MODEL = "sagemaker::notebook-instance"
# Faults survived, for the README's Guarantees section (printed with -s).
SURVIVED: list[dict] = []


@pytest.fixture
def aws(sandbox: Any):
    clear_faults(sandbox.endpoint_url)
    yield sandbox
    clear_faults(sandbox.endpoint_url)


def sagemaker(url: str) -> Any:
    return boto3.client("sagemaker", endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def schedule_args(name: str) -> dict:
    return {"name": name, "schedule_expression": "cron(0 20 ? * MON-FRI *)",
            "schedule_expression_timezone": "Europe/Dublin",
            "target": {"arn": STOP_ARN, "role_arn": ROLE_ARN, "input": {"NotebookInstanceName": "nb"}}}


def test_modules_survive_throttling_and_server_errors(aws, tmp_path):
    url = aws.endpoint_url
    names = {k: unique(f"flt{k}") for k in ("nb", "lcc", "repo", "sched")}
    faults = [  # (service, operation, status, count): 1-3 consecutive failures per call
        ("sagemaker", "DescribeNotebookInstanceLifecycleConfig", 400, 1),
        ("sagemaker", "CreateNotebookInstanceLifecycleConfig", 503, 2),
        ("sagemaker", "DescribeCodeRepository", 500, 1),
        ("sagemaker", "CreateCodeRepository", 429, 1),
        ("sagemaker", "CreateNotebookInstance", 400, 3),
        ("sagemaker", "DescribeNotebookInstance", 500, 1),
        ("sagemaker", "ListTags", 503, 1),
        ("scheduler", "*", 500, 2),  # REST: every Scheduler call matches; the first two fail
    ]
    for service, operation, status, count in faults:
        fault(url, service=service, operation=operation, status=status, count=count)
    started = time.monotonic()
    results = play([
        (LIFECYCLE, {"name": names["lcc"], "on_start": "#!/bin/bash\ntrue\n"}),
        (REPOSITORY, {"name": names["repo"], "repository_url": "https://github.com/example/book.git"}),
        (NOTEBOOK, {"name": names["nb"], "role": ROLE_ARN, "tags": {"ManagedBy": "sagelab"}}),
        (SCHEDULE, schedule_args(names["sched"])),
    ], tmp_path, env={**aws.env, "AWS_MAX_ATTEMPTS": "5"})
    took = time.monotonic() - started
    for result in results:
        assert result.get("failed") is not True, result
        assert result["changed"] is True, result
    assert pending_faults(url) == [], "a fault was not met: the drill did not test what it says"
    sm = sagemaker(url)
    described = sm.describe_notebook_instance(NotebookInstanceName=names["nb"])
    assert described["NotebookInstanceStatus"] == "InService"
    repository = sm.describe_code_repository(CodeRepositoryName=names["repo"])
    assert repository["CodeRepositoryName"] == names["repo"]
    survived = sum(count for *_unused, count in faults)
    SURVIVED.append({"faults": survived, "modules": len(results), "seconds": round(took, 1)})
    print(f"survived {survived} injected faults in {len(results)} modules, {took:.1f}s")
    assert survived == 12


TOO_MANY = [  # module, args, service, operation, status, code, message
    (LIFECYCLE, {"name": "flt-lcc-x", "on_start": "#!/bin/bash\n"}, "sagemaker",
     "DescribeNotebookInstanceLifecycleConfig", 400, "ThrottlingException", "Rate exceeded"),
    (REPOSITORY, {"name": "flt-repo-x", "repository_url": "https://github.com/e/x.git"}, "sagemaker",
     "DescribeCodeRepository", 503, "ServiceUnavailable", "Service is unavailable. Please try again later."),
    (NOTEBOOK, {"name": "flt-nb-x", "role": ROLE_ARN}, "sagemaker", "DescribeNotebookInstance", 500,
     "InternalFailure", "Internal failure"),
    (NOTEBOOK_INFO, {"name": "flt-nb-x"}, "sagemaker", "DescribeNotebookInstance", 429,
     "ThrottlingException", "Rate exceeded"),
    (SCHEDULE, schedule_args("flt-sched-x"), "scheduler", "*", 500, "InternalFailure", "Internal failure"),
]


def test_too_many_faults_fail_with_the_aws_error_not_a_traceback(aws, tmp_path):
    """Each module meets as many faults as it may attempts (AWS_MAX_ATTEMPTS=2), queued in the order the
    modules run: every fault is consumed (exactly two attempts each), and each fails cleanly."""
    for _unused, _unused, service, operation, status, _unused, _unused in TOO_MANY:
        fault(aws.endpoint_url, service=service, operation=operation, status=status, count=2)
    results = play([case[:2] for case in TOO_MANY], tmp_path,
                   env={**aws.env, "AWS_MAX_ATTEMPTS": "2"})
    for result, (module, *_args, code, message) in zip(results, TOO_MANY, strict=True):
        assert result["failed"] is True, (module, result)
        assert result["msg"].startswith("Could not "), (module, result["msg"])
        expected = f"{code}: {message} (gave up after 2 attempts; AWS_MAX_ATTEMPTS sets how many)"
        assert expected in result["msg"], (module, result["msg"])
        assert result["error"]["code"] == code
        assert result.get("exception", "(traceback unavailable)") == "(traceback unavailable)", module
        assert "Traceback" not in json.dumps(result)
    assert pending_faults(aws.endpoint_url) == [], "a module tried more or fewer than AWS_MAX_ATTEMPTS times"


def test_backoff_is_jittered_and_bounded(monkeypatch):
    """The policy SageMakerApi wraps every call in, run in process with time.sleep recorded."""
    monkeypatch.syspath_prepend(str(REPO / ".collections"))
    for name in [m for m in sys.modules if m.startswith("ansible_collections")]:
        monkeypatch.delitem(sys.modules, name)
    from ansible_collections.amazon.aws.plugins.module_utils import (
        cloud,  # where the backoff sleeps
        retries,
    )
    from ansible_collections.sagelab.sagemaker.plugins.module_utils import _sagemaker

    sleeps: list[float] = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                            "DescribeNotebookInstance")
    attempts = 6

    def run_once() -> list[float]:
        sleeps.clear()
        calls = {"n": 0}

        @retries.AWSRetry.jittered_backoff(retries=attempts, delay=_sagemaker.RETRY_DELAY,
                                           max_delay=_sagemaker.RETRY_MAX_DELAY,
                                           catch_extra_error_codes=_sagemaker.RETRY_CODES)
        def call() -> str:
            calls["n"] += 1
            if calls["n"] < attempts:
                raise throttled
            return "ok"

        assert call() == "ok"
        return list(sleeps)

    runs = [run_once() for _unused in range(20)]
    for delays in runs:
        assert len(delays) == attempts - 1
        for i, delay in enumerate(delays):  # full jitter: uniform in [0, min(max_delay, delay * 2**i)]
            assert 0 <= delay <= min(_sagemaker.RETRY_MAX_DELAY, _sagemaker.RETRY_DELAY * 2 ** i) + 1e-9
    assert len({tuple(d) for d in runs}) == len(runs), "the same delays every time: not jittered"


def test_a_notebook_failing_while_waited_for_is_reported_not_looped_on_nor_deleted(aws):
    url, name = aws.endpoint_url, unique("fail")
    reason = "Lifecycle script on-start failed with exit code 1 (drill)"
    call_api(url, "/moto-api/state-manager/set-transition",
             {"model_name": NOTEBOOK_MODEL, "transition": {"progression": "time", "seconds": 30}})
    try:
        def fail_soon() -> None:
            sm = sagemaker(url)
            for _unused in range(100):  # once the module has created it, it fails (as a lifecycle script can)
                if sm.list_notebook_instances(NameContains=name)["NotebookInstances"]:
                    time.sleep(1)
                    call_api(url, "/sagelab-sandbox/fail-notebook", {"name": name, "reason": reason})
                    return
                time.sleep(0.2)

        failer = threading.Thread(target=fail_soon)
        failer.start()
        started = time.monotonic()
        with recording(url) as calls:
            result = ansible_module(NOTEBOOK, {"name": name, "role": ROLE_ARN, "wait_timeout": 120},
                                    env=aws.env, fails=True)
        took = time.monotonic() - started
        failer.join()
    finally:
        call_api(url, "/moto-api/state-manager/unset-transition", {"model_name": NOTEBOOK_MODEL})
    print(f"Failed noticed after {took:.1f}s")
    assert reason in result["msg"] and result["failure_reason"] == reason
    assert result["actions"] == ["CreateNotebookInstance"] and result["changed"] is True
    assert not result.get("timed_out"), result
    assert took < 30, f"waited {took:.0f}s: the Failed status did not end the wait"
    assert writes(calls) == ["CreateNotebookInstance"], calls  # nothing stopped or deleted
    sm = sagemaker(url)
    described = sm.describe_notebook_instance(NotebookInstanceName=name)
    assert (described["NotebookInstanceStatus"], described["FailureReason"]) == ("Failed", reason)

    with recording(url) as calls:  # the next run (state stopped): reported again, not written to
        again = ansible_module(NOTEBOOK, {"name": name, "state": "stopped", "wait_timeout": 120}, env=aws.env)
    assert again["changed"] is False and writes(calls) == [], calls
    assert again["notebook_instance"]["failure_reason"] == reason
    assert any(reason in warning for warning in again.get("warnings", [])), again
    sm.delete_notebook_instance(NotebookInstanceName=name)
