"""playbooks/teardown.yml against the embedded AWS sandbox, for real: a small estate built with the
project's own playbooks (bucket, execution role, one IAM user with a key, one notebook instance with the
idle auto-stop lifecycle configuration and its schedules) plus an untagged notebook instance and an
untagged IAM user; check mode lists and deletes nothing, the real run deletes the tagged resources in
dependency order (moto's request recorder) and keeps the bucket with its data and the untagged
resources, a second run changes nothing, and teardown_delete_data removes the bucket.

Everything here carries a per-run name prefix, which the teardown is limited to (teardown_name_prefix),
and lives in its own region, so the session-wide sandbox is shared with other tests.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from tests.conftest import PlaybookRun, run_playbook
from tests.integration.test_notebook_instance import call_api, operation

REGION = "eu-north-1"
TAGS = {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": "ml-platform", "CostCenter": "cc-4711"}


@dataclass
class Estate:
    endpoint_url: str
    env: dict[str, str]
    prefix: str
    creds: Path

    @property
    def notebook(self) -> str:
        return f"{self.prefix}-nb"

    @property
    def stray_notebook(self) -> str:
        return f"{self.prefix}-untagged-nb"

    @property
    def repository(self) -> str:
        return f"{self.prefix}-notebooks"

    @property
    def user(self) -> str:
        return f"{self.prefix}-alice"

    @property
    def stray_user(self) -> str:
        return f"{self.prefix}-untagged-bob"

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-data"

    @property
    def role(self) -> str:
        return f"{self.prefix}-execution"

    @property
    def scheduler_role(self) -> str:
        return f"{self.prefix}-scheduler"

    @property
    def group(self) -> str:
        return f"{self.prefix}-users"

    @property
    def users_policy(self) -> str:
        return f"{self.prefix}-users-policy"

    def extra_vars(self, **extra: Any) -> dict[str, Any]:
        return {
            "sagelab_aws_endpoint_url": self.endpoint_url,
            "sagelab_aws_region": REGION,
            "sagelab_tags": TAGS,
            "s3_bucket_name": self.bucket,
            "sagelab_bucket_name": self.bucket,
            "execution_role_name": self.role,
            "iam_users_group": self.group,
            "iam_users_policy_name": self.users_policy,
            "iam_users_credentials_dir": str(self.creds),
            "iam_users_list": [{"name": self.user}],
            "notebook_instance_name": self.notebook,
            "notebook_instance_role": self.role,
            "notebook_instance_presigned_url": False,
            "notebook_instance_code_repositories": [
                {"name": self.repository, "url": "https://github.com/example/notebooks.git"}],
            "notebook_instance_default_code_repository": self.repository,
            "cost_controls_role_name": self.scheduler_role,
            "cost_controls_morning_start": True,
            **extra,
        }

    def run(self, playbook: str, *args: str, **extra: Any) -> PlaybookRun:
        result = run_playbook(playbook, *args, extra_vars=self.extra_vars(**extra), env=self.env, timeout=300)
        assert result.rc == 0, (result.failure_messages(), result.stderr[-2000:])
        return result

    def teardown(self, *args: str, **extra: Any) -> PlaybookRun:
        return self.run("playbooks/teardown.yml", *args, teardown_name_prefix=self.prefix, **extra)

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(retries={"max_attempts": 1}))

    def snapshot(self) -> dict[str, Any]:
        """What of this estate exists, read with boto3."""
        sm, iam, s3 = self.client("sagemaker"), self.client("iam"), self.client("s3")
        scheduler = self.client("scheduler")
        notebooks = {n["NotebookInstanceName"]: n.get("NotebookInstanceLifecycleConfigName")
                     for n in sm.list_notebook_instances(NameContains=self.prefix)["NotebookInstances"]}
        lifecycle = {c["NotebookInstanceLifecycleConfigName"]
                     for c in sm.list_notebook_instance_lifecycle_configs(NameContains=self.prefix)
                     ["NotebookInstanceLifecycleConfigs"]}
        schedules = {s["Name"] for s in scheduler.list_schedules(NamePrefix=self.prefix)["Schedules"]}
        users = {u["UserName"] for u in iam.list_users()["Users"] if u["UserName"].startswith(self.prefix)}
        roles = {r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(self.prefix)}
        groups = {g["GroupName"] for g in iam.list_groups()["Groups"]
                  if g["GroupName"].startswith(self.prefix)}
        policies = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]
                    if p["PolicyName"].startswith(self.prefix)}
        repositories = {r["CodeRepositoryName"] for r in sm.list_code_repositories(NameContains=self.prefix)
                        ["CodeRepositorySummaryList"]}
        buckets = {b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(self.prefix)}
        objects = {o["Key"] for b in buckets for o in s3.list_objects_v2(Bucket=b).get("Contents", [])}
        return {"notebooks": notebooks, "lifecycle_configs": lifecycle, "schedules": schedules,
                "repositories": repositories,
                "users": users, "roles": roles, "groups": groups, "policies": policies,
                "buckets": buckets, "objects": objects}

    def recorded(self) -> list[str]:
        lines = call_api(self.endpoint_url, "/moto-api/recorder/download-recording", method="GET")
        return [named(json.loads(line)) for line in lines.splitlines() if line.strip()]


def named(request: dict) -> str:
    """A recorded request's operation; for REST APIs (Scheduler, S3) its method and path."""
    name = operation(request)
    if name != "?":
        return name
    return f"{request['method']} {urlsplit(request['url']).path}"


