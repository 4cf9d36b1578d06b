"""The embedded AWS sandbox (sagelab.sandbox): a real moto server process, driven with boto3 and the CLI.

Most tests share the session's sandbox (the `sandbox` fixture) and give their resources unique names;
the lifecycle tests start their own, under temporary project homes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagelab import sandbox as sandbox_module
from sagelab.cli import main
from tests.conftest import unique

pytestmark = pytest.mark.subprocess  # runs Ansible, the sandbox or another program

SAGELAB = Path(sys.executable).parent / "sagelab"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagelab-notebook"
FAST_WAITER = {"Delay": 0.1, "MaxAttempts": 100}  # the sandbox's transitions take about a second


def aws(endpoint_url: str, service: str, attempts: int = 1) -> Any:
    """A boto3 client for a sandbox; retries off unless asked (an unimplemented call answers 500)."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=sandbox_module.SANDBOX_REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}))


def call_api(url: str, path: str, body: dict | None = None, method: str = "POST") -> tuple[int, dict]:
    """The sandbox's own HTTP endpoints (and moto's /moto-api/), never through a proxy."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as reply:
            text = reply.read().decode()
            return reply.status, json.loads(text) if text.strip() else {}
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read().decode() or "{}")


def aws_error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture(scope="module")
def sm(sandbox: Any) -> Any:
    return aws(sandbox.endpoint_url, "sagemaker")


@contextmanager
def transitions(sandbox: Any, **transition: Any) -> Iterator[None]:
    """Pace notebook status changes through moto's state manager (default: at once), then restore."""
    model = {"model_name": sandbox_module.NOTEBOOK_MODEL}
    status, _unused = call_api(sandbox.endpoint_url, "/moto-api/state-manager/set-transition",
                               {**model, "transition": transition or {"progression": "immediate"}})
    assert status == 201
    try:
        yield
    finally:
        call_api(sandbox.endpoint_url, "/moto-api/state-manager/unset-transition", model)


def create_notebook(sm: Any, name: str, **extra: Any) -> None:
    params = {"NotebookInstanceName": name, "InstanceType": "ml.t3.medium", "RoleArn": ROLE}
    sm.create_notebook_instance(**{**params, **extra})


def notebook_status(sm: Any, name: str) -> str:
    return sm.describe_notebook_instance(NotebookInstanceName=name)["NotebookInstanceStatus"]


def transition_message(status: str, allowed: str, target: str, name: str) -> str:
    arn = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:notebook-instance/{name}"
    return (f"Status ({status}) not in ([{allowed}]). Unable to transition to ({target}) "
            f"for Notebook Instance ({arn}).")


# --- IAM -----------------------------------------------------------------------------------------------

