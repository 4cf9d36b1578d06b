"""Notebook instances against the embedded AWS sandbox, for real: the sagemaker_notebook_instance,
sagemaker_notebook_instance_info, sagemaker_lifecycle_config and sagemaker_code_repository modules run
through `ansible-playbook` (a test's runs in one play: tests.conftest.recorded_play), the notebook_instance
role through `ansible-playbook playbooks/notebook.yml`.

Write calls are counted with moto's request recorder: an idempotent run, a check-mode run and a
refused run make Describe*/List* (and STS Get*) calls only. Every resource has a unique name, so the
session-wide sandbox is shared with other tests; notebook status transitions are paced at 0.5 s here
(restored afterwards).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import (
    Played,
    ansible_module,
    assert_refused_before_any_call,
    assert_stopped_in_preflight,
    call_api,
    preflight_refusals,
    recorded_play,
    recorded_requests,
    recording,
    run_playbook,
    unique,
    writes,
)

ACCOUNT = "123456789012"
REGION = "eu-west-1"
MODULE = "sagelab.sagemaker.sagemaker_notebook_instance"
INFO = "sagelab.sagemaker.sagemaker_notebook_instance_info"
LIFECYCLE = "sagelab.sagemaker.sagemaker_lifecycle_config"
REPOSITORY = "sagelab.sagemaker.sagemaker_code_repository"
TAGS = {"Owner": "alice", "Project": "sagelab", "CostCenter": "cc-4711", "ManagedBy": "sagelab"}
NOTEBOOK_MODEL = "sagemaker::notebook-instance"
PACE_SECONDS = 0.5


class Sandbox:
    """The session's sandbox seen from these tests: boto3, faults, the request recorder, the modules."""

    def __init__(self, endpoint_url: str, env: dict[str, str]) -> None:
        self.url = endpoint_url
        self.env = env
        self.sm = boto3.client("sagemaker", endpoint_url=endpoint_url, region_name=REGION,
                               aws_access_key_id="testing", aws_secret_access_key="testing",
                               config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    def module(self, module: str, args: dict, *, check: bool = False, diff: bool = False,
               env: dict | None = None, fails: bool = False) -> dict:
        return ansible_module(module, args, check=check, diff=diff, env={**self.env, **(env or {})},
                              fails=fails)

    def notebook(self, args: dict, **kwargs: Any) -> dict:
        return self.module(MODULE, args, **kwargs)

    def batch(self, tasks: list[tuple], folder: Any) -> Played:
        """Module runs in one ansible-playbook run: each task's result, AWS operations and duration."""
        return recorded_play(tasks, folder, self.url, env=self.env)

    def api_task(self, path: str, body: dict | None = None, method: str = "POST") -> tuple:
        """A task calling the sandbox's own endpoints (faults, failing a notebook) between module runs."""
        args: dict = {"url": f"{self.url}{path}", "method": method, "use_proxy": False,
                      "return_content": True}
        if body is not None:
            args.update(body_format="json", body=body)
        return ("ansible.builtin.uri", args)

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        """The AWS operations sent while the block runs (filled in when it ends)."""
        with recording(self.url) as operations:
            yield operations

    def fault(self, **spec: Any) -> None:
        call_api(self.url, "/sagelab-sandbox/faults", spec)

    def clear_faults(self) -> None:
        call_api(self.url, "/sagelab-sandbox/faults", method="DELETE")

    def pace(self, **transition: Any) -> None:
        call_api(self.url, "/moto-api/state-manager/set-transition",
                 {"model_name": NOTEBOOK_MODEL, "transition": transition})

    def fail_notebook(self, name: str, reason: str) -> None:
        call_api(self.url, "/sagelab-sandbox/fail-notebook", {"name": name, "reason": reason})

    # direct setup and inspection, with boto3

    def describe(self, name: str) -> dict | None:
        found = self.sm.list_notebook_instances(NameContains=name)["NotebookInstances"]
        if not any(n["NotebookInstanceName"] == name for n in found):
            return None
        return self.sm.describe_notebook_instance(NotebookInstanceName=name)

    def status(self, name: str) -> str | None:
        described = self.describe(name)
        return described["NotebookInstanceStatus"] if described else None

    def wait(self, name: str, waiter: str = "notebook_instance_in_service") -> None:
        self.sm.get_waiter(waiter).wait(NotebookInstanceName=name,
                                        WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})

    def create(self, name: str, *, stopped: bool = False, wait: bool = True, **extra: Any) -> None:
        self.sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium",
                                         RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagelab-test", **extra)
        if wait or stopped:
            self.wait(name)
        if stopped:
            self.sm.stop_notebook_instance(NotebookInstanceName=name)
            self.wait(name, "notebook_instance_stopped")

    def tags(self, name: str) -> dict[str, str]:
        arn = self.sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceArn"]
        return {t["Key"]: t["Value"] for t in self.sm.list_tags(ResourceArn=arn)["Tags"]}


@pytest.fixture(scope="module")
def aws(sandbox: Any) -> Iterator[Sandbox]:
    box = Sandbox(sandbox.endpoint_url, sandbox.env)
    box.pace(progression="time", seconds=PACE_SECONDS)
    try:
        yield box
    finally:
        call_api(box.url, "/moto-api/state-manager/unset-transition", {"model_name": NOTEBOOK_MODEL})
        box.clear_faults()


# --- sagemaker_notebook_instance ----------------------------------------------------------------------
# Each test's module runs share one ansible-playbook run (Sandbox.play): recorded_play() splits moto's
# recording into what each run sent, and an info task in the play reads the state between two runs.

