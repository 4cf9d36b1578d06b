"""`sagelab up` end to end, as `scripts/up` runs it: the AWS side in the sandbox for the local user (bucket,
roles, IAM user, a notebook instance with its night stop, the Studio domain and the user's profile), then
this machine's workstation with that user's keys in its AWS CLI profile, then the report; `sagelab cost`
then shows the user's running notebook instance.

Everything a user's home would receive goes into a temporary folder; the sandbox is the file's own: a new
account, as a first `sagelab up` meets it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import boto3
import pytest
from rich.console import Console

from sagelab import report
from sagelab.cli import notebook_name, resource_name
from sagelab.target import local_user
from tests.conftest import BIN, REPO


def isolated_up(root: Path, sandbox) -> tuple:
    """`sagelab up` for a user whose home is root (the AWS side in sandbox): run(*args) -> (rc, the --json
    document, stderr); also the -e file, an IAM client and the environment."""
    evars = {
        "venv_parent": str(root / "workdir"),
        "validate_cache_dir": str(root / "cache"),
        "sagemaker_sdk_config_path": str(root / "sdk" / "config.yaml"),  # not ~: tests run side by side
        "aws_cli_venv": str(root / "awscli"),
        "aws_cli_bin_dir": str(root / "bin"),
        "aws_cli_config_dir": str(root / "aws"),
        "iam_users_credentials_dir": str(root / "credentials"),
        "aws_cli_credentials_dir": str(root / "credentials"),
    }
    (root / "vars.json").write_text(json.dumps(evars))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # a machine without AWS setup
    env.update(SAGELAB_SANDBOX_HOME=str(sandbox.home), JUPYTER_DATA_DIR=str(root / "jupyter"),
               AWS_CONFIG_FILE=str(root / "none"), AWS_SHARED_CREDENTIALS_FILE=str(root / "none"))

    def run(*args: str) -> tuple[int, dict, str]:
        cmd = [str(BIN / "sagelab"), "up", "-e", f"@{root / 'vars.json'}", *args, "--json"]
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200,
                              check=False)
        try:
            doc = json.loads(proc.stdout)
        except ValueError:
            pytest.fail(f"no JSON (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc.returncode, doc, proc.stderr

    iam = boto3.client("iam", endpoint_url=sandbox.endpoint_url, region_name="eu-west-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    return run, iam, env


@pytest.fixture(scope="module")
def up(tmp_path_factory, own_sandbox):
    root = tmp_path_factory.mktemp("up")
    run, iam, env = isolated_up(root, own_sandbox)
    return root, run, iam, env


SEEN: dict[str, dict] = {}  # the second `up`'s --json document, which the report test renders


def test_first_up_builds_both_sides_and_reports(up):
    root, run, iam, _unused = up
    code, doc, err = run()
    assert code == 0, json.dumps(doc, indent=1)[-4000:]
    assert "AWS side: embedded AWS sandbox at http://127.0.0.1:" in err
    assert "no AWS credentials are configured" in err
    aws = doc["aws"]
    assert aws["target"] == "sandbox" and aws["aws_access"]["status"] == "successful"
    assert aws["aws_access"]["changed"] > 0
    resources = aws["resources"]
    assert resources["bucket"].startswith("sagelab-") and resources["bucket"].endswith("-eu-west-1")
    assert resources["execution_role"].endswith(":role/sagelab-sagemaker-execution")
    assert resources["data_scientists"] == [local_user()]
    profile = resource_name(local_user())
    notebook = f"sagelab-{profile}"
    assert resources["notebook_instance"] == f"{notebook} (InService)"
    assert resources["studio_domain"].startswith("sagelab-studio (d-")
    assert resources["studio_user_profiles"] == [profile]
    assert resources["night_stop"].startswith("cron(0 20 ? * MON-FRI *)")
    scheduler = boto3.client("scheduler", endpoint_url=iam.meta.endpoint_url, region_name="eu-west-1",
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    schedules = {s["Name"] for s in scheduler.list_schedules(NamePrefix=notebook)["Schedules"]}
    assert schedules == {f"{notebook}-stop-weeknight", f"{notebook}-stop-weekend"}
    checks = {c["name"]: c for c in doc["hosts"]["localhost"]["validation"]["checks"]}
    assert checks["aws sagemaker list-endpoints"]["ok"], checks
    assert all(c["ok"] for c in checks.values()), checks

    # the local user is the first data scientist; their key is in the workstation's profile
    user = local_user()
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert len(keys) == 1
    delivered = root / "credentials" / f"{user}.json"
    assert oct(delivered.stat().st_mode & 0o777) == "0o600"
    assert oct(delivered.parent.stat().st_mode & 0o777) == "0o700"
    secret = json.loads(delivered.read_text())["secret_access_key"]
    credentials = (root / "aws" / "credentials").read_text()
    assert keys[0]["AccessKeyId"] in credentials and secret in credentials

    # the secret never shows: not in what sagelab printed, not in the runner artifacts
    assert secret not in json.dumps(doc) + err
    for step_dir in Path(doc["artifacts"]).parent.iterdir():
        for path in step_dir.rglob("*"):
            if path.is_file():
                assert secret not in path.read_text(errors="replace"), path


def test_second_up_changes_nothing_and_keeps_the_one_key(up):
    _unused, run, iam, _unused = up
    code, doc, _unused = run()
    assert code == 0
    assert doc["aws"]["aws_access"]["changed"] == 0
    assert doc["hosts"]["localhost"]["changed"] == 0
    assert len(iam.list_access_keys(UserName=local_user())["AccessKeyMetadata"]) == 1
    SEEN["second"] = doc


def test_the_report_a_person_reads(up):
    """The table `sagelab up` prints without --json (cli.main: report.print_table on a 200-column console
    when stdout is no terminal), rendered from the second run's document rather than from a third run of
    the same converge; test_interrupt reads the table the CLI itself prints."""
    _unused, run, _unused, _unused = up
    doc = SEEN.get("second")
    if doc is None:  # the second-up test did not run in this session
        code, doc, _unused = run()
        assert code == 0
    console = Console(width=200, file=io.StringIO())
    report.print_table(doc, console)
    text = console.file.getvalue()
    assert report.exit_code(doc) == 0
    for shown in ("AWS side embedded sandbox http://127.0.0.1:", "aws_access: successful, changed 0",
                  "bucket: sagelab-", "execution role: arn:aws:iam::", f"data scientists: {local_user()}",
                  "studio domain: sagelab-studio", "night stop: cron(0 20",
                  "localhost", "sagemaker (executed: yes)", "status successful (rc 0)",
                  f"open JupyterLab: sagelab notebook open --name {notebook_name(local_user())}"):
        assert shown in text, text
    assert "authToken" not in text  # how to open it, never the link itself


def test_cost_shows_the_running_notebook_instance(up):
    _unused, _unused, _unused, env = up
    proc = subprocess.run([str(BIN / "sagelab"), "cost", "--json"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["prices"]["source"] == "price table" and doc["prices"]["as_of"]
    rows = [r for g in doc["groups"] for r in g["resources"] if r["owner"] == local_user()]
    assert [(r["name"], r["instance_type"]) for r in rows] == [
        (f"sagelab-{resource_name(local_user())}", "ml.t3.medium")]
    assert rows[0]["projection_30_days"] > 0
    # projected with the night and weekend stop `up` set: 12 hours on each of 150/7 weekdays, not 720 hours
    assert rows[0]["hours"] == 257.14 and "night stop cron(0 20 ? * MON-FRI *)" in rows[0]["basis"], rows[0]


def test_down_then_up_puts_the_new_key_in_the_profile(up):
    """`down` deletes the IAM user and its key; `up` makes a new key and delivers it. The workstation's
    fast path used to keep the deleted key in the profile and report success: the delivered key is input
    to the fast path now, and validation asks STS who the profile's key belongs to."""
    root, run, iam, env = up
    user = local_user()
    (old,) = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]
    proc = subprocess.run([str(BIN / "sagelab"), "down", "--json"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    code, doc, _unused = run()
    assert code == 0, json.dumps(doc, indent=1)[-4000:]
    (new,) = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]
    assert new != old
    credentials = (root / "aws" / "credentials").read_text()
    assert new in credentials and old not in credentials
    checks = {c["name"]: c for c in doc["hosts"]["localhost"]["validation"]["checks"]}
    assert checks["aws sts get-caller-identity"]["ok"] is True
    assert checks["aws sts get-caller-identity"]["detail"].endswith(f":user/{user}")