def test_iam_lists_no_service_specific_credentials_so_users_can_be_deleted(sandbox):
    iam = aws(sandbox.endpoint_url, "iam")
    user = unique("ds")
    iam.create_user(UserName=user)
    assert iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"] == []
    iam.delete_user(UserName=user)
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")["Policy"]
    assert policy["PolicyName"] == "AmazonSageMakerFullAccess"  # AWS managed policies are loaded
    with pytest.raises(ClientError) as excinfo:
        iam.list_service_specific_credentials(UserName=user)
    assert aws_error(excinfo) == ("NoSuchEntity", f"The user with name {user} cannot be found.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# --- notebook instances --------------------------------------------------------------------------------

@pytest.fixture
def one_second_transitions(sandbox: Any) -> Iterator[None]:
    """The default pace, whatever $SAGELAB_SANDBOX_TRANSITION_SECONDS says in this environment."""
    with transitions(sandbox, progression="time", seconds=1):
        yield


@pytest.mark.usefixtures("one_second_transitions")
def test_notebook_statuses_take_time_and_waiters_follow_them(sm):
    name = unique("nb")
    started = time.monotonic()
    create_notebook(sm, name)
    assert notebook_status(sm, name) == "Pending"
    with pytest.raises(ClientError) as excinfo:  # like AWS: nothing to stop before it is in service
        sm.stop_notebook_instance(NotebookInstanceName=name)
    assert aws_error(excinfo) == ("ValidationException",
                                  transition_message("Pending", "InService", "Stopping", name))
    sm.get_waiter("notebook_instance_in_service").wait(NotebookInstanceName=name, WaiterConfig=FAST_WAITER)
    assert time.monotonic() - started >= 0.9

    sm.stop_notebook_instance(NotebookInstanceName=name)
    assert notebook_status(sm, name) == "Stopping"
    sm.get_waiter("notebook_instance_stopped").wait(NotebookInstanceName=name, WaiterConfig=FAST_WAITER)

    sm.update_notebook_instance(NotebookInstanceName=name, VolumeSizeInGB=10)
    assert notebook_status(sm, name) == "Updating"
    sm.get_waiter("notebook_instance_stopped").wait(NotebookInstanceName=name, WaiterConfig=FAST_WAITER)
    assert sm.describe_notebook_instance(NotebookInstanceName=name)["VolumeSizeInGB"] == 10

    sm.delete_notebook_instance(NotebookInstanceName=name)
    assert notebook_status(sm, name) == "Deleting"
    assert [n["NotebookInstanceStatus"] for n in sm.list_notebook_instances(NameContains=name)
            ["NotebookInstances"]] == ["Deleting"]
    sm.get_waiter("notebook_instance_deleted").wait(NotebookInstanceName=name, WaiterConfig=FAST_WAITER)
    with pytest.raises(ClientError) as excinfo:
        sm.describe_notebook_instance(NotebookInstanceName=name)
    assert aws_error(excinfo) == ("ValidationException", "RecordNotFound")
    assert sm.list_notebook_instances(NameContains=name)["NotebookInstances"] == []


def test_notebook_calls_follow_aws_status_rules(sandbox, sm):
    name = unique("nb")
    with transitions(sandbox):
        create_notebook(sm, name)
        assert notebook_status(sm, name) == "InService"
        for call, target in ((sm.start_notebook_instance, "Pending"),
                             (sm.delete_notebook_instance, "Deleting"),
                             (sm.update_notebook_instance, "Updating")):
            with pytest.raises(ClientError) as excinfo:
                call(NotebookInstanceName=name)
            assert aws_error(excinfo) == ("ValidationException",
                                          transition_message("InService", "Stopped, Failed", target, name))
        sm.stop_notebook_instance(NotebookInstanceName=name)
        assert notebook_status(sm, name) == "Stopped"
        with pytest.raises(ClientError) as excinfo:
            sm.stop_notebook_instance(NotebookInstanceName=name)
        assert aws_error(excinfo)[1] == transition_message("Stopped", "InService", "Stopping", name)
        sm.start_notebook_instance(NotebookInstanceName=name)
        assert notebook_status(sm, name) == "InService"
        sm.stop_notebook_instance(NotebookInstanceName=name)
        sm.delete_notebook_instance(NotebookInstanceName=name)
        for call in (sm.describe_notebook_instance, sm.update_notebook_instance,
                     sm.create_presigned_notebook_instance_url):
            with pytest.raises(ClientError) as excinfo:
                call(NotebookInstanceName=name)
            assert aws_error(excinfo) == ("ValidationException", "RecordNotFound")
        create_notebook(sm, name)  # the name is free again once the instance is gone
        assert notebook_status(sm, name) == "InService"


def test_create_fills_in_aws_defaults_and_checks_instance_types_against_the_api(sandbox, sm):
    name = unique("nb")
    with transitions(sandbox):
        create_notebook(sm, name, InstanceType="ml.g4dn.xlarge")
    described = sm.describe_notebook_instance(NotebookInstanceName=name)
    assert described["InstanceType"] == "ml.g4dn.xlarge"  # valid in AWS; moto's own list refuses it
    assert described["RootAccess"] == "Enabled"
    assert described["PlatformIdentifier"] == "notebook-al2-v2"
    assert described["IpAddressType"] == "ipv4"
    assert described["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "1"}
    assert "FailureReason" not in described
    with pytest.raises(ClientError) as excinfo:
        create_notebook(sm, unique("nb"), InstanceType="ml.m5.large")
    code, message = aws_error(excinfo)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'ml.m5.large' at 'instanceType' failed to "
                              "satisfy constraint: Member must satisfy enum value set: [ml.t2.medium, ")


def test_update_notebook_instance_applies_what_the_api_accepts(sandbox, sm):
    name, config = unique("nb"), unique("lcc")
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=config)
    subnet = aws(sandbox.endpoint_url, "ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    with transitions(sandbox):
        create_notebook(sm, name, VolumeSizeInGB=20, DefaultCodeRepository="https://github.com/a/one",
                        SubnetId=subnet,
                        AdditionalCodeRepositories=["https://github.com/a/two"],
                        AcceleratorTypes=["ml.eia2.medium"])
        sm.stop_notebook_instance(NotebookInstanceName=name)
        changes = {
            "InstanceType": "ml.t3.large", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/other",
            "LifecycleConfigName": config, "VolumeSizeInGB": 30,
            "DefaultCodeRepository": "https://github.com/a/three",
            "AdditionalCodeRepositories": ["https://github.com/a/four", "https://github.com/a/five"],
            "RootAccess": "Disabled", "PlatformIdentifier": "notebook-al2-v3", "IpAddressType": "dualstack",
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
        }
        sm.update_notebook_instance(NotebookInstanceName=name, **changes)
        described = sm.describe_notebook_instance(NotebookInstanceName=name)
        assert described["NotebookInstanceStatus"] == "Stopped"
        assert described["LastModifiedTime"] > described["CreationTime"]
        for key, value in changes.items():
            key = "NotebookInstanceLifecycleConfigName" if key == "LifecycleConfigName" else key
            assert described[key] == value, key

        sm.update_notebook_instance(NotebookInstanceName=name, DisassociateLifecycleConfig=True,
                                    DisassociateDefaultCodeRepository=True,
                                    DisassociateAdditionalCodeRepositories=True,
                                    DisassociateAcceleratorTypes=True)
        described = sm.describe_notebook_instance(NotebookInstanceName=name)
        for key in ("NotebookInstanceLifecycleConfigName", "DefaultCodeRepository",
                    "AdditionalCodeRepositories", "AcceleratorTypes"):
            assert key not in described, key
        assert described["InstanceType"] == "ml.t3.large"  # untouched by a call that does not name it

        with pytest.raises(ClientError) as excinfo:
            sm.update_notebook_instance(NotebookInstanceName=name, VolumeSizeInGB=10)
        assert aws_error(excinfo)[0] == "ValidationException"
        assert "cannot be decreased from 30 GB to 10 GB" in aws_error(excinfo)[1]
        with pytest.raises(ClientError) as excinfo:
            sm.update_notebook_instance(NotebookInstanceName=name, RootAccess="Sometimes",
                                        VolumeSizeInGB=20000, PlatformIdentifier="notebook-al9-v1")
        code, message = aws_error(excinfo)
        assert code == "ValidationException"
        assert message.startswith("3 validation errors detected: ")
        constraint = "failed to satisfy constraint: Member must"
        assert f"Value 'Sometimes' at 'rootAccess' {constraint} satisfy enum value set: [Enabled, Disabled]" \
            in message
        assert f"Value '20000' at 'volumeSizeInGB' {constraint} have value less than or equal to 16384" \
            in message
        assert f"Value 'notebook-al9-v1' at 'platformIdentifier' {constraint} satisfy regular expression " \
            "pattern" in message
        assert sm.describe_notebook_instance(NotebookInstanceName=name)["VolumeSizeInGB"] == 30


def test_a_failed_notebook_reports_why_and_can_be_updated_started_or_deleted(sandbox, sm):
    name = unique("nb")
    url = sandbox.endpoint_url
    with transitions(sandbox):
        create_notebook(sm, name)
        reason = "Lifecycle script on-start failed with exit code 1"
        assert call_api(url, "/sagelab-sandbox/fail-notebook", {"name": name, "reason": reason})[0] == 200
        described = sm.describe_notebook_instance(NotebookInstanceName=name)
        assert (described["NotebookInstanceStatus"], described["FailureReason"]) == ("Failed", reason)
        with pytest.raises(ClientError) as excinfo:
            sm.stop_notebook_instance(NotebookInstanceName=name)
        assert aws_error(excinfo)[1] == transition_message("Failed", "InService", "Stopping", name)
        sm.update_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.large")
        assert notebook_status(sm, name) == "Stopped"
        call_api(url, "/sagelab-sandbox/fail-notebook", {"name": name, "reason": reason})
        sm.start_notebook_instance(NotebookInstanceName=name)
        described = sm.describe_notebook_instance(NotebookInstanceName=name)
        assert described["NotebookInstanceStatus"] == "InService"
        assert "FailureReason" not in described
        call_api(url, "/sagelab-sandbox/fail-notebook", {"name": name})
        sm.delete_notebook_instance(NotebookInstanceName=name)
        assert sm.list_notebook_instances(NameContains=name)["NotebookInstances"] == []
    assert call_api(url, "/sagelab-sandbox/fail-notebook", {"name": name})[0] == 404
    assert call_api(url, "/sagelab-sandbox/fail-notebook", {"reason": "no name"})[0] == 400


def test_presigned_notebook_url_opens_the_named_instance(sandbox, sm):
    name = unique("nb")
    create_notebook(sm, name)
    first = sm.create_presigned_notebook_instance_url(
        NotebookInstanceName=name, SessionExpirationDurationInSeconds=1800)["AuthorizedUrl"]
    second = sm.create_presigned_notebook_instance_url(NotebookInstanceName=name)["AuthorizedUrl"]
    prefix = f"https://{name}.notebook.eu-west-1.sagemaker.aws?authToken="
    assert first.startswith(prefix) and second.startswith(prefix)
    assert first != second and len(first) > len(prefix) + 20
    with pytest.raises(ClientError) as excinfo:
        sm.create_presigned_notebook_instance_url(NotebookInstanceName=name,
                                                  SessionExpirationDurationInSeconds=99999)
    assert "at 'sessionExpirationDurationInSeconds'" in aws_error(excinfo)[1]


# --- lifecycle configurations and code repositories ------------------------------------------------

def test_lifecycle_configs_are_listed_and_updated(sm):
    prefix = unique("lcc")
    names = [f"{prefix}-{n}" for n in ("b", "a", "c")]
    for name in names:
        sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name,
                                                     OnStart=[{"Content": "ZWNobyBiZWZvcmU="}])

    def listed(**options: Any) -> tuple[list[str], str | None]:
        reply = sm.list_notebook_instance_lifecycle_configs(NameContains=prefix, **options)
        return ([c["NotebookInstanceLifecycleConfigName"] for c in reply["NotebookInstanceLifecycleConfigs"]],
                reply.get("NextToken"))

    assert listed() == (names, None)  # by CreationTime, the default
    summary = sm.list_notebook_instance_lifecycle_configs(NameContains=names[0])[
        "NotebookInstanceLifecycleConfigs"][0]
    assert summary["NotebookInstanceLifecycleConfigArn"] == \
        f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:notebook-instance-lifecycle-config/{names[0]}"
    by_name = {"SortBy": "Name", "SortOrder": "Descending", "MaxResults": 2}
    first, token = listed(**by_name)
    assert first == sorted(names, reverse=True)[:2] and token
    assert listed(**by_name, NextToken=token) == ([sorted(names)[0]], None)

    before = sm.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=names[0])
    sm.update_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=names[0],
                                                 OnStart=[{"Content": "ZWNobyBhZnRlcg=="}])
    after = sm.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=names[0])
    assert after["OnStart"] == [{"Content": "ZWNobyBhZnRlcg=="}]
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    with pytest.raises(ClientError) as excinfo:
        sm.update_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=unique("missing"))
    code, message = aws_error(excinfo)
    assert code == "ValidationException" and "Notebook Instance Lifecycle Config does not exist" in message


