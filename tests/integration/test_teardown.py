"""playbooks/teardown.yml against the embedded AWS sandbox, for real: a small estate built with the
project's own playbooks (bucket, execution role, one IAM user with a key, one notebook instance with the
idle auto-stop lifecycle configuration and its schedules), a Studio domain with a user profile, a running
JupyterLab app and a space, plus an untagged notebook instance and an untagged IAM user. `sagelab down
--check` lists what would go and writes nothing, the real run deletes the tagged resources in dependency
order (moto's request recorder) and keeps the bucket with its data and the untagged resources, a second
run changes nothing, and `sagelab down --delete-data` removes the bucket.

Everything here carries a per-run name prefix, which the teardown is limited to (teardown_name_prefix),
and lives in its own region, so the session-wide sandbox is shared with other tests.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sagelab.cli import main
from tests.conftest import PlaybookRun, ansible_module, recording, run_playbook, unique, writes

REGION = "eu-north-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/{}"
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
    def domain(self) -> str:
        return f"{self.prefix}-studio"

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

    def run(self, playbook: str, *args: str, timeout: int = 300, **extra: Any) -> PlaybookRun:
        result = run_playbook(playbook, *args, extra_vars=self.extra_vars(**extra), env=self.env,
                              timeout=timeout)
        assert result.rc == 0, (result.failure_messages(), result.stderr[-2000:])
        return result

    def teardown(self, *args: str, **extra: Any) -> PlaybookRun:
        return self.run("playbooks/teardown.yml", *args, teardown_name_prefix=self.prefix, **extra)

    def down(self, capsys: Any, monkeypatch: Any, home: Path, *args: str) -> dict[str, Any]:
        """`sagelab down` (the CLI, on ansible-runner) limited to this estate; its JSON document."""
        monkeypatch.setenv("SAGELAB_SANDBOX_HOME", str(home))
        limits = {"teardown_name_prefix": self.prefix, "iam_users_group": self.group,
                  "iam_users_policy_name": self.users_policy}
        code = main(["down", "--region", REGION, "-e", json.dumps(limits), "--json", *args])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0, doc
        return doc

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
        domains = {d["DomainName"]: d["DomainId"] for d in sm.list_domains()["Domains"]
                   if d["DomainName"].startswith(self.prefix)}
        studio = {f"{kind}:{item}" for domain_id in domains.values() for kind, item in
                  [("profile", p["UserProfileName"]) for p in
                   sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]]
                  + [("space", s["SpaceName"]) for s in sm.list_spaces(DomainIdEquals=domain_id)["Spaces"]]
                  + [("app", f"{a['AppType']}/{a['AppName']}") for a in sm.list_apps(DomainIdEquals=domain_id)
                     ["Apps"] if a["Status"] != "Deleted"]}
        buckets = {b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(self.prefix)}
        objects = {o["Key"] for b in buckets for o in s3.list_objects_v2(Bucket=b).get("Contents", [])}
        return {"notebooks": notebooks, "lifecycle_configs": lifecycle, "schedules": schedules,
                "repositories": repositories, "domains": set(domains), "studio": studio,
                "users": users, "roles": roles, "groups": groups, "policies": policies,
                "buckets": buckets, "objects": objects}


@pytest.fixture(scope="module")
def estate(sandbox, tmp_path_factory) -> Estate:
    env = {**sandbox.env, "AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard"}
    built = Estate(sandbox.endpoint_url, env, f"td{uuid.uuid4().hex[:8]}",
                   tmp_path_factory.mktemp("td") / "credentials")
    # aws_access, notebook and schedule in one ansible-playbook run
    built.run("tests/drills/playbooks/aws_notebook_schedule.yml", timeout=900)
    built.client("s3").put_object(Bucket=built.bucket, Key="data/train.csv", Body=b"a,b\n1,2\n")
    sm, iam = built.client("sagemaker"), built.client("iam")
    sm.create_notebook_instance(NotebookInstanceName=built.stray_notebook, InstanceType="ml.t3.medium",
                                RoleArn="arn:aws:iam::123456789012:role/someone-elses")
    iam.create_user(UserName=built.stray_user)
    # Studio: a tagged domain with a user profile, a running JupyterLab app and a space
    ec2 = built.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] == vpc][:1]
    tags = [{"Key": k, "Value": v} for k, v in TAGS.items()]
    domain_id = sm.create_domain(DomainName=built.domain, AuthMode="IAM", VpcId=vpc, SubnetIds=subnets,
                                 DefaultUserSettings={"ExecutionRole": ROLE_ARN.format(built.role)},
                                 Tags=tags)["DomainArn"].rpartition("/")[2]
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice", Tags=tags)
    sm.create_space(DomainId=domain_id, SpaceName="shared", Tags=tags)
    sm.create_app(DomainId=domain_id, UserProfileName="alice", AppType="JupyterLab", AppName="default")
    deadline = time.monotonic() + 30
    while sm.describe_app(DomainId=domain_id, UserProfileName="alice", AppType="JupyterLab",
                          AppName="default")["Status"] != "InService":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return built


def test_check_mode_lists_what_would_go_and_changes_nothing(estate, sandbox, capsys, monkeypatch):
    before = estate.snapshot()
    assert before["notebooks"] == {estate.notebook: f"{estate.notebook}-auto-stop",
                                   estate.stray_notebook: None}
    assert len(before["schedules"]) == 3 and estate.user in before["users"]
    assert before["repositories"] == {estate.repository} and before["domains"] == {estate.domain}
    assert before["studio"] == {"profile:alice", "space:shared", "app:JupyterLab/default"}

    with recording(estate.endpoint_url) as calls:
        doc = estate.down(capsys, monkeypatch, sandbox.home, "--check")
    assert writes(calls) == [], calls
    assert estate.snapshot() == before

    teardown = doc["aws"]["teardown"]
    assert teardown["check"] is True and doc["aws"]["down"]["changed"] > 0
    summary = teardown["removes"]
    assert summary["notebook_instances"] == [estate.notebook]
    assert sorted(summary["schedules"]) == sorted(f"{estate.notebook}-{s}" for s in
                                                  ("stop-weeknight", "stop-weekend", "start-morning"))
    assert summary["lifecycle_configs"] == [f"{estate.notebook}-auto-stop"]
    assert summary["code_repositories"] == [estate.repository]
    assert sorted(summary["iam_roles"]) == sorted([estate.role, estate.scheduler_role])
    assert summary["iam_role_policies"] == [f"{estate.role}-policy"]
    assert summary["iam_users"] == [estate.user]
    assert summary["iam_group"] == [estate.group] and summary["iam_managed_policy"] == [estate.users_policy]
    assert summary["studio_domains"] == [estate.domain] and summary["studio_user_profiles"] == ["alice"]
    assert (summary["studio_apps"], summary["studio_spaces"]) == (["JupyterLab/default"], ["shared"])
    assert (summary["buckets"], teardown["kept"]["buckets"]) == ([], [estate.bucket])
    assert len(teardown["kept"]["studio_home_efs"]) == 1  # the users' files stay


def test_teardown_removes_tagged_resources_in_order_and_keeps_the_rest(estate):
    with recording(estate.endpoint_url) as calls:
        estate.teardown()

    after = estate.snapshot()
    assert after["notebooks"] == {estate.stray_notebook: None}
    assert after["users"] == {estate.stray_user}
    assert (after["schedules"], after["lifecycle_configs"], after["roles"]) == (set(), set(), set())
    assert after["repositories"] == set()
    assert (after["domains"], after["studio"]) == (set(), set())
    assert (after["groups"], after["policies"]) == (set(), set())
    assert after["buckets"] == {estate.bucket} and after["objects"] == {"data/train.csv"}

    def at(op: str) -> list[int]:  # an operation's positions
        return [i for i, call in enumerate(calls) if call == op]

    def first(op: str) -> int:
        return min(at(op))

    def last(op: str) -> int:
        return max(at(op))

    assert calls.count("DeleteSchedule") == 3, calls
    assert last("DeleteSchedule") < first("StopNotebookInstance") < first("DeleteNotebookInstance")
    assert last("DeleteNotebookInstance") < first("DeleteNotebookInstanceLifecycleConfig")
    assert last("DeleteNotebookInstance") < first("DeleteCodeRepository") < first("DeleteRole")
    assert first("DeleteNotebookInstanceLifecycleConfig") < first("DeleteRole") < first("DeleteUser")
    assert first("DeleteRole") < first("DeletePolicy")  # the execution role's policy, once detached
    assert last("DeleteUser") < first("DeleteGroup") < last("DeletePolicy")  # the users' policy last
    assert not [call for call in writes(calls) if estate.bucket in call], calls
    # Studio: apps, then spaces, then user profiles, then the domain (keeping its home EFS), then roles
    assert last("DeleteCodeRepository") < first("DeleteApp") < first("DeleteSpace")
    assert first("DeleteSpace") < first("DeleteUserProfile")
    assert last("DeleteUserProfile") < first("DeleteDomain") < first("DeleteRole")


def test_second_run_changes_nothing_and_delete_data_removes_the_bucket(estate, sandbox, capsys, monkeypatch):
    again = estate.teardown()
    assert again.stats["localhost"]["changed"] == 0, again.changed_tasks()

    doc = estate.down(capsys, monkeypatch, sandbox.home, "--delete-data")
    assert doc["aws"]["teardown"]["removes"]["buckets"] == [estate.bucket]
    after = estate.snapshot()
    assert after["buckets"] == set()
    assert after["notebooks"] == {estate.stray_notebook: None} and after["users"] == {estate.stray_user}


def test_a_tagged_lifecycle_config_no_instance_uses_goes_and_the_others_stay(sandbox):
    """The orphan of a refused `notebook up --name nb-typo` (nb-typo-auto-stop made, tagged as the role tags
    it, no instance ever made) used to stay for ever: `down` looked only at the configurations instances
    use. Now it goes; an untagged one, one outside the prefix (another owner's) and a tagged one that an
    instance which stays uses are kept."""
    env = {**sandbox.env, "AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard"}
    prefix, other = unique("tdlc"), unique("tdlc")
    orphan, untagged, shared = f"{prefix}-nb-typo-auto-stop", f"{prefix}-untagged", f"{prefix}-shared"
    others = f"{other}-nb-auto-stop"
    script = "#!/bin/bash\necho sagelab\n"
    aws = {"endpoint_url": sandbox.endpoint_url, "region": REGION}
    ansible_module("sagelab.sagemaker.sagemaker_lifecycle_config",
                   {**aws, "name": orphan, "on_start": script, "tags": TAGS, "purge_tags": False}, env=env)
    sm = boto3.client("sagemaker", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    hooks = [{"Content": base64.b64encode(script.encode()).decode()}]
    tags = [{"Key": k, "Value": v} for k, v in TAGS.items()]
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=untagged, OnStart=hooks)
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=shared, OnStart=hooks,
                                                 Tags=tags)
    sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=others, OnStart=hooks,
        Tags=[t if t["Key"] != "Owner" else {"Key": "Owner", "Value": "bob"} for t in tags])
    sm.create_notebook_instance(NotebookInstanceName=f"{prefix}-stray-nb", InstanceType="ml.t3.medium",
                                RoleArn=ROLE_ARN.format("someone-elses"), LifecycleConfigName=shared)

    def existing() -> set[str]:
        return {c["NotebookInstanceLifecycleConfigName"] for c in sm.list_notebook_instance_lifecycle_configs(
            NameContains="tdlc-")["NotebookInstanceLifecycleConfigs"]} & {orphan, untagged, shared, others}

    limits = {"sagelab_aws_endpoint_url": sandbox.endpoint_url, "sagelab_aws_region": REGION,
              "teardown_name_prefix": prefix}
    with recording(sandbox.endpoint_url) as calls:
        checked = run_playbook("playbooks/teardown.yml", "--check", extra_vars=limits, env=env, timeout=300)
    assert checked.rc == 0, checked.failure_messages()
    assert writes(calls) == [] and existing() == {orphan, untagged, shared, others}
    assert checked.changed_tasks() == ["Ensure the lifecycle configurations they used are deleted"]
    plan = ansible_module("sagelab.sagemaker.teardown_plan_info",
                          {**aws, "tags": {"ManagedBy": "sagelab"}, "name_prefix": prefix}, env=env)
    assert plan["changed"] is False and plan["removes"]["lifecycle_configs"] == [orphan]
    assert plan["stays"]["lifecycle_configs"] == {
        shared: f"used by notebook instance {prefix}-stray-nb, which stays"}
    assert plan["removes"]["notebook_instances"] == [] and plan["order"][:3] == [
        "schedules", "notebook_instances", "lifecycle_configs"]

    with recording(sandbox.endpoint_url) as calls:
        removed = run_playbook("playbooks/teardown.yml", extra_vars=limits, env=env, timeout=300)
    assert removed.rc == 0, removed.failure_messages()
    assert writes(calls) == ["DeleteNotebookInstanceLifecycleConfig"], calls
    assert existing() == {untagged, shared, others}

    again = run_playbook("playbooks/teardown.yml", extra_vars=limits, env=env, timeout=300)
    assert again.rc == 0 and again.stats["localhost"]["changed"] == 0, again.changed_tasks()
