"""The conda route as a user meets it inside each container (testinfra over `podman exec`)."""

from __future__ import annotations

import json

ENV = "/root/workdir/conda/envs/conda-sagemaker"
PY = f"{ENV}/bin/python"


def test_the_environment_is_a_conda_env_without_conda(host):
    assert host.file(f"{ENV}/conda-meta").is_directory
    assert host.run(f"ls {ENV}/conda-meta/python-3*.json").rc == 0
    for binary in ("conda", "mamba", "micromamba"):
        assert host.run(f"command -v {binary}").rc != 0
    # the env's python is the channel's, not the container's
    assert host.check_output(f"{PY} -c 'import sys; print(sys.prefix)'") == ENV


def test_boto3_and_pandas_came_from_conda_and_sagemaker_from_pip(host):
    code = ("import json, importlib.metadata as m, boto3, pandas, sagemaker; "
            "print(json.dumps({p: m.distribution(p).read_text('INSTALLER').strip() "
            "for p in ('boto3', 'pandas', 'sagemaker')}))")
    installers = json.loads(host.check_output(f"{PY} -c \"{code}\"").splitlines()[-1])
    assert installers["boto3"] == "conda" and installers["pandas"] == "conda"
    assert installers["sagemaker"] in ("uv", "pip")


def test_the_activate_script_works_without_conda(host):
    out = host.check_output(f"bash -c 'source {ENV}/bin/activate && command -v python && echo $CONDA_PREFIX'")
    assert out.splitlines() == [f"{ENV}/bin/python", ENV]


def test_the_kernel_is_registered_for_the_user(host):
    specs = json.loads(host.check_output(f"{ENV}/bin/jupyter kernelspec list --json"))["kernelspecs"]
    spec = specs["condasagemaker"]
    assert spec["resource_dir"] == "/root/.local/share/jupyter/kernels/condasagemaker"
    assert spec["spec"]["display_name"] == "Python (condasagemaker)"
    assert spec["spec"]["argv"][0] == PY


def test_the_kernel_executes_code(run_in_kernel):
    code = ("import sys, boto3, pandas, sagemaker, importlib.metadata as m; "
            "print('answer', 6 * 7, m.version('sagemaker'), sys.prefix)")
    lines = run_in_kernel(PY, "condasagemaker", code)
    assert any(line.startswith("answer 42 2.") and line.endswith(ENV) for line in lines), lines
