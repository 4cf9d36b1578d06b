"""Which module_defaults group reaches sagelab's modules (README "module_defaults in your own playbooks",
meta/runtime.yml): group/sagelab.sagemaker.aws reaches sagelab's AWS modules and, extended from it,
amazon.aws's; group/aws reaches amazon.aws's only. Real modules against the sandbox: the region comes
only from module_defaults, so a module the group does not reach fails for want of one."""

from __future__ import annotations

import json

from tests.conftest import run_playbook


def test_module_defaults_groups(sandbox, tmp_path):
    tasks = [{"name": "Sagelab module", "sagelab.sagemaker.sagemaker_notebook_instance_info": {},
              "ignore_errors": True},
             {"name": "Amazon module", "amazon.aws.s3_bucket_info": {}, "ignore_errors": True}]
    plays = [{"name": group, "hosts": "localhost", "connection": "local", "gather_facts": False,
              "module_defaults": {group: {"region": "eu-west-1"}}, "tasks": tasks}
             for group in ("group/sagelab.sagemaker.aws", "group/aws")]
    playbook = tmp_path / "groups.yml"
    playbook.write_text(json.dumps(plays))
    env = {**sandbox.env, "AWS_DEFAULT_REGION": None, "AWS_REGION": None, "AWS_CONFIG_FILE": "/dev/null",
           "AWS_PROFILE": None}
    run = run_playbook(str(playbook), env=env)
    assert run.rc == 0, run.stdout[-3000:]
    results = {play["play"]["name"]: [t["hosts"]["localhost"] for t in play["tasks"]]
               for play in run.data["plays"]}
    sagelab_group, aws_group = results["group/sagelab.sagemaker.aws"], results["group/aws"]
    assert not sagelab_group[0].get("failed"), sagelab_group[0]
    assert not sagelab_group[1].get("failed"), sagelab_group[1]  # extend_group: amazon.aws's modules too
    assert aws_group[0].get("failed") and "region" in aws_group[0]["msg"].lower(), aws_group[0]
    assert not aws_group[1].get("failed"), aws_group[1]
