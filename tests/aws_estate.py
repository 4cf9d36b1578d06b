"""One converged AWS estate per test session, built once and shared by every test that only reads it
(issue 16). Tests that change or destroy AWS state must build their own: nothing may write to this one.

Use it through the `shared_estate` fixture (tests/conftest.py). The estate is the project's own AWS
playbooks against a sandbox of its own (so moto's request recorder is never shared with other tests), run
in this order, each run's result kept under a name:

- ``fresh_check``     aws_access, notebook and studio (tests/drills/playbooks/aws_three.yml) --check --diff
                      on a fresh account, recorded
- ``converge``        the same, for real, at -vvv (the keys and first passwords are issued here)
- ``schedule_check``  playbooks/schedule.yml --check --diff before any schedule exists, recorded
- ``schedule``        the same, for real, at -vvv
- ``converged_check`` all four (tests/drills/playbooks/aws_all.yml) --check --diff on the converged
                      account, recorded
- ``again``           the same, for real: a second run, recorded

Every run keeps its JSON document (PlaybookRun), stdout and stderr, the AWS operations the sandbox
received (recorded runs), and the estate's snapshot() and credentials-folder tree before and after.

Under pytest-xdist the first worker to get the lock (fcntl.flock on a file in the folder all workers'
base temp folders share) starts the sandbox and builds the estate; the others read what it wrote. The
sandbox is stopped by pytest_sessionfinish in the process that runs no tests (the xdist controller, or the
only process with -n 0), after every worker is done.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import stat
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import PlaybookRun, recording

REGION = "eu-central-2"  # no other test makes anything in it
TAGS = {"Project": "sagelab", "ManagedBy": "sagelab", "Owner": "ml-platform", "CostCenter": "cc-4711"}
PREFIX = "shared"
THREE = "tests/drills/playbooks/aws_three.yml"  # aws_access, notebook, studio
ALL = "tests/drills/playbooks/aws_all.yml"  # the three, then schedule
SCHEDULE = "playbooks/schedule.yml"
# (name, playbook, ansible-playbook options, recorded by moto's recorder)
STEPS = [
    ("fresh_check", THREE, ("--check", "--diff"), True),
    ("converge", THREE, ("-vvv",), False),
    ("schedule_check", SCHEDULE, ("--check", "--diff"), True),
    ("schedule", SCHEDULE, ("-vvv",), False),
    ("converged_check", ALL, ("--check", "--diff"), True),
    ("again", ALL, (), True),
]


@dataclass(frozen=True)
class EstateRun:
    """One run of the build: its result, the AWS operations recorded during it (None: not recorded), and
    the estate's snapshot and credentials tree right before and after it."""

    run: PlaybookRun
    calls: list[str] | None
    before: dict[str, Any]
    after: dict[str, Any]
    files_before: dict[str, list]
    files_after: dict[str, list]


