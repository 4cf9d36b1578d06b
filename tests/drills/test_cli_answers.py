"""Drill: every answer the CLI gives is true (issue 17), against the session sandbox through the real CLI.

- `--profile sagemaker` naming sagelab's own sandbox profile (its endpoint_url is this machine) is not
  taken for a real account: the run goes to the sandbox and says so;
- the user's `-e` wins over the CLI's own variables on the way to AWS (`notebook_instance_name`);
- in sandbox mode `notebook open` says the link cannot open and which local JupyterLab does.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from sagelab.cli import notebook_name
from sagelab.target import local_user
from tests.conftest import BIN, REPO, recorded_requests, recording, unique, writes

REGION = "eu-west-1"


def cli_env(sandbox, root: Path) -> dict[str, str]:
    """A machine whose only AWS profile is the one `sagelab up` wrote for the sandbox."""
    (root / "config").write_text(f"[profile sagemaker]\nregion = {REGION}\noutput = json\n"
                                 f"endpoint_url = {sandbox.endpoint_url}\n")
    (root / "credentials").write_text("[sagemaker]\naws_access_key_id = AKIASAGELABDRILL0001\n"
                                      "aws_secret_access_key = dRiLl/SeCrEt+0123456789abcdefGHIJKLmnop\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(SAGELAB_SANDBOX_HOME=str(sandbox.home), AWS_CONFIG_FILE=str(root / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(root / "credentials"), HOME=str(root))
    return env


@pytest.fixture(scope="module")
def sandbox_profile_run(sandbox, tmp_path_factory):
    """`sagelab notebook up --check --profile sagemaker -e notebook_instance_name=<mine>`, recorded."""
    root = tmp_path_factory.mktemp("cli-answers")
    name = unique("nb-user-wins")
    with recording(sandbox.endpoint_url) as calls:
        proc = subprocess.run([str(BIN / "sagelab"), "notebook", "up", "--check", "--profile", "sagemaker",
                               "-e", f"notebook_instance_name={name}", "--json"],
                              cwd=REPO, env=cli_env(sandbox, root), capture_output=True, text=True,
                              timeout=600, check=False)
    bodies = []
    for request in recorded_requests(sandbox.endpoint_url):
        body = request.get("body") or ""
        encoded = request.get("body_encoded")
        bodies.append(base64.b64decode(body).decode("utf-8", "replace") if encoded else body)
    return proc, name, calls, bodies


def test_the_sandbox_profile_is_recognised_and_the_sandbox_used(sandbox_profile_run, sandbox):
    proc, _unused, calls, _unused = sandbox_profile_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (f"AWS side: embedded AWS sandbox at {sandbox.endpoint_url} ({REGION}) — --profile sagemaker is "
            f"sagelab's sandbox profile (its endpoint_url {sandbox.endpoint_url} is this machine, not an AWS "
            "account), so the embedded sandbox is used instead.") in proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["aws"]["target"], doc["aws"]["profile"]) == ("sandbox", "")
    assert "DescribeNotebookInstance" in calls  # it did reach the sandbox
    assert writes(calls) == []  # check mode


def test_the_users_notebook_name_wins_over_the_clis(sandbox_profile_run):
    proc, name, _unused, bodies = sandbox_profile_run
    doc = json.loads(proc.stdout)
    assert doc["aws"]["resources"]["notebook_instance"].startswith(f"{name} ")
    asked = [json.loads(b).get("NotebookInstanceName") for b in bodies if b.startswith("{")]
    assert name in asked
    assert notebook_name(local_user()) not in asked  # the CLI's own default never went out


def test_a_profile_with_another_endpoint_is_refused(sandbox, tmp_path):
    env = cli_env(sandbox, tmp_path)
    (tmp_path / "config").write_text("[profile lab]\nendpoint_url = http://localstack.lab:4566\n")
    proc = subprocess.run([str(BIN / "sagelab"), "down", "--check", "--profile", "lab"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1  # refused before anything ran
    assert ("--profile: 'lab' sends every call to endpoint_url http://localstack.lab:4566, not to AWS"
            in proc.stderr)


def test_sandbox_notebook_open_says_the_link_cannot_open(sandbox, tmp_path):
    sm = boto3.client("sagemaker", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    name = unique("nb-open")
    sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium",
                                RoleArn="arn:aws:iam::123456789012:role/sagelab-sagemaker-execution")
    sm.get_waiter("notebook_instance_in_service").wait(NotebookInstanceName=name,
                                                       WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    env = cli_env(sandbox, tmp_path)
    stamp = tmp_path / ".cache" / "sagelab" / "converged.json"  # what a passing workstation run leaves
    stamp.parent.mkdir(parents=True)
    stamp.write_text(json.dumps({"env": str(tmp_path / "workdir" / "sagemaker")}))
    base = [str(BIN / "sagelab"), "notebook", "open", "--name", name]
    proc = subprocess.run(base, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    host = f"{name}.notebook.{REGION}.sagemaker.aws"
    assert proc.stdout.strip().startswith(f"https://{host}?authToken=")  # the link alone on stdout
    lab = f"{tmp_path}/workdir/sagemaker/bin/jupyter lab"
    assert (f"sagelab: note: this link cannot open: it comes from the embedded sandbox, and {host} is a "
            "real-AWS hostname") in " ".join(proc.stderr.split())
    assert f"This workstation's own JupyterLab opens: {lab}" in " ".join(proc.stderr.split())
    proc = subprocess.run([*base, "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    doc = json.loads(proc.stdout)
    assert (doc["opens"], doc["local_jupyterlab"]) == (False, lab)
    assert "cannot open" in doc["note"]


def test_a_type_the_module_refuses_is_refused_before_the_lifecycle_config_is_made(sandbox, tmp_path):
    """`notebook up --name nb-typo -e notebook_instance_type=ml.t3.tiny` was refused only by the module,
    after the lifecycle configuration nb-typo-auto-stop was created (and `down` never removed it)."""
    name = unique("nb-typo")
    with recording(sandbox.endpoint_url) as calls:
        proc = subprocess.run([str(BIN / "sagelab"), "notebook", "up", "--name", name,
                               "-e", "notebook_instance_type=ml.t3.tiny"], cwd=REPO,
                              env=cli_env(sandbox, tmp_path), capture_output=True, text=True, timeout=600,
                              check=False)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    shown = " ".join(proc.stdout.split())
    assert "notebook_instance_type: 'ml.t3.tiny' is not allowed; allowed: a notebook instance type" in shown
    assert calls == [], calls  # not even a read: the preflight play needs no AWS
    sm = boto3.client("sagemaker", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    listed = sm.list_notebook_instance_lifecycle_configs(NameContains=name)
    assert listed["NotebookInstanceLifecycleConfigs"] == []


def test_validation_proves_the_profiles_key_is_the_owners_live_one(sandbox, tmp_path):
    """After `down` and `up` IAM holds a new key: a profile still holding the deleted one used to pass
    (list-endpoints answers in the sandbox for any key). `aws sts get-caller-identity` must answer as the
    owner's IAM user; the sandbox, like AWS, does not for a key IAM no longer has."""
    from tests.unit.test_check_env import check_env

    aws = shutil.which("aws")
    assert aws, "the drill needs an AWS CLI on PATH"
    iam = boto3.client("iam", endpoint_url=sandbox.endpoint_url, region_name=REGION,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    owner = unique("alice")
    iam.create_user(UserName=owner)
    key = iam.create_access_key(UserName=owner)["AccessKey"]
    (tmp_path / "config").write_text(f"[profile sagemaker]\nregion = {REGION}\n"
                                     f"endpoint_url = {sandbox.endpoint_url}\n")
    (tmp_path / "credentials").write_text(f"[sagemaker]\naws_access_key_id = {key['AccessKeyId']}\n"
                                          f"aws_secret_access_key = {key['SecretAccessKey']}\n")
    args = ("--packages", "boto3", "--aws-cli", aws, "--aws-profile", "sagemaker",
            "--aws-config-dir", str(tmp_path), "--aws-owner", owner)
    live = {c["name"]: c for c in check_env(*args)["checks"]}
    assert live["aws sts get-caller-identity"] == {
        "name": "aws sts get-caller-identity", "ok": True,
        "detail": f"answers as arn:aws:iam::123456789012:user/{owner}"}

    iam.delete_access_key(UserName=owner, AccessKeyId=key["AccessKeyId"])  # what `down` does
    report = check_env(*args)
    stale = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is False
    assert stale["aws sagemaker list-endpoints"]["ok"] is True  # the book's check alone would pass
    assert stale["aws sts get-caller-identity"]["ok"] is False
    assert stale["aws sts get-caller-identity"]["detail"].startswith(f"the profile's key is not {owner}'s")
    assert key["SecretAccessKey"] not in json.dumps(report)
