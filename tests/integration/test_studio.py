"""SageMaker Studio against the embedded AWS sandbox, for real: the sagemaker_domain,
sagemaker_domain_info, sagemaker_user_profile and sagemaker_user_profile_info modules run through `ansible`.

Write calls are counted with moto's request recorder: an idempotent run, a check-mode run and a refused
run make Describe*/List* (and STS/EC2 Get*/Describe*) calls only; bad input makes no call at all. An
account may hold several domains; adoption (opt-in) is tested in a region of its own, where only the test's
domains exist.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import _start_sandbox, operation, play, recorded_requests, run_playbook, unique, writes
from tests.integration.test_notebook_instance import Sandbox
from tests.unit.test_sandbox import call_api

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ADOPT_REGION = "eu-central-1"  # adoption needs a region where only the test's own domain exists
DOMAIN = "sagelab.sagemaker.sagemaker_domain"
DOMAIN_INFO = "sagelab.sagemaker.sagemaker_domain_info"
PROFILE = "sagelab.sagemaker.sagemaker_user_profile"
PROFILE_INFO = "sagelab.sagemaker.sagemaker_user_profile_info"
TAGS = {"Owner": "alice", "Project": "sagelab", "CostCenter": "cc-4711", "ManagedBy": "sagelab"}
ROLE = "sagelab-studio-execution"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
LCC = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:studio-lifecycle-config/sagelab-setup"
LCC_2 = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:studio-lifecycle-config/sagelab-extra"
IMAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/sagelab-image"


def client(box: Sandbox, service: str, region: str = REGION) -> Any:
    return boto3.client(service, endpoint_url=box.url, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


class Studio(Sandbox):
    def play(self, tasks: list[tuple], tmp_path: Any) -> list[dict]:
        return play(tasks, tmp_path, env=self.env)

    def recorded(self) -> list[dict]:
        return recorded_requests(self.url)

    def domains(self, region: str = REGION) -> dict[str, dict]:
        return {d["DomainName"]: d for d in client(self, "sagemaker", region).list_domains()["Domains"]}

    def domain(self, domain_id: str) -> dict:
        return self.sm.describe_domain(DomainId=domain_id)

    def profiles(self, domain_id: str) -> list[str]:
        found = self.sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
        return sorted(p["UserProfileName"] for p in found)

    def tags_of(self, arn: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.sm.list_tags(ResourceArn=arn)["Tags"]}


def body(request: dict) -> dict:
    raw = request.get("body") or ""
    if request.get("body_encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw) if raw.startswith("{") else {}


@pytest.fixture(scope="module")
def aws(sandbox: Any) -> Iterator[Studio]:
    """The session's sandbox, with the lifecycle configurations and the image the tests' settings name:
    like AWS, the sandbox refuses Studio settings naming ones that do not exist."""
    studio = Studio(sandbox.endpoint_url, sandbox.env)
    for arn in (LCC, LCC_2):
        with contextlib.suppress(studio.sm.exceptions.ResourceInUse):
            studio.sm.create_studio_lifecycle_config(
                StudioLifecycleConfigName=arn.rpartition("/")[2], StudioLifecycleConfigContent="ZWNobyBoaQ==",
                StudioLifecycleConfigAppType="JupyterLab")
    with contextlib.suppress(studio.sm.exceptions.ResourceInUse):
        studio.sm.create_image(ImageName=IMAGE.rpartition("/")[2], RoleArn=ROLE_ARN)
    yield studio


@pytest.fixture
def domain(aws: Studio) -> Iterator[dict]:
    """A domain in the default VPC, made with boto3 (the module's own creation is tested on its own);
    deleted afterwards, with its user profiles, if still there."""
    name = unique("studio")
    vpc, subnets = default_network(aws)
    aws.sm.create_domain(DomainName=name, AuthMode="IAM", VpcId=vpc, SubnetIds=subnets,
                         DefaultUserSettings={"ExecutionRole": ROLE_ARN},
                         Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()])
    yield {"domain_name": name, "domain_id": f"d-{name}"}  # moto's domain ID
    if name in aws.domains() and aws.domains()[name]["Status"] != "Deleting":
        for profile in aws.profiles(f"d-{name}"):
            if aws.sm.describe_user_profile(DomainId=f"d-{name}", UserProfileName=profile)["Status"] \
                    != "Deleting":
                aws.sm.delete_user_profile(DomainId=f"d-{name}", UserProfileName=profile)
        deadline = time.monotonic() + 30  # user profiles take time to delete, as on AWS
        while aws.profiles(f"d-{name}") and time.monotonic() < deadline:
            time.sleep(0.2)
        aws.sm.delete_domain(DomainId=f"d-{name}")


def default_network(aws: Studio, region: str = REGION) -> tuple[str, list[str]]:
    ec2 = client(aws, "ec2", region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return vpc, sorted(s["SubnetId"] for s in subnets)


# --- sagemaker_domain -------------------------------------------------------------------------------------

def test_domain_create_idempotence_check_mode_update_and_delete(aws, tmp_path):
    name = unique("studio")
    args = {"name": name, "execution_role": ROLE, "tags": TAGS}
    vpc, subnets = default_network(aws)
    assert subnets, "moto has a default VPC with subnets in eu-west-1"
    change = {**args, "idle_timeout_minutes": 120, "subnet_ids": subnets[:1],
              "security_group_ids": ["sg-0aaa", "sg-0bbb"], "app_network_access_type": "VpcOnly"}

    # create, present again (the role's ARN for its name, subnets in another order), a change in check mode
    with aws.recording() as calls:
        created, again, checked = aws.play([
            (DOMAIN, args),
            (DOMAIN, {**args, "execution_role": ROLE_ARN, "subnet_ids": subnets[::-1]}),
            (DOMAIN, change, {"check_mode": True, "diff": True})], tmp_path)
    assert writes(calls) == ["CreateDomain"], calls  # the second and the check-mode run wrote nothing
    assert "DescribeVpcs" in calls and "DescribeSubnets" in calls
    assert created["changed"] is True and created["actions"] == ["CreateDomain"], created
    assert created["adopted"] is False
    domain = created["domain"]
    assert (domain["domain_name"], domain["status"], domain["auth_mode"]) == (name, "InService", "IAM")
    assert (domain["vpc_id"], sorted(domain["subnet_ids"])) == (vpc, subnets)  # the default VPC
    settings = domain["default_user_settings"]
    assert settings["execution_role"] == ROLE_ARN  # name -> ARN (STS)
    idle = settings["jupyter_lab_app_settings"]["app_lifecycle_management"]["idle_settings"]
    assert idle == {"lifecycle_management": "ENABLED", "idle_timeout_in_minutes": 60}
    assert domain["tags"] == TAGS
    domain_id = domain["domain_id"]

    assert again["changed"] is False and again["actions"] == [], again

    assert checked["changed"] is True and checked["actions"] == ["UpdateDomain"], checked
    assert sorted(checked["changed_settings"]) == ["app_network_access_type", "idle_timeout_minutes",
                                                   "security_group_ids", "subnet_ids"]
    diff = checked["diff"]
    assert (diff["before"]["idle_timeout_minutes"], diff["after"]["idle_timeout_minutes"]) == (60, 120)
    assert diff["after"]["subnet_ids"] == subnets[:1]
    assert sorted(aws.domain(domain_id)["SubnetIds"]) == subnets

    # update in place, then turn idle shutdown off, then describe
    with aws.recording() as calls:
        updated, off, info = aws.play([
            (DOMAIN, {**change, "tags": {**TAGS, "Owner": "bob"}}),
            (DOMAIN, {"name": name, "idle_shutdown": False}),
            (DOMAIN_INFO, {"name": name})], tmp_path)
    assert writes(calls) == ["UpdateDomain", "AddTags", "UpdateDomain"], calls
    # to VpcOnly with the VPC and subnets, as AWS requires (the sandbox refuses it otherwise: test_sandbox)
    to_vpc_only = body(next(r for r in aws.recorded() if operation(r) == "UpdateDomain"))
    assert (to_vpc_only["AppNetworkAccessType"], to_vpc_only["VpcId"], to_vpc_only["SubnetIds"]) == \
        ("VpcOnly", vpc, subnets[:1]), to_vpc_only
    assert updated["actions"] == ["UpdateDomain", "AddTags"], updated
    domain = updated["domain"]
    assert domain["subnet_ids"] == subnets[:1] and domain["app_network_access_type"] == "VpcOnly"
    user = domain["default_user_settings"]
    assert sorted(user["security_groups"]) == ["sg-0aaa", "sg-0bbb"] and user["execution_role"] == ROLE_ARN
    assert user["jupyter_lab_app_settings"]["app_lifecycle_management"]["idle_settings"] == {
        "lifecycle_management": "ENABLED", "idle_timeout_in_minutes": 120}
    assert domain["tags"]["Owner"] == "bob"
    assert off["actions"] == ["UpdateDomain"] and off["changed_settings"] == ["idle_shutdown"]
    idle = aws.domain(domain_id)["DefaultUserSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"]
    assert idle["IdleSettings"] == {"LifecycleManagement": "DISABLED"}
    assert [d["domain_id"] for d in info["domains"]] == [domain_id]
    assert info["domains"][0]["tags"]["Owner"] == "bob"

    # absent in check mode, absent, absent again
    absent = {"name": name, "state": "absent"}
    with aws.recording() as calls:
        checked, deleted, gone, info = aws.play([(DOMAIN, absent, {"check_mode": True}), (DOMAIN, absent),
                                                 (DOMAIN, absent), (DOMAIN_INFO, {"name": name})], tmp_path)
    assert writes(calls) == ["DeleteDomain"], calls
    assert checked["changed"] is True and checked["actions"] == ["DeleteDomain"], checked
    assert deleted["changed"] is True and deleted["domain"] == {}, deleted
    assert "ListApps" in calls and "ListSpaces" in calls
    delete_request = next(r for r in aws.recorded() if operation(r) == "DeleteDomain")
    assert body(delete_request)["RetentionPolicy"] == {"HomeEfsFileSystem": "Retain"}  # the EFS volume stays
    assert gone["changed"] is False and info["domains"] == []
    assert name not in aws.domains()


def test_deleting_a_domain_deletes_its_user_profiles_first(aws, domain, tmp_path):
    domain_id = domain["domain_id"]
    args = {"name": domain["domain_name"], "state": "absent", "retain_home_efs": False}
    with aws.recording() as calls:
        profiles = [(PROFILE, {"name": user, "domain_id": domain_id}) for user in ("alice", "bob")]
        *made, checked = aws.play([*profiles, (DOMAIN, args, {"check_mode": True})], tmp_path)
    assert [m["actions"] for m in made] == [["CreateUserProfile"]] * 2, made
    assert checked["actions"] == ["DeleteUserProfile", "DeleteUserProfile", "DeleteDomain"], checked
    assert checked["deleted"] == {"apps": [], "spaces": [], "user_profiles": ["alice", "bob"]}
    assert writes(calls) == ["CreateUserProfile"] * 2 and aws.profiles(domain_id) == ["alice", "bob"]

    with aws.recording() as calls:
        deleted = aws.module(DOMAIN, args)
    assert writes(calls) == ["DeleteUserProfile", "DeleteUserProfile", "DeleteDomain"], calls
    # apps, then spaces, then profiles are listed before anything is deleted
    assert calls.index("ListApps") < calls.index("ListSpaces") < calls.index("DeleteUserProfile")
    assert deleted["deleted"]["user_profiles"] == ["alice", "bob"]
    delete_request = next(r for r in aws.recorded() if operation(r) == "DeleteDomain")
    assert body(delete_request)["RetentionPolicy"] == {"HomeEfsFileSystem": "Delete"}
    assert domain["domain_name"] not in aws.domains()


def test_modules_wait_for_studio_transitions_unless_told_not_to(aws, tmp_path):
    """The sandbox keeps domains and user profiles Pending / Updating / Deleting for its transition time
    (1 s here) as AWS does for minutes: wait: true returns them InService (or gone), wait: false at once in
    the transitional status, and a Failed domain fails the run with AWS's FailureReason."""
    name = unique("studio")
    args = {"name": name, "execution_role": ROLE, "tags": TAGS}
    created, = aws.play([(DOMAIN, {**args, "wait": False})], tmp_path)
    assert created["actions"] == ["CreateDomain"] and created["domain"]["status"] == "Pending", created
    domain_id = created["domain"]["domain_id"]
    profile = {"name": "alice", "domain_id": domain_id}
    made, updated, deleted, again = aws.play([
        (PROFILE, {**profile, "wait": False}),
        (PROFILE, {**profile, "security_group_ids": ["sg-0ddd"]}),  # waits for Pending, then for Updating
        (PROFILE, {**profile, "state": "absent", "wait": False}),
        (PROFILE, {**profile, "state": "absent"})], tmp_path)  # waits until the deletion has finished
    assert made["user_profile"]["status"] == "Pending", made
    assert updated["actions"] == ["UpdateUserProfile"] and updated["user_profile"]["status"] == "InService"
    assert deleted["actions"] == ["DeleteUserProfile"] and not deleted.get("failed"), deleted
    assert again["changed"] is False and aws.profiles(domain_id) == []

    status, _unused = call_api(aws.url, "/sagelab-sandbox/fail-domain",
                               {"domain_id": domain_id, "reason": "No free addresses in subnet"})
    assert status == 200
    failed, = aws.play([(DOMAIN, {**args, "idle_timeout_minutes": 90})], tmp_path)
    assert failed["failed"] is True, failed
    assert failed["msg"] == f"Domain {name} is Failed: No free addresses in subnet", failed
    gone, = aws.play([(DOMAIN, {**args, "state": "absent"})], tmp_path)
    assert gone["actions"] == ["DeleteDomain"] and name not in aws.domains(), gone


def test_domain_and_default_space_settings_idempotence_one_member_update_and_no_drift(aws, tmp_path):
    """Issue 18 item 6: domain_settings and default_space_settings at creation, no change on a second run,
    one key changed sends only its member (DomainSettingsForUpdate / DefaultSpaceSettings), a key left out
    is never drift, check mode writes nothing."""
    name = unique("studio")
    space = {"execution_role": ROLE, "security_group_ids": ["sg-0aaa"],
             "jupyter_lab": {"default_resource_spec": {"instance_type": "ml.t3.medium"},
                             "lifecycle_config_arns": [LCC]},
             "kernel_gateway": {"default_resource_spec": {"instance_type": "ml.t3.medium"}}}
    settings = {"security_group_ids": ["sg-0ddd"], "execution_role_identity_config": "DISABLED",
                "docker_settings": {"enable_docker_access": False}}
    args = {"name": name, "execution_role": ROLE, "tags": TAGS, "domain_settings": settings,
            "default_space_settings": space}
    try:
        with aws.recording() as calls:
            created, again = aws.play([(DOMAIN, args), (DOMAIN, args)], tmp_path)
        assert writes(calls) == ["CreateDomain"], calls
        sent = body(next(r for r in aws.recorded() if operation(r) == "CreateDomain"))
        assert sent["DomainSettings"] == {"SecurityGroupIds": ["sg-0ddd"],
                                          "ExecutionRoleIdentityConfig": "DISABLED",
                                          "DockerSettings": {"EnableDockerAccess": "DISABLED"}}, sent
        assert sent["DefaultSpaceSettings"] == {
            "ExecutionRole": ROLE_ARN, "SecurityGroups": ["sg-0aaa"],
            "JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"},
                                      "LifecycleConfigArns": [LCC]},
            "KernelGatewayAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}}, sent
        assert created["changed"] is True and again["changed"] is False and again["actions"] == [], again

        change = {**args,
                  "domain_settings": {**settings, "execution_role_identity_config": "USER_PROFILE_NAME"},
                  "default_space_settings": {**space, "jupyter_lab": {
                      **space["jupyter_lab"], "default_resource_spec": {"instance_type": "ml.t3.large"}}}}
        fewer = {"name": name, "domain_settings": {"docker_settings": {"enable_docker_access": False}},
                 "default_space_settings": {"kernel_gateway": {"default_resource_spec": {
                     "instance_type": "ml.t3.medium"}}}}
        with aws.recording() as calls:
            checked, changed, same, left_out = aws.play([
                (DOMAIN, change, {"check_mode": True, "diff": True}), (DOMAIN, change, {"diff": True}),
                (DOMAIN, change), (DOMAIN, fewer)], tmp_path)
        assert writes(calls) == ["UpdateDomain"], calls  # check mode, the same again and fewer keys: none
        keys = ["domain_settings.execution_role_identity_config",
                "default_space_settings.jupyter_lab.default_resource_spec.instance_type"]
        for result in (checked, changed):
            assert result["actions"] == ["UpdateDomain"] and result["changed_settings"] == keys, result
            diff = result["diff"]
            assert diff["before"]["domain_settings"]["execution_role_identity_config"] == "DISABLED"
            assert diff["after"]["domain_settings"]["execution_role_identity_config"] == "USER_PROFILE_NAME"
            assert diff["after"]["default_space_settings"]["jupyter_lab"]["default_resource_spec"] == \
                {"instance_type": "ml.t3.large"}
        update = body(next(r for r in aws.recorded() if operation(r) == "UpdateDomain"))
        assert sorted(update) == ["DefaultSpaceSettings", "DomainId", "DomainSettingsForUpdate"], update
        assert update["DomainSettingsForUpdate"] == {"ExecutionRoleIdentityConfig": "USER_PROFILE_NAME"}
        assert update["DefaultSpaceSettings"] == {"JupyterLabAppSettings": {
            "DefaultResourceSpec": {"InstanceType": "ml.t3.large"}, "LifecycleConfigArns": [LCC]}}, update
        assert same["changed"] is False and left_out["changed"] is False, (same, left_out)
        described = aws.domain(f"d-{name}")
        assert described["DomainSettings"]["DockerSettings"] == {"EnableDockerAccess": "DISABLED"}
        assert described["DomainSettings"]["SecurityGroupIds"] == ["sg-0ddd"]
        assert described["DefaultSpaceSettings"]["KernelGatewayAppSettings"] == \
            sent["DefaultSpaceSettings"]["KernelGatewayAppSettings"]  # a member not sent: kept
        assert described["DefaultSpaceSettings"]["JupyterLabAppSettings"]["DefaultResourceSpec"] == \
            {"InstanceType": "ml.t3.large"}
    finally:
        if name in aws.domains():
            aws.sm.delete_domain(DomainId=f"d-{name}")