@dataclass
class Estate:
    """An estate of the project's AWS playbooks: where it is, the names it uses, its runs' outputs. The
    shared one (get()) also holds the build's recorded runs; a test file that mutates makes its own
    Estate (its own root and prefix, on the worker's `sandbox`) and runs the playbooks with run()."""

    endpoint_url: str
    env: dict[str, str]  # for ansible-playbook (the endpoint comes from sagelab_aws_endpoint_url only)
    root: Path  # credentials/, ansible.log (every run's ANSIBLE_LOG_PATH), facts/ (jsonfile fact cache)
    account_id: str
    prefix: str = PREFIX
    region: str = REGION
    outputs: list[str] = field(default_factory=list)  # every run's stdout and stderr
    seen: dict[str, Any] = field(default_factory=dict)  # what earlier tests saw (a file's own estate)

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    @property
    def bucket(self) -> str:
        """The s3_bucket role's derived name (no s3_bucket_name is given)."""
        return f"sagelab-{self.account_id}-{self.region}"

    @property
    def creds(self) -> Path:
        return self.root / "credentials"

    @property
    def log(self) -> Path:
        return self.root / "ansible.log"

    @property
    def facts(self) -> Path:
        return self.root / "facts"

    def users(self) -> list[dict]:
        """alice (key), bob (key and console), carol (neither)."""
        return [{"name": self.name("alice")}, {"name": self.name("bob"), "console_access": True},
                {"name": self.name("carol"), "create_access_key": False}]

    def extra_vars(self, **extra: Any) -> dict[str, Any]:
        n = self.name
        return {
            "sagelab_aws_endpoint_url": self.endpoint_url, "sagelab_aws_region": self.region,
            "sagelab_tags": TAGS, "sagelab_bucket_name": self.bucket,
            "s3_bucket_require_tls": True,  # the real-AWS default; off by default behind the http sandbox
            "execution_role_name": n("execution"), "iam_users_group": n("users"),
            "iam_users_policy_name": n("users-policy"), "iam_users_credentials_dir": str(self.creds),
            "iam_users_list": self.users(),
            "notebook_instance_name": n("nb"), "notebook_instance_role": n("execution"),
            "notebook_instance_code_repositories": [{"name": n("repo"),
                                                     "url": "https://github.com/example/notebooks.git"}],
            "notebook_instance_default_code_repository": n("repo"),
            "cost_controls_role_name": n("scheduler"), "cost_controls_morning_start": True,
            "studio_domain_name": n("studio"),
            "teardown_name_prefix": self.prefix,
            **extra,
        }

    def run(self, playbook: str, *args: str, **extra: Any) -> PlaybookRun:
        """ansible-playbook with this estate's variables (extra on top), its log appended to log, the jsonfile
        fact cache on; -vvv output may precede the JSON document."""
        from tests.drills.conftest import run_logged

        env = {**self.env, "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
               "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(self.facts), "ANSIBLE_GATHERING": "smart"}
        result = run_logged(playbook, *args, extra_vars=self.extra_vars(**extra), env=env, log=self.log)
        self.outputs.append(result.stdout + result.stderr)
        return result

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(retries={"mode": "standard", "total_max_attempts": 3}))

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.client, self.prefix, self.bucket)

    @functools.cached_property
    def runs(self) -> dict[str, EstateRun]:
        """The build's runs by step name (read from the file the building worker wrote)."""
        saved = json.loads((self.root / "runs.json").read_text())
        return {name: EstateRun(PlaybookRun(**r["run"]), r["calls"], r["before"], r["after"],
                                r["files_before"], r["files_after"]) for name, r in saved.items()}


# --- what exists, read with boto3 -------------------------------------------------------------------

def snapshot(client: Any, prefix: str, bucket: str) -> dict[str, Any]:
    """Everything named with prefix (and the bucket) that exists, with its settings, read with
    list/describe/get calls; client(service) makes a boto3 client for the estate's region."""
    iam, s3, sm, scheduler = (client(s) for s in ("iam", "s3", "sagemaker", "scheduler"))
    state: dict[str, Any] = {"users": {}, "groups": {}, "policies": {}, "roles": {}, "bucket": None}
    for user in iam.get_paginator("list_users").paginate().build_full_result()["Users"]:
        name = user["UserName"]
        if not name.startswith(prefix):
            continue
        try:
            profile = bool(iam.get_login_profile(UserName=name)["LoginProfile"])
        except iam.exceptions.NoSuchEntityException:
            profile = False
        state["users"][name] = {
            "keys": sorted(k["AccessKeyId"]
                           for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]),
            "login_profile": profile,
            "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]),
            "tags": {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]},
        }
    for group in iam.get_paginator("list_groups").paginate().build_full_result()["Groups"]:
        name = group["GroupName"]
        if name.startswith(prefix):
            state["groups"][name] = {
                "users": sorted(u["UserName"] for u in iam.get_group(GroupName=name)["Users"]),
                "policies": sorted(p["PolicyName"] for p in
                                   iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]),
            }
    for policy in iam.get_paginator("list_policies").paginate(Scope="Local").build_full_result()["Policies"]:
        if policy["PolicyName"].startswith(prefix):
            doc = iam.get_policy_version(PolicyArn=policy["Arn"],
                                         VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
            tags = iam.list_policy_tags(PolicyArn=policy["Arn"])["Tags"]
            state["policies"][policy["PolicyName"]] = {
                "arn": policy["Arn"], "document": doc if isinstance(doc, dict) else json.loads(doc),
                "version": policy["DefaultVersionId"], "tags": {t["Key"]: t["Value"] for t in tags}}
    for role in iam.get_paginator("list_roles").paginate().build_full_result()["Roles"]:
        name = role["RoleName"]
        if name.startswith(prefix):
            trust = role["AssumeRolePolicyDocument"]
            state["roles"][name] = {
                "arn": role["Arn"], "trust": trust if isinstance(trust, dict) else json.loads(trust),
                "policies": sorted(p["PolicyName"] for p in
                                   iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]),
                "inline": sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]),
                "tags": {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]},
            }
    if bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        sse = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        state["bucket"] = {
            "encryption": sse["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
            "public_access_block":
                s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
            "tags": {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]},
            "policy": bucket_policy(s3, bucket),
            "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
            "objects": s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0),
        }
    state["notebooks"] = {n["NotebookInstanceName"]: [n["NotebookInstanceStatus"], n.get("InstanceType")]
                          for n in sm.list_notebook_instances(NameContains=prefix)["NotebookInstances"]}
    state["lifecycle_configs"] = sorted(
        c["NotebookInstanceLifecycleConfigName"] for c in sm.list_notebook_instance_lifecycle_configs(
            NameContains=prefix)["NotebookInstanceLifecycleConfigs"])
    state["repositories"] = sorted(r["CodeRepositoryName"] for r in sm.list_code_repositories(
        NameContains=prefix)["CodeRepositorySummaryList"])
    state["schedules"] = {s["Name"]: s["State"]
                          for s in scheduler.list_schedules(NamePrefix=prefix)["Schedules"]}
    state["domains"] = {
        d["DomainName"]: sorted(u["UserProfileName"] for u in
                                sm.list_user_profiles(DomainIdEquals=d["DomainId"])["UserProfiles"])
        for d in sm.list_domains()["Domains"] if d["DomainName"].startswith(prefix)}
    return state


