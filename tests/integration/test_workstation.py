"""The workstation playbook on this machine, for real: check mode, converge, idempotence,
validation with a kernel that executes code, and bad input refused before anything changes.

The environment and kernel go into a temporary folder (venv_parent, JUPYTER_DATA_DIR), so the
machine's own ~/workdir/sagemaker is never touched.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, cases_inventory, run_playbook

PLAYBOOK = "playbooks/workstation.yml"


# A made-up key pair (the sandbox accepts any): it must reach the profile and never the output.
ACCESS_KEY_ID = "AKIASAGELABTEST00001"
SECRET_ACCESS_KEY = "sAgElAbTeSt/SeCrEt+0123456789abcdefGHIJKL"


@pytest.fixture(scope="module")
def ws(tmp_path_factory, sandbox):
    root = tmp_path_factory.mktemp("ws")
    (root / "jupyter").mkdir()
    evars = {
        "venv_parent": str(root / "workdir"),
        "validate_report_dir": str(root / "reports"),
        "validate_cache_dir": str(root / "cache"),
        "sagemaker_sdk_config_path": str(root / "sdk" / "config.yaml"),  # not ~: tests run side by side
        # the AWS CLI and its profile, kept out of this machine's home, pointed at the sandbox
        "aws_cli_install_method": "pip",  # whatever this machine has on PATH, install our own
        "aws_cli_venv": str(root / "awscli"),
        "aws_cli_bin_dir": str(root / "bin"),
        "aws_cli_config_dir": str(root / "aws"),
        "sagelab_aws_endpoint_url": sandbox.endpoint_url,
        "aws_cli_access_key_id": ACCESS_KEY_ID,
        "aws_cli_secret_access_key": SECRET_ACCESS_KEY,
    }
    env = {"JUPYTER_DATA_DIR": str(root / "jupyter")}

    def run(*args, extra=None):
        return run_playbook(PLAYBOOK, *args, extra_vars={**evars, **(extra or {})}, env=env)

    return root, run


def snapshot(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*") if "reports" not in p.parts}


def test_check_mode_on_a_fresh_host_writes_nothing(ws):
    root, run = ws
    before = snapshot(root)
    res = run("--check", "--diff")
    assert res.rc == 0, res.stdout[-3000:]
    changed = res.changed_tasks()
    assert "Ensure the virtual environment exists (its parent folders too)" in changed
    assert "Ensure boto3, the SageMaker SDK and pandas are installed in the environment" in changed
    assert "Ensure the kernel is registered" in changed
    assert not (root / "workdir").exists()
    assert snapshot(root) == before


def test_converge_builds_a_validated_workstation(ws):
    root, run = ws
    res = run()
    assert res.rc == 0, res.stdout[-5000:]
    assert res.stats["localhost"]["changed"] > 0
    report = json.loads((root / "reports" / "localhost.json").read_text())
    assert report["ok"] is True, report
    assert report["versions"]["sagemaker"].split(".")[0] == "2"
    assert set(report["versions"]) == {"boto3", "sagemaker", "pandas"}
    assert report["kernel"] == {"name": "sagemaker", "display_name": "Python (sagemaker)",
                                "listed": True, "executed": True}
    aws = next(c for c in report["checks"] if c["name"] == "aws sagemaker list-endpoints")
    assert aws == {"name": "aws sagemaker list-endpoints", "ok": True,
                   "detail": "0 endpoints (profile sagemaker)"}
    kernel = json.loads((root / "jupyter" / "kernels" / "sagemaker" / "kernel.json").read_text())
    assert kernel["argv"][0] == str(root / "workdir" / "sagemaker" / "bin" / "python")
    assert (root / "workdir" / "sagemaker" / "bin" / "jupyter-lab").exists()


def test_the_aws_profile_is_private_and_the_secret_never_shown(ws):
    root, run = ws
    aws = root / "aws"
    assert oct(aws.stat().st_mode & 0o777) == "0o700"
    assert oct((aws / "credentials").stat().st_mode & 0o777) == "0o600"
    assert oct((aws / "config").stat().st_mode & 0o777) == "0o600"
    config = (aws / "config").read_text()
    assert "[profile sagemaker]" in config and "region = eu-west-1" in config
    assert "endpoint_url = http://127.0.0.1:" in config
    assert SECRET_ACCESS_KEY in (aws / "credentials").read_text()
    assert (root / "bin" / "aws").resolve() == (root / "awscli" / "bin" / "aws")


@pytest.fixture(scope="module")
def rerun(ws):
    """The converged host's second run: the most verbose, with diffs, every role running again (no fast
    path). One run for the two tests that read it (the secret never shows; nothing changes)."""
    _unused, run = ws
    started = time.monotonic()
    res = run("-vvv", "--diff", extra={"sagelab_fast_path": False})
    print(f"second run, every role: {time.monotonic() - started:.1f}s")
    return res


def test_the_secret_is_never_shown_even_at_the_most_verbose(rerun):
    assert rerun.rc == 0, rerun.stdout[-3000:]
    assert SECRET_ACCESS_KEY not in rerun.stdout + rerun.stderr


ROLE_TASKS = ["Ensure the virtual environment exists (its parent folders too)",
              "Ensure boto3, the SageMaker SDK and pandas are installed in the environment",
              "Ensure the kernel is registered",
              "Validate the environment from inside it (imports, versions, kernel listed and executing)"]


def test_second_run_changes_nothing(rerun):
    assert rerun.rc == 0, rerun.stdout[-3000:]
    assert rerun.stats["localhost"]["changed"] == 0, rerun.changed_tasks()  # every role ran, idempotent
    assert set(ROLE_TASKS) <= set(rerun.ran_tasks())


def test_a_converged_host_takes_the_fast_path(ws):
    root, run = ws
    (root / "reports" / "localhost.json").unlink()
    started = time.monotonic()
    res = run()
    took = time.monotonic() - started
    assert res.rc == 0, res.stdout[-3000:]
    assert res.stats["localhost"]["changed"] == 0, res.changed_tasks()
    assert not set(ROLE_TASKS) & set(res.ran_tasks()), res.ran_tasks()
    report = json.loads((root / "reports" / "localhost.json").read_text())  # written again
    assert report["ok"] and report["cached"] and report["kernel"]["executed"], report
    aws = next(c for c in report["checks"] if c["name"] == "aws sagemaker list-endpoints")
    assert aws["ok"] and aws["detail"] == "0 endpoints (profile sagemaker)"  # asked again, not kept
    assert oct((root / "cache" / "converged.json").stat().st_mode & 0o777) == "0o600"
    assert SECRET_ACCESS_KEY not in (root / "cache" / "converged.json").read_text()
    print(f"second run, fast path: {took:.1f}s")


def test_changed_input_or_a_changed_host_leaves_the_fast_path(ws):
    root, run = ws
    # another display name: the kernel would be rewritten (check mode: nothing changes)
    res = run("--check", extra={"jupyter_kernel_display_name": "SageMaker (lab)"})
    assert res.rc == 0, res.stdout[-3000:]
    assert res.changed_tasks() == ["Ensure the kernel is registered"]
    # pandas uninstalled behind sagelab's back: the next run installs it again and validates afresh
    python = root / "workdir" / "sagemaker" / "bin" / "python"
    subprocess.run([str(REPO / ".venv/bin/uv"), "pip", "uninstall", "-q", "--python", str(python), "pandas"],
                   check=True)
    res = run()
    assert res.rc == 0, res.stdout[-3000:]
    assert ROLE_TASKS[1] in res.changed_tasks()
    report = json.loads((root / "reports" / "localhost.json").read_text())
    assert report["ok"] and report["versions"]["pandas"], report
    # a kernel spec edited by hand: back to the roles, which put it right
    kernel_json = root / "jupyter" / "kernels" / "sagemaker" / "kernel.json"
    kernel_json.write_text(kernel_json.read_text().replace("Python (sagemaker)", "edited"))
    res = run()
    assert res.rc == 0, res.stdout[-3000:]
    assert res.changed_tasks() == ["Ensure the kernel is registered"]
    assert "Python (sagemaker)" in kernel_json.read_text()


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "every-role"])
def test_check_mode_on_a_converged_host_reports_no_change(ws, fast_path):
    root, run = ws
    before = snapshot(root)
    res = run("--check", "--diff", extra={"sagelab_fast_path": fast_path})
    assert res.rc == 0, res.stdout[-3000:]
    assert res.changed_tasks() == []
    assert snapshot(root) == before


def test_validate_playbook_checks_afresh(ws):
    root, run = ws
    res = run_playbook("playbooks/validate.yml", extra_vars={
        "validate_env_path": str(root / "workdir" / "sagemaker"),
        "validate_report_dir": str(root / "fresh")},
        env={"JUPYTER_DATA_DIR": str(root / "jupyter")})
    assert res.rc == 0, res.stdout[-3000:]
    report = json.loads((root / "fresh" / "localhost.json").read_text())
    assert report["ok"] and report["cached"] is False and report["kernel"]["executed"]


def test_a_broken_environment_fails_validation_with_the_reason(ws, tmp_path):
    root, _unused = ws
    env_path = root / "workdir" / "sagemaker"
    res = run_playbook("playbooks/validate.yml", extra_vars={
        "validate_env_path": str(env_path), "validate_report_dir": str(tmp_path),
        "validate_packages": ["boto3", "no_such_module"]},
        env={"JUPYTER_DATA_DIR": str(root / "jupyter")})
    assert res.rc != 0
    report = json.loads((tmp_path / "localhost.json").read_text())
    assert report["ok"] is False
    failed = {c["name"] for c in report["checks"] if not c["ok"]}
    assert failed == {"no_such_module installed", "import no_such_module"}
    assert any("import no_such_module" in m for m in res.failure_messages())


def fake_python(folder: Path, version: str) -> str:
    """An interpreter that reports an old version to the python role's probe."""
    exe = folder / "python3.8"
    probe = json.dumps({"executable": str(exe), "version": version, "venv": True, "uv": ""})
    exe.write_text(f"#!/bin/sh\necho '{probe}'\n")
    exe.chmod(0o755)
    return str(exe)


