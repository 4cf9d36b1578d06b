"""Drill 9: the data scientists' policy, proven in a sandbox with IAM enforcement on.

A separate sandbox process (not the session's) runs with moto's INITIAL_NO_AUTH_ACTION_COUNT=3: the first
three requests bootstrap an administrator (user, inline "*" policy, access key), every later request is
signed-checked and authorized against the caller's IAM policies. playbooks/aws_access.yml, run as that
administrator, makes the real group policy and a data scientist with a delivered key; the drill then
acts with the data scientist's key.

What moto (5.2) can evaluate, and so what the server proves:
- Actions and resources for S3 (moto authorizes S3 requests against arn:aws:s3:::bucket[/key]): the
  project bucket's objects are readable and writable, another bucket is not.
- Actions for every other service (resource "*"): sagemaker:ListEndpoints and List/Describe are allowed;
  IAM writes (CreateUser, AttachUserPolicy, CreateAccessKey for someone else) and notebook creation are
  denied, and so is stopping another user's notebook instance.
What moto cannot evaluate: SageMaker resource ARNs (it authorizes every SageMaker request against "*",
so the policy's notebook-instance/* statements never match there: even the user's own notebook is
refused by the server), policy variables (${aws:username}), and condition keys other than StringEquals
with values the request supplies (aws:ResourceTag/Owner is never supplied). The own-notebook statements
are therefore checked with moto's own policy evaluator (moto.iam.access_control.IAMPolicy), given what
AWS would supply: the notebook's ARN, the resource tag Owner, and ${aws:username} substituted:
start/stop/presigned URL of the user's own notebook are allowed; of another user's, or of a notebook in
another account, they are not. Likewise the book's fit()/deploy(): training jobs, models, endpoint configs
and endpoints may be created (and tagged) only with the request tags ManagedBy=sagelab and Owner=<user>,
and stopped, invoked or deleted only by their owner; the execution role is passed only to SageMaker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import REPO, run_playbook

REGION = "eu-west-1"
TAGS = {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": "ml-platform", "CostCenter": "cc-4711"}


def client(url: str, service: str, key: tuple[str, str]) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id=key[0],
                        aws_secret_access_key=key[1], config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A sandbox process of its own with IAM enforcement on, and its administrator's key."""
    home = tmp_path_factory.mktemp("enforcing")
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3", "MOTO_IAM_LOAD_MANAGED_POLICIES": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    log = (home / "sandbox.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "sagelab.sandbox", "serve", "--port", "0"], env=env,
                              stdout=log, stderr=subprocess.STDOUT, cwd=home, start_new_session=True)
    try:
        url = None
        for _unused in range(300):
            text = (home / "sandbox.log").read_text()
            if "listening on " in text:
                url = text.split("listening on ", 1)[1].split()[0]
                break
            assert server.poll() is None, text
            time.sleep(0.1)
        assert url, "the enforcing sandbox did not start"
        anyone = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        iam = client(url, "iam", anyone)  # the three unauthenticated requests
        iam.create_user(UserName="drill-admin")
        iam.put_user_policy(UserName="drill-admin", PolicyName="admin", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        made = iam.create_access_key(UserName="drill-admin")["AccessKey"]
        admin = (made["AccessKeyId"], made["SecretAccessKey"])
        with pytest.raises(ClientError) as refused:  # enforcement is on from here
            client(url, "iam", anyone).list_users()
        assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
        yield {"url": url, "admin": admin, "home": home}
    finally:
        server.terminate()
        server.wait(10)
        log.close()


@pytest.fixture(scope="module")
def scientist(enforcing) -> dict[str, Any]:
    """aws_access.yml as the administrator: the real policy, group, bucket and one data scientist."""
    url, admin, home = enforcing["url"], enforcing["admin"], enforcing["home"]
    prefix = f"lp{uuid.uuid4().hex[:6]}"
    alice, bucket = f"{prefix}-alice", f"{prefix}-data"
    env = {"AWS_ACCESS_KEY_ID": admin[0], "AWS_SECRET_ACCESS_KEY": admin[1], "AWS_DEFAULT_REGION": REGION,
           "AWS_MAX_ATTEMPTS": "2"}
    run = run_playbook("playbooks/aws_access.yml", env=env, extra_vars={
        "sagelab_aws_endpoint_url": url, "sagelab_aws_region": REGION, "sagelab_tags": TAGS,
        "s3_bucket_name": bucket, "iam_users_bucket": bucket, "execution_role_buckets": [bucket],
        "execution_role_name": f"{prefix}-execution", "iam_users_group": f"{prefix}-users",
        "iam_users_policy_name": f"{prefix}-users-policy", "iam_users_credentials_dir": str(home / "creds"),
        "iam_users_list": [{"name": alice}]})
    assert run.rc == 0, run.failure_messages() or run.stderr[-3000:]
    delivered = json.loads((home / "creds" / f"{alice}.json").read_text())
    key = (delivered["access_key_id"], delivered["secret_access_key"])
    # what the administrator adds: another bucket, and a notebook instance for alice and one for bob
    s3 = client(url, "s3", admin)
    s3.create_bucket(Bucket=f"{prefix}-other", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=f"{prefix}-other", Key="secret.csv", Body=b"x")
    sm = client(url, "sagemaker", admin)
    for owner in ("alice", "bob"):
        sm.create_notebook_instance(NotebookInstanceName=f"{prefix}-{owner}-nb", InstanceType="ml.t3.medium",
                                    RoleArn=f"arn:aws:iam::123456789012:role/{prefix}-execution",
                                    Tags=[{"Key": "Owner", "Value": f"{prefix}-{owner}"}])
    iam = client(url, "iam", admin)
    arn = iam.list_policies(Scope="Local")["Policies"]
    policy = next(p for p in arn if p["PolicyName"] == f"{prefix}-users-policy")
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    document = document["PolicyVersion"]["Document"]
    return {"url": url, "key": key, "prefix": prefix, "user": alice, "bucket": bucket,
            "policy": document if isinstance(document, dict) else json.loads(document)}


def denied(call: Any, **kwargs: Any) -> str:
    """The refusal of a call: AccessDenied with HTTP 403 (S3 answers some with a bare 403)."""
    with pytest.raises(ClientError) as refused:
        call(**kwargs)
    response = refused.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403, response
    return "AccessDenied" if response["Error"]["Code"] == "403" else response["Error"]["Code"]


def test_the_workstation_flow_is_allowed(scientist):
    url, key, bucket = scientist["url"], scientist["key"], scientist["bucket"]
    sm = client(url, "sagemaker", key)
    assert sm.list_endpoints()["Endpoints"] == []  # the book's `aws sagemaker list-endpoints`
    names = {n["NotebookInstanceName"] for n in sm.list_notebook_instances()["NotebookInstances"]}
    assert f"{scientist['prefix']}-alice-nb" in names
    sm.describe_notebook_instance(NotebookInstanceName=f"{scientist['prefix']}-alice-nb")
    s3 = client(url, "s3", key)
    s3.put_object(Bucket=bucket, Key="datasets/train.csv", Body=b"a,b\n1,2\n")
    assert s3.get_object(Bucket=bucket, Key="datasets/train.csv")["Body"].read() == b"a,b\n1,2\n"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["datasets/train.csv"]


def test_iam_writes_other_buckets_other_notebooks_and_new_notebooks_are_denied(scientist):
    url, key, prefix, user = scientist["url"], scientist["key"], scientist["prefix"], scientist["user"]
    iam, s3, sm = (client(url, s, key) for s in ("iam", "s3", "sagemaker"))
    refusals = [
        denied(iam.create_user, UserName=f"{prefix}-mallory"),
        denied(iam.attach_user_policy, UserName=user,
               PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        denied(iam.put_user_policy, UserName=user, PolicyName="more", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})),
        denied(iam.create_access_key, UserName="drill-admin"),
        denied(iam.delete_user, UserName="drill-admin"),
        denied(s3.get_object, Bucket=f"{prefix}-other", Key="secret.csv"),
        denied(s3.put_object, Bucket=f"{prefix}-other", Key="mine.csv", Body=b"x"),
        denied(s3.list_objects_v2, Bucket=f"{prefix}-other"),
        denied(s3.delete_bucket, Bucket=scientist["bucket"]),
        denied(sm.stop_notebook_instance, NotebookInstanceName=f"{prefix}-bob-nb"),
        denied(sm.delete_notebook_instance, NotebookInstanceName=f"{prefix}-bob-nb"),
        denied(sm.create_notebook_instance, NotebookInstanceName=f"{prefix}-new", InstanceType="ml.t3.medium",
               RoleArn=f"arn:aws:iam::123456789012:role/{prefix}-execution"),
    ]
    assert set(refusals) == {"AccessDenied"}, refusals
    print(f"least privilege: {len(refusals)} requests denied by the enforcing sandbox")