SLOW_SECONDS = 120  # the issue's Pending lasted 20 s; anything far longer than a module run will do


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Studio:
    """A sandbox of its own in which Studio domains and user profiles stay Pending, Updating and Deleting
    for SLOW_SECONDS (the server reads $SAGELAB_SANDBOX_TRANSITION_SECONDS when it starts)."""
    from sagelab.sandbox import TRANSITION_ENV

    old = os.environ.get(TRANSITION_ENV)
    os.environ[TRANSITION_ENV] = str(SLOW_SECONDS)
    try:
        box = _start_sandbox(tmp_path_factory, request)
    finally:
        if old is None:
            os.environ.pop(TRANSITION_ENV, None)
        else:
            os.environ[TRANSITION_ENV] = old
    return Studio(box.endpoint_url, box.env)


def timed_play(tasks: list[tuple], folder: Any, env: dict) -> tuple[list[dict], list[float]]:
    """play(), with each task's own duration (s) from Ansible's json callback, without Ansible's start-up."""
    playbook = folder / f"{uuid.uuid4().hex}.yml"
    playbook.write_text(json.dumps([{
        "name": "Tasks", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": f"Task {i}", task[0]: task[1], "ignore_errors": True, **(task[2] if len(task) > 2
                                                                                    else {})}
                  for i, task in enumerate(tasks)]}]))
    run = run_playbook(str(playbook), env=env)
    done = run.data["plays"][0]["tasks"]
    assert len(done) == len(tasks), run.stdout[-3000:] + run.stderr[-3000:]
    seconds = [(datetime.fromisoformat(t["task"]["duration"]["end"])
                - datetime.fromisoformat(t["task"]["duration"]["start"])).total_seconds() for t in done]
    return [t["hosts"]["localhost"] for t in done], seconds