BAD_INPUT = [
    ("venv_name", "team/sagemaker", "venv_name: 'team/sagemaker' is not allowed"),
    ("venv_name", "sage maker", "venv_name: 'sage maker' is not allowed"),
    ("sagelab_route", "docker", "sagelab_route: 'docker' is not a known route; allowed: venv"),
    ("sagemaker_sdk_major", 4, "sagemaker_sdk_major: '4' is not supported; allowed: 2"),
    ("sagemaker_sdk_major", "two", "sagemaker_sdk_major"),
    ("sagemaker_sdk_version", "3.1.0", "sagemaker_sdk_version: '3.1.0' is not allowed"),
    ("sagemaker_sdk_extra_packages", ["scikit-learn>>=1"], "'scikit-learn>>=1' is not a valid requirement"),
    ("sagemaker_sdk_packages", ["boto3", "pandas ==="], "'pandas ===' is not a valid requirement"),
    ("jupyter_kernel_name", "Sage Maker", "jupyter_kernel_name: 'Sage Maker' is not a valid kernel name"),
    ("jupyter_kernel_scope", "global", "jupyter_kernel_scope"),
    ("jupyter_kernel_env", {"AWS=PROFILE": "sagemaker"}, "{'AWS=PROFILE': 'sagemaker'} is not allowed"),
    ("jupyter_kernel_env", {"AWS_PROFILE": ["sagemaker"]}, "to string values, e.g. {AWS_PROFILE: sagemaker}"),
    ("python_uv_version", "latest", "python_uv_version: 'latest' is not an exact release"),
    ("validate_timeout", 0, "validate_timeout: '0' is not allowed"),
]
MISSING_INTERPRETER = "localhost"  # its message names the host


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """Every bad-input case of this file in ONE run of the workstation playbook (one Ansible start-up, not
    one per case): a host per case (tests/conftest.py cases_inventory), each with its own empty folder and
    the case's variables, so each host is refused, or not, on its own, and the run shows what ran on it."""
    root = tmp_path_factory.mktemp("refused")
    (root / "fakes").mkdir()
    cases = {f"bad-{i}": {var: value, "validate_report_dir": "reports"}
             for i, (var, value, _unused) in enumerate(BAD_INPUT)}
    cases["old-python"] = {"python_interpreter": fake_python(root / "fakes", "3.8.10")}
    cases[MISSING_INTERPRETER] = {"python_interpreter": "python3.99"}
    cases["not-a-venv"] = {}
    for host, variables in cases.items():
        folder = root / "cases" / host
        folder.mkdir(parents=True)
        variables["venv_parent"] = str(folder / "workdir")
        if "validate_report_dir" in variables:
            variables["validate_report_dir"] = str(folder / "reports")
    target = root / "cases" / "not-a-venv" / "workdir" / "sagemaker"
    target.mkdir(parents=True)
    (target / "notes.txt").write_text("mine")
    run = run_playbook(PLAYBOOK, "-i", str(cases_inventory(root, cases)),
                       env={"JUPYTER_DATA_DIR": str(root / "jupyter")})
    assert set(run.stats) == set(cases), run.stdout[-3000:] + run.stderr[-3000:]
    assert run.rc == 2  # hosts failed (not an error of the run itself)
    assert not (root / "jupyter").exists()
    return root / "cases", run