def evaluate(policy: dict, user: str, action: str, resource: str, owner: str) -> str:
    """moto's policy evaluator with what AWS would supply and moto's server does not."""
    from moto.iam.access_control import IAMPolicy

    document = json.dumps(policy).replace("${aws:username}", user)
    context = {"aws:ResourceTag/Owner": owner}
    result = IAMPolicy(document).is_action_permitted(action, resource, incoming_condition_values=context)
    return result.name


@pytest.mark.parametrize("action", ["StartNotebookInstance", "StopNotebookInstance",
                                    "CreatePresignedNotebookInstanceUrl"])
def test_own_notebook_only_by_arn_and_owner_tag(scientist, action):
    policy, user, prefix = scientist["policy"], scientist["user"], scientist["prefix"]
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:notebook-instance/{prefix}-alice-nb"
    bobs = f"arn:aws:sagemaker:{REGION}:123456789012:notebook-instance/{prefix}-bob-nb"
    elsewhere = f"arn:aws:sagemaker:{REGION}:210987654321:notebook-instance/{prefix}-alice-nb"
    assert evaluate(policy, user, f"sagemaker:{action}", arn, owner=user) == "PERMITTED"
    assert evaluate(policy, user, f"sagemaker:{action}", bobs, owner=f"{prefix}-bob") != "PERMITTED"
    assert evaluate(policy, user, f"sagemaker:{action}", elsewhere, owner=user) != "PERMITTED"
    assert evaluate(policy, user, "iam:CreateUser", "*", owner=user) != "PERMITTED"