def test_check_mode_and_wait_false_return_at_once_on_pending_studio_resources(aws, slow, domain, tmp_path):
    """Issue 18 item 3 for Studio: with a Pending domain and profile (and a Deleting profile) whose
    transitions last 120 s, check mode plans at once from the status (with a warning), wait: false returns
    at once when there is nothing to do and refuses a change naming the status - no write call. A Failed
    profile fails with its reason; state: absent deletes it."""
    name = unique("studio")
    vpc, subnets = default_network(slow)
    slow.sm.create_domain(DomainName=name, AuthMode="IAM", VpcId=vpc, SubnetIds=subnets,
                          DefaultUserSettings={"ExecutionRole": ROLE_ARN})
    domain_id = f"d-{name}"
    for user in ("alice", "bob"):
        slow.sm.create_user_profile(DomainId=domain_id, UserProfileName=user)
    slow.sm.delete_user_profile(DomainId=domain_id, UserProfileName="bob")  # Deleting for 120 s
    to_90 = {"idle_timeout_minutes": 90}
    groups = {"security_group_ids": ["sg-0eee"]}
    alice = {"name": "alice", "domain_id": domain_id}
    alice_90 = {**alice, "user_settings": {"jupyter_lab": to_90}}
    bob = {"name": "bob", "domain_id": domain_id}
    check = {"check_mode": True}
    # the same work on settled resources (the session sandbox): what a run that waits for nothing takes
    settled = {"endpoint_url": aws.url}
    tasks = [
        (DOMAIN, {"name": domain["domain_name"], **groups, **settled}, check),
        (PROFILE, {"name": "alice", "domain_id": domain["domain_id"], **settled}, check),
        (DOMAIN, {"name": name, **groups}, check),
        (DOMAIN, {"name": name, "wait": False}),
        (DOMAIN, {"name": name, **groups, "wait": False}),
        (PROFILE, alice_90, check),
        (PROFILE, {**alice, "wait": False}),
        (PROFILE, {**alice_90, "wait": False}),
        (PROFILE, {**alice, "state": "absent", "wait": False}),
        (PROFILE, bob, check),
        (PROFILE, {**bob, "state": "absent", "wait": False}),
        (PROFILE, {**bob, "wait": False}),
    ]
    with slow.recording() as calls:
        results, seconds = timed_play(tasks, tmp_path, slow.env)
    print("task seconds:", ", ".join(f"{s:.2f}" for s in seconds))
    assert [c for c in writes(calls) if "/moto-api/" not in c] == [], calls
    assert slow.domain(domain_id)["Status"] == "Pending"
    baseline = max(seconds[:2])
    for index, took in enumerate(seconds[2:], 2):
        assert took < baseline + 2, (index, took, baseline)  # far from the 120 s the transitions last
    (_unused, _unused, d_check, d_same, d_change, p_check, p_same, p_change, p_delete, b_check, b_gone,
     b_create) = results

    assert d_check["changed"] is True and d_check["actions"] == ["UpdateDomain"], d_check
    assert d_check["domain"]["status"] == "Pending"
    assert any(f"Domain {name} is Pending: check mode did not wait" in w for w in d_check["warnings"])
    assert d_same["changed"] is False and not d_same.get("failed"), d_same
    assert d_same["domain"]["status"] == "Pending"
    assert d_change["failed"] is True and d_change["msg"] == (
        f"Domain {name} is Pending: AWS takes UpdateDomain only once it is InService; wait: false does not "
        "wait - run again later, or with wait: true"), d_change

    assert p_check["actions"] == ["UpdateUserProfile"] and p_check["user_profile"]["status"] == "Pending"
    assert p_check["changed_settings"] == ["user_settings.jupyter_lab.idle_timeout_minutes"], p_check
    assert any("User profile alice is Pending: check mode did not wait" in w for w in p_check["warnings"])
    assert p_same["changed"] is False and p_same["user_profile"]["status"] == "Pending", p_same
    for refused, action in ((p_change, "UpdateUserProfile"), (p_delete, "DeleteUserProfile")):
        assert refused["failed"] is True and refused["actions"] == [], refused
        assert refused["msg"].startswith(f"User profile alice is Pending: AWS takes {action} only once it is "
                                         "InService"), refused["msg"]

    assert b_check["actions"] == ["CreateUserProfile"], b_check  # once bob is gone
    assert any("User profile bob is Deleting" in w and "gone" in w for w in b_check["warnings"]), b_check
    assert b_gone["changed"] is False and not b_gone.get("failed"), b_gone  # it is going already
    assert b_create["failed"] is True and b_create["msg"].startswith(
        "User profile bob is Deleting: AWS takes CreateUserProfile only once it is gone"), b_create

    # Failed: nothing can be changed on it; state: absent deletes it
    status, _unused = call_api(slow.url, "/sagelab-sandbox/fail-user-profile",
                               {"domain_id": domain_id, "name": "alice", "reason": "EFS mount failed"})
    assert status == 200
    with slow.recording() as calls:
        failed, deleted = slow.play([(PROFILE, alice_90), (PROFILE, {**alice, "state": "absent",
                                                                     "wait": False})], tmp_path)
    assert writes(calls) == ["DeleteUserProfile"], calls
    assert failed["failed"] is True and failed["msg"].startswith(
        "User profile alice is Failed: EFS mount failed; nothing can be changed on it"), failed
    assert deleted["actions"] == ["DeleteUserProfile"] and not deleted.get("failed"), deleted