def test_notebook_instance_create_idempotence_check_mode_update_and_delete(aws, tmp_path):
    name = unique("nb")
    args = {"name": name, "role": "sagelab-notebook-role", "tags": TAGS}
    change = {**args, "root_access": True, "volume_size": 10}
    absent = {"name": name, "state": "absent"}
    played = aws.batch([(MODULE, args), (MODULE, args), (MODULE, change, {"check_mode": True, "diff": True}),
                       (INFO, {"name": name}), (MODULE, {**change, "presigned_url": True}), (MODULE, absent),
                       (MODULE, absent)], tmp_path)
    created, again, checked, between, updated, deleted, gone = played.results
    assert not any(result.get("failed") for result in played.results), played.results

    assert created["changed"] is True and created["actions"] == ["CreateNotebookInstance"]
    instance = created["notebook_instance"]
    assert instance["notebook_instance_status"] == "InService"  # waited for
    assert instance["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/sagelab-notebook-role"  # name -> ARN (STS)
    assert (instance["instance_type"], instance["root_access"], instance["volume_size_in_gb"]) == \
        ("ml.t3.medium", "Disabled", 5)
    imds = instance["instance_metadata_service_configuration"]
    assert imds == {"minimum_instance_metadata_service_version": "2"}
    assert instance["tags"] == TAGS

    calls = played.calls[1]
    assert again["changed"] is False and again["actions"] == []
    assert "DescribeNotebookInstance" in calls and writes(calls) == [], calls

    assert checked["changed"] is True
    assert checked["actions"] == ["StopNotebookInstance", "UpdateNotebookInstance", "StartNotebookInstance"]
    assert sorted(checked["changed_settings"]) == ["root_access", "volume_size"]
    diff = checked["diff"]
    assert (diff["before"]["root_access"], diff["after"]["root_access"]) == (False, True)
    assert (diff["before"]["volume_size"], diff["after"]["volume_size"]) == (5, 10)
    assert "StopNotebookInstance" in diff["after_header"]
    assert writes(played.calls[2]) == [], played.calls[2]
    (described,) = between["notebook_instances"]
    assert (described["root_access"], described["notebook_instance_status"]) == ("Disabled", "InService")

    assert updated["changed"] is True
    assert writes(played.calls[4]) == ["StopNotebookInstance", "UpdateNotebookInstance",
                                       "StartNotebookInstance", "CreatePresignedNotebookInstanceUrl"]
    instance = updated["notebook_instance"]
    assert (instance["notebook_instance_status"], instance["root_access"], instance["volume_size_in_gb"]) == \
        ("InService", "Enabled", 10)
    assert re.fullmatch(rf"https://{name}\.notebook\.{REGION}\.sagemaker\.aws\?authToken=[\w-]{{20,}}&view=lab",
                        updated["url"]), updated["url"]

    assert deleted["changed"] is True
    assert deleted["actions"] == ["StopNotebookInstance", "DeleteNotebookInstance"]
    assert deleted["notebook_instance"] == {} and aws.describe(name) is None
    assert gone["changed"] is False and writes(played.calls[6]) == []


def test_a_stopped_instance_is_updated_and_stays_stopped_then_started_on_request(aws, tmp_path):
    name = unique("nb")
    subnet = boto3.client("ec2", endpoint_url=aws.url, region_name=REGION, aws_access_key_id="testing",
                          aws_secret_access_key="testing").describe_subnets()["Subnets"][0]["SubnetId"]
    aws.create(name, stopped=True, SubnetId=subnet)  # dualstack needs a subnet
    updated, between, started = aws.batch([
        (MODULE, {"name": name, "instance_type": "ml.t3.large", "ip_address_type": "dualstack",
                  "platform_identifier": "notebook-al2-v3", "imds_version": "2"}),
        (INFO, {"name": name}), (MODULE, {"name": name, "state": "started"})], tmp_path).results
    assert updated["actions"] == ["UpdateNotebookInstance"], updated
    assert sorted(updated["changed_settings"]) == ["instance_metadata_service_version", "instance_type",
                                                   "ip_address_type", "platform_identifier"]
    (described,) = between["notebook_instances"]
    assert (described["notebook_instance_status"], described["instance_type"],
            described["platform_identifier"], described["ip_address_type"]) == \
        ("Stopped", "ml.t3.large", "notebook-al2-v3", "dualstack")
    assert described["instance_metadata_service_configuration"] == {
        "minimum_instance_metadata_service_version": "2"}
    described = aws.describe(name)  # and as boto3 reads it
    assert (described["InstanceType"], described["PlatformIdentifier"], described["IpAddressType"]) == \
        ("ml.t3.large", "notebook-al2-v3", "dualstack")
    assert described["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}

    assert started["actions"] == ["StartNotebookInstance"], started
    assert started["notebook_instance"]["notebook_instance_status"] == "InService"


def test_tag_changes_never_stop_the_instance(aws, tmp_path):
    name = unique("nb")
    aws.create(name, Tags=[{"Key": k, "Value": v} for k, v in {**TAGS, "Scratch": "yes"}.items()])
    played = aws.batch([(MODULE, {"name": name, "tags": {**TAGS, "Owner": "bob"}}, {"diff": True}),
                       (INFO, {"name": name}),
                       (MODULE, {"name": name, "tags": {"Extra": "1"}, "purge_tags": False})], tmp_path)
    tagged, between, kept = played.results
    calls = played.calls[0]
    assert tagged["actions"] == ["DeleteTags", "AddTags"] and tagged["changed_settings"] == ["tags"]
    assert "StopNotebookInstance" not in calls and sorted(writes(calls)) == ["AddTags", "DeleteTags"], calls
    (described,) = between["notebook_instances"]
    assert described["tags"] == {**TAGS, "Owner": "bob"}  # purge_tags (default true) removed Scratch
    diff = tagged["diff"]
    assert (diff["before"]["tags"]["Owner"], diff["after"]["tags"]["Owner"]) == ("alice", "bob")
    assert described["notebook_instance_status"] == "InService"

    assert kept["actions"] == ["AddTags"] and aws.tags(name) == {**TAGS, "Owner": "bob", "Extra": "1"}
    assert aws.status(name) == "InService"


def test_settings_fixed_at_creation_are_refused_or_recreated(aws, tmp_path):
    name = unique("nb")
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    aws.create(name, SubnetId="subnet-0aaa", SecurityGroupIds=["sg-0bbb", "sg-0aaa"], KmsKeyId=key_id,
               VolumeSizeInGB=20, DirectInternetAccess="Enabled",
               Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()])
    played = aws.batch([
        (MODULE, {"name": name, "subnet_id": "subnet-0ccc", "direct_internet_access": False,
                  "volume_size": 10, "root_access": True}),
        (INFO, {"name": name}),
        # the same groups in another order, and the key's ARN for its ID, are no difference
        (MODULE, {"name": name, "subnet_id": "subnet-0aaa", "security_group_ids": ["sg-0aaa", "sg-0bbb"],
                  "volume_size": 20, "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"}),
        (MODULE, {"name": name, "subnet_id": "subnet-0ccc", "recreate": True})], tmp_path)
    refused, between, same, recreated = played.results

    assert refused["failed"] is True, refused
    msg = refused["msg"]
    assert msg.startswith("Cannot change subnet_id, direct_internet_access, volume_size of notebook instance "
                          f"{name} in place")
    assert "subnet_id: 'subnet-0aaa' -> 'subnet-0ccc'" in msg and "recreate: true" in msg
    assert refused["immutable_settings"] == ["subnet_id", "direct_internet_access", "volume_size"]
    assert writes(played.calls[0]) == [] and between["notebook_instances"][0]["notebook_instance_status"] == \
        "InService"

    assert same["changed"] is False and not same.get("failed") and writes(played.calls[2]) == [], same

    assert recreated["actions"] == ["StopNotebookInstance", "DeleteNotebookInstance",
                                    "CreateNotebookInstance"], recreated
    assert "recreate" in recreated["changed_settings"] and "subnet_id" in recreated["changed_settings"]
    assert writes(played.calls[3]) == recreated["actions"]
    described = aws.describe(name)
    assert (described["NotebookInstanceStatus"], described["SubnetId"], described["KmsKeyId"],
            described["VolumeSizeInGB"]) == ("InService", "subnet-0ccc", key_id, 20)  # the rest is kept
    assert sorted(described["SecurityGroups"]) == ["sg-0aaa", "sg-0bbb"] and aws.tags(name) == TAGS


def test_detaching_takes_explicit_empty_values(aws, tmp_path):
    name, config = unique("nb"), unique("lcc")
    aws.sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=config)
    aws.create(name, stopped=True, LifecycleConfigName=config, DefaultCodeRepository="https://github.com/a/one",
               AdditionalCodeRepositories=["https://github.com/a/two", "https://github.com/a/three"])
    played = aws.batch([
        (MODULE, {"name": name, "instance_type": "ml.t3.medium",
                  "additional_code_repositories": ["https://github.com/a/three", "https://github.com/a/two"]}),
        (MODULE, {"name": name, "lifecycle_config_name": "", "default_code_repository": "",
                  "additional_code_repositories": []})], tmp_path)
    untouched, detached = played.results
    # omitted = left alone; the order of the repositories is no difference
    assert untouched["changed"] is False and not untouched.get("failed") and writes(played.calls[0]) == []

    assert detached["actions"] == ["UpdateNotebookInstance"], detached
    assert sorted(detached["changed_settings"]) == ["additional_code_repositories", "default_code_repository",
                                                    "lifecycle_config_name"]
    described = aws.describe(name)
    for key in ("NotebookInstanceLifecycleConfigName", "DefaultCodeRepository", "AdditionalCodeRepositories"):
        assert key not in described, key
    assert described["NotebookInstanceStatus"] == "Stopped"