def bucket_policy(s3: Any, bucket: str) -> dict | None:
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise


def tree(root: Path) -> dict[str, list]:
    """Every path under root (relative) with its mode, size and modification time."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): [stat.S_IMODE(p.stat().st_mode), p.stat().st_size, p.stat().st_mtime]
            for p in [root, *root.rglob("*")]}


# --- built once per session -------------------------------------------------------------------------

def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every process of this session shares: under xdist the parent of the worker's base temp
    folder (the controller's base temp), else the base temp folder itself (never the parent then: that is
    shared by every pytest session on the machine)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def estate_folder(shared: Path) -> Path:
    return shared / "aws-estate"


def get(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    """The session's estate: built by the first process to ask, read by the others."""
    from sagelab import sandbox as sandbox_module

    root = estate_folder(shared_folder(tmp_path_factory))
    root.mkdir(parents=True, exist_ok=True)
    with open(root.parent / "aws-estate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "estate.json"
        if not done.exists():
            try:
                state = sandbox_module.start(root / "sandbox-home")
                estate = _build(root, state["endpoint_url"], sandbox_module.client_env(state["endpoint_url"]))
                done.write_text(json.dumps({"endpoint_url": estate.endpoint_url, "env": estate.env,
                                            "account_id": estate.account_id}))
            except Exception:  # noqa: BLE001 - every later test is told why, not left to rebuild
                done.write_text(json.dumps({"error": traceback.format_exc()}))
        saved = json.loads(done.read_text())
    if "error" in saved:
        pytest.fail(f"the shared AWS estate could not be built:\n{saved['error']}")
    estate = Estate(saved["endpoint_url"], saved["env"], root, saved["account_id"])
    estate.outputs.extend(r.run.stdout + r.run.stderr for r in estate.runs.values())
    return estate


def _build(root: Path, endpoint_url: str, client_env: dict[str, str]) -> Estate:
    env = {**{k: v for k, v in client_env.items() if k != "AWS_ENDPOINT_URL"},
           "AWS_MAX_ATTEMPTS": "3", "AWS_RETRY_MODE": "standard"}
    sts = boto3.client("sts", endpoint_url=endpoint_url, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    estate = Estate(endpoint_url, env, root, sts.get_caller_identity()["Account"])
    runs: dict[str, Any] = {}
    for name, playbook, args, recorded in STEPS:
        before, files_before = estate.snapshot(), tree(estate.creds)
        calls: list[str] | None = None
        if recorded:
            with recording(endpoint_url) as calls:
                result = estate.run(playbook, *args)
        else:
            result = estate.run(playbook, *args)
        runs[name] = {"run": {"rc": result.rc, "stdout": result.stdout, "stderr": result.stderr,
                              "data": result.data},
                      "calls": calls, "before": before, "after": estate.snapshot(),
                      "files_before": files_before, "files_after": tree(estate.creds)}
    (root / "runs.json").write_text(json.dumps(runs))
    return estate


def stop(shared: Path) -> None:
    """Stop the estate's sandbox, if this session started one."""
    home = estate_folder(shared) / "sandbox-home"
    if home.exists():
        from sagelab import sandbox as sandbox_module

        sandbox_module.stop(home)