def refused_host(refused, host: str) -> tuple[Path, str]:
    """The host's folder and its failures' messages; the host must have failed and changed nothing."""
    cases, run = refused
    assert run.stats[host]["failures"] == 1, (host, run.stats[host])
    assert run.stats[host]["changed"] == 0, (host, run.changed_tasks(host))
    return cases / host, " ".join(run.failure_messages(host))


@pytest.mark.parametrize(("case", "var", "message"),
                         [(i, var, msg) for i, (var, _unused, msg) in enumerate(BAD_INPUT)],
                         ids=[f"{v}={val}" for v, val, _unused in BAD_INPUT])
def test_bad_input_is_refused_before_anything_changes(refused, case, var, message):
    folder, msgs = refused_host(refused, f"bad-{case}")
    assert message in msgs, msgs
    assert var in msgs
    assert sorted(p.name for p in folder.iterdir()) == [], "something was changed"


def test_python_older_than_the_sdk_supports_is_refused(refused):
    folder, msgs = refused_host(refused, "old-python")
    assert "python_interpreter: Python 3.8.10 is older than SageMaker SDK 2 supports" in msgs, msgs
    assert not (folder / "workdir").exists()


def test_an_interpreter_that_does_not_exist_is_refused_before_any_install(refused):
    """python3.99 is no package the python role could install: it ran the become package task and ended in
    "Error executing command."; now the preflight names the variable, and no role task runs."""
    folder, _unused = refused_host(refused, MISSING_INTERPRETER)
    run = refused[1]
    msgs = run.failure_messages(MISSING_INTERPRETER)
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith("python_interpreter: 'python3.99' does not exist on localhost (not a command "
                              "on PATH, not a file that runs)"), msgs
    assert "allowed: an interpreter that exists" in msgs[0] and "Error executing command" not in msgs[0]
    ran = run.ran_tasks(MISSING_INTERPRETER)
    assert "Ensure the interpreter and venv support are installed (distro packages, become only here)" \
        not in ran, ran
    assert sorted(p.name for p in folder.iterdir()) == []


def test_a_path_that_is_not_a_venv_is_refused(refused):
    folder, msgs = refused_host(refused, "not-a-venv")
    target = folder / "workdir" / "sagemaker"
    assert f"'{target}' exists but is not a Python virtual environment" in msgs, msgs
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