def may(policy: dict, user: str, action: str, resource: str, context: dict[str, str]) -> bool:
    """moto's policy evaluator, ${aws:username} substituted, with the condition values AWS would supply.

    AWS fails a StringEquals on a key the request does not carry (no tags: no aws:RequestTag/*); moto 5.2's
    evaluator skips such a key instead (and then pairs the remaining values with the wrong keys). So every
    condition key of the policy the request lacks is given a value no policy names: AWS's answer, via moto."""
    from moto.iam.access_control import IAMPolicy

    document = json.dumps(policy).replace("${aws:username}", user)
    keys = {key for statement in policy["Statement"] for block in statement.get("Condition", {}).values()
            for key in block}
    absent = {key: "<absent from the request>" for key in keys if key not in context}
    return IAMPolicy(document).is_action_permitted(
        action, resource, incoming_condition_values={**absent, **context}).name == "PERMITTED"


@pytest.mark.parametrize(("action", "kind"), [("CreateTrainingJob", "training-job"), ("CreateModel", "model"),
                                              ("CreateEndpointConfig", "endpoint-config"),
                                              ("CreateEndpoint", "endpoint"), ("AddTags", "endpoint")])
def test_book_resources_created_only_with_the_cost_tags(scientist, action, kind):
    policy, user, prefix = scientist["policy"], scientist["user"], scientist["prefix"]
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:{kind}/{prefix}-xgboost"
    tagged = {"aws:RequestTag/ManagedBy": "sagelab", "aws:RequestTag/Owner": user}
    assert may(policy, user, f"sagemaker:{action}", arn, tagged)
    assert not may(policy, user, f"sagemaker:{action}", arn, {})  # no tags
    assert not may(policy, user, f"sagemaker:{action}", arn, {"aws:RequestTag/ManagedBy": "sagelab"})
    bobs = {**tagged, "aws:RequestTag/Owner": f"{prefix}-bob"}
    assert not may(policy, user, f"sagemaker:{action}", arn, bobs)
    assert not may(policy, user, f"sagemaker:{action}", arn, {**tagged, "aws:RequestTag/ManagedBy": "manual"})
    elsewhere = f"arn:aws:sagemaker:{REGION}:210987654321:{kind}/{prefix}-xgboost"
    assert not may(policy, user, f"sagemaker:{action}", elsewhere, tagged)
    # other resource types (a notebook instance, a pipeline) stay outside the statement, tags or not
    assert not may(policy, user, "sagemaker:CreatePipeline",
                   f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/{prefix}-p", tagged)


@pytest.mark.parametrize(("action", "kind"), [("DeleteEndpoint", "endpoint"), ("UpdateEndpoint", "endpoint"),
                                              ("InvokeEndpoint", "endpoint"),
                                              ("DeleteEndpointConfig", "endpoint-config"),
                                              ("DeleteModel", "model"), ("StopTrainingJob", "training-job")])
def test_own_book_resources_only_deleted_stopped_by_their_owner(scientist, action, kind):
    policy, user, prefix = scientist["policy"], scientist["user"], scientist["prefix"]
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:{kind}/{prefix}-xgboost"
    assert may(policy, user, f"sagemaker:{action}", arn, {"aws:ResourceTag/Owner": user})
    assert not may(policy, user, f"sagemaker:{action}", arn, {"aws:ResourceTag/Owner": f"{prefix}-bob"})
    assert not may(policy, user, f"sagemaker:{action}", arn, {})  # untagged: nobody's, so not hers


def test_execution_role_passed_only_to_sagemaker(scientist):
    policy, user, prefix = scientist["policy"], scientist["user"], scientist["prefix"]
    role = f"arn:aws:iam::123456789012:role/{prefix}-execution"
    assert may(policy, user, "iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"})
    assert not may(policy, user, "iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"})
    assert not may(policy, user, "iam:PassRole", "arn:aws:iam::123456789012:role/admin",
                   {"iam:PassedToService": "sagemaker.amazonaws.com"})


