"""`sagelab workstation --route conda` on this machine, for real, against the local file:// channel:
py-rattler builds conda-sagemaker (no conda binary), the SDK comes with pip inside it, the kernel
`condasagemaker` executes code, validation passes; a second run changes nothing.

The env and kernel go into a temporary folder (conda_root_prefix, JUPYTER_DATA_DIR)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conda_channel import conda_channel  # noqa: F401  # pylint: disable=unused-import
from tests.conftest import REPO, ansible_env

SAGELAB = Path(sys.executable).parent / "sagelab"


@pytest.fixture(scope="module")
def conda_ws(tmp_path_factory, conda_channel):  # noqa: F811
    root = tmp_path_factory.mktemp("conda-ws")
    (root / "jupyter").mkdir()
    evars = {"conda_root_prefix": str(root / "conda"), "conda_channels": [conda_channel],
             "conda_lock_file": str(root / "conda-sagemaker.lock"),
             "validate_cache_dir": str(root / "cache"),
             "sagelab_aws_cli_enabled": False}
    env = ansible_env(JUPYTER_DATA_DIR=str(root / "jupyter"))

    def run(*args: str) -> tuple[dict, float]:
        started = time.monotonic()
        argv = [str(SAGELAB), "workstation", "--route", "conda", "-e", json.dumps(evars), "--json", *args]
        proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800,
                              check=False)
        took = time.monotonic() - started
        try:
            return json.loads(proc.stdout), took
        except ValueError:
            pytest.fail(f"no JSON from sagelab (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n"
                        f"{proc.stderr[-3000:]}")

    return root, run


def test_converge_builds_a_validated_conda_workstation(conda_ws):
    root, run = conda_ws
    doc, took = run()
    host = doc["hosts"]["localhost"]
    assert doc["rc"] == 0 and not host["failed"], host["failures"]
    assert host["changed"] > 0
    print(f"converge: {took:.1f}s")
    report = host["validation"]  # the validate role's report (the CLI keeps it in its artifacts)
    env = root / "conda" / "envs" / "conda-sagemaker"
    assert report["ok"] is True, report
    assert report["route"] == "conda" and report["env_path"] == str(env)
    assert set(report["versions"]) == {"boto3", "sagemaker", "pandas"}
    assert report["versions"]["sagemaker"].startswith("2.")
    assert report["kernel"] == {"name": "condasagemaker", "display_name": "Python (condasagemaker)",
                                "listed": True, "executed": True}
    kernel = json.loads((root / "jupyter" / "kernels" / "condasagemaker" / "kernel.json").read_text())
    assert kernel["argv"][0] == str(env / "bin" / "python")
    assert (env / "conda-meta").is_dir()
    lock = (root / "conda-sagemaker.lock").read_text()
    assert "@EXPLICIT" in lock and "/linux-64/python-3." in lock


def test_the_env_activates_without_conda(conda_ws):
    root, _unused = conda_ws
    env = root / "conda" / "envs" / "conda-sagemaker"
    out = subprocess.run(["bash", "-c", f"source {env}/bin/activate && command -v python && "
                          "python -c 'import boto3, pandas; print(\"imports ok\")' && deactivate && "
                          "echo ${CONDA_PREFIX:-gone}"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(root)},
                         check=False)
    assert out.stdout.splitlines() == [f"{env}/bin/python", "imports ok", "gone"], out.stderr


def test_second_run_changes_nothing(conda_ws):
    _unused, run = conda_ws
    doc, took = run()
    host = doc["hosts"]["localhost"]
    assert doc["rc"] == 0 and not host["failed"], host["failures"]
    assert host["changed"] == 0
    print(f"second run: {took:.1f}s")
