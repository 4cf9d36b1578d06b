"""The SageMaker SDK's defaults configuration the sagemaker_sdk role writes (issue 17, item 1): the project
bucket, the execution role, the cost tags and, against the sandbox, telemetry off, merged into the user's
config.yaml with their own settings kept; check mode writes nothing, diff shows the change, a second run
changes nothing; a bad value is refused by the preflight, naming the variable, before the file is touched.
That the SDK itself reads the file and runs the book's code on it: tests/integration/test_book_notebook.py.
"""

from __future__ import annotations

import hashlib
import json
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from tests.conftest import REPO, run_playbook

ROLE = "arn:aws:iam::123456789012:role/sagelab-sagemaker-execution"
BUCKET = "sagelab-123456789012-eu-west-1"
TAGS = {"ManagedBy": "sagelab", "Owner": "alice", "Project": "churn", "CostCenter": "cc-1"}
USERS_OWN = """SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      Session:
        DefaultS3ObjectKeyPrefix: alice-work
  TrainingJob:
    EnableNetworkIsolation: true
    Tags:
      - {Key: Team, Value: ml}
      - {Key: Owner, Value: someone-else}
"""


@pytest.fixture
def sdk_filter(monkeypatch):
    """The filter plugin, imported in process from the collection path (as Ansible loads it)."""
    monkeypatch.syspath_prepend(str(REPO / ".collections"))
    for name in [m for m in sys.modules if m.startswith("ansible_collections")]:
        monkeypatch.delitem(sys.modules, name)
    from ansible_collections.sagelab.sagemaker.plugins.filter import sdk_config
    return sdk_config


def test_the_merge_keeps_the_users_settings_and_sets_sagelabs(sdk_filter):
    doc = sdk_filter.sdk_config(USERS_OWN, bucket=BUCKET, role=ROLE, tags=TAGS, telemetry_opt_out=True)
    sdk = doc["SageMaker"]
    assert sdk["PythonSDK"]["Modules"] == {"Session": {"DefaultS3ObjectKeyPrefix": "alice-work",
                                                       "DefaultS3Bucket": BUCKET}, "TelemetryOptOut": True}
    assert sdk["TrainingJob"]["EnableNetworkIsolation"] is True and sdk["TrainingJob"]["RoleArn"] == ROLE
    assert sdk["TrainingJob"]["Tags"] == [
        {"Key": "Team", "Value": "ml"}, {"Key": "CostCenter", "Value": "cc-1"},
        {"Key": "ManagedBy", "Value": "sagelab"}, {"Key": "Owner", "Value": "alice"},
        {"Key": "Project", "Value": "churn"}]
    assert sdk["ProcessingJob"]["RoleArn"] == ROLE and sdk["Model"]["ExecutionRoleArn"] == ROLE
    for made in ("Model", "EndpointConfig", "Endpoint"):
        assert {"Key": "ManagedBy", "Value": "sagelab"} in sdk[made]["Tags"], made
    # nothing known: the file's values stay (an empty bucket or role never removes one)
    again = sdk_filter.sdk_config(yaml.safe_dump(doc, sort_keys=False), tags=TAGS)
    assert again["SageMaker"]["PythonSDK"]["Modules"]["Session"]["DefaultS3Bucket"] == BUCKET
    assert again == doc
    with pytest.raises(AnsibleFilterError, match="sagemaker_sdk_config_path: /x/c.yaml is not valid YAML"):
        sdk_filter.sdk_config("SageMaker: [unclosed", path="/x/c.yaml")


def test_bad_settings_are_named_with_what_is_allowed(sdk_filter):
    problems = sdk_filter.sdk_config_problems("relative/config.yaml", bucket="My_Bucket", role="admin",
                                              tags={"aws:owner": "x"})
    assert [p.split(":")[0] for p in problems] == [
        "sagemaker_sdk_config_path", "sagemaker_sdk_default_bucket", "sagemaker_sdk_execution_role",
        "sagemaker_sdk_tags (sagelab_tags)"]
    assert "allowed: 3 to 63 lowercase letters" in problems[1]
    assert "reserved by AWS" in problems[3]
    assert sdk_filter.sdk_config_problems("/h/.config/sagemaker/config.yaml", bucket=BUCKET, role=ROLE,
                                          tags=TAGS) == []