def test_settings_fixed_at_creation_are_refused_with_their_names(aws, domain):
    with aws.recording() as calls:
        refused = aws.module(DOMAIN, {"name": domain["domain_name"], "auth_mode": "SSO",
                                      "kms_key_id": "abcd-1",
                                      "vpc_id": "vpc-0other", "idle_timeout_minutes": 90}, fails=True)
    assert refused["msg"].startswith(f"Cannot change auth_mode, kms_key_id, vpc_id of domain "
                                     f"{domain['domain_name']} in place"), refused["msg"]
    assert "auth_mode: 'IAM' -> 'SSO'" in refused["msg"]
    assert refused["immutable_settings"] == ["auth_mode", "kms_key_id", "vpc_id"]
    assert writes(calls) == [], calls


def test_another_teams_domain_is_never_adopted_or_changed_unless_named(aws, tmp_path):
    """Issue 18 item 1: with another team's domain in the region, sagemaker_domain used to report adopted:
    true and rewrite that domain's subnets and execution role. Now adoption is opt-in, and even then a
    domain without ManagedBy=sagelab is refused; naming it is the only way to change it."""
    other = unique("team-a")
    sm = client(aws, "sagemaker", ADOPT_REGION)
    vpc, subnets = default_network(aws, ADOPT_REGION)
    other_role = f"arn:aws:iam::{ACCOUNT}:role/team-a-execution"
    sm.create_domain(DomainName=other, AuthMode="IAM", VpcId=vpc, SubnetIds=subnets,
                     DefaultUserSettings={"ExecutionRole": other_role},
                     Tags=[{"Key": "Owner", "Value": "team-a"}])
    other_id, mine = f"d-{other}", unique("team-b")
    before = sm.describe_domain(DomainId=other_id)
    try:
        args = {"name": mine, "region": ADOPT_REGION, "execution_role": ROLE, "subnet_ids": subnets[:1],
                "tags": TAGS}
        with aws.recording() as calls:
            refused_check, refused = aws.play([
                (DOMAIN, {**args, "adopt_existing": True}, {"check_mode": True}),
                (DOMAIN, {**args, "adopt_existing": True})], tmp_path)
        assert writes(calls) == [], calls
        for result in (refused_check, refused):
            assert result["failed"] is True and result["adopted"] is False, result
            assert f"{other} ({other_id}) was not made by sagelab (no ManagedBy=sagelab tag)" in result["msg"]
            assert f"name: {other}" in result["msg"], result["msg"]

        # the default: team-b is created beside team-a, which is left exactly as it was
        with aws.recording() as calls:
            created = aws.module(DOMAIN, args)
        assert writes(calls) == ["CreateDomain"], calls
        assert created["adopted"] is False and created["domain"]["domain_name"] == mine, created
        assert sorted(aws.domains(ADOPT_REGION)) == sorted([other, mine])
        after = sm.describe_domain(DomainId=other_id)
        assert after["SubnetIds"] == before["SubnetIds"]
        assert after["DefaultUserSettings"] == before["DefaultUserSettings"]
        assert after["LastModifiedTime"] == before["LastModifiedTime"]

        # naming team-a is the consent to change it
        with aws.recording() as calls:
            named = aws.module(DOMAIN, {"name": other, "region": ADOPT_REGION, "subnet_ids": subnets[:1]})
        assert writes(calls) == ["UpdateDomain"], calls
        assert named["adopted"] is False and named["changed_settings"] == ["subnet_ids"], named
        assert sm.describe_domain(DomainId=other_id)["SubnetIds"] == subnets[:1]
    finally:
        for domain_id in (other_id, f"d-{mine}"):
            if domain_id[2:] in aws.domains(ADOPT_REGION):
                sm.delete_domain(DomainId=domain_id)