def test_transitional_statuses_are_waited_out_and_wait_false_never_leaves_it_stopped(aws, tmp_path):
    name, other = unique("nb"), unique("nb")
    aws.create(other)
    aws.create(name, wait=False)  # Pending
    played = aws.batch([(MODULE, {"name": name, "state": "stopped"}),
                       (MODULE, {"name": other, "root_access": False, "wait": False})], tmp_path)
    stopped, changed = played.results
    # waited for InService first: AWS stops only that
    assert stopped["actions"] == ["StopNotebookInstance"], stopped
    assert stopped["notebook_instance"]["notebook_instance_status"] == "Stopped"

    assert writes(played.calls[1]) == ["StopNotebookInstance", "UpdateNotebookInstance",
                                       "StartNotebookInstance"], played.calls[1]
    assert changed["notebook_instance"]["notebook_instance_status"] in ("Pending", "InService")
    aws.wait(other)
    assert aws.describe(other)["RootAccess"] == "Disabled"


def test_check_mode_and_wait_false_return_at_once_on_a_transitional_instance(aws, tmp_path):
    """Issue 18 item 3: check mode took 28 s during a 20 s Pending. Now it plans from the status the
    instance moves to, and wait: false never waits: nothing to do returns at once, a change is refused."""
    name, settled = unique("nb"), unique("nb")
    aws.create(settled)
    # Pending for 120 s (the case is 20 s: the module does not wait at all, so the length only has
    # to outlast the run on a busy machine); an InService instance is not affected by the pace
    aws.pace(progression="time", seconds=120)
    try:
        aws.create(name, wait=False)
        played = aws.batch([
            # the same work on a settled instance: what a run that waits for nothing takes on this machine now
            (MODULE, {"name": settled, "root_access": False, "state": "stopped"}, {"check_mode": True}),
            (MODULE, {"name": name, "root_access": False, "state": "stopped"}, {"check_mode": True}),
            (MODULE, {"name": name, "wait": False}),
            (MODULE, {"name": name, "root_access": False, "wait": False})], tmp_path)
        assert aws.status(name) == "Pending"
    finally:
        aws.pace(progression="time", seconds=PACE_SECONDS)
    _unused, checked, same, refused = played.results
    baseline, *seconds = played.seconds
    print(f"settled {baseline:.2f} s; Pending: check mode {seconds[0]:.2f} s, wait: false "
          f"{seconds[1]:.2f} s and {seconds[2]:.2f} s")
    # under 2 s more than a run with nothing to wait for, and far from the 120 s the Pending lasts
    for took in seconds:
        assert took < baseline + 2, (took, baseline)
    assert checked["changed"] is True and not checked.get("failed"), checked
    assert checked["actions"] == ["StopNotebookInstance", "UpdateNotebookInstance"], checked
    assert checked["notebook_instance"]["notebook_instance_status"] == "Pending"
    assert any("is Pending" in w and "InService" in w for w in checked["warnings"]), checked
    assert same["changed"] is False and not same.get("failed"), same
    assert same["notebook_instance"]["notebook_instance_status"] == "Pending"
    assert refused["failed"] is True, refused
    assert refused["msg"].startswith(f"Notebook instance {name} is Pending: AWS changes it only once it is "
                                     "InService"), refused["msg"]
    for calls in played.calls[1:]:
        assert writes(calls) == [], calls