def test_code_repositories_lifecycle_with_tags(sm):
    name = unique("repo")
    git = {"RepositoryUrl": "https://github.com/example/notebooks.git", "Branch": "main"}
    arn = sm.create_code_repository(CodeRepositoryName=name, GitConfig=git,
                                    Tags=[{"Key": "team", "Value": "ds"}])["CodeRepositoryArn"]
    assert arn == f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:code-repository/{name}"
    with pytest.raises(ClientError) as excinfo:
        sm.create_code_repository(CodeRepositoryName=name, GitConfig=git)
    assert aws_error(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sm.create_code_repository(CodeRepositoryName=unique("repo"),
                                  GitConfig={"RepositoryUrl": "git@github.com:x"})
    assert "at 'gitConfig.repositoryUrl' failed to satisfy constraint" in aws_error(excinfo)[1]

    described = sm.describe_code_repository(CodeRepositoryName=name)
    assert (described["CodeRepositoryArn"], described["GitConfig"]) == (arn, git)
    secret = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:git-AbCdEf"
    assert sm.update_code_repository(CodeRepositoryName=name, GitConfig={"SecretArn": secret})[
        "CodeRepositoryArn"] == arn
    assert sm.describe_code_repository(CodeRepositoryName=name)["GitConfig"] == {**git, "SecretArn": secret}

    other = f"{name}-other"
    sm.create_code_repository(CodeRepositoryName=other, GitConfig=git)
    listed = sm.list_code_repositories(NameContains=name)["CodeRepositorySummaryList"]
    assert [r["CodeRepositoryName"] for r in listed] == [name, other]  # by Name, ascending: the defaults
    page = sm.list_code_repositories(NameContains=name, SortOrder="Descending", MaxResults=1)
    assert [r["CodeRepositoryName"] for r in page["CodeRepositorySummaryList"]] == [other]
    assert page["NextToken"]

    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}, {"Key": "cost", "Value": "lab"}])
    assert sorted((t["Key"], t["Value"]) for t in sm.list_tags(ResourceArn=arn)["Tags"]) == \
        [("cost", "lab"), ("team", "ml")]  # an existing key is overwritten, as in AWS

    sm.delete_code_repository(CodeRepositoryName=name)
    for call in (sm.describe_code_repository, sm.delete_code_repository, sm.update_code_repository):
        with pytest.raises(ClientError) as excinfo:
            call(CodeRepositoryName=name)
        # AWS's words for a missing repository: the only thing a client can tell it by
        assert aws_error(excinfo) == ("ValidationException", f"Cannot find CodeRepository ({arn})")
    assert [r["CodeRepositoryName"] for r in sm.list_code_repositories(NameContains=name)[
        "CodeRepositorySummaryList"]] == [other]


# --- SageMaker Studio ----------------------------------------------------------------------------------

def create_domain(sm: Any, auth_mode: str = "IAM") -> str:
    arn = sm.create_domain(DomainName=unique("studio"), AuthMode=auth_mode, SubnetIds=["subnet-1"],
                           VpcId="vpc-1", DefaultUserSettings={"ExecutionRole": ROLE})["DomainArn"]
    return arn.rpartition("/")[2]