def test_a_sagelab_domain_with_another_name_is_adopted_when_asked(aws, tmp_path):
    other = unique("existing")
    sm = client(aws, "sagemaker", ADOPT_REGION)
    vpc, subnets = default_network(aws, ADOPT_REGION)
    sm.create_domain(DomainName=other, AuthMode="IAM", VpcId=vpc, SubnetIds=subnets,
                     DefaultUserSettings={"ExecutionRole": ROLE_ARN},
                     Tags=[{"Key": "ManagedBy", "Value": "sagelab"}, {"Key": "Owner", "Value": "carol"}])
    other_id = f"d-{other}"
    try:
        args = {"name": unique("studio"), "region": ADOPT_REGION, "execution_role": ROLE,
                "idle_shutdown": True, "tags": TAGS, "adopt_existing": True}
        with aws.recording() as calls:
            checked, adopted, again, gone = aws.play([
                (DOMAIN, args, {"check_mode": True}), (DOMAIN, args), (DOMAIN, args),
                # state: absent never adopts: only a domain with the given name is deleted
                (DOMAIN, {"name": args["name"], "region": ADOPT_REGION, "state": "absent"})], tmp_path)
        # only the second run wrote; the adopted domain's tags stay its own
        assert writes(calls) == ["UpdateDomain"], calls
        assert checked["adopted"] is True and checked["actions"] == ["UpdateDomain"], checked
        assert adopted["adopted"] is True and adopted["domain"]["domain_id"] == other_id
        assert any(other in w and "adopted" in w for w in adopted.get("warnings", [])), adopted
        assert adopted["changed_settings"] == ["idle_shutdown", "idle_timeout_minutes"]
        assert adopted["domain"]["tags"] == {"ManagedBy": "sagelab", "Owner": "carol"}
        idle = adopted["domain"]["default_user_settings"]["jupyter_lab_app_settings"]
        assert idle["app_lifecycle_management"]["idle_settings"]["idle_timeout_in_minutes"] == 60
        assert again["adopted"] is True and again["changed"] is False
        assert gone["changed"] is False and list(aws.domains(ADOPT_REGION)) == [other]  # no second domain
    finally:
        sm.delete_domain(DomainId=other_id)


# --- sagemaker_user_profile -------------------------------------------------------------------------------

