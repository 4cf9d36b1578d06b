"""Which `aws` the workstation's profile is for (issue 17, item 12): with an `aws` already on PATH the
aws_cli role installs none and links nothing into ~/.local/bin, and the validation report names the CLI
that was found, where it came from, and whether it is the `aws` a shell runs; `sagelab`'s table says so.

The `aws` on PATH is a stand-in (a script in a temporary folder put first on PATH): what is tested is
which program the role and the report pick, not what it answers, so its list-endpoints check fails and
the report is read with validate_fail_on_error off.
"""

from __future__ import annotations

import io
import json
import os
import sys

from rich.console import Console

from sagelab.report import aws_cli_line
from tests.conftest import run_playbook


def test_an_aws_already_on_path_is_kept_and_named_in_the_report(tmp_path, sandbox):
    on_path = tmp_path / "on-path"
    on_path.mkdir()
    aws = on_path / "aws"
    aws.write_text("#!/bin/sh\necho 'a stand-in aws, not a CLI' >&2\nexit 3\n")
    aws.chmod(0o755)
    playbook = tmp_path / "aws_cli_report.yml"
    playbook.write_text(json.dumps([{
        "name": "The AWS CLI and its report", "hosts": "localhost", "connection": "local",
        "gather_facts": True, "gather_subset": ["min"],
        "roles": ["sagelab.sagemaker.aws_cli", "sagelab.sagemaker.validate"]}]))
    evars = {"aws_cli_install_method": "auto", "aws_cli_bin_dir": str(tmp_path / "bin"),
             "aws_cli_venv": str(tmp_path / "awscli"), "aws_cli_config_dir": str(tmp_path / "aws"),
             "sagelab_aws_endpoint_url": sandbox.endpoint_url,
             "validate_env_path": sys.prefix, "validate_packages": ["boto3"], "validate_kernel_name": "",
             "validate_report_dir": str(tmp_path / "reports"), "validate_fail_on_error": False}
    env = {"PATH": f"{on_path}{os.pathsep}{os.environ['PATH']}"}
    run = run_playbook(str(playbook), extra_vars=evars, env=env)
    assert run.rc == 0, run.stdout[-3000:]
    assert not (tmp_path / "bin").exists() and not (tmp_path / "awscli").exists()  # nothing installed
    report = json.loads((tmp_path / "reports" / "localhost.json").read_text())
    assert report["aws_cli"] == {"path": str(aws), "realpath": str(aws), "origin":
                                 "already on PATH; sagelab installed none", "profile": "sagemaker",
                                 "config_dir": str(tmp_path / "aws"), "first_on_path": str(aws),
                                 "is_first_on_path": True}
    check = next(c for c in report["checks"] if c["name"] == "aws sagemaker list-endpoints")
    assert check["ok"] is False and "a stand-in aws" in check["detail"]  # it did run that program

    text = render(aws_cli_line("localhost", report["aws_cli"]))
    assert text == (f"AWS CLI localhost  profile sagemaker is for {aws}: already on PATH; sagelab installed "
                    "none; it is the `aws` on PATH")


def render(line) -> str:
    out = io.StringIO()
    Console(file=out, width=400, color_system=None).print(line, soft_wrap=True)
    return out.getvalue().strip()


def test_the_report_says_when_the_profiles_aws_is_not_the_one_on_path():
    cli = {"path": "/home/a/.local/bin/aws", "realpath": "/home/a/.local/share/sagelab/awscli/bin/aws",
           "origin": "installed by sagelab (awscli from PyPI), linked as /home/a/.local/bin/aws",
           "profile": "sagemaker", "first_on_path": "/usr/bin/aws", "is_first_on_path": False}
    assert render(aws_cli_line("ws1", cli)) == (
        "AWS CLI ws1  profile sagemaker is for /home/a/.local/bin/aws "
        "(-> /home/a/.local/share/sagelab/awscli/bin/aws): installed by sagelab (awscli from PyPI), "
        "linked as /home/a/.local/bin/aws; the `aws` on PATH is another one (/usr/bin/aws): "
        "run /home/a/.local/bin/aws --profile sagemaker")
    assert render(aws_cli_line("ws1", {**cli, "first_on_path": ""})).endswith(
        "; no `aws` is on PATH: run /home/a/.local/bin/aws --profile sagemaker")