def test_the_server_refuses_another_owners_endpoint_and_untagged_creates(scientist):
    """What the enforcing server itself checks (it authorizes SageMaker against "*", see the docstring)."""
    url, key, prefix = scientist["url"], scientist["key"], scientist["prefix"]
    sm = client(url, "sagemaker", key)
    refusals = [
        denied(sm.delete_endpoint, EndpointName=f"{prefix}-bob-endpoint"),
        denied(sm.create_model, ModelName=f"{prefix}-untagged",
               ExecutionRoleArn=f"arn:aws:iam::123456789012:role/{prefix}-execution",
               PrimaryContainer={"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1"}),
        denied(sm.create_endpoint_config, EndpointConfigName=f"{prefix}-untagged",
               ProductionVariants=[{"VariantName": "v", "ModelName": f"{prefix}-untagged",
                                    "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]),
    ]
    assert set(refusals) == {"AccessDenied"}, refusals


@pytest.fixture(scope="module")
def passer(enforcing) -> dict[str, Any]:
    """A user who may do anything in SageMaker and Scheduler but pass only two roles, each to one service."""
    url, admin = enforcing["url"], enforcing["admin"]
    prefix = f"pr{uuid.uuid4().hex[:6]}"
    iam = client(url, "iam", admin)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    roles = {}
    for kind in ("notebook", "scheduler", "other"):
        made = iam.create_role(RoleName=f"{prefix}-{kind}", AssumeRolePolicyDocument=json.dumps(trust))
        roles[kind] = made["Role"]["Arn"]
    user = f"{prefix}-passer"
    iam.create_user(UserName=user)

    def pass_to(role: str, service: str) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
                "Condition": {"StringEquals": {"iam:PassedToService": service}}}

    iam.put_user_policy(UserName=user, PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sagemaker:*", "scheduler:*"], "Resource": "*"},
            pass_to(roles["notebook"], "sagemaker.amazonaws.com"),
            pass_to(roles["scheduler"], "scheduler.amazonaws.com")]}))
    made = iam.create_access_key(UserName=user)["AccessKey"]
    return {"url": url, "key": (made["AccessKeyId"], made["SecretAccessKey"]), "prefix": prefix,
            "roles": roles, "user_arn": f"arn:aws:iam::123456789012:user/{user}"}


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call(**kwargs)
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def not_passable(passer: dict[str, Any], role: str) -> tuple[str, str]:
    return ("AccessDeniedException", f"User: {passer['user_arn']} is not authorized to perform: iam:PassRole "
            f"on resource: {role} because no identity-based policy allows the iam:PassRole action")