def studio_lifecycle_config(sm: Any) -> str:
    return sm.create_studio_lifecycle_config(
        StudioLifecycleConfigName=unique("setup"), StudioLifecycleConfigContent="ZWNobyBoaQ==",
        StudioLifecycleConfigAppType="JupyterLab")["StudioLifecycleConfigArn"]


def until(read: Any, wanted: Any, timeout: float = 15.0) -> list[Any]:
    """Read until it gives wanted; every value read on the way (the statuses a resource went through)."""
    seen: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)
        if value == wanted:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"never {wanted!r}; saw {seen}")


def status_or_gone(describe: Any, **key: Any) -> str:
    try:
        return cast(str, describe(**key)["Status"])
    except ClientError as exc:
        return f"gone ({exc.response['Error']['Code']})"


def test_user_profiles_lifecycle_and_presigned_domain_url(sm):
    domain_id = create_domain(sm)
    settings = {"ExecutionRole": ROLE, "SecurityGroups": ["sg-1"]}
    arn = sm.create_user_profile(DomainId=domain_id, UserProfileName="alice", UserSettings=settings,
                                 Tags=[{"Key": "owner", "Value": "alice"}])["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:user-profile/{domain_id}/alice"
    sm.create_user_profile(DomainId=domain_id, UserProfileName="bob")
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert aws_error(excinfo)[0] == "ResourceInUse"
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain_id, UserProfileName="carol",
                               SingleSignOnUserIdentifier="UserName", SingleSignOnUserValue="carol")
    assert aws_error(excinfo)[0] == "ValidationException"  # IAM domains take no IAM Identity Center user
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId="d-missing", UserProfileName="alice")
    assert aws_error(excinfo)[0] == "ResourceNotFound"

    for name in ("alice", "bob"):
        until(lambda name=name: status_or_gone(sm.describe_user_profile, DomainId=domain_id,
                                               UserProfileName=name), "InService")
    described = sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")
    want = (arn, "InService", settings)
    assert (described["UserProfileArn"], described["Status"], described["UserSettings"]) == want
    assert described["HomeEfsFileSystemUid"].isdigit()
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "alice"}]
    listed = sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
    want = [("alice", "InService"), ("bob", "InService")]
    assert [(p["UserProfileName"], p["Status"]) for p in listed] == want
    listed = sm.list_user_profiles(DomainIdEquals=domain_id, UserProfileNameContains="bo")["UserProfiles"]
    assert [p["UserProfileName"] for p in listed] == ["bob"]

    sm.update_user_profile(DomainId=domain_id, UserProfileName="alice",
                           UserSettings={"SecurityGroups": ["sg-2"]})
    assert sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")["UserSettings"] == \
        {"ExecutionRole": ROLE, "SecurityGroups": ["sg-2"]}  # settings not named are kept

    url = sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="alice",
                                         ExpiresInSeconds=60)["AuthorizedUrl"]
    assert url.startswith(f"https://{domain_id}.studio.eu-west-1.sagemaker.aws/auth?token=")
    with pytest.raises(ClientError) as excinfo:
        sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="nobody")
    assert aws_error(excinfo)[0] == "ResourceNotFound"

    with pytest.raises(ClientError) as excinfo:  # AWS: profiles first, then the domain
        sm.delete_domain(DomainId=domain_id)
    assert aws_error(excinfo)[0] == "ResourceInUse"
    for name in ("alice", "bob"):
        sm.delete_user_profile(DomainId=domain_id, UserProfileName=name)
    for name in ("alice", "bob"):
        until(lambda name=name: status_or_gone(sm.describe_user_profile, DomainId=domain_id,
                                               UserProfileName=name), "gone (ResourceNotFound)")
    for call in (sm.describe_user_profile, sm.delete_user_profile, sm.update_user_profile):
        with pytest.raises(ClientError) as excinfo:
            call(DomainId=domain_id, UserProfileName="alice")
        assert aws_error(excinfo)[0] == "ResourceNotFound"
    sm.delete_domain(DomainId=domain_id)
    assert sm.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"] == []


def test_domains_and_user_profiles_take_time_and_can_fail_with_a_reason(sandbox, sm):
    """Pending -> InService, Updating -> InService, Deleting -> gone, as on AWS (minutes there, the
    transition time here), and Failed with a FailureReason when a test asks."""
    started = time.monotonic()
    domain_id = create_domain(sm)
    domain = {"DomainId": domain_id}

    def domain_status():
        return status_or_gone(sm.describe_domain, **domain)

    assert until(domain_status, "InService") == ["Pending", "InService"]
    assert time.monotonic() - started >= 0.9  # the session sandbox's default: 1 s per transition
    listed = {d["DomainId"]: d["Status"] for d in sm.list_domains()["Domains"]}
    assert listed[domain_id] == "InService"
    sm.update_domain(DomainId=domain_id, DefaultUserSettings={"SecurityGroups": ["sg-1"]})
    assert until(domain_status, "InService") == ["Updating", "InService"]

    profile = {"DomainId": domain_id, "UserProfileName": "alice"}
    sm.create_user_profile(**profile)
    assert until(lambda: status_or_gone(sm.describe_user_profile, **profile), "InService") == \
        ["Pending", "InService"]
    sm.update_user_profile(**profile, UserSettings={"SecurityGroups": ["sg-2"]})
    assert until(lambda: status_or_gone(sm.describe_user_profile, **profile), "InService") == \
        ["Updating", "InService"]
    status, body = call_api(sandbox.endpoint_url, f"{sandbox_module.API_PREFIX}fail-user-profile",
                            {**{"domain_id": domain_id, "name": "alice"}, "reason": "EFS mount failed"})
    assert (status, body["status"]) == (200, "Failed")
    described = sm.describe_user_profile(**profile)
    assert (described["Status"], described["FailureReason"]) == ("Failed", "EFS mount failed")
    time.sleep(1.2)  # Failed stays Failed
    assert sm.describe_user_profile(**profile)["Status"] == "Failed"
    sm.delete_user_profile(**profile)
    assert until(lambda: status_or_gone(sm.describe_user_profile, **profile), "gone (ResourceNotFound)") == \
        ["Deleting", "gone (ResourceNotFound)"]

    status, body = call_api(sandbox.endpoint_url, f"{sandbox_module.API_PREFIX}fail-domain",
                            {"domain_id": domain_id, "reason": "Subnet subnet-1 has no free addresses"})
    assert status == 200
    described = sm.describe_domain(DomainId=domain_id)
    assert (described["Status"], described["FailureReason"]) == \
        ("Failed", "Subnet subnet-1 has no free addresses")
    sm.delete_domain(DomainId=domain_id)
    # API_DescribeDomain / API_DeleteDomain: a missing domain is ResourceNotFound (moto: ValidationException)
    assert until(domain_status, "gone (ResourceNotFound)") == ["Deleting", "gone (ResourceNotFound)"]
    with pytest.raises(ClientError) as excinfo:
        sm.delete_domain(DomainId=domain_id)
    assert aws_error(excinfo)[0] == "ResourceNotFound"
    assert domain_id not in {d["DomainId"] for d in sm.list_domains()["Domains"]}
    status, body = call_api(sandbox.endpoint_url, f"{sandbox_module.API_PREFIX}fail-domain",
                            {"domain_id": domain_id})
    assert status == 404


