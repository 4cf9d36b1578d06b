"""The workstation as a user meets it inside each container (testinfra over `podman exec`)."""

from __future__ import annotations

import json

ENV = "/root/workdir/sagemaker"
PY = f"{ENV}/bin/python"


def test_venv_support_came_from_the_distro(host):
    assert host.package("python3-venv").is_installed


def test_the_environment_is_a_venv_with_pip(host):
    assert host.file(f"{ENV}/pyvenv.cfg").is_file
    assert host.run(f"{PY} -m pip --version").rc == 0


def test_the_sdks_import_with_the_books_versions(host):
    code = ("import json, importlib.metadata as m, boto3, pandas, sagemaker; "
            "print(json.dumps({p: m.version(p) for p in ('boto3', 'sagemaker', 'pandas')}))")
    # the SDK logs INFO lines on import: the JSON is the last line
    versions = json.loads(host.check_output(f"{PY} -c \"{code}\"").splitlines()[-1])
    assert versions["sagemaker"].startswith("2.")
    assert set(versions) == {"boto3", "sagemaker", "pandas"}


def test_the_kernel_is_registered_for_the_user(host):
    specs = json.loads(host.check_output(f"{ENV}/bin/jupyter kernelspec list --json"))["kernelspecs"]
    assert specs["sagemaker"]["resource_dir"] == "/root/.local/share/jupyter/kernels/sagemaker"
    assert specs["sagemaker"]["spec"]["display_name"] == "Python (sagemaker)"
    assert specs["sagemaker"]["spec"]["argv"][0] == PY


def test_the_kernel_executes_code(run_in_kernel):
    code = ("import boto3, pandas, sagemaker, importlib.metadata as m; "
            "print('answer', 6 * 7, m.version('sagemaker'))")
    lines = run_in_kernel(PY, "sagemaker", code)
    assert any(line.startswith("answer 42 2.") for line in lines), lines


def test_jupyterlab_can_open_it(host):
    assert host.file(f"{ENV}/bin/jupyter-lab").is_executable
    assert host.run(f"{ENV}/bin/jupyter lab --version").rc == 0


def test_the_aws_cli_has_the_books_profile(host):
    assert host.run("/root/.local/bin/aws --version").rc == 0
    aws_dir, config = host.file("/root/.aws"), host.file("/root/.aws/config")
    assert aws_dir.is_directory and aws_dir.mode == 0o700
    assert config.mode == 0o600
    assert "[profile sagemaker]" in config.content_string
    assert "region = eu-west-1" in config.content_string
    assert "endpoint_url" not in config.content_string  # real AWS: no sandbox endpoint
    got = host.run("/root/.local/bin/aws configure get region --profile sagemaker")
    assert got.stdout.strip() == "eu-west-1"
