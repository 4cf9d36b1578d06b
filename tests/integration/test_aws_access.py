"""playbooks/aws_access.yml against the embedded AWS sandbox, for real: check mode on a fresh account
(nothing created), converge, idempotence, check mode on a converged account, secrets delivered once and
never logged, the generated policies, offboarding, bucket deletion only when confirmed, and bad input
refused before anything changes.

The tests that only read assert on the session's shared estate (tests/aws_estate.py: aws_access runs there
with notebook and studio, its runs recorded); the tests that change the account use an estate of this
file's own, converged once. That one's names carry a per-run prefix (users, group, policies, role) or live
in its own region (the bucket's derived name sagelab-<account>-eu-south-2), so the session-wide sandbox
can be shared with other tests. A test that changes only what one role owns (users, the bucket, the
execution role) runs that role alone (Account.run_role). Secrets go into a temporary folder, never into
the project's .sagelab/.
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
import requests
from botocore.config import Config

from tests import aws_estate
from tests.conftest import BIN, REPO, PlaybookRun, ansible_env, run_playbook, writes

PLAYBOOK = "playbooks/aws_access.yml"
ROLE_PLAYBOOK = "tests/fixtures/playbooks/aws_role.yml"  # one of its roles alone
# Its own region: the derived bucket name cannot collide with buckets other tests make in eu-west-1.
REGION = "eu-south-2"
TAGS = {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": "ml-platform", "CostCenter": "cc-4711"}
# Statements may use "Resource": "*" only for actions IAM cannot scope to a resource.
UNSCOPABLE = {"sagemaker:List*", "sagemaker:Describe*", "iam:GetAccountPasswordPolicy"}
FULL_ACCESS = "AmazonSageMakerFullAccess"


@dataclass
class Account:
    """The sandbox, this module's names and variables, and what earlier tests saw."""

    endpoint_url: str
    env: dict[str, str]
    prefix: str
    creds: Path
    account_id: str
    seen: dict[str, Any] = field(default_factory=dict)
    region: str = REGION

    def user(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    @property
    def bucket(self) -> str:
        return f"sagelab-{self.account_id}-{self.region}"

    @property
    def role(self) -> str:
        return f"{self.prefix}-execution"

    @property
    def group(self) -> str:
        return f"{self.prefix}-users"

    @property
    def users_policy(self) -> str:
        return f"{self.prefix}-users-policy"

    @property
    def role_policy(self) -> str:
        return f"{self.role}-policy"

    def users(self, **overrides: dict) -> list[dict]:
        """alice (key), bob (key and console), carol (neither), with per-user overrides."""
        base = {"alice": {}, "bob": {"console_access": True}, "carol": {"create_access_key": False}}
        return [{"name": self.user(short), **settings, **overrides.get(short, {})}
                for short, settings in base.items()]

    def extra_vars(self, **extra: Any) -> dict[str, Any]:
        return {
            "sagelab_aws_endpoint_url": self.endpoint_url,
            "sagelab_aws_region": REGION,
            "sagelab_tags": TAGS,
            "s3_bucket_require_tls": True,  # the real-AWS default; off by default behind the http sandbox
            "execution_role_name": self.role,
            "iam_users_group": self.group,
            "iam_users_policy_name": self.users_policy,
            "iam_users_credentials_dir": str(self.creds),
            "iam_users_list": self.users(),
            **extra,
        }

    def run(self, *args: str, env: dict[str, str] | None = None, playbook: str = PLAYBOOK,
            **extra: Any) -> PlaybookRun:
        return run_playbook(playbook, *args, extra_vars=self.extra_vars(**extra),
                            env={**self.env, **(env or {})})

    def run_role(self, role: str, *args: str, env: dict[str, str] | None = None, **extra: Any) -> PlaybookRun:
        """One role of the playbook alone (ROLE_PLAYBOOK), with the variables run() passes and the facts
        the earlier roles set (the bucket's name, the execution role's ARN), for a test that changes
        only what that role owns: the rest stays as converged."""
        facts = {"sagelab_bucket_name": self.bucket,
                 "sagelab_execution_role_arn": self.seen["converged"]["roles"][self.role]["arn"]}
        return self.run(*args, env=env, playbook=ROLE_PLAYBOOK, sagelab_test_role=role, **facts, **extra)

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(retries={"max_attempts": 1}))