def test_sso_domains_need_an_identity_center_user_and_give_no_presigned_url(sm):
    domain_id = create_domain(sm, auth_mode="SSO")
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert aws_error(excinfo)[0] == "ValidationException"
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice", SingleSignOnUserIdentifier="UserName",
                           SingleSignOnUserValue="alice@example.com")
    described = sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert described["SingleSignOnUserValue"] == "alice@example.com"
    with pytest.raises(ClientError) as excinfo:
        sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="alice")
    assert aws_error(excinfo)[0] == "ValidationException"


def test_update_domain_merges_settings(sm):
    domain_id = create_domain(sm)
    before = sm.describe_domain(DomainId=domain_id)
    arn = sm.update_domain(DomainId=domain_id, DefaultUserSettings={"SecurityGroups": ["sg-9"]},
                           DomainSettingsForUpdate={"ExecutionRoleIdentityConfig": "USER_PROFILE_NAME"},
                           AppNetworkAccessType="VpcOnly", SubnetIds=["subnet-2", "subnet-3"],
                           VpcId=before["VpcId"], TagPropagation="ENABLED")["DomainArn"]
    after = sm.describe_domain(DomainId=domain_id)
    assert arn == after["DomainArn"]
    assert after["DefaultUserSettings"] == {"ExecutionRole": ROLE, "SecurityGroups": ["sg-9"]}
    assert after["DomainSettings"] == {"ExecutionRoleIdentityConfig": "USER_PROFILE_NAME"}
    assert (after["AppNetworkAccessType"], after["SubnetIds"], after["TagPropagation"]) == \
        ("VpcOnly", ["subnet-2", "subnet-3"], "ENABLED")
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(DomainId="d-missing", AppNetworkAccessType="VpcOnly")
    assert aws_error(excinfo)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(DomainId=domain_id, AppNetworkAccessType="Everywhere")
    assert "at 'appNetworkAccessType'" in aws_error(excinfo)[1]


# --- every SageMaker and Scheduler request against botocore's service model -------------------------------

def unvalidated(endpoint_url: str, service: str) -> Any:
    """A client that sends what it is given: botocore's own checks (required members, types, minima) off."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=sandbox_module.SANDBOX_REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1},
                                      parameter_validation=False))


MUST = "failed to satisfy constraint: Member must"


def test_moto_handled_sagemaker_calls_are_checked_against_the_model(sandbox, sm):
    """moto's own CreateNotebookInstanceLifecycleConfig and CreateDomain accept what AWS refuses; the
    sandbox answers as AWS does, naming each member and constraint, and nothing is made."""
    bad = "bad_name!"
    with pytest.raises(ClientError) as excinfo:
        sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=bad,
                                                     OnStart=[{"Content": "x" * 16385}])
    code, message = aws_error(excinfo)
    assert code == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message.startswith("2 validation errors detected: "), message
    assert f"Value '{bad}' at 'notebookInstanceLifecycleConfigName' {MUST} satisfy regular expression " \
        "pattern: [a-zA-Z0-9](-*[a-zA-Z0-9])*" in message
    assert f"at 'onStart.1.member.content' {MUST} have length less than or equal to 16384" in message
    names = [c["NotebookInstanceLifecycleConfigName"]
             for c in sm.list_notebook_instance_lifecycle_configs()["NotebookInstanceLifecycleConfigs"]]
    assert bad not in names

    with pytest.raises(ClientError) as excinfo:
        sm.create_domain(DomainName=unique("studio"), AuthMode="LDAP", VpcId="vpc-1", SubnetIds=["subnet-1"],
                         DefaultUserSettings={"ExecutionRole": ROLE},
                         Tags=[{"Key": "k" * 129, "Value": "v"}])
    message = aws_error(excinfo)[1]
    assert message.startswith("2 validation errors detected: "), message
    assert f"Value 'LDAP' at 'authMode' {MUST} satisfy enum value set: [SSO, IAM]" in message
    assert f"at 'tags.1.member.key' {MUST} have length less than or equal to 128" in message


def test_required_members_and_minima_are_checked_even_when_the_client_does_not(sandbox):
    sm = unvalidated(sandbox.endpoint_url, "sagemaker")
    with pytest.raises(ClientError) as excinfo:
        sm.create_notebook_instance(NotebookInstanceName=unique("nb"), InstanceType="ml.t3.medium",
                                    VolumeSizeInGB=1, DefaultCodeRepository="")
    code, message = aws_error(excinfo)
    assert code == "ValidationException"
    assert f"Value null at 'roleArn' {MUST} not be null" in message
    assert f"Value '' at 'defaultCodeRepository' {MUST} have length greater than or equal to 1" in message
    assert f"Value '1' at 'volumeSizeInGB' {MUST} have value greater than or equal to 5" in message


def test_scheduler_requests_are_checked_against_the_model(sandbox):
    """moto's Scheduler accepts any name, expression length or state; AWS does not."""
    scheduler = aws(sandbox.endpoint_url, "scheduler")
    target = {"Arn": f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:notebook-instance/x", "RoleArn": ROLE}
    with pytest.raises(ClientError) as excinfo:
        scheduler.create_schedule(Name="bad name", ScheduleExpression="cron(0 20 * * ? *)" + " " * 256,
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target=target, State="PAUSED")
    code, message = aws_error(excinfo)
    assert code == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message.startswith("3 validation errors detected: "), message
    assert f"Value 'bad name' at 'name' {MUST} satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$" \
        in message
    assert f"at 'scheduleExpression' {MUST} have length less than or equal to 256" in message
    assert f"Value 'PAUSED' at 'state' {MUST} satisfy enum value set: [ENABLED, DISABLED]" in message
    assert "bad name" not in [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
    with pytest.raises(ClientError) as excinfo:  # a member in the URI's query string
        scheduler.get_schedule(Name="x", GroupName="no group")
    message = aws_error(excinfo)[1]
    assert f"Value 'no group' at 'groupName' {MUST} satisfy regular expression pattern" in message


# --- rules beyond the model, each as the API reference states it ------------------------------------------

def test_notebook_references_must_exist_and_dualstack_needs_a_subnet(sandbox, sm):
    """CreateNotebookInstance / UpdateNotebookInstance: a lifecycle configuration or code repository named
    (not an https:// URL) must exist; IpAddressType dualstack needs a subnet. Nothing is made or changed."""
    name, missing = unique("nb"), unique("missing")
    refusals = [
        ({"LifecycleConfigName": missing}, "(Details: Notebook Instance Lifecycle Config does not exist.)"),
        ({"DefaultCodeRepository": missing}, f"Cannot find Code Repository (arn:aws:sagemaker:eu-west-1:"
                                             f"{ACCOUNT}:code-repository/{missing})"),
        ({"AdditionalCodeRepositories": ["https://github.com/a/b", missing]}, "Cannot find Code Repository"),
        ({"IpAddressType": "dualstack"}, "IpAddressType dualstack requires a SubnetId"),
    ]
    for extra, message in refusals:
        with pytest.raises(ClientError) as excinfo:
            create_notebook(sm, name, **extra)
        assert aws_error(excinfo)[0] == "ValidationException" and message in aws_error(excinfo)[1], extra
        listed = sm.list_notebook_instances()["NotebookInstances"]
        assert name not in [n["NotebookInstanceName"] for n in listed]
    with transitions(sandbox):
        create_notebook(sm, name, DefaultCodeRepository="https://github.com/a/one")
        sm.stop_notebook_instance(NotebookInstanceName=name)
        for extra, message in refusals:
            with pytest.raises(ClientError) as excinfo:
                sm.update_notebook_instance(NotebookInstanceName=name, **extra)
            assert message in aws_error(excinfo)[1], extra
        described = sm.describe_notebook_instance(NotebookInstanceName=name)
        assert described["IpAddressType"] == "ipv4" and "NotebookInstanceLifecycleConfigName" not in described


def test_lifecycle_hooks_are_limited_to_16384_characters_on_update_too(sm):
    name = unique("lcc")
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name,
                                                 OnStart=[{"Content": "x" * 16384}])
    with pytest.raises(ClientError) as excinfo:
        sm.update_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name,
                                                     OnCreate=[{"Content": "y" * 16385}])
    code, message = aws_error(excinfo)
    assert code == "ValidationException"
    assert f"at 'onCreate.1.member.content' {MUST} have length less than or equal to 16384" in message
    described = sm.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=name)
    assert not described.get("OnCreate") and described["OnStart"] == [{"Content": "x" * 16384}]


