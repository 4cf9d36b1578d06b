"""The conda route as a user meets it inside each container (testinfra over `podman exec`)."""

from __future__ import annotations

import json

ENV = "/root/workdir/conda/envs/conda-sagemaker"
PY = f"{ENV}/bin/python"

KERNEL_RUN = """
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="condasagemaker", startup_timeout=120)
out = []
try:
    code = ("import sys, boto3, pandas, sagemaker, importlib.metadata as m; "
            "print('answer', 6 * 7, m.version('sagemaker'), sys.prefix)")
    reply = kc.execute_interactive(
        code, output_hook=lambda msg: out.append(msg["content"].get("text", "")), timeout=120)
    print(reply["content"]["status"], "".join(out))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
"""


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


def test_the_kernel_executes_code(host):
    cmd = host.run(f"cat > /tmp/kernel_run.py <<'PYEOF'\n{KERNEL_RUN}\nPYEOF\n{PY} /tmp/kernel_run.py")
    assert cmd.rc == 0, cmd.stderr
    lines = cmd.stdout.splitlines()
    assert lines[0].startswith("ok "), cmd.stdout
    assert any(line.startswith("answer 42 2.") and line.endswith(ENV) for line in lines), cmd.stdout