def account(sandbox, tmp_path_factory) -> Account:
    env = {**sandbox.env, "AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard"}
    sts = boto3.client("sts", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    return Account(sandbox.endpoint_url, env, f"t{uuid.uuid4().hex[:8]}",
                   tmp_path_factory.mktemp("aws") / "credentials", sts.get_caller_identity()["Account"])


@pytest.fixture(scope="module")
def aws(sandbox, tmp_path_factory) -> Account:
    """An account of this file's own, converged once, for the tests that change it (in file order)."""
    own = account(sandbox, tmp_path_factory)
    res = own.run()
    assert res.rc == 0, res.stdout[-5000:]
    own.seen["converged"] = snapshot(own)
    return own


@pytest.fixture(scope="module")
def shared(shared_estate) -> Account:
    """The session's shared estate (only read here) under this file's names: its users, group, policies and
    role carry the prefix, and its bucket has the derived name; its runs are in shared_estate.runs."""
    return Account(shared_estate.endpoint_url, shared_estate.env, shared_estate.prefix, shared_estate.creds,
                   shared_estate.account_id, region=shared_estate.region)


@pytest.fixture(scope="module")
def fresh(sandbox, tmp_path_factory) -> Account:
    """An account of this file's own nothing has been made in, for the bad-input tests."""
    return account(sandbox, tmp_path_factory)


# --- what exists, read with boto3 -------------------------------------------------------------------

def snapshot(aws: Account) -> dict[str, Any]:
    """Everything of this module's that exists in the sandbox, with its settings (tests/aws_estate.py)."""
    return aws_estate.snapshot(aws.client, aws.prefix, aws.bucket)


def files(root: Path) -> dict[str, tuple[int, float]]:
    """Every path under root with its mode and modification time."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): (stat.S_IMODE(p.stat().st_mode), p.stat().st_mtime)
            for p in [root, *root.rglob("*")]}


@dataclass
class Recorder:
    """The sandbox's request recorder (moto's /moto-api/recorder/), for the IAM calls a run makes."""

    endpoint_url: str

    def __enter__(self) -> Recorder:
        for step in ("reset-recording", "start-recording"):
            requests.post(f"{self.endpoint_url}/moto-api/recorder/{step}", timeout=10).raise_for_status()
        return self

    def __exit__(self, *exc: object) -> None:
        requests.post(f"{self.endpoint_url}/moto-api/recorder/stop-recording", timeout=10).raise_for_status()

    def records(self) -> list[dict[str, Any]]:
        """Every request the sandbox received while recording."""
        reply = requests.get(f"{self.endpoint_url}/moto-api/recorder/download-recording", timeout=10)
        reply.raise_for_status()
        return [json.loads(line) for line in reply.text.splitlines() if line.strip()]

    def iam_calls(self) -> Iterator[dict[str, str]]:
        """Each recorded query-protocol request as {Action, UserName, ...}, in order."""
        for record in self.records():
            body = record.get("body") or ""
            if record.get("body_encoded"):
                body = base64.b64decode(body).decode("utf-8", "replace")
            params = {k: v[0] for k, v in parse_qs(body).items()}
            if "Action" in params:
                yield params


# --- check mode, converge, idempotence -----------------------------------------------------------

def aws_access_tasks(run: PlaybookRun, changed: bool = False) -> list[str]:
    """The tasks of aws_access.yml's plays that ran (changed only, with changed=True): the shared estate
    runs it with notebook and studio (tests/drills/playbooks/aws_three.yml) in one ansible-playbook."""
    plays = PlaybookRun(run.rc, "", "", {"plays": run.data.get("plays", [])[:2]})
    return plays.ran_tasks(changed=changed)


def test_check_mode_on_a_fresh_account_creates_nothing(shared_estate):
    checked = shared_estate.runs["fresh_check"]
    before = checked.before
    assert {k: before[k] for k in ("users", "groups", "policies", "roles", "bucket")} == {
        "users": {}, "groups": {}, "policies": {}, "roles": {}, "bucket": None}
    res = checked.run
    assert res.rc == 0, res.stdout[-5000:]
    assert [p["play"]["name"] for p in res.data["plays"][:2]] == [
        "Check every AWS role's input before anything changes", "Stand up the AWS side of sagelab"]
    changed = aws_access_tasks(res, changed=True)
    for task in ("Ensure the project bucket is present, encrypted, private and tagged",
                 "Ensure the execution role's S3 and CloudWatch Logs policy is present",
                 "Ensure the execution role trusts SageMaker and carries its policies",
                 "Ensure the SageMaker users' policy is present",
                 "Ensure the users are present and tagged",
                 "Ensure the group carries the policy and holds the users",
                 "Ensure each console user has a login profile with a first password",
                 "Ensure each user without an access key gets one (never a second one)",
                 "Ensure the new access keys are delivered once, private (0600), on the control node"):
        assert task in changed, (task, changed)
    assert checked.after == before
    assert writes(checked.calls) == [], writes(checked.calls)
    assert checked.files_after == checked.files_before == {}, "the credentials folder was made"


def test_converge_creates_the_bucket_role_group_policy_and_users_with_tags(shared_estate, shared):
    aws = shared
    converged = shared_estate.runs["converge"]
    res = converged.run
    assert res.rc == 0, res.stdout[-5000:]
    assert aws_access_tasks(res, changed=True) == aws_access_tasks(shared_estate.runs["fresh_check"].run,
                                                                   changed=True), \
        "check mode foretold other changes"
    state = converged.after

    alice, bob, carol = (aws.user(n) for n in ("alice", "bob", "carol"))
    assert state["bucket"] == {
        "encryption": "AES256",
        "public_access_block": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        "tags": TAGS,
        "policy": state["bucket"]["policy"],
        "versioning": None,
        "objects": 0,
    }
    deny = state["bucket"]["policy"]["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    role = state["roles"][aws.role]
    assert role["trust"]["Statement"] == [{"Sid": "SageMakerAssumesThisRole", "Effect": "Allow",
                                           "Principal": {"Service": "sagemaker.amazonaws.com"},
                                           "Action": "sts:AssumeRole"}]
    assert role["policies"] == [aws.role_policy], "AmazonSageMakerFullAccess is attached only on request"
    assert role["tags"] == TAGS
    assert state["policies"][aws.role_policy]["tags"] == TAGS
    assert state["policies"][aws.users_policy]["tags"] == TAGS

    assert state["groups"] == {aws.group: {"users": sorted([alice, bob, carol]),
                                           "policies": [aws.users_policy]}}
    assert set(state["users"]) == {alice, bob, carol}
    for name, user in state["users"].items():
        assert user["tags"] == TAGS and user["groups"] == [aws.group], name
    assert [len(state["users"][u]["keys"]) for u in (alice, bob, carol)] == [1, 1, 0]
    assert [state["users"][u]["login_profile"] for u in (alice, bob, carol)] == [False, True, False]


def test_secrets_are_delivered_once_into_private_files_and_never_logged(shared_estate, shared):
    aws = shared
    converged = shared_estate.runs["converge"]
    state, output = converged.after, converged.run.stdout + converged.run.stderr  # a run at -vvv
    alice, bob = aws.user("alice"), aws.user("bob")
    assert stat.S_IMODE(aws.creds.stat().st_mode) == 0o700
    assert stat.S_IMODE((aws.creds / "console").stat().st_mode) == 0o700
    assert sorted(p.name for p in aws.creds.glob("*.json")) == sorted([f"{alice}.json", f"{bob}.json"])
    for path in [*aws.creds.glob("*.json"), *(aws.creds / "console").glob("*.json")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for user in (alice, bob):
        delivered = json.loads((aws.creds / f"{user}.json").read_text())
        assert delivered["user_name"] == user and delivered["region"] == aws.region
        assert [delivered["access_key_id"]] == state["users"][user]["keys"]
        assert len(delivered["secret_access_key"]) >= 20
        assert delivered["secret_access_key"] not in output
    console = json.loads((aws.creds / "console" / f"{bob}.json").read_text())
    assert console["user_name"] == bob and console["password_reset_required"] is True
    assert console["sign_in_url"] == f"https://{aws.account_id}.signin.aws.amazon.com/console"
    password = console["password"]
    assert len(password) == 24 and any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password) and password not in output


def test_second_run_changes_nothing_and_creates_no_second_key(shared_estate):
    again = shared_estate.runs["again"]  # all four AWS playbooks again, on the converged estate
    res = again.run
    assert res.rc == 0, res.stdout[-3000:]
    assert res.stats["localhost"]["changed"] == 0, res.changed_tasks()
    assert "CreateAccessKey" not in again.calls and writes(again.calls) == [], writes(again.calls)
    # s3_bucket, execution_role and iam_users share one account lookup (sagelab_aws_accounts)
    assert again.calls.count("GetCallerIdentity") == 1, again.calls.count("GetCallerIdentity")
    assert again.after == again.before
    assert again.files_after == again.files_before, "a delivered file was written again"


def test_check_mode_on_a_converged_account_reports_no_change(shared_estate):
    checked = shared_estate.runs["converged_check"]
    res = checked.run
    assert res.rc == 0, res.stdout[-3000:]
    assert aws_access_tasks(res), "aws_access.yml did not run"
    assert res.changed_tasks() == []
    assert checked.after == checked.before == shared_estate.runs["schedule"].after


def test_check_mode_sees_a_bucket_that_drifted(aws):
    """amazon.aws.s3_bucket has no check mode: the role predicts its changes from s3_bucket_info."""
    before = aws.seen["converged"]
    s3 = aws.client("s3")
    s3.delete_public_access_block(Bucket=aws.bucket)
    s3.put_bucket_tagging(Bucket=aws.bucket, Tagging={"TagSet": [{"Key": "Project", "Value": "sagelab"}]})
    res = aws.run_role("s3_bucket", "--check")
    assert res.rc == 0, res.stdout[-3000:]
    assert res.changed_tasks() == ["Ensure the project bucket is present, encrypted, private and tagged"]
    msgs = [t["hosts"]["localhost"].get("msg", "") for p in res.data["plays"] for t in p["tasks"]
            if t["hosts"].get("localhost", {}).get("changed")]
    assert msgs == ["would change: public access block, tags"]
    # put it back by hand: the tests that follow count the changes their own runs make
    wanted = before["bucket"]
    s3.put_public_access_block(Bucket=aws.bucket,
                               PublicAccessBlockConfiguration=wanted["public_access_block"])
    s3.put_bucket_tagging(Bucket=aws.bucket,
                          Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in wanted["tags"].items()]})
    assert snapshot(aws) == before


# --- the generated policies ----------------------------------------------------------------------

def statements(document: dict) -> list[dict]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_policies_are_least_privilege_and_documented(shared_estate, shared):
    aws, state = shared, shared_estate.runs["converge"].after
    users_policy = state["policies"][aws.users_policy]["document"]
    role_policy = state["policies"][aws.role_policy]["document"]
    bucket_arn = f"arn:aws:s3:::{aws.bucket}"
    role_arn = state["roles"][aws.role]["arn"]

    for document in (users_policy, role_policy):
        assert document["Version"] == "2012-10-17"
        for statement in statements(document):
            assert statement["Effect"] == "Allow"
            if "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= UNSCOPABLE, statement
            assert "*" not in as_list(statement["Action"]), statement

    by_sid = {s["Sid"]: s for s in statements(users_policy)}
    notebooks = by_sid["OperateOwnNotebookInstances"]
    assert notebooks["Resource"] == f"arn:aws:sagemaker:{aws.region}:{aws.account_id}:notebook-instance/*"
    assert notebooks["Condition"] == {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}}
    assert set(notebooks["Action"]) == {f"sagemaker:{a}" for a in (
        "StartNotebookInstance", "StopNotebookInstance", "CreatePresignedNotebookInstanceUrl",
        "UpdateNotebookInstance", "DeleteNotebookInstance")}
    assert by_sid["OpenAndUpdateOwnStudioUserProfile"]["Condition"] == notebooks["Condition"]
    assert by_sid["StartAndStopOwnStudioApps"]["Resource"].endswith(":app/*/${aws:username}/*/*")
    assert by_sid["PassTheExecutionRoleToSageMaker"] == {
        "Sid": "PassTheExecutionRoleToSageMaker", "Effect": "Allow", "Action": "iam:PassRole",
        "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}
    s3_resources = {r for s in statements(users_policy) for r in as_list(s["Resource"])
                    if any(a.startswith("s3:") for a in as_list(s["Action"]))}
    assert s3_resources == {bucket_arn, f"{bucket_arn}/*"}

    role_by_sid = {s["Sid"]: s for s in statements(role_policy)}
    assert role_by_sid["ListTheProjectBuckets"]["Resource"] == [bucket_arn]
    assert role_by_sid["ReadWriteObjectsInTheProjectBuckets"]["Resource"] == [f"{bucket_arn}/*"]
    logs = f"arn:aws:logs:{aws.region}:{aws.account_id}:log-group:/aws/sagemaker/*"
    assert role_by_sid["WriteSageMakerLogs"]["Resource"] == [logs, f"{logs}:log-stream:*"]

    # every statement is documented in its role's README, and so is each "Resource": "*"
    for role, document in {"iam_users": users_policy, "execution_role": role_policy}.items():
        readme = (REPO / "roles" / role / "README.md").read_text()
        for statement in statements(document):
            assert f"`{statement['Sid']}`" in readme, (role, statement["Sid"])
    readme = (REPO / "roles" / "iam_users" / "README.md").read_text()
    assert '"Resource": "*"' in readme and "iam:GetAccountPasswordPolicy" in readme


def test_full_access_is_attached_only_on_request(aws):
    res = aws.run_role("execution_role", execution_role_attach_full_access=True)
    assert res.rc == 0, res.stdout[-3000:]
    assert res.changed_tasks() == ["Ensure the execution role trusts SageMaker and carries its policies"]
    assert snapshot(aws)["roles"][aws.role]["policies"] == sorted([aws.role_policy, FULL_ACCESS])
    res = aws.run_role("execution_role")
    assert res.rc == 0, res.stdout[-3000:]
    assert snapshot(aws)["roles"][aws.role]["policies"] == [aws.role_policy]


# --- delivery with vault, at -vvv --------------------------------------------------------------------

def test_a_new_users_secrets_are_vault_encrypted_and_not_logged_even_at_vvv(aws, tmp_path):
    vault_password = tmp_path / "vault-pass"
    vault_password.write_text("correct horse battery staple\n")
    dave = aws.user("dave")
    users = [*aws.users(), {"name": dave, "console_access": True}]
    res = aws.run_role("iam_users", "-vvv", iam_users_list=users,
                       iam_users_vault_password_file=str(vault_password),
                       env={"ANSIBLE_STDOUT_CALLBACK": "default"})
    output = res.stdout + res.stderr
    assert res.rc == 0, output[-5000:]

    def vault_view(path: Path) -> dict:
        assert path.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;sagelab\n")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        proc = subprocess.run([str(BIN / "ansible-vault"), "view", "--vault-id", f"sagelab@{vault_password}",
                               str(path)], cwd=REPO, env=ansible_env(), capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    key = vault_view(aws.creds / f"{dave}.json")
    console = vault_view(aws.creds / "console" / f"{dave}.json")
    assert key["user_name"] == dave and console["user_name"] == dave
    assert [key["access_key_id"]] == snapshot(aws)["users"][dave]["keys"]
    assert "censored due to no_log" in output
    for secret in (key["secret_access_key"], console["password"]):
        assert secret not in output
    assert "correct horse" not in output


def test_a_key_an_interrupted_run_made_and_never_delivered_is_replaced(aws):
    """Issue 17 item 6: a run stopped while the key was made (or before it was delivered) leaves a key whose
    secret nobody holds; "never a second one" kept the user without a usable key for good. The role's mark
    <user>.pending, written before the key is made, tells the rerun those keys are its own."""
    erin, frank = aws.user("erin"), aws.user("frank")
    iam = aws.client("iam")

    def keys_of(user: str) -> list[str]:
        return [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]

    for user in (erin, frank):
        iam.create_user(UserName=user)
    undelivered = iam.create_access_key(UserName=erin)["AccessKey"]["AccessKeyId"]  # the interrupted run's
    own = iam.create_access_key(UserName=frank)["AccessKey"]["AccessKeyId"]  # frank's own, no mark: kept
    (aws.creds / f"{erin}.pending").write_text("")
    users = [*aws.users(), {"name": erin}, {"name": frank}]

    checked = aws.run_role("iam_users", "--check", iam_users_list=users)
    assert checked.rc == 0, checked.stdout[-3000:]
    assert "Remove the keys an interrupted run made and never delivered" in checked.changed_tasks(), [
        t["hosts"] for p in checked.data["plays"] for t in p["tasks"] if "interrupted" in t["task"]["name"]]
    assert keys_of(erin) == [undelivered]

    res = aws.run_role("iam_users", iam_users_list=users)
    assert res.rc == 0, res.stdout[-3000:]
    delivered = json.loads((aws.creds / f"{erin}.json").read_text())["access_key_id"]
    assert keys_of(erin) == [delivered] and delivered != undelivered, (keys_of(erin), delivered)
    assert not (aws.creds / f"{erin}.pending").exists()
    assert keys_of(frank) == [own]
    assert not (aws.creds / f"{frank}.json").exists()  # never a second key for a user who has one

    again = aws.run_role("iam_users", iam_users_list=users)
    assert again.rc == 0 and again.stats["localhost"]["changed"] == 0, again.changed_tasks()
    gone = [{"name": user, "state": "absent"} for user in (erin, frank)]
    assert aws.run_role("iam_users", iam_users_list=[*aws.users(), *gone]).rc == 0


# --- offboarding -------------------------------------------------------------------------------------

def test_offboarding_removes_keys_group_membership_login_profile_then_the_user(aws):
    state = aws.seen["converged"]
    bob = aws.user("bob")
    assert (aws.creds / f"{bob}.json").exists() and (aws.creds / "console" / f"{bob}.json").exists()
    users = aws.users(bob={"state": "absent"})
    with Recorder(aws.endpoint_url) as recorder:
        res = aws.run_role("iam_users", iam_users_list=users)
    assert res.rc == 0, res.stdout[-5000:]
    offboard = ("Ensure the offboarded users are gone"
                " (login profile, access keys, group membership, then the user)")
    assert offboard in res.changed_tasks()
    calls = [(c["Action"], c.get("UserName")) for c in recorder.iam_calls()
             if c.get("UserName") == bob and c["Action"].startswith(("Delete", "Remove"))]
    assert calls == [("DeleteLoginProfile", bob), ("DeleteAccessKey", bob),
                     ("RemoveUserFromGroup", bob), ("DeleteUser", bob)]
    after = snapshot(aws)
    assert bob not in after["users"]
    assert bob not in after["groups"][aws.group]["users"]
    assert after["users"][aws.user("alice")] == state["users"][aws.user("alice")]
    assert not (aws.creds / f"{bob}.json").exists()
    assert not (aws.creds / "console" / f"{bob}.json").exists()


# --- the bucket is deleted only when the data may go with it -----------------------------------------

def test_bucket_is_deleted_with_its_data_only_when_confirmed(aws):
    s3 = aws.client("s3")
    # The sandbox enforces the TLS-only bucket policy, and it speaks plain http: lift it to put data in.
    s3.delete_bucket_policy(Bucket=aws.bucket)
    s3.put_object(Bucket=aws.bucket, Key="datasets/train.csv", Body=b"a,b\n1,2\n")
    delete = {"s3_bucket_state": "absent", "s3_bucket_delete_data": True,
              "iam_users_list": aws.users(bob={"state": "absent"})}  # as the offboarding test left them
    res = aws.run("--check", **delete)
    assert res.rc == 0, res.stdout[-3000:]
    task = "Ensure the project bucket and every object in it are deleted (s3_bucket_delete_data is true)"
    assert res.changed_tasks() == [task]
    assert snapshot(aws)["bucket"] is not None
    res = aws.run(**delete)
    assert res.rc == 0, res.stdout[-3000:]
    assert task in res.changed_tasks()
    assert snapshot(aws)["bucket"] is None


# --- bad input ---------------------------------------------------------------------------------------

BAD_INPUT = [
    ("user-name-with-space", "iam_users_list", [{"name": "alice smith"}],
     "iam_users_list[0].name: 'alice smith' is not allowed"),
    ("user-name-too-long", "iam_users_list", [{"name": "a" * 65}],
     f"iam_users_list[0].name: '{'a' * 65}' is not allowed"),
    ("user-state-unknown", "iam_users_list", [{"name": "alice", "state": "gone"}],
     "iam_users_list[0].state (alice): 'gone' is not allowed; allowed: present, absent"),
    ("user-twice", "iam_users_list", [{"name": "alice"}, {"name": "Alice"}],
     "iam_users_list: 'alice' is listed more than once"),
    ("user-setting-unknown", "iam_users_list", [{"name": "alice", "admin": True}],  # argument_specs says it
     "iam_users_list.admin. Supported parameters include: console_access, create_access_key, name, state"),
    ("user-flag-not-bool", "iam_users_list", [{"name": "alice", "console_access": "yes"}],
     "iam_users_list[0] (alice): console_access 'yes' / create_access_key 'True' is not allowed"),
    ("bucket-name-uppercase", "s3_bucket_name", "My_Bucket", "s3_bucket_name: 'My_Bucket' is not allowed"),
    ("bucket-name-ip", "s3_bucket_name", "192.168.1.1", "s3_bucket_name: '192.168.1.1' is not allowed"),
    ("bucket-state-unknown", "s3_bucket_state", "gone",
     "s3_bucket_state: 'gone' is not allowed; allowed: present, absent"),
    ("bucket-delete-without-delete-data", "s3_bucket_state", "absent",
     "s3_bucket_state: 'absent' is not allowed while s3_bucket_delete_data is"),
    ("region-unknown", "sagelab_aws_region", "mars-north-1a",
     "s3_bucket_aws_region (sagelab_aws_region): 'mars-north-1a' is not allowed"),
    ("bucket-unencrypted", "s3_bucket_encryption", "none",
     "s3_bucket_encryption: 'none' is not allowed; allowed: AES256, aws:kms"),
    ("role-bucket-name", "execution_role_buckets", ["ok-bucket", "Bad_Bucket"],
     "execution_role_buckets: 'Bad_Bucket' is not allowed"),
    ("cost-tags-missing", "sagelab_tags", {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": ""},
     "(missing or empty: Owner, CostCenter)"),
]


def preflight_plays(base: dict[str, Any]) -> list[dict]:
    """One play per BAD_INPUT case, each running aws_access.yml's own first play (the preflight) with the
    case's variable on top of base, in a block whose rescue lets the next case run: every refusal in one
    ansible-playbook run."""
    import yaml

    first = yaml.safe_load((REPO / PLAYBOOK).read_text())[0]
    assert first["name"] == "Check every AWS role's input before anything changes", first["name"]
    return [{"name": case_id, "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {**base, var: value},
             "tasks": [{"name": f"Refuse {case_id}", "block": first["tasks"],
                        "rescue": [{"name": "Go on with the next case", "ansible.builtin.meta": "noop"}]}]}
            for case_id, var, value, _unused in BAD_INPUT]


@pytest.fixture(scope="module")
def refusals(fresh, tmp_path_factory) -> dict[str, Any]:
    """Every BAD_INPUT case through aws_access.yml's preflight play, in one ansible-playbook run: each case's
    failure messages by its id, and what the sandbox saw around the whole run."""
    folder = tmp_path_factory.mktemp("refusals")
    playbook = folder / "refusals.yml"
    playbook.write_text(json.dumps(preflight_plays(fresh.extra_vars())))
    before = snapshot(fresh)
    with Recorder(fresh.endpoint_url) as recorder:
        res = run_playbook(str(playbook), env=fresh.env)
    by_case = {}
    for play in res.data.get("plays", []):
        one = PlaybookRun(res.rc, "", "", {"plays": [play]})
        by_case[play["play"]["name"]] = " ".join(one.failure_messages())
    assert list(by_case) == [case[0] for case in BAD_INPUT], res.stdout[-3000:] + res.stderr[-3000:]
    return {"messages": by_case, "records": recorder.records(), "before": before, "after": snapshot(fresh),
            "rc": res.rc, "stats": res.stats}


@pytest.mark.parametrize(("var", "value", "message"), [case[1:] for case in BAD_INPUT],
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused_before_anything_changes(refusals, fresh, request, var, value, message):
    """The preflight play refuses the case with its message naming the variable, before any AWS call (none
    in the whole run), and nothing changes; that the playbook stops there is the next test's."""
    case_id = request.node.callspec.id
    msgs = refusals["messages"][case_id]
    assert message in msgs, msgs
    assert var in msgs
    assert refusals["stats"]["localhost"]["rescued"] == len(BAD_INPUT), refusals["stats"]
    assert refusals["records"] == [], "AWS was called"
    assert refusals["after"] == refusals["before"]
    assert not fresh.creds.exists()


def test_a_refused_input_stops_the_playbook_before_the_aws_play(fresh):
    """End to end, with one bad value: aws_access.yml fails in its preflight play, and the AWS play never
    runs (so each refusal above, made by that same play, stops the real playbook too)."""
    _case_id, var, value, message = BAD_INPUT[0]
    before = snapshot(fresh)
    with Recorder(fresh.endpoint_url) as recorder:
        res = run_playbook(PLAYBOOK, extra_vars={**fresh.extra_vars(), var: value}, env=fresh.env)
    assert res.rc != 0
    msgs = " ".join(res.failure_messages())
    assert message in msgs and var in msgs, msgs
    assert len(res.data["plays"]) == 1, "the AWS play ran"
    assert recorder.records() == [], "AWS was called"
    assert snapshot(fresh) == before
    assert not fresh.creds.exists()