def test_switching_a_domain_to_vpc_only_needs_its_vpc_and_subnets(sandbox, sm):
    """UpdateDomain to VpcOnly without VpcId and SubnetIds: "VpcId and Subnet IDs are required for updating
    domains to VpcOnly mode" (terraform-provider-aws #45528)."""
    name = unique("studio")
    sm.create_domain(DomainName=name, AuthMode="IAM", VpcId="vpc-0abc", SubnetIds=["subnet-0abc"],
                     DefaultUserSettings={"ExecutionRole": ROLE})
    domain_id = f"d-{name}"
    try:
        for extra in ({}, {"SubnetIds": ["subnet-0abc"]}, {"VpcId": "vpc-0abc"}):
            with pytest.raises(ClientError) as excinfo:
                sm.update_domain(DomainId=domain_id, AppNetworkAccessType="VpcOnly", **extra)
            assert aws_error(excinfo) == ("ValidationException", "VpcId and Subnet IDs are required for "
                                                                 "updating domains to VpcOnly mode"), extra
        assert sm.describe_domain(DomainId=domain_id)["AppNetworkAccessType"] == "PublicInternetOnly"
        sm.update_domain(DomainId=domain_id, AppNetworkAccessType="VpcOnly", VpcId="vpc-0abc",
                         SubnetIds=["subnet-0abc"])
        assert sm.describe_domain(DomainId=domain_id)["AppNetworkAccessType"] == "VpcOnly"
        sm.update_domain(DomainId=domain_id, AppNetworkAccessType="VpcOnly")  # already VpcOnly: accepted
    finally:
        sm.delete_domain(DomainId=domain_id)


def test_an_instance_can_be_described_as_made_before_ip_address_type_existed(sandbox, sm):
    name = unique("nb")
    with transitions(sandbox):
        create_notebook(sm, name)
    assert call_api(sandbox.endpoint_url, "/sagelab-sandbox/legacy-notebook", {"name": name})[0] == 200
    assert "IpAddressType" not in sm.describe_notebook_instance(NotebookInstanceName=name)
    assert call_api(sandbox.endpoint_url, "/sagelab-sandbox/legacy-notebook", {"name": "none"})[0] == 404


# --- fault injection -------------------------------------------------------------------------------------

def test_injected_throttling_is_retried_by_botocore_then_succeeds(sandbox):
    url = sandbox.endpoint_url
    fault = {"service": "sagemaker", "operation": "ListCodeRepositories", "status": 400, "count": 2}
    status, queued = call_api(url, "/sagelab-sandbox/faults", fault)
    assert status == 201 and queued["code"] == "ThrottlingException"
    reply = aws(sandbox.endpoint_url, "sagemaker", attempts=4).list_code_repositories()
    assert reply["ResponseMetadata"]["RetryAttempts"] == 2
    assert call_api(url, "/sagelab-sandbox/faults", method="GET") == (200, {"faults": []})

    call_api(url, "/sagelab-sandbox/faults", {**fault, "count": 1})
    sm = aws(sandbox.endpoint_url, "sagemaker")
    sm.list_notebook_instances()  # another operation: not affected
    with pytest.raises(ClientError) as excinfo:
        sm.list_code_repositories()
    assert aws_error(excinfo) == ("ThrottlingException", "Rate exceeded")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sm.list_code_repositories()