def test_user_profile_create_idempotence_check_mode_update_url_and_delete(aws, domain, tmp_path):
    name = "alice"
    args = {"name": name, "domain_name": domain["domain_name"], "tags": {"Owner": "alice"}}
    change = {**args, "execution_role": "sagelab-alice", "security_group_ids": ["sg-0ccc"]}
    with aws.recording() as calls:
        created, again, checked = aws.play([(PROFILE, args), (PROFILE, args),
                                            (PROFILE, change, {"check_mode": True, "diff": True})], tmp_path)
    assert writes(calls) == ["CreateUserProfile"], calls  # the second and the check-mode run wrote nothing
    assert created["actions"] == ["CreateUserProfile"], created
    profile = created["user_profile"]
    assert (profile["user_profile_name"], profile["status"], profile["domain_id"]) == \
        (name, "InService", domain["domain_id"])
    assert profile["tags"] == {"Owner": "alice"} and created["domain_id"] == domain["domain_id"]
    assert again["changed"] is False and again["actions"] == []
    assert checked["actions"] == ["UpdateUserProfile"], checked
    assert checked["changed_settings"] == ["execution_role", "security_group_ids"]
    assert checked["diff"]["after"]["execution_role"] == f"arn:aws:iam::{ACCOUNT}:role/sagelab-alice"
    assert "url" not in checked

    with aws.recording() as calls:
        updated, url_only, info = aws.play([
            (PROFILE, {**change, "presigned_url": True, "presigned_url_session_seconds": 3600}),
            (PROFILE, {**change, "presigned_url": True}),
            (PROFILE_INFO, {"domain_id": domain["domain_id"]})], tmp_path)
    assert writes(calls) == ["UpdateUserProfile"] + ["CreatePresignedDomainUrl"] * 2, calls
    settings = updated["user_profile"]["user_settings"]
    assert settings == {"execution_role": f"arn:aws:iam::{ACCOUNT}:role/sagelab-alice",
                        "security_groups": ["sg-0ccc"]}
    assert re.fullmatch(rf"https://{domain['domain_id']}\.studio\.{REGION}\.sagemaker\.aws/auth\?token=\S+",
                        updated["url"]), updated["url"]
    assert url_only["changed"] is False and url_only["url"] != updated["url"]
    assert [p["user_profile_name"] for p in info["user_profiles"]] == [name]
    assert info["user_profiles"][0]["tags"] == {"Owner": "alice"}

    absent = {**args, "state": "absent"}
    with aws.recording() as calls:
        checked, deleted, gone = aws.play([(PROFILE, absent, {"check_mode": True}), (PROFILE, absent),
                                           (PROFILE, absent)], tmp_path)
    assert writes(calls) == ["DeleteUserProfile"], calls
    assert checked["actions"] == ["DeleteUserProfile"]
    assert deleted["actions"] == ["DeleteUserProfile"] and deleted["user_profile"] == {}
    assert gone["changed"] is False and aws.profiles(domain["domain_id"]) == []


USER_SETTINGS = {
    "security_group_ids": ["sg-0bbb", "sg-0aaa"],
    "jupyter_lab": {"default_resource_spec": {"instance_type": "ml.t3.medium", "lifecycle_config_arn": LCC},
                    "lifecycle_config_arns": [LCC_2, LCC], "idle_shutdown": True,
                    "idle_timeout_minutes": 120},
    "kernel_gateway": {"default_resource_spec": {"instance_type": "ml.t3.medium",
                                                 "sagemaker_image_arn": IMAGE}},
}


def test_user_settings_create_idempotence_one_member_update_and_no_drift(aws, domain, tmp_path):
    """Issue 18 item 6: user_settings are set at creation, a second run changes nothing, a change of one key
    sends only its UserSettings member (whole: what the profile holds, the option on top - a code
    repository set outside the module is kept), and a key left out is never drift."""
    args = {"name": "dave", "domain_id": domain["domain_id"], "user_settings": USER_SETTINGS}
    with aws.recording() as calls:
        created, again = aws.play([(PROFILE, args), (PROFILE, args)], tmp_path)
    assert writes(calls) == ["CreateUserProfile"], calls
    sent = body(next(r for r in aws.recorded() if operation(r) == "CreateUserProfile"))["UserSettings"]
    assert sent == {
        "SecurityGroups": ["sg-0aaa", "sg-0bbb"],
        "JupyterLabAppSettings": {
            "DefaultResourceSpec": {"InstanceType": "ml.t3.medium", "LifecycleConfigArn": LCC},
            "LifecycleConfigArns": sorted([LCC, LCC_2]),
            "AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "ENABLED",
                                                        "IdleTimeoutInMinutes": 120}}},
        "KernelGatewayAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.t3.medium",
                                                             "SageMakerImageArn": IMAGE}}}, sent
    assert created["changed"] is True and again["changed"] is False and again["actions"] == [], again
    lab = created["user_profile"]["user_settings"]["jupyter_lab_app_settings"]
    assert lab["default_resource_spec"]["instance_type"] == "ml.t3.medium"

    # a code repository set outside the module: the module never manages it, and must not drop it
    profile = {"DomainId": domain["domain_id"], "UserProfileName": "dave"}
    stored = aws.sm.describe_user_profile(**profile)["UserSettings"]
    repo = [{"RepositoryUrl": "https://github.com/example/notebooks.git"}]
    aws.sm.update_user_profile(**profile, UserSettings={
        "JupyterLabAppSettings": {**stored["JupyterLabAppSettings"], "CodeRepositories": repo}})
    wait_in_service(aws, profile)

    bigger = {**args, "user_settings": {**USER_SETTINGS, "jupyter_lab": {
        **USER_SETTINGS["jupyter_lab"], "default_resource_spec": {"instance_type": "ml.m5.large",
                                                                  "lifecycle_config_arn": LCC}}}}
    left_out = {**args, "user_settings": {"jupyter_lab": {"idle_timeout_minutes": 120}}}
    with aws.recording() as calls:
        checked, changed, same, fewer = aws.play([
            (PROFILE, bigger, {"check_mode": True, "diff": True}), (PROFILE, bigger, {"diff": True}),
            (PROFILE, bigger), (PROFILE, left_out)], tmp_path)
    assert writes(calls) == ["UpdateUserProfile"], calls  # check mode, the same again and fewer keys: none
    key = "user_settings.jupyter_lab.default_resource_spec.instance_type"
    for result in (checked, changed):
        assert result["changed"] is True and result["actions"] == ["UpdateUserProfile"], result
        assert result["changed_settings"] == [key], result
        spec = result["diff"]["after"]["user_settings"]["jupyter_lab"]["default_resource_spec"]
        assert spec == {"instance_type": "ml.m5.large", "lifecycle_config_arn": LCC}
        before = result["diff"]["before"]["user_settings"]["jupyter_lab"]["default_resource_spec"]
        assert before["instance_type"] == "ml.t3.medium"
    update = body(next(r for r in aws.recorded() if operation(r) == "UpdateUserProfile"))
    assert list(update["UserSettings"]) == ["JupyterLabAppSettings"], update  # only that member
    lab = update["UserSettings"]["JupyterLabAppSettings"]
    assert lab["DefaultResourceSpec"] == {"InstanceType": "ml.m5.large", "LifecycleConfigArn": LCC}
    assert lab["CodeRepositories"] == repo and lab["LifecycleConfigArns"] == sorted([LCC, LCC_2])
    assert same["changed"] is False and fewer["changed"] is False, (same, fewer)
    after = aws.sm.describe_user_profile(**profile)["UserSettings"]
    assert after["JupyterLabAppSettings"]["CodeRepositories"] == repo
    assert after["KernelGatewayAppSettings"] == stored["KernelGatewayAppSettings"]  # a member not sent: kept
    assert sorted(after["SecurityGroups"]) == ["sg-0aaa", "sg-0bbb"]