def test_dualstack_without_a_subnet_is_refused_before_any_call(aws, tmp_path):
    """Issue 18 item 4: the running instance was stopped, the update refused by AWS, the instance started
    again - a stop/start cycle for nothing. Now nothing is sent; the sandbox refuses it too (test_sandbox)."""
    name = unique("nb")
    aws.create(name)
    played = aws.batch([(MODULE, {"name": name, "ip_address_type": "dualstack"}),
                        (MODULE, {"name": unique("nb"), "role": "r", "ip_address_type": "dualstack"})],
                       tmp_path)
    refused, new = played.results
    assert refused["failed"] is True and new["failed"] is True, played.results
    assert refused["msg"].startswith(f"ip_address_type: dualstack needs a subnet and notebook instance "
                                     f"{name} has none"), refused["msg"]
    assert refused["changed"] is False and refused["actions"] == []
    assert new["msg"].startswith("ip_address_type: dualstack needs subnet_id"), new["msg"]
    assert writes(played.calls[0] + played.calls[1]) == [], played.calls
    assert aws.status(name) == "InService"


def test_references_that_do_not_exist_are_refused_before_stopping(aws, tmp_path):
    """Issue 18 item 5: a missing lifecycle configuration or code repository (by name) went through: the
    instance was stopped, the update failed on AWS, the instance restarted. Now they are looked up first."""
    name, missing = unique("nb"), unique("missing")
    aws.create(name)
    cases = (({"lifecycle_config_name": missing},
              f"lifecycle_config_name: no lifecycle configuration called '{missing}' exists"),
             ({"default_code_repository": missing},
              f"code repository '{missing}' is not registered in SageMaker"),
             ({"additional_code_repositories": ["https://github.com/a/b", missing]},
              f"code repository '{missing}' is not registered"))
    tasks = []
    for args, _unused in cases:
        tasks += [(MODULE, {"name": name, **args}), (MODULE, {"name": unique("nb"), "role": "r", **args}),
                  (MODULE, {"name": unique("nb"), "role": "r", **args}, {"check_mode": True})]
    played = aws.batch(tasks, tmp_path)
    for i, (_unused, message) in enumerate(cases):
        refused, new, checked = played.results[3 * i:3 * i + 3]
        for result in (refused, new):
            assert result.get("failed") is True, result
            assert message in result["msg"] and result["changed"] is False, result
        calls = played.calls[3 * i] + played.calls[3 * i + 1]
        assert "DescribeNotebookInstanceLifecycleConfig" in calls or "DescribeCodeRepository" in calls
        assert writes(calls) == [], calls
        # check mode foretells a run whose earlier tasks (made nothing in check mode) may make them: a warning
        assert checked["changed"] is True and not checked.get("failed"), checked
        assert any(message in w and "a real run refuses this" in w for w in checked["warnings"]), checked
    assert aws.status(name) == "InService"


