"""The book's own SDK code, on what sagelab made (issue 17, items 1 and 2): a workstation built by the
workstation playbook against the sandbox (with the AWS side's bucket and role), then the chapter's notebook
docs/notebooks/first-training-job.ipynb executed by nbclient on the provisioned `sagemaker` kernel - imports
and versions, Session(), default_bucket(), upload_data(), an Estimator with a placeholder image fit() and
deploy(), list_endpoints showing the endpoint - with no bucket or role in the code (the SDK config) and no
STS call (the request recorder); then the teardown playbook removes the endpoint, its config and model,
which the SDK tagged ManagedBy=sagelab, and leaves an untagged endpoint alone.

The profile and the SDK config go to a temporary folder: the kernel finds them as the user's would be found
in ~ (the SDK's own SAGEMAKER_USER_CONFIG_OVERRIDE). The test sets no AWS_* variable: the kernel spec's env
carries AWS_PROFILE=sagemaker, the profile the aws_cli role wrote, and AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE, the files it wrote, so neither the notebook nor its caller names the profile.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import boto3
import pytest

from tests.conftest import REPO, recording, run_playbook, unique

NOTEBOOK = REPO / "docs" / "notebooks" / "first-training-job.ipynb"
ROLE = "arn:aws:iam::123456789012:role/sagelab-sagemaker-execution"
RUN_NOTEBOOK = """
import json, sys
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name="sagemaker", timeout=300).execute()
print(json.dumps([[o.get("text", "") for o in c.get("outputs", []) if o.get("name") == "stdout"]
                  for c in nb.cells if c.cell_type == "code"]))
"""


@pytest.fixture(scope="module")
def workstation(tmp_path_factory, own_sandbox):
    """The workstation, on a sandbox of this file's own: the teardown removes every ManagedBy=sagelab
    endpoint of the account, which other tests' must not be."""
    sandbox = own_sandbox
    root = tmp_path_factory.mktemp("book")
    (root / "jupyter").mkdir()
    s3 = boto3.client("s3", endpoint_url=sandbox.endpoint_url, region_name="eu-west-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    bucket = unique("sagelab-book")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    evars = {"venv_parent": str(root / "workdir"), "validate_report_dir": str(root / "reports"),
             "validate_cache_dir": str(root / "cache"), "aws_cli_install_method": "pip",
             "aws_cli_venv": str(root / "awscli"), "aws_cli_bin_dir": str(root / "bin"),
             "aws_cli_config_dir": str(root / "aws"), "sagelab_aws_endpoint_url": sandbox.endpoint_url,
             "aws_cli_access_key_id": "AKIASAGELABBOOK00001", "aws_cli_secret_access_key": "book-secret",
             "sagemaker_sdk_config_path": str(root / "sdk" / "config.yaml"),
             "sagelab_bucket_name": bucket, "sagelab_execution_role_arn": ROLE,
             "sagemaker_sdk_extra_packages": ["nbclient", "nbformat"], "sagelab_cost_owner": "book-reader"}
    run = run_playbook("playbooks/workstation.yml", extra_vars=evars,
                       env={"JUPYTER_DATA_DIR": str(root / "jupyter")})
    assert run.rc == 0, run.stdout[-4000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(JUPYTER_DATA_DIR=str(root / "jupyter"),
               SAGEMAKER_USER_CONFIG_OVERRIDE=str(root / "sdk" / "config.yaml"))
    return root, bucket, env, sandbox


def test_the_chapters_notebook_runs_on_the_kernel_and_down_removes_what_it_made(workstation):
    root, bucket, env, sandbox = workstation
    python = root / "workdir" / "sagemaker" / "bin" / "python"
    spec = json.loads((root / "jupyter" / "kernels" / "sagemaker" / "kernel.json").read_text())
    assert spec["env"] == {"AWS_PROFILE": "sagemaker", "AWS_CONFIG_FILE": str(root / "aws" / "config"),
                           "AWS_SHARED_CREDENTIALS_FILE": str(root / "aws" / "credentials")}, spec
    assert not [k for k in env if k.startswith("AWS_")]  # the kernel spec alone names the profile
    with recording(sandbox.endpoint_url) as calls:
        proc = subprocess.run([str(python), "-c", RUN_NOTEBOOK, str(NOTEBOOK)], env=env, capture_output=True,
                              text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    outputs = ["".join(texts) for texts in json.loads(proc.stdout.strip().splitlines()[-1])]
    assert re.search(r"^boto3 1\.\d+\.\d+ sagemaker 2\.\d+\.\d+$", outputs[0], re.M), outputs[0]
    assert "Fetched defaults config from location: " + env["SAGEMAKER_USER_CONFIG_OVERRIDE"] in outputs[0]
    assert f"default bucket: {bucket}" in outputs[1]  # from the SDK config: the code names no bucket
    assert f"training data: s3://{bucket}/book/train/train.csv" in outputs[2]
    endpoint = outputs[4].split("endpoint: ")[1].split()[0]
    assert f"{endpoint} InService" in outputs[5]
    assert f"PUT /{bucket}/book/train/train.csv" in calls, calls  # the SDK's S3 upload
    for made in ("CreateTrainingJob", "CreateModel", "CreateEndpointConfig", "CreateEndpoint",
                 "ListEndpoints"):
        assert made in calls, calls
    assert "GetCallerIdentity" not in calls  # no STS call: the bucket and role are in the SDK config
    assert "Traceback" not in proc.stderr and "telemetry" not in proc.stderr.lower(), proc.stderr[-3000:]

    sm = boto3.client("sagemaker", endpoint_url=sandbox.endpoint_url, region_name="eu-west-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    described = sm.describe_endpoint(EndpointName=endpoint)
    config = described["EndpointConfigName"]
    model = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]["ModelName"]
    for arn in (described["EndpointArn"], sm.describe_model(ModelName=model)["ModelArn"]):
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
        assert tags["ManagedBy"] == "sagelab" and tags["Owner"] == "book-reader", tags
    # someone else's endpoint in the same account: not sagelab's, never removed
    other = unique("someone-elses")
    sm.create_model(ModelName=other, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "x.dkr.ecr/y:1"})
    sm.create_endpoint_config(EndpointConfigName=other, ProductionVariants=[{
        "VariantName": "v", "ModelName": other, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=other, EndpointConfigName=other)

    teardown = {"sagelab_aws_endpoint_url": sandbox.endpoint_url, "validate_report_dir": str(root / "down")}
    aws_env = sandbox.env
    check = run_playbook("playbooks/teardown.yml", "--check", extra_vars=teardown, env=aws_env)
    assert check.rc == 0, check.stdout[-3000:]
    foretold = json.loads((root / "down" / "aws" / "teardown.json").read_text())["removes"]
    assert endpoint in foretold["endpoints"] and config in foretold["endpoint_configs"], foretold
    assert model in foretold["models"] and other not in foretold["endpoints"] + foretold["models"]
    # check mode: still there
    assert endpoint in [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]]

    down = run_playbook("playbooks/teardown.yml", extra_vars=teardown, env=aws_env)
    assert down.rc == 0, down.stdout[-3000:]
    names = [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]]
    assert endpoint not in names and other in names
    assert config not in [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]]
    assert model not in [m["ModelName"] for m in sm.list_models()["Models"]]
    again = run_playbook("playbooks/teardown.yml", extra_vars=teardown, env=aws_env)
    assert again.rc == 0 and "Ensure sagelab's endpoints are deleted (waited for), then their endpoint " \
        "configurations and models" not in again.changed_tasks()