def wait_in_service(aws: Studio, profile: dict) -> None:
    deadline = time.monotonic() + 30
    while aws.sm.describe_user_profile(**profile)["Status"] != "InService" and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_profile_in_a_missing_domain(aws, tmp_path):
    refused, gone = aws.play([(PROFILE, {"name": "alice", "domain_name": unique("nodomain")}),
                              (PROFILE, {"name": "alice", "domain_name": unique("nodomain"),
                                         "state": "absent"})], tmp_path)
    assert refused["failed"] is True and "does not exist; create it first" in refused["msg"]
    assert gone["changed"] is False and not gone.get("failed"), gone


BAD_INPUT = [
    (DOMAIN, {"name": "bad_name"}, "name: 'bad_name' is not allowed"),
    (DOMAIN, {"name": "ok", "idle_timeout_minutes": 30},
     "idle_timeout_minutes: 30 is not allowed; allowed: 60"),
    (DOMAIN, {"name": "ok", "idle_shutdown": False, "idle_timeout_minutes": 90},
     "only with idle shutdown on"),
    (DOMAIN, {"name": "ok", "execution_role": "arn:aws:iam::1:role/x"}, "execution_role: 'arn:aws:iam::1"),
    (DOMAIN, {"name": "ok", "subnet_ids": []}, "subnet_ids: 0 subnets given; allowed: 1 to 16"),
    (DOMAIN, {"name": "ok", "auth_mode": "LDAP"}, "value of auth_mode must be one of"),
    (DOMAIN, {"name": "ok", "tags": {"aws:x": "1"}}, "reserved by AWS"),
    (DOMAIN, {"name": "ok", "domain_settings": {"security_group_ids": ["sg-1", "sg-2", "sg-3", "sg-4"]}},
     "domain_settings.security_group_ids: 4 given; allowed: at most 3"),
    (DOMAIN, {"name": "ok", "domain_settings": {"execution_role_identity_config": "ON"}},
     "value of execution_role_identity_config must be one of"),
    (DOMAIN, {"name": "ok", "default_space_settings": {
        "kernel_gateway": {"default_resource_spec": {"instance_type": "ml.x9.huge"}}}},
     "default_space_settings.kernel_gateway.default_resource_spec.instance_type: 'ml.x9.huge' is not "
     "allowed"),
    (PROFILE, {"name": "alice"}, "one of the following is required: domain_id, domain_name"),
    (PROFILE, {"name": "alice", "domain_id": "D-UPPER"}, "domain_id: 'D-UPPER' is not allowed"),
    (PROFILE, {"name": "alice", "domain_id": "d-x", "presigned_url_expires_seconds": 600},
     "presigned_url_expires_seconds: 600 is not allowed; allowed: 5 to 300"),
    (PROFILE, {"name": "alice", "domain_id": "d-x", "security_group_ids": ["sg-1"] * 6}, "at most 5"),
    (PROFILE, {"name": "alice", "domain_id": "d-x",
               "user_settings": {"jupyter_lab": {"default_resource_spec": {"instance_type": "ml.t3.tiny"}}}},
     "user_settings.jupyter_lab.default_resource_spec.instance_type: 'ml.t3.tiny' is not allowed; allowed: "
     "a Studio app instance type"),
    (PROFILE, {"name": "alice", "domain_id": "d-x",
               "user_settings": {"kernel_gateway": {"lifecycle_config_arns": [LCC, "setup"]}}},
     "user_settings.kernel_gateway.lifecycle_config_arns: 'setup' is not allowed; allowed: a Studio "
     "lifecycle configuration ARN"),
    (PROFILE, {"name": "alice", "domain_id": "d-x", "user_settings": {
        "jupyter_server": {"default_resource_spec": {"sagemaker_image_arn": "arn:aws:sagemaker:x"}}}},
     "user_settings.jupyter_server.default_resource_spec.sagemaker_image_arn: 'arn:aws:sagemaker:x' is not"),
    (PROFILE, {"name": "alice", "domain_id": "d-x", "user_settings": {
        "jupyter_lab": {"idle_shutdown": False, "idle_timeout_minutes": 90}}},
     "user_settings.jupyter_lab.idle_timeout_minutes: given with user_settings.jupyter_lab.idle_shutdown: "
     "false"),
    (PROFILE, {"name": "alice", "domain_id": "d-x",
               "user_settings": {"jupyter_lab": {"idle_timeout_minutes": 30}}},
     "user_settings.jupyter_lab.idle_timeout_minutes: 30 is not allowed; allowed: 60 to 525600"),
    (PROFILE, {"name": "alice", "domain_id": "d-x", "execution_role": ROLE,
               "user_settings": {"execution_role": ROLE}},
     "execution_role: given with user_settings.execution_role; allowed: one of them"),
]


def test_bad_input_is_refused_before_any_call(aws, tmp_path):
    with aws.recording() as calls:
        results = aws.play([(module, args) for module, args, _unused in BAD_INPUT], tmp_path)
    for result, (_unused, _unused, expected) in zip(results, BAD_INPUT, strict=True):
        assert result["failed"] is True and expected in result["msg"], (expected, result["msg"])
        assert "Traceback" not in result.get("module_stderr", "")
    assert calls == [], calls