def test_an_update_failing_after_a_stop_reports_the_stop_and_restart(aws):
    """Issue 18 item 5: the instance was stopped and started again, so the run changed something."""
    name = unique("nb")
    aws.create(name)
    aws.fault(service="sagemaker", operation="UpdateNotebookInstance", status=400, code="ValidationException",
              message="The account-level service limit has been exceeded.")
    try:
        with aws.recording() as calls:
            failed = aws.notebook({"name": name, "root_access": False}, fails=True)
    finally:
        aws.clear_faults()
    assert failed["changed"] is True and failed["restarted"] is True, failed
    assert failed["actions"] == ["StopNotebookInstance", "UpdateNotebookInstance", "StartNotebookInstance"]
    assert failed["msg"] == ("Could not update notebook instance: ValidationException: The account-level "
                             "service limit has been exceeded. (the instance was stopped for the update and "
                             "started again, unchanged)"), failed["msg"]
    # the injected fault answers UpdateNotebookInstance in front of moto, so its recorder does not list it
    assert writes(calls) == ["StopNotebookInstance", "StartNotebookInstance"], calls
    aws.wait(name)
    assert aws.describe(name)["RootAccess"] == "Enabled"


def test_an_instance_described_without_ip_address_type_is_not_drift(aws):
    """Issue 18 item 7: instances made before IpAddressType existed are described without it; they are
    IPv4, not a difference to fix by a stop and update on every run."""
    name = unique("nb")
    aws.create(name)
    call_api(aws.url, "/sagelab-sandbox/legacy-notebook", {"name": name})
    assert "IpAddressType" not in aws.describe(name)
    with aws.recording() as calls:
        again = aws.notebook({"name": name, "ip_address_type": "ipv4"})
    assert again["changed"] is False and writes(calls) == [], (again, calls)


def test_info_refuses_name_with_list_filters(aws):
    with aws.recording() as calls:
        refused = aws.module(INFO, {"name": "nb-x", "name_contains": "nb"}, fails=True)
    assert "parameters are mutually exclusive: name|name_contains" in refused["msg"], refused["msg"]
    assert calls == [], calls


def test_a_failed_instance_is_reported_never_stopped_and_can_be_updated_or_deleted(aws, tmp_path):
    name = unique("nb")
    reason = "Lifecycle script on-start failed with exit code 1"
    aws.create(name)
    aws.fail_notebook(name, reason)
    played = aws.batch([(MODULE, {"name": name, "state": "stopped"}),
                        (MODULE, {"name": name, "root_access": False}), (INFO, {"name": name}),
                        aws.api_task("/sagelab-sandbox/fail-notebook", {"name": name, "reason": reason}),
                        (MODULE, {"name": name, "state": "absent"})], tmp_path)
    reported, updated, between, failing, deleted = played.results
    assert not any(r.get("failed") for r in played.results), played.results

    assert reported["changed"] is False
    assert reported["notebook_instance"]["failure_reason"] == reason
    assert any(reason in warning for warning in reported.get("warnings", [])), reported
    assert writes(played.calls[0]) == []

    assert updated["actions"] == ["UpdateNotebookInstance"]  # no stop: AWS refuses it for Failed
    assert "StopNotebookInstance" not in played.calls[1]
    (described,) = between["notebook_instances"]
    assert (described["root_access"], described["notebook_instance_status"]) == ("Disabled", "Stopped")

    assert failing["status"] == 200, failing
    assert deleted["actions"] == ["DeleteNotebookInstance"], deleted
    assert writes(played.calls[4]) == ["DeleteNotebookInstance"]
    assert aws.describe(name) is None


def test_throttling_is_retried_and_too_many_faults_fail_with_aws_message(aws, tmp_path):
    name = unique("nb")
    aws.create(name, Tags=[{"Key": "ManagedBy", "Value": "sagelab"}])
    throttle = {"service": "sagemaker", "operation": "DescribeNotebookInstance", "status": 400}
    try:
        played = aws.batch([
            aws.api_task("/sagelab-sandbox/faults", {**throttle, "count": 3}),
            (INFO, {"name": name}),
            aws.api_task("/sagelab-sandbox/faults", method="GET"),
            (INFO, {"name_contains": name[:11], "status": "InService", "tags": {"ManagedBy": "sagelab"}}),
            aws.api_task("/sagelab-sandbox/faults", {**throttle, "count": 5}),
            (MODULE, {"name": name}, {"environment": {"AWS_MAX_ATTEMPTS": "2"}})], tmp_path)
    finally:
        aws.clear_faults()
    _unused, info, faults, listed, _unused, failed = played.results
    assert "failed" not in info, info
    assert [(n["notebook_instance_name"], n["tags"]) for n in info["notebook_instances"]] == \
        [(name, {"ManagedBy": "sagelab"})]
    assert faults["json"] == {"faults": []}, faults

    assert [n["notebook_instance_name"] for n in listed["notebook_instances"]] == [name]

    assert failed["failed"] is True, failed
    assert failed["msg"] == ("Could not describe notebook instance: ThrottlingException: Rate exceeded "
                             "(gave up after 2 attempts; AWS_MAX_ATTEMPTS sets how many)")
    assert failed["error"]["code"] == "ThrottlingException"
    # no traceback: ansible-core only notes that there is none
    assert failed.get("exception", "(traceback unavailable)") == "(traceback unavailable)"
    assert "Traceback" not in json.dumps(failed)


def test_wait_timeout_is_honoured(aws, tmp_path):
    name = unique("nb")
    aws.pace(progression="time", seconds=30)
    try:
        played = aws.batch([(MODULE, {"name": name, "role": f"arn:aws:iam::{ACCOUNT}:role/r",
                                      "wait_timeout": 2})], tmp_path)
    finally:
        aws.pace(progression="time", seconds=PACE_SECONDS)
    (timed_out,) = played.results
    assert timed_out["failed"] is True and timed_out["timed_out"] is True, timed_out
    assert timed_out["changed"] is True and timed_out["actions"] == ["CreateNotebookInstance"]
    assert timed_out["msg"] == (f"Timed out after 2 s (wait_timeout) waiting for InService of notebook "
                                f"instance {name} (it is Pending)")
    assert played.seconds[0] < 15, played.seconds  # the task itself: 2 s of waiting, not the 30 s Pending