FOLDER = "Ensure the SDK's config folder exists"
WRITE = "Ensure the SDK's config has the default bucket, execution role, cost tags and telemetry setting"


def run_config(tmp_path, path, *args, tasks_from="config", **extra):
    """The role's config (or preflight) tasks in a real ansible-playbook run; the run."""
    playbook = tmp_path / "sdk_config.yml"
    playbook.write_text(json.dumps([{"name": "SDK config", "hosts": "localhost", "gather_facts": True,
                                     "gather_subset": ["min"], "tasks": [{
                                         "name": "Write the SDK config", "ansible.builtin.include_role": {
                                             "name": "sagelab.sagemaker.sagemaker_sdk",
                                             "tasks_from": tasks_from}}]}]))
    evars = {"sagemaker_sdk_config_path": str(path), "sagemaker_sdk_default_bucket": BUCKET,
             "sagemaker_sdk_execution_role": ROLE, "sagemaker_sdk_tags": TAGS,
             "sagelab_aws_endpoint_url": "http://127.0.0.1:5000", **extra}
    return run_playbook(str(playbook), *args, extra_vars=evars)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def test_the_role_writes_the_config_idempotently_with_check_mode_and_diff(tmp_path):
    path = tmp_path / "home" / ".config" / "sagemaker" / "config.yaml"
    path.parent.mkdir(parents=True, mode=0o755)
    path.write_text(USERS_OWN)
    before = digest(path)
    run = run_config(tmp_path, path, "--check", "--diff")
    # the folder was 0755: made private
    assert run.rc == 0 and run.changed_tasks() == [FOLDER, WRITE], run.stdout[-3000:]
    assert digest(path) == before  # check mode: nothing written, the diff shows what would be
    assert f"DefaultS3Bucket: {BUCKET}" in run.stdout and "TelemetryOptOut: true" in run.stdout
    run = run_config(tmp_path, path)
    assert run.rc == 0 and run.changed_tasks() == [FOLDER, WRITE], run.stdout[-3000:]
    written = yaml.safe_load(path.read_text())
    assert written["SageMaker"]["PythonSDK"]["Modules"]["TelemetryOptOut"] is True  # the sandbox
    assert written["SageMaker"]["PythonSDK"]["Modules"]["Session"] == {
        "DefaultS3ObjectKeyPrefix": "alice-work", "DefaultS3Bucket": BUCKET}
    assert written["SageMaker"]["Model"]["ExecutionRoleArn"] == ROLE
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    first = digest(path)
    run = run_config(tmp_path, path)
    assert run.rc == 0 and run.changed_tasks() == [] and digest(path) == first, run.stdout[-3000:]
    # real AWS: telemetry back to the SDK's default (on), once
    run = run_config(tmp_path, path, sagelab_aws_endpoint_url="")
    assert run.rc == 0 and run.changed_tasks() == [WRITE]
    assert yaml.safe_load(path.read_text())["SageMaker"]["PythonSDK"]["Modules"]["TelemetryOptOut"] is False
    run = run_config(tmp_path, path, sagelab_aws_endpoint_url="")
    assert run.rc == 0 and run.changed_tasks() == []


def test_a_bad_bucket_is_refused_before_the_file_is_touched(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(USERS_OWN)
    before = digest(path)
    run = run_config(tmp_path, path, tasks_from="preflight", sagemaker_sdk_default_bucket="Bad_Bucket")
    assert run.rc != 0
    assert any("sagemaker_sdk_default_bucket: 'Bad_Bucket' is not an S3 bucket name" in m
               for m in run.failure_messages()), run.failure_messages()
    assert digest(path) == before