def test_a_notebook_instance_gets_only_a_role_the_caller_may_pass_and_that_exists(passer):
    sm = client(passer["url"], "sagemaker", passer["key"])
    roles, prefix = passer["roles"], passer["prefix"]
    missing = roles["notebook"].replace("-notebook", "-gone")

    def create(name: str, role: str) -> Any:
        return sm.create_notebook_instance(NotebookInstanceName=f"{prefix}-{name}",
                                           InstanceType="ml.t3.medium", RoleArn=role)

    assert refusal(create, name="other", role=roles["other"]) == not_passable(passer, roles["other"])
    # passable to the scheduler, not to SageMaker (iam:PassedToService)
    assert refusal(create, name="sched", role=roles["scheduler"]) == not_passable(passer, roles["scheduler"])
    # a role the caller may not pass is refused for that first, whether it exists or not (as on AWS)
    assert refusal(create, name="gone", role=missing) == not_passable(passer, missing)
    create("ok", roles["notebook"])
    names = {n["NotebookInstanceName"] for n in sm.list_notebook_instances()["NotebookInstances"]}
    assert f"{prefix}-ok" in names and not {f"{prefix}-other", f"{prefix}-sched", f"{prefix}-gone"} & names


def test_a_role_that_does_not_exist_is_refused_even_when_the_caller_may_pass_any(enforcing):
    url, admin = enforcing["url"], enforcing["admin"]  # "*" on "*": iam:PassRole on anything
    missing = "arn:aws:iam::123456789012:role/no-such-role"
    sm = client(url, "sagemaker", admin)
    code, message = refusal(sm.create_notebook_instance, NotebookInstanceName=f"gone{uuid.uuid4().hex[:6]}",
                            InstanceType="ml.t3.medium", RoleArn=missing)
    assert (code, message) == ("ValidationException", f"Could not assume role {missing}. Please ensure that "
                               "the role exists and allows principal 'sagemaker.amazonaws.com' to assume "
                               "the role.")
    scheduler = client(url, "scheduler", admin)
    code, message = refusal(scheduler.create_schedule, Name=f"gone{uuid.uuid4().hex[:6]}",
                            ScheduleExpression="cron(0 20 * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
                            Target={"Arn": "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/x",
                                    "RoleArn": missing})
    assert (code, message) == ("ValidationException", "The execution role you provide must allow AWS "
                               "EventBridge Scheduler to assume the role.")


def test_studio_and_schedules_pass_only_roles_the_caller_may_pass(passer):
    url, roles, prefix = passer["url"], passer["roles"], passer["prefix"]
    sm = client(url, "sagemaker", passer["key"])
    domain = {"DomainName": f"{prefix}-d", "AuthMode": "IAM", "VpcId": "vpc-12345678",
              "SubnetIds": ["subnet-12345678"]}
    assert refusal(sm.create_domain, **domain, DefaultUserSettings={"ExecutionRole": roles["other"]}) \
        == not_passable(passer, roles["other"])
    made = sm.create_domain(**domain, DefaultUserSettings={"ExecutionRole": roles["notebook"]})
    domain_id = made["DomainArn"].rsplit("/", 1)[1]
    other = {"ExecutionRole": roles["other"]}
    assert refusal(sm.update_domain, DomainId=domain_id, DefaultUserSettings=other) \
        == not_passable(passer, roles["other"])
    assert refusal(sm.create_user_profile, DomainId=domain_id, UserProfileName="alice",
                   UserSettings={"ExecutionRole": roles["other"]}) == not_passable(passer, roles["other"])
    sm.create_user_profile(DomainId=domain_id, UserProfileName="alice",
                           UserSettings={"ExecutionRole": roles["notebook"]})
    assert refusal(sm.update_user_profile, DomainId=domain_id, UserProfileName="alice",
                   UserSettings={"ExecutionRole": roles["scheduler"]}) \
        == not_passable(passer, roles["scheduler"])
    described = sm.describe_user_profile(DomainId=domain_id, UserProfileName="alice")
    assert described["UserSettings"]["ExecutionRole"] == roles["notebook"]
    scheduler = client(url, "scheduler", passer["key"])
    schedule = {"ScheduleExpression": "cron(0 20 * * ? *)", "FlexibleTimeWindow": {"Mode": "OFF"}}
    target = {"Arn": "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/x"}
    assert refusal(scheduler.create_schedule, Name=f"{prefix}-a", **schedule,
                   Target={**target, "RoleArn": roles["notebook"]}) == not_passable(passer, roles["notebook"])
    made = scheduler.create_schedule(Name=f"{prefix}-b", **schedule,
                                     Target={**target, "RoleArn": roles["scheduler"]})
    assert made["ScheduleArn"].endswith(f":schedule/default/{prefix}-b")
    # (moto 5.2 miscalculates the signature of Scheduler GET requests under enforcement: no GetSchedule here)