# --- sagemaker_lifecycle_config ---------------------------------------------------------------------------

def sent(request: dict) -> dict:
    """A recorded JSON request's body."""
    return json.loads(base64.b64decode(request["body"]) if request.get("body_encoded") else request["body"])


def test_lifecycle_config_create_idempotence_check_mode_update_and_delete(aws, tmp_path):
    name = unique("lcc")
    on_create, on_start = "#!/bin/bash\ntrue\n", "#!/bin/bash\nset -euo pipefail\necho start\n"
    args = {"name": name, "on_create": on_create, "on_start": on_start}
    new_start = on_start.replace("echo start", "echo started")
    change = {"name": name, "on_create": "", "on_start": new_start}  # "" removes the on-create script
    played = aws.batch([(LIFECYCLE, args),
                        (LIFECYCLE, {"name": name, "on_start": on_start}),  # on_create omitted: left as it is
                        (LIFECYCLE, change, {"check_mode": True, "diff": True}), (LIFECYCLE, change)],
                       tmp_path)
    created, again, checked, updated = played.results
    assert not any(r.get("failed") for r in played.results), played.results
    assert created["changed"] is True and created["changed_scripts"] == ["on_create", "on_start"]
    create = next(r for r in recorded_requests(aws.url)
                  if r["headers"].get("X-Amz-Target", "").endswith("CreateNotebookInstanceLifecycleConfig"))
    # base64 by the module
    assert base64.b64decode(sent(create)["OnStart"][0]["Content"]).decode() == on_start

    assert again["changed"] is False and writes(played.calls[1]) == []

    assert checked["changed"] is True and checked["changed_scripts"] == ["on_create", "on_start"]
    assert [(d["before"], d["after"]) for d in checked["diff"]] == [(on_create, ""), (on_start, new_start)]
    assert writes(played.calls[2]) == []

    assert writes(played.calls[3]) == ["UpdateNotebookInstanceLifecycleConfig"]
    config = updated["lifecycle_config"]
    assert (config["on_create"], config["on_start"]) == ("", new_start)
    described = aws.sm.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)
    assert not described.get("OnCreate")
    assert base64.b64decode(described["OnStart"][0]["Content"]).decode() == new_start

    deleted, gone = aws.batch([(LIFECYCLE, {"name": name, "state": "absent"}),
                              (LIFECYCLE, {"name": name, "state": "absent"})], tmp_path).results
    assert deleted["changed"] is True and gone["changed"] is False and not gone.get("failed"), (deleted, gone)


def test_lifecycle_config_tags_are_set_at_creation_then_as_a_difference(aws, tmp_path):
    """Issue 18 item 6: CreateNotebookInstanceLifecycleConfig takes Tags; the module could not set them."""
    name = unique("lcc")
    args = {"name": name, "on_start": "#!/bin/bash\ntrue\n", "tags": TAGS}
    played = aws.batch([(LIFECYCLE, args), (LIFECYCLE, args),
                       (LIFECYCLE, {**args, "tags": {**TAGS, "Owner": "bob"}}, {"check_mode": True}),
                       (LIFECYCLE, {**args, "tags": {**TAGS, "Owner": "bob"}})], tmp_path)
    created, again, checked, retagged = played.results
    assert writes(sum(played.calls, [])) == ["CreateNotebookInstanceLifecycleConfig", "AddTags"], played.calls
    assert writes(played.calls[3]) == ["AddTags"], played.calls
    arn = created["lifecycle_config"]["arn"]
    create = next(r for r in recorded_requests(aws.url) if r["headers"].get("X-Amz-Target", "").endswith(
        "CreateNotebookInstanceLifecycleConfig"))
    assert {t["Key"]: t["Value"] for t in sent(create)["Tags"]} == TAGS  # in the create call itself
    assert created["lifecycle_config"]["tags"] == TAGS
    assert again["changed"] is False and checked["changed"] is True and checked["changed_tags"] is True
    assert checked["changed_scripts"] == [] and retagged["lifecycle_config"]["tags"]["Owner"] == "bob"
    tags = {t["Key"]: t["Value"] for t in aws.sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags == {**TAGS, "Owner": "bob"}
    aws.sm.delete_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)


# --- sagemaker_code_repository ------------------------------------------------------------------------------

def test_code_repository_create_idempotence_check_mode_update_and_delete(aws, tmp_path):
    name = unique("repo")
    args = {"name": name, "repository_url": "https://github.com/example/notebooks.git", "branch": "main",
            "tags": {"Project": "sagelab"}}
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:git-AbCdEf"
    played = aws.batch([(REPOSITORY, args), (REPOSITORY, args),
                       (REPOSITORY, {**args, "secret_arn": secret}, {"check_mode": True, "diff": True}),
                       (REPOSITORY, {"name": name, "secret_arn": secret}),
                       (REPOSITORY, {**args, "branch": "develop"})], tmp_path)
    created, again, checked, updated, refused = played.results
    assert created["changed"] is True, created
    git = created["code_repository"]["git_config"]
    assert git == {"repository_url": args["repository_url"], "branch": "main"}
    assert created["code_repository"]["tags"] == {"Project": "sagelab"}

    assert again["changed"] is False and writes(played.calls[1]) == []

    assert checked["changed"] is True and checked["changed_settings"] == ["secret_arn"]
    assert (checked["diff"]["before"]["secret_arn"], checked["diff"]["after"]["secret_arn"]) == (None, secret)
    assert writes(played.calls[2]) == []

    assert updated["changed_settings"] == ["secret_arn"]
    assert aws.sm.describe_code_repository(CodeRepositoryName=name)["GitConfig"]["SecretArn"] == secret

    assert refused["failed"] is True, refused
    assert refused["msg"].startswith(f"Cannot change branch of code repository {name}: AWS can only change "
                                     "its secret_arn (branch: 'main' -> 'develop')")
    assert writes(played.calls[4]) == []

    deleted, gone = aws.batch([(REPOSITORY, {"name": name, "state": "absent"}),
                              (REPOSITORY, {"name": name, "state": "absent"})], tmp_path).results
    assert deleted["changed"] is True and gone["changed"] is False and not gone.get("failed"), (deleted, gone)