def writes(calls: list[str]) -> list[str]:
    return [op for op in calls if not op.startswith(("Describe", "List", "Get", "GET ", "HEAD "))]


def summary_of(result: PlaybookRun) -> dict[str, list[str]]:
    for play in result.data.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].endswith("Show what the teardown removes"):
                return task["hosts"]["localhost"]["msg"]
    raise AssertionError("no summary task")


@pytest.fixture(scope="module")
def estate(sandbox, tmp_path_factory) -> Estate:
    env = {**sandbox.env, "AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard"}
    built = Estate(sandbox.endpoint_url, env, f"td{uuid.uuid4().hex[:8]}",
                   tmp_path_factory.mktemp("td") / "credentials")
    built.run("playbooks/aws_access.yml")
    built.run("playbooks/notebook.yml")
    built.run("playbooks/schedule.yml")
    built.client("s3").put_object(Bucket=built.bucket, Key="data/train.csv", Body=b"a,b\n1,2\n")
    sm, iam = built.client("sagemaker"), built.client("iam")
    sm.create_notebook_instance(NotebookInstanceName=built.stray_notebook, InstanceType="ml.t3.medium",
                                RoleArn="arn:aws:iam::123456789012:role/someone-elses")
    iam.create_user(UserName=built.stray_user)
    return built


def test_check_mode_lists_what_would_go_and_changes_nothing(estate):
    before = estate.snapshot()
    assert before["notebooks"] == {estate.notebook: f"{estate.notebook}-auto-stop",
                                   estate.stray_notebook: None}
    assert len(before["schedules"]) == 3 and estate.user in before["users"]
    assert before["repositories"] == {estate.repository}

    call_api(estate.endpoint_url, "/moto-api/recorder/reset-recording")
    call_api(estate.endpoint_url, "/moto-api/recorder/start-recording")
    try:
        checked = estate.teardown("--check")
    finally:
        call_api(estate.endpoint_url, "/moto-api/recorder/stop-recording")
    calls = estate.recorded()
    assert writes(calls) == [], calls
    assert estate.snapshot() == before

    summary = summary_of(checked)
    assert summary["notebook_instances"] == [estate.notebook]
    assert sorted(summary["schedules"]) == sorted(f"{estate.notebook}-{s}" for s in
                                                  ("stop-weeknight", "stop-weekend", "start-morning"))
    assert summary["lifecycle_configs"] == [f"{estate.notebook}-auto-stop"]
    assert summary["code_repositories"] == [estate.repository]
    assert sorted(summary["iam_roles"]) == sorted([estate.role, estate.scheduler_role])
    assert summary["iam_role_policies"] == [f"{estate.role}-policy"]
    assert summary["iam_users"] == [estate.user]
    assert summary["iam_group"] == [estate.group] and summary["iam_managed_policy"] == [estate.users_policy]
    assert (summary["buckets"], summary["buckets_kept"]) == ([], [estate.bucket])
    changed = checked.changed_tasks()
    assert "Ensure sagelab's notebook instances are stopped and deleted" in changed
    assert "Ensure sagelab's IAM users are offboarded (keys, passwords, groups, policies removed)" in changed


def test_teardown_removes_tagged_resources_in_order_and_keeps_the_rest(estate):
    call_api(estate.endpoint_url, "/moto-api/recorder/reset-recording")
    call_api(estate.endpoint_url, "/moto-api/recorder/start-recording")
    try:
        estate.teardown()
    finally:
        call_api(estate.endpoint_url, "/moto-api/recorder/stop-recording")
    calls = estate.recorded()

    after = estate.snapshot()
    assert after["notebooks"] == {estate.stray_notebook: None}
    assert after["users"] == {estate.stray_user}
    assert (after["schedules"], after["lifecycle_configs"], after["roles"]) == (set(), set(), set())
    assert after["repositories"] == set()
    assert (after["groups"], after["policies"]) == (set(), set())
    assert after["buckets"] == {estate.bucket} and after["objects"] == {"data/train.csv"}

    def at(op: str) -> list[int]:  # an operation's positions; "METHOD /path/" matches REST calls below it
        return [i for i, call in enumerate(calls) if call == op or (op.endswith("/") and call.startswith(op))]

    def first(op: str) -> int:
        return min(at(op))

    def last(op: str) -> int:
        return max(at(op))

    deleted_schedules = [call for call in calls if call.startswith("DELETE /schedules/")]
    assert len(deleted_schedules) == 3, calls
    assert last("DELETE /schedules/") < first("StopNotebookInstance") < first("DeleteNotebookInstance")
    assert last("DeleteNotebookInstance") < first("DeleteNotebookInstanceLifecycleConfig")
    assert last("DeleteNotebookInstance") < first("DeleteCodeRepository") < first("DeleteRole")
    assert first("DeleteNotebookInstanceLifecycleConfig") < first("DeleteRole") < first("DeleteUser")
    assert first("DeleteRole") < first("DeletePolicy")  # the execution role's policy, once detached
    assert last("DeleteUser") < first("DeleteGroup") < last("DeletePolicy")  # the users' policy last
    assert not [call for call in writes(calls) if estate.bucket in call], calls


def test_second_run_changes_nothing_and_delete_data_removes_the_bucket(estate):
    again = estate.teardown()
    assert again.stats["localhost"]["changed"] == 0, again.changed_tasks()

    estate.teardown(teardown_delete_data=True)
    after = estate.snapshot()
    assert after["buckets"] == set()
    assert after["notebooks"] == {estate.stray_notebook: None} and after["users"] == {estate.stray_user}