@pytest.mark.parametrize(("service", "call", "status", "code"), [
    ("iam", lambda c: c.list_users(), 500, "InternalFailure"),  # query protocol: XML ErrorResponse
    ("s3", lambda c: c.list_buckets(), 503, "ServiceUnavailable"),  # REST XML: S3's <Error>
    ("scheduler", lambda c: c.list_schedules(), 429, "ThrottlingException"),  # REST JSON
])
def test_injected_faults_speak_each_protocol(sandbox, service, call, status, code):
    client = aws(sandbox.endpoint_url, service)
    fault = {"service": service, "status": status, "count": 1}
    assert call_api(sandbox.endpoint_url, "/sagelab-sandbox/faults", fault)[0] == 201
    with pytest.raises(ClientError) as excinfo:
        call(client)
    assert aws_error(excinfo)[0] == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    call(client)


def test_faults_can_be_listed_and_cleared(sandbox):
    url = sandbox.endpoint_url
    iam = aws(sandbox.endpoint_url, "iam")

    call_api(url, "/sagelab-sandbox/faults", {"status": 503, "count": 5})
    pending = call_api(url, "/sagelab-sandbox/faults", method="GET")[1]["faults"]
    assert [(f["service"], f["operation"], f["code"], f["count"]) for f in pending] == \
        [("*", "*", "ServiceUnavailable", 5)]
    assert call_api(url, "/sagelab-sandbox/faults", method="DELETE") == (200, {"faults": []})
    iam.list_users()
    for bad in ({"status": 200}, {"count": 0}, {"colour": "red"}):
        assert call_api(url, "/sagelab-sandbox/faults", bad)[0] == 400
    assert call_api(url, "/sagelab-sandbox/nothing-here", {})[0] == 404


# --- the sandbox process --------------------------------------------------------------------------------

def test_start_reuses_a_live_sandbox_and_stop_ends_it(tmp_path):
    first = sandbox_module.start(tmp_path)
    try:
        assert set(first) == {"pid", "port", "endpoint_url", "started"}
        assert first["endpoint_url"] == f"http://127.0.0.1:{first['port']}"
        assert json.loads((tmp_path / ".sagelab" / "sandbox.json").read_text()) == first
        assert sandbox_module.start(tmp_path) == first
        assert sandbox_module.status(tmp_path) == first
    finally:
        assert sandbox_module.stop(tmp_path) is True
    with pytest.raises(ProcessLookupError):
        os.kill(first["pid"], 0)
    assert sandbox_module.status(tmp_path) is None
    assert not (tmp_path / ".sagelab" / "sandbox.json").exists()
    assert sandbox_module.stop(tmp_path) is False


def test_start_says_why_a_sandbox_did_not_come_up(tmp_path):
    with socket.socket() as taken:
        taken.bind((sandbox_module.HOST, 0))
        taken.listen()
        with pytest.raises(sandbox_module.SandboxError) as excinfo:
            sandbox_module.start(tmp_path, port=taken.getsockname()[1])
    message = str(excinfo.value)
    assert "exited" in message and "Address already in use" in message
    assert str(tmp_path / ".sagelab" / "sandbox.log") in message
    assert sandbox_module.status(tmp_path) is None


def test_cli_starts_shows_and_stops_the_sandbox(tmp_path, monkeypatch, capsys):
    env = {**os.environ, "SAGELAB_HOME": str(tmp_path)}

    def sagelab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SAGELAB), "sandbox", *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)

    started = sagelab("start")
    try:
        assert started.returncode == 0, started.stderr
        state = json.loads((tmp_path / ".sagelab" / "sandbox.json").read_text())
        assert f"export AWS_ENDPOINT_URL={state['endpoint_url']}" in started.stdout
        assert "export AWS_DEFAULT_REGION=eu-west-1" in started.stdout
        assert aws(state["endpoint_url"], "sts").get_caller_identity()["Account"] == ACCOUNT
        shown = sagelab("status", "--json")
        assert (shown.returncode, json.loads(shown.stdout)) == (0, {"running": True, **state})
        monkeypatch.setenv("SAGELAB_HOME", str(tmp_path))  # the other answers, in process
        assert main(["sandbox", "start", "--port", "1"]) == 0  # the live sandbox is reused, whatever the port
        out = capsys.readouterr().out
        assert "already running" in out and state["endpoint_url"] in out
    finally:
        stopped = sagelab("stop")
    assert (stopped.returncode, stopped.stdout.strip()) == (0, "Sandbox stopped.")
    assert main(["sandbox", "status", "--json"]) == 1
    assert json.loads(capsys.readouterr().out) == {"running": False}
    assert main(["sandbox", "status"]) == 1
    assert "No sandbox is running" in capsys.readouterr().out
    assert main(["sandbox", "stop"]) == 0
    assert capsys.readouterr().out.strip() == "No sandbox was running."