# --- the notebook_instance role, through playbooks/notebook.yml ---------------------------------------------

def playbook_vars(aws: Sandbox, name: str, **extra: Any) -> dict:
    return {"sagelab_aws_endpoint_url": aws.url, "sagelab_aws_region": REGION, "sagelab_tags": TAGS,
            "notebook_instance_name": name, "notebook_instance_idle_minutes": 30,
            "notebook_instance_code_repositories": [{"name": f"{name}-book",
                                                     "url": "https://github.com/example/book.git"}],
            "notebook_instance_default_code_repository": f"{name}-book", **extra}


def without_endpoint(aws: Sandbox) -> dict:
    """The sandbox's keys and region, but no AWS_ENDPOINT_URL: the playbook must pass the endpoint itself."""
    return {k: v for k, v in aws.env.items() if k != "AWS_ENDPOINT_URL"}


def converge(aws: Sandbox, name: str, **extra: Any) -> Any:
    return run_playbook("playbooks/notebook.yml", extra_vars=playbook_vars(aws, name, **extra),
                        env=without_endpoint(aws))


def load_checker(aws: Sandbox, config: str) -> dict:
    """The idle checker embedded in the auto-stop on-start script, loaded as a module namespace."""
    described = aws.sm.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=config)
    script = base64.b64decode(described["OnStart"][0]["Content"]).decode()
    assert "IDLE_MINUTES=30" in script and "crontab -" in script
    assert "wget" not in script and "curl" not in script  # nothing downloaded at run time
    source = re.search(r"<<'PYTHON'\n(.*?)\nPYTHON\n", script, re.S).group(1)
    namespace: dict = {"__name__": "sagelab_idle_stop"}
    exec(compile(source, "sagelab-idle-stop", "exec"), namespace)  # noqa: S102 - our own script
    return namespace


