"""Drills 2 and 5 on this machine: a workstation converge killed half-way, and check-mode accuracy of
playbooks/workstation.yml, in one temporary folder (environment, kernel, reports; the AWS CLI role is
left out: sagelab_aws_cli_enabled=false, its profile and secret are drilled in tests/integration/
test_workstation.py). No container: the "host" is localhost, as in scripts/up.

1. --check on the fresh target writes nothing (every file under the folder compared before and after).
2. A real converge is killed (SIGKILL to ansible-playbook and everything it started, uv included) in
   the middle of the SDK install (uv installing one package at a time, killed once 8 are in): the
   environment is half-built, perhaps with a package half-copied (python_packages repairs those).
3. --check on that half-built target writes nothing, and foretells exactly the tasks the real run that
   follows changes; that run completes and validation passes (imports, versions, the kernel executes).
   What the killed run changed plus what the rerun changed is what check mode foretold on the fresh
   target: check mode was right on the fresh target too.
4. --check on the converged target foretells no change, and the real run that follows changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO, ansible_env, run_playbook

PLAYBOOK = "playbooks/workstation.yml"
KILL_AT = "TASK [sagelab.sagemaker.sagemaker_sdk : Ensure boto3, the SageMaker SDK and pandas are installed"


def snapshot(root: Path) -> dict[str, tuple[int, float]]:
    """Every file and folder with its size and time; the validation report excepted (validate writes its
    report in check mode too: it reports, it changes nothing)."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime) for p in root.rglob("*")
            if "reports" not in p.parts}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws-drill")
    (root / "jupyter").mkdir()
    evars = {"venv_parent": str(root / "workdir"), "validate_report_dir": str(root / "reports"),
             "validate_cache_dir": str(root / "cache"), "sagelab_aws_cli_enabled": False,
             "sagemaker_sdk_config_path": str(root / "sdk" / "config.yaml")}  # not this machine's ~
    env = {"JUPYTER_DATA_DIR": str(root / "jupyter")}

    def run(*args: str):
        return run_playbook(PLAYBOOK, *args, extra_vars=evars, env=env)

    return {"root": root, "run": run, "evars": evars, "env": env, "seen": {}}


def checked(ws, ok: bool = True):
    """The tasks a --check run reports changed (and the run); it must write nothing."""
    root = ws["root"]
    before = snapshot(root)
    result = ws["run"]("--check", "--diff")
    if ok:
        assert result.rc == 0, result.failure_messages() or result.stdout[-3000:]
    assert snapshot(root) == before, "check mode wrote something"
    return result.changed_tasks(), result


def test_check_mode_on_a_fresh_host_writes_nothing(ws):
    foretold, _unused = checked(ws)
    assert "Ensure boto3, the SageMaker SDK and pandas are installed in the environment" in foretold
    assert not (ws["root"] / "workdir").exists()
    ws["seen"]["fresh"] = foretold


def test_a_converge_killed_half_way_is_completed_by_the_rerun_and_validates(ws):
    fresh = ws["seen"].get("fresh") or pytest.skip("needs the fresh check")
    root = ws["root"]
    cmd = [str(BIN / "ansible-playbook"), str(REPO / PLAYBOOK), "-e", json.dumps(ws["evars"])]
    # uv installs one package at a time, so the kill lands in the middle of the install: with its cache
    # warm and in parallel, uv can finish before a kill timed by the clock, and the task's changes are
    # then made but reported by no run
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK="default", PYTHONUNBUFFERED="1", UV_CONCURRENT_INSTALLS="1",
                      **ws["env"])
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    lines: list[str] = []
    killed = False
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith(KILL_AT):
                # kill once uv has installed a handful of the SDK's packages (pip and its seeds aside)
                assert wait_for_installs(root / "workdir" / "sagemaker", 8), "uv installed nothing"
                kill_tree(proc.pid)
                killed = True
                break
    finally:
        if not killed:
            kill_tree(proc.pid)
        proc.wait(30)
    assert killed, "the run ended before the SDK install began:\n" + "\n".join(lines[-30:])
    done_before_kill = changed_in_default_output(lines)
    assert (root / "workdir" / "sagemaker" / "pyvenv.cfg").exists()  # half-built: the environment exists

    foretold, check_run = checked(ws, ok=False)
    rerun = ws["run"]()
    assert rerun.rc == 0, (rerun.failure_messages(), rerun.changed_tasks(), foretold, done_before_kill)
    report = json.loads((root / "reports" / "localhost.json").read_text())
    assert report["ok"] is True, report
    assert report["kernel"]["executed"] is True
    assert sorted(set(done_before_kill) | set(rerun.changed_tasks())) == sorted(set(fresh)), \
        "on the fresh host check mode foretold other changes than the two runs made"
    print(f"killed after {len(done_before_kill)} changed tasks; rerun changed {len(rerun.changed_tasks())}")
    assert check_run.rc == 0, check_run.failure_messages()
    assert rerun.changed_tasks() == foretold, "check mode foretold other changes than the rerun made"


def wait_for_installs(venv: Path, count: int, timeout: float = 300) -> bool:
    """Wait until `count` more distributions than the environment's seeds are in venv (True), or the
    timeout passed (False)."""
    seeds = {"pip", "setuptools", "wheel"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = {p.name.split("-")[0].lower() for p in venv.glob("lib/python3*/site-packages/*.dist-info")}
        if len(names - seeds) >= count:
            return True
        time.sleep(0.02)
    return False


def descendants(pid: int) -> set[int]:
    """pid and every process started under it (from /proc), whatever its process group or session."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat_file.parent.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += children.get(current, [])
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL ansible-playbook and everything it started (modules, uv), as a power cut would: the whole
    tree is frozen first (SIGSTOP), so nothing is orphaned out of reach, then killed."""
    frozen: set[int] = set()
    for _unused in range(3):
        for member in descendants(pid) - frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGSTOP)
            frozen.add(member)
    for member in frozen:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


def changed_in_default_output(lines: list[str]) -> list[str]:
    """Names of the tasks the default callback reported changed (without the role prefix)."""
    names, task = [], None
    for line in lines:
        if line.startswith("TASK ["):
            task = line[len("TASK ["):line.rindex("]")].rpartition(" : ")[2]
        elif line.startswith("changed: [localhost]") and task and task not in names:
            names.append(task)
    return names


def test_check_mode_on_the_converged_host_foretells_nothing_and_nothing_changes(ws):
    ws["seen"].get("fresh") or pytest.skip("needs the fresh check")
    assert checked(ws)[0] == []
    again = ws["run"]()
    assert again.rc == 0 and again.changed_tasks() == [], again.changed_tasks()