def test_running_serves_in_process():
    """In a child interpreter: running() patches moto in the process it runs in."""
    script = textwrap.dedent("""
        import boto3, json, urllib.request
        from sagelab.sandbox.server import running
        with running() as url:
            sm = boto3.client("sagemaker", endpoint_url=url, region_name="eu-west-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
            git = {"RepositoryUrl": "https://x.org/r.git"}
            sm.create_code_repository(CodeRepositoryName="r", GitConfig=git)
            print(json.dumps([r["CodeRepositoryName"] for r in sm.list_code_repositories()[
                "CodeRepositorySummaryList"]]))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == ["r"]


def test_studio_updates_replace_the_members_they_send_and_keep_the_others(sm):
    """UpdateUserProfile / UpdateDomain: a UserSettings (DefaultSpaceSettings, DomainSettingsForUpdate)
    member sent replaces the stored one whole; a member left out keeps its value (src/sagelab/sandbox/
    sagemaker.py _merged cites the API reference). The Studio modules rely on it: they send a member whole."""
    lcc = studio_lifecycle_config(sm)
    domain_id = create_domain(sm)
    profile = {"DomainId": domain_id, "UserProfileName": "alice"}
    sm.create_user_profile(**profile, UserSettings={
        "SecurityGroups": ["sg-1"],
        "JupyterLabAppSettings": {"LifecycleConfigArns": [lcc],
                                  "DefaultResourceSpec": {"InstanceType": "ml.t3.medium"}}})
    until(lambda: status_or_gone(sm.describe_user_profile, **profile), "InService")
    sm.update_user_profile(**profile, UserSettings={
        "JupyterLabAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.m5.large"}}})
    settings = sm.describe_user_profile(**profile)["UserSettings"]
    assert settings["SecurityGroups"] == ["sg-1"]  # not sent: kept
    assert settings["JupyterLabAppSettings"] == {"DefaultResourceSpec": {"InstanceType": "ml.m5.large"}}

    until(lambda: status_or_gone(sm.describe_domain, DomainId=domain_id), "InService")
    sm.update_domain(DomainId=domain_id, DomainSettingsForUpdate={"ExecutionRoleIdentityConfig": "DISABLED"},
                     DefaultSpaceSettings={"SecurityGroups": ["sg-2"]})
    until(lambda: status_or_gone(sm.describe_domain, DomainId=domain_id), "InService")
    sm.update_domain(DomainId=domain_id, DomainSettingsForUpdate={"SecurityGroupIds": ["sg-3"]},
                     DefaultSpaceSettings={"ExecutionRole": ROLE})
    described = sm.describe_domain(DomainId=domain_id)
    assert described["DomainSettings"] == {"ExecutionRoleIdentityConfig": "DISABLED",
                                           "SecurityGroupIds": ["sg-3"]}
    assert described["DefaultSpaceSettings"] == {"SecurityGroups": ["sg-2"], "ExecutionRole": ROLE}
    assert described["DefaultUserSettings"] == {"ExecutionRole": ROLE}
    sm.delete_user_profile(**profile)
    until(lambda: status_or_gone(sm.describe_user_profile, **profile), "gone (ResourceNotFound)")
    sm.delete_domain(DomainId=domain_id)


def test_studio_settings_naming_a_missing_lifecycle_config_or_image_are_refused(sm):
    """CreateDomain, UpdateDomain, CreateUserProfile and UpdateUserProfile refuse Studio settings that name
    a lifecycle configuration or SageMaker image that does not exist, as AWS does: ValidationException
    (the common error; sagemaker.py check_studio_references cites the API reference), before any change.
    Ones that exist are taken."""
    lcc = studio_lifecycle_config(sm)
    image = sm.create_image(ImageName=unique("image"), RoleArn=ROLE)["ImageArn"]
    assert sm.describe_image(ImageName=image.rpartition("/")[2])["ImageStatus"] == "CREATED"
    missing_lcc = lcc.rpartition("/")[0] + "/" + unique("missing")
    missing_image = image.rpartition("/")[0] + "/" + unique("missing")
    with pytest.raises(ClientError) as excinfo:
        sm.describe_studio_lifecycle_config(StudioLifecycleConfigName=missing_lcc.rpartition("/")[2])
    assert aws_error(excinfo)[0] == "ResourceNotFound"

    refused_lcc = ("ValidationException", f"Studio Lifecycle Config [{missing_lcc}] does not exist "
                   "(LifecycleConfigArns).")
    refused_image = ("ValidationException", f"Image [{missing_image}] does not exist (SageMakerImageArn).")
    bad_lcc = {"JupyterLabAppSettings": {"LifecycleConfigArns": [lcc, missing_lcc]}}
    bad_image = {"KernelGatewayAppSettings": {"DefaultResourceSpec": {"SageMakerImageArn": missing_image}}}
    good = {"JupyterLabAppSettings": {"LifecycleConfigArns": [lcc],
                                      "DefaultResourceSpec": {"LifecycleConfigArn": lcc}},
            "KernelGatewayAppSettings": {"DefaultResourceSpec": {"SageMakerImageArn": image}}}

    before = {d["DomainName"] for d in sm.list_domains()["Domains"]}
    with pytest.raises(ClientError) as excinfo:
        sm.create_domain(DomainName=unique("studio"), AuthMode="IAM", SubnetIds=["subnet-1"], VpcId="vpc-1",
                         DefaultUserSettings={"ExecutionRole": ROLE, **bad_lcc})
    assert aws_error(excinfo) == refused_lcc
    with pytest.raises(ClientError) as excinfo:
        sm.create_domain(DomainName=unique("studio"), AuthMode="IAM", SubnetIds=["subnet-1"], VpcId="vpc-1",
                         DefaultUserSettings={"ExecutionRole": ROLE}, DefaultSpaceSettings=bad_image)
    assert aws_error(excinfo) == refused_image
    assert {d["DomainName"] for d in sm.list_domains()["Domains"]} == before  # nothing was made

    domain_id = create_domain(sm)
    until(lambda: status_or_gone(sm.describe_domain, DomainId=domain_id), "InService")
    with pytest.raises(ClientError) as excinfo:
        sm.update_domain(DomainId=domain_id, DefaultSpaceSettings=bad_lcc, SubnetIds=["subnet-2"])
    assert aws_error(excinfo) == refused_lcc
    described = sm.describe_domain(DomainId=domain_id)
    assert described["Status"] == "InService" and described["SubnetIds"] == ["subnet-1"]  # unchanged
    assert not described.get("DefaultSpaceSettings")

    profile = {"DomainId": domain_id, "UserProfileName": "alice"}
    with pytest.raises(ClientError) as excinfo:
        sm.create_user_profile(**profile, UserSettings=bad_image)
    assert aws_error(excinfo) == refused_image
    sm.create_user_profile(**profile, UserSettings=good)  # what exists is taken
    until(lambda: status_or_gone(sm.describe_user_profile, **profile), "InService")
    with pytest.raises(ClientError) as excinfo:
        sm.update_user_profile(**profile, UserSettings=bad_lcc)
    assert aws_error(excinfo) == refused_lcc
    described = sm.describe_user_profile(**profile)
    assert described["Status"] == "InService" and described["UserSettings"] == good
    sm.update_domain(DomainId=domain_id, DefaultSpaceSettings=good)
    assert sm.describe_domain(DomainId=domain_id)["DefaultSpaceSettings"] == good
    sm.delete_user_profile(**profile)
    until(lambda: status_or_gone(sm.describe_user_profile, **profile), "gone (ResourceNotFound)")
    until(lambda: status_or_gone(sm.describe_domain, DomainId=domain_id), "InService")
    sm.delete_domain(DomainId=domain_id)