def test_playbook_converges_is_idempotent_and_the_idle_checker_decides_right(aws, monkeypatch):
    name = unique("pb")
    first = converge(aws, name)
    assert first.rc == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert first.changed_tasks() == ["Ensure the idle auto-stop lifecycle configuration is present",
                                     "Ensure the Git repositories are registered in SageMaker",
                                     "Ensure the notebook instance is started"]
    described = aws.describe(name)
    assert described["NotebookInstanceStatus"] == "InService"
    assert (described["NotebookInstanceLifecycleConfigName"], described["DefaultCodeRepository"],
            described["RootAccess"]) == (f"{name}-auto-stop", f"{name}-book", "Disabled")
    assert described["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/sagelab-sagemaker-execution"
    assert aws.tags(name) == TAGS
    # how to open JupyterLab, but no link: a presigned URL is a bearer credential
    assert f"sagelab notebook open --name {name}" in first.stdout
    assert "authToken" not in first.stdout + first.stderr

    with aws.recording() as calls:
        second = converge(aws, name)
    assert second.rc == 0 and second.stats["localhost"]["changed"] == 0, second.changed_tasks()
    assert writes(calls) == [], calls

    checker = load_checker(aws, f"{name}-auto-stop")
    now = datetime.now(UTC)

    def stamp(minutes):
        return (now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    stopped: list[tuple[str, str]] = []
    monkeypatch.setitem(checker, "boot_time", lambda: now - timedelta(hours=5))
    monkeypatch.setitem(checker, "this_instance", lambda: (name, REGION))
    monkeypatch.setitem(checker, "stop", lambda *instance: stopped.append(instance))
    monkeypatch.setattr("sys.argv", ["sagelab-idle-stop", "--idle-minutes", "30"])
    cases = [  # kernels, terminals, stopped?
        ([{"execution_state": "busy", "last_activity": stamp(90)}], [], False),
        ([{"execution_state": "idle", "last_activity": stamp(10)}], [], False),
        ([{"execution_state": "idle", "last_activity": stamp(90)}], [{"last_activity": stamp(5)}], False),
        ([{"execution_state": "idle", "last_activity": stamp(90)}], [{"last_activity": stamp(45)}], True),
        ([], [], True),  # nothing open since boot, 5 hours ago
    ]
    for kernels, terminals, should_stop in cases:
        stopped.clear()
        answers = {"/api/kernels": kernels, "/api/terminals": terminals}
        monkeypatch.setitem(checker, "jupyter", answers.__getitem__)
        assert checker["main"]() == 0
        assert stopped == ([(name, REGION)] if should_stop else []), (kernels, terminals)


def test_a_url_asked_for_is_kept_for_later_tasks_and_never_shown(aws):
    name = unique("pbu")
    run = converge(aws, name, notebook_instance_presigned_url=True, notebook_instance_auto_stop=False,
                   notebook_instance_code_repositories=[], notebook_instance_default_code_repository="")
    assert run.rc == 0, run.failure_messages()
    hidden = [t["hosts"]["localhost"] for play in run.data["plays"] for t in play["tasks"]
              if t["task"]["name"].endswith("Ensure the notebook instance is started")]
    assert hidden and hidden[0].get("censored"), hidden  # the task asking for the URL shows no result
    assert "authToken" not in run.stdout + run.stderr


def test_cli_notebook_up_open_stop_start_down(aws, sandbox, capsys, monkeypatch, repo):
    """`sagelab notebook ...` for the local user: the instance is sagelab-<user>; `open` prints the link on
    stdout only (never in the runner's artifacts), and refuses a stopped instance, saying what to do."""
    from sagelab.cli import main, notebook_name
    from sagelab.target import local_user

    monkeypatch.setenv("SAGELAB_SANDBOX_HOME", str(sandbox.home))
    name = unique("cli")
    assert name != notebook_name(local_user())
    base = ["--name", name, "--region", REGION, "-e", json.dumps({"sagelab_tags": TAGS})]

    assert main(["notebook", "up", *base, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["aws"]["notebook"]["changed"] > 0 and doc["aws"]["target"] == "sandbox"
    assert doc["aws"]["resources"]["notebook_instance"] == f"{name} (InService)"
    assert main(["notebook", "up", *base, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["aws"]["notebook"]["changed"] == 0

    assert main(["notebook", "open", "--name", name, "--region", REGION]) == 0
    url = capsys.readouterr().out.strip()
    assert re.fullmatch(rf"https://{name}\.notebook\.{REGION}\.sagemaker\.aws\?authToken=[\w-]{{20,}}&view=lab",
                        url), url
    token = url.split("authToken=")[1].split("&")[0]
    assert main(["notebook", "open", "--name", name, "--region", REGION, "--json"]) == 0
    opened = json.loads(capsys.readouterr().out)
    assert opened["notebook_instance"] == name and opened["status"] == "InService", opened
    assert opened["url"].endswith("&view=lab"), opened
    for path in (repo / ".sagelab" / "artifacts").rglob("*"):
        if path.is_file():
            assert token not in path.read_text(errors="replace"), path

    assert main(["notebook", "stop", *base, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["aws"]["resources"]["notebook_instance"] == f"{name} (Stopped)"
    assert main(["notebook", "open", "--name", name, "--region", REGION]) == 1
    assert "is Stopped, not InService: start it with `sagelab notebook start`" in capsys.readouterr().err

    assert main(["notebook", "start", *base]) == 0
    shown = capsys.readouterr().out
    assert f"open JupyterLab: sagelab notebook open --name {name}" in shown and "authToken" not in shown
    assert aws.describe(name)["NotebookInstanceStatus"] == "InService"

    assert main(["notebook", "down", *base, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["aws"]["resources"]["notebook_instance"] == f"{name} (absent)"
    assert main(["notebook", "open", "--name", name, "--region", REGION]) == 1
    assert f"no notebook instance called {name} in {REGION}" in capsys.readouterr().err


BAD_PLAYBOOK_INPUT = [
    ({"notebook_instance_name": "bad_name!"}, "notebook_instance_name: 'bad_name!' is not allowed"),
    ({"notebook_instance_type": "t3.medium"}, "notebook_instance_type: 't3.medium' is not allowed"),
    ({"notebook_instance_volume_size": 2}, "notebook_instance_volume_size: '2' is not allowed"),
    ({"notebook_instance_idle_minutes": 3}, "notebook_instance_idle_minutes: '3' is not allowed"),
    ({"notebook_instance_additional_code_repositories": ["a", "b", "c", "d"]},
     "notebook_instance_additional_code_repositories: ['a', 'b', 'c', 'd'] is not allowed"),
    ({"sagelab_tags": {"Owner": "alice", "Project": "sagelab", "ManagedBy": "sagelab"}},
     "untagged resources are refused. Allowed: a dict with non-empty Owner, Project and CostCenter and "
     "ManagedBy: sagelab (missing or empty: CostCenter)"),
]


@pytest.fixture(scope="module")
def playbook_refusals(aws: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[str], Any]:
    """Every BAD_PLAYBOOK_INPUT case through playbooks/notebook.yml's preflight play, in one run
    (tests.conftest.preflight_refusals), and the first case through the whole playbook: the refusals by case
    index, the AWS calls both runs made, the whole run."""
    cases = {str(i): playbook_vars(aws, unique("bad"), **extra)
             for i, (extra, _unused) in enumerate(BAD_PLAYBOOK_INPUT)}
    with aws.recording() as calls:
        refusals = preflight_refusals("playbooks/notebook.yml", cases, tmp_path_factory.mktemp("refusals"),
                                      env=without_endpoint(aws))
        whole = converge(aws, unique("bad"), **BAD_PLAYBOOK_INPUT[0][0])
    return refusals, calls, whole


@pytest.mark.parametrize(("extra", "message"), BAD_PLAYBOOK_INPUT)
def test_playbook_refuses_bad_input_before_any_change(playbook_refusals, extra, message):
    refusals, calls, _unused = playbook_refusals
    assert_refused_before_any_call(refusals, BAD_PLAYBOOK_INPUT, (extra, message), calls)


def test_a_refusal_stops_the_whole_playbook_before_any_aws_call(playbook_refusals):
    _unused, calls, whole = playbook_refusals
    assert_stopped_in_preflight(whole, BAD_PLAYBOOK_INPUT[0][1],
                                "Check the notebook instance's input before anything changes", calls)