# --- the studio role, through playbooks/studio.yml --------------------------------------------------------

PLAYBOOK_REGION = "eu-west-2"  # a region of its own: the test counts the domains it holds


def test_studio_playbook_creates_the_domain_and_profiles_then_changes_nothing_then_deletes(aws):
    name = unique("studio")
    env = {k: v for k, v in aws.env.items() if k != "AWS_ENDPOINT_URL"}  # the playbook passes the endpoint
    extra = {"sagelab_aws_endpoint_url": aws.url, "sagelab_aws_region": PLAYBOOK_REGION, "sagelab_tags": TAGS,
             "studio_domain_name": name, "iam_users_list": [{"name": "alice"}, {"name": "bob"},
                                                            {"name": "carol", "state": "absent"}]}
    # a profile for someone who is not one of the data scientists: refused before any AWS call
    with aws.recording() as calls:
        refused = run_playbook("playbooks/studio.yml", extra_vars={**extra, "studio_user_profiles":
                                                                   ["alice", "carol", "mallory"]}, env=env)
    assert refused.rc != 0 and calls == [], calls
    assert any("studio_user_profiles: ['carol', 'mallory'] not in iam_users_list" in msg
               for msg in refused.failure_messages()), refused.failure_messages()
    # a setting the module would refuse: refused by the preflight, naming the variable's key path
    with aws.recording() as calls:
        bad = run_playbook("playbooks/studio.yml", env=env, extra_vars={**extra, "studio_user_settings": {
            "jupyter_lab": {"default_resource_spec": {"instance_type": "ml.t3.tiny"}}}})
    assert bad.rc != 0 and calls == [], calls
    assert any("studio_user_settings.jupyter_lab.default_resource_spec.instance_type: 'ml.t3.tiny' is not "
               "allowed" in msg for msg in bad.failure_messages()), bad.failure_messages()
    # the role passes its settings variables on (only the keys given: the second run changes nothing)
    large = {"default_resource_spec": {"instance_type": "ml.t3.large"}}
    sm = client(aws, "sagemaker", PLAYBOOK_REGION)
    lcc = sm.create_studio_lifecycle_config(  # in the playbook's region: the sandbox checks it exists
        StudioLifecycleConfigName=unique("setup"), StudioLifecycleConfigContent="ZWNobyBoaQ==",
        StudioLifecycleConfigAppType="KernelGateway")["StudioLifecycleConfigArn"]
    extra.update(studio_user_settings={"jupyter_lab": large},
                 studio_default_space_settings={"kernel_gateway": {"lifecycle_config_arns": [lcc]}},
                 studio_domain_settings={"execution_role_identity_config": "USER_PROFILE_NAME"})
    first = run_playbook("playbooks/studio.yml", extra_vars=extra, env=env)
    assert first.rc == 0, first.failure_messages() or first.stderr
    assert first.changed_tasks() == ["Ensure the Studio domain is present",
                                     "Ensure one user profile per data scientist is present"]
    described = sm.describe_domain(DomainId=f"d-{name}")
    idle = described["DefaultUserSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"]
    assert idle == {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 60}
    profiles = sm.list_user_profiles(DomainIdEquals=f"d-{name}")["UserProfiles"]
    assert sorted(p["UserProfileName"] for p in profiles) == ["alice", "bob"]  # iam_users_list's names
    assert described["DomainSettings"] == {"ExecutionRoleIdentityConfig": "USER_PROFILE_NAME"}
    assert described["DefaultSpaceSettings"] == {"KernelGatewayAppSettings": {"LifecycleConfigArns": [lcc]}}
    alice = sm.describe_user_profile(DomainId=f"d-{name}", UserProfileName="alice")["UserSettings"]
    assert alice["JupyterLabAppSettings"] == {"DefaultResourceSpec": {"InstanceType": "ml.t3.large"}}

    again = run_playbook("playbooks/studio.yml", extra_vars=extra, env=env)
    assert again.rc == 0 and again.changed_tasks() == [], again.changed_tasks()

    gone = run_playbook("playbooks/studio.yml", extra_vars={**extra, "studio_state": "absent"}, env=env)
    assert gone.rc == 0, gone.failure_messages() or gone.stderr
    assert sm.list_domains()["Domains"] == []


# --- the CLI: sagelab studio up | open | down -------------------------------------------------------------

CLI_REGION = "ca-central-1"  # a region of its own: the test counts the domains it holds


def test_studio_cli_up_open_down(aws, sandbox, capsys, monkeypatch, repo):
    from sagelab.cli import main, resource_name
    from sagelab.target import local_user

    monkeypatch.setenv("SAGELAB_SANDBOX_HOME", str(sandbox.home))
    profile = resource_name(local_user())
    sm = client(aws, "sagemaker", CLI_REGION)

    assert main(["studio", "up", "--region", CLI_REGION, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["aws"]["studio"]["changed"] > 0 and doc["aws"]["target"] == "sandbox"
    assert doc["aws"]["resources"]["studio_user_profiles"] == [profile]
    (domain,) = sm.list_domains()["Domains"]
    assert domain["DomainName"] == "sagelab-studio"
    assert [p["UserProfileName"] for p in sm.list_user_profiles(DomainIdEquals=domain["DomainId"])
            ["UserProfiles"]] == [profile]

    # open: the URL on stdout only; its token is nowhere in the runner's artifacts
    assert main(["studio", "open", "--region", CLI_REGION]) == 0
    captured = capsys.readouterr()
    url = captured.out.strip()
    # the sandbox's link names a real-AWS host: the CLI says it cannot open, and what does
    assert "sagelab: note: this link cannot open: it comes from the embedded sandbox" in captured.err
    assert "own JupyterLab opens: " in captured.err and "/bin/jupyter lab" in captured.err
    host = rf"{domain['DomainId']}\.studio\.{CLI_REGION}\.sagemaker\.aws"
    assert re.fullmatch(rf"https://{host}/auth\?token=\S+", url), url
    token = url.rpartition("token=")[2]
    for path in (repo / ".sagelab" / "artifacts").rglob("*"):
        if path.is_file():
            assert token not in path.read_text(errors="replace"), path
    assert main(["studio", "open", "--region", CLI_REGION, "--user", "nobody"]) == 1
    assert "nobody" in capsys.readouterr().err

    assert main(["studio", "down", "--region", CLI_REGION, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["aws"]["studio"]["changed"] > 0
    assert sm.list_domains()["Domains"] == []
