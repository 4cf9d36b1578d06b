"""sagelab.sagemaker.jupyter_kernelspec: real ad-hoc `ansible` runs against a real venv with ipykernel."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ansible_module

pytestmark = pytest.mark.subprocess  # runs Ansible, the sandbox or another program

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
MODULE = "sagelab.sagemaker.jupyter_kernelspec"
LOGOS = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")


def uv(*args: str, cwd: Path) -> None:
    env = dict(os.environ, UV_SYSTEM_CERTS="1")
    subprocess.run([str(VENV_BIN / "uv"), *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture(scope="session")
def envs(tmp_path_factory) -> dict[str, Path]:
    """A venv with ipykernel (and so jupyter_client) and a bare venv without it."""
    root = tmp_path_factory.mktemp("kernel-envs")
    uv("venv", "--quiet", str(root / "kernel"), cwd=root)
    uv("pip", "install", "--quiet", "--python", str(root / "kernel" / "bin" / "python"),
       "ipykernel", "jupyter_client", cwd=root)
    uv("venv", "--quiet", str(root / "bare"), cwd=root)
    return {"kernel": root / "kernel" / "bin" / "python", "bare": root / "bare" / "bin" / "python"}


def run_module(args: dict, *, check: bool = False, diff: bool = False, env: dict | None = None,
               fails: bool = False) -> dict:
    clean = {"JUPYTER_DATA_DIR": None, "XDG_DATA_HOME": None}
    return ansible_module(MODULE, args, check=check, diff=diff, env={**clean, **(env or {})}, fails=fails)


def mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(directory.iterdir())}


def test_lifecycle_and_real_kernel(envs, tmp_path):
    python = str(envs["kernel"])
    data_dir = tmp_path / "jupyter"
    jenv = {"JUPYTER_DATA_DIR": str(data_dir), "HOME": str(tmp_path / "home")}
    kernel_dir = data_dir / "kernels" / "sm-test"
    spec_file = kernel_dir / "kernel.json"
    args = {"name": "sm-test", "display_name": "SageMaker test", "python": python}

    # check mode on a fresh machine: would change, writes nothing
    res = run_module(args, check=True, diff=True, env=jenv)
    assert res["changed"] is True
    assert res["diff"]["before"] == "" and '"SageMaker test"' in res["diff"]["after"]
    assert not data_dir.exists()

    # present
    res = run_module(args, diff=True, env=jenv)
    assert res["changed"] is True, res
    assert res["kernel"]["resource_dir"] == str(kernel_dir)
    spec = json.loads(spec_file.read_text())
    assert spec == {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "SageMaker test",
        "language": "python",
        "metadata": {"debugger": True},
    }
    assert res["kernel"]["spec"] == spec and res["kernel"]["name"] == "sm-test"
    assert res["diff"]["before"] == ""
    for logo in LOGOS:
        assert (kernel_dir / logo).stat().st_size > 0
    assert oct(kernel_dir.stat().st_mode & 0o777) == oct(0o755)
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in kernel_dir.iterdir())
    before = mtimes(kernel_dir)

    # present again: nothing changes, nothing written
    res = run_module(args, env=jenv)
    assert res["changed"] is False, res
    assert mtimes(kernel_dir) == before

    # display_name change in check mode: would change, file untouched
    changed_args = dict(args, display_name="SageMaker renamed")
    res = run_module(changed_args, check=True, diff=True, env=jenv)
    assert res["changed"] is True
    assert '"SageMaker test"' in res["diff"]["before"] and '"SageMaker renamed"' in res["diff"]["after"]
    assert mtimes(kernel_dir) == before
    assert json.loads(spec_file.read_text())["display_name"] == "SageMaker test"

    # the real change, with diff; logos are left alone
    res = run_module(changed_args, diff=True, env=jenv)
    assert res["changed"] is True
    assert '"SageMaker test"' in res["diff"]["before"] and '"SageMaker renamed"' in res["diff"]["after"]
    assert json.loads(spec_file.read_text())["display_name"] == "SageMaker renamed"
    after = mtimes(kernel_dir)
    assert after["kernel.json"] != before["kernel.json"]
    assert all(after[logo] == before[logo] for logo in LOGOS)
    assert run_module(changed_args, env=jenv)["changed"] is False

    # Jupyter itself sees the kernel ...
    proc = subprocess.run([str(Path(python).parent / "jupyter"), "kernelspec", "list", "--json"],
                          env=dict(os.environ, **jenv), capture_output=True, text=True, check=True)
    listed = json.loads(proc.stdout)["kernelspecs"]
    assert listed["sm-test"]["resource_dir"] == str(kernel_dir)
    assert listed["sm-test"]["spec"]["display_name"] == "SageMaker renamed"

    # ... and a KernelManager started by that name runs code in it
    script = (
        "import sys\n"
        "from jupyter_client.manager import KernelManager\n"
        "km = KernelManager(kernel_name='sm-test')\n"
        "km.start_kernel()\n"
        "out = []\n"
        "try:\n"
        "    kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)\n"
        "    def hook(msg):\n"
        "        if msg['msg_type'] == 'stream': out.append(msg['content']['text'])\n"
        "    reply = kc.execute_interactive('print(6*7)', output_hook=hook, timeout=60)\n"
        "    assert reply['content']['status'] == 'ok', reply\n"
        "    kc.stop_channels()\n"
        "finally:\n"
        "    km.shutdown_kernel(now=True)\n"
        "print('RESULT=' + ''.join(out).strip())\n"
    )
    proc = subprocess.run([python, "-c", script], env=dict(os.environ, **jenv),
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "RESULT=42" in proc.stdout

    # absent (check mode first), then absent again
    res = run_module({"name": "sm-test", "state": "absent"}, check=True, diff=True, env=jenv)
    assert res["changed"] is True and res["diff"]["after"] == ""
    assert spec_file.exists()
    res = run_module({"name": "sm-test", "state": "absent"}, diff=True, env=jenv)
    assert res["changed"] is True
    assert '"SageMaker renamed"' in res["diff"]["before"] and res["diff"]["after"] == ""
    assert not kernel_dir.exists()
    res = run_module({"name": "sm-test", "state": "absent"}, env=jenv)
    assert res["changed"] is False


def test_options_env_argv_extra_and_metadata(envs, tmp_path):
    python = str(envs["kernel"])
    kernels = tmp_path / "kernels"
    args = {"name": "sm.opts_1", "python": python, "kernels_dir": str(kernels),
            "env": {"AWS_REGION": "eu-west-1", "N": 3},
            "argv_extra": ["--IPKernelApp.matplotlib=inline"], "metadata": {"debugger": False}}
    res = run_module(args)
    assert res["changed"] is True, res
    spec = json.loads((kernels / "sm.opts_1" / "kernel.json").read_text())
    assert spec["argv"][-1] == "--IPKernelApp.matplotlib=inline"
    assert spec["env"] == {"AWS_REGION": "eu-west-1", "N": "3"}
    assert spec["metadata"] == {"debugger": False}
    assert spec["display_name"] == "sm.opts_1"
    assert run_module(args)["changed"] is False


def test_user_scope_honours_xdg_data_home(envs, tmp_path):
    xdg = tmp_path / "xdg"
    res = run_module({"name": "sm-xdg", "python": str(envs["kernel"])}, check=True,
                     env={"XDG_DATA_HOME": str(xdg), "HOME": str(tmp_path / "home")})
    assert res["changed"] is True
    assert res["kernel"]["resource_dir"] == str(xdg / "jupyter" / "kernels" / "sm-xdg")
    assert not xdg.exists()


def test_user_scope_goes_to_the_named_home_not_HOME(envs, tmp_path):
    """home: the kernel goes beside the environment and the AWS profile even where $HOME is another
    folder (sudo -E, CI containers); Jupyter run with that home lists it."""
    home, other = tmp_path / "account", tmp_path / "other"
    args = {"name": "sm-home", "python": str(envs["kernel"]), "home": str(home)}
    res = run_module(args, env={"HOME": str(other)})
    kernel_dir = home / ".local" / "share" / "jupyter" / "kernels" / "sm-home"
    assert res["changed"] is True and res["kernel"]["resource_dir"] == str(kernel_dir)
    assert (kernel_dir / "kernel.json").is_file() and not (other / ".local" / "share" / "jupyter").exists()
    assert run_module(args, env={"HOME": str(other)})["changed"] is False
    jupyter = envs["kernel"].with_name("jupyter")
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_DATA_DIR", "XDG_DATA_HOME")}
    listed = subprocess.run([str(jupyter), "kernelspec", "list", "--json"], env={**env, "HOME": str(home)},
                            capture_output=True, text=True, check=True)
    assert json.loads(listed.stdout)["kernelspecs"]["sm-home"]["resource_dir"] == str(kernel_dir)


def test_sys_prefix_scope(envs, tmp_path):
    res = run_module({"name": "sm-prefix", "python": str(envs["kernel"]), "scope": "sys_prefix"}, check=True)
    assert res["changed"] is True
    prefix = envs["kernel"].parent.parent
    assert res["kernel"]["resource_dir"] == str(prefix / "share" / "jupyter" / "kernels" / "sm-prefix")


@pytest.mark.parametrize("name, words", [
    ("my kernel", ["name", "'my kernel'", "letters, digits"]),
    ("a/b", ["name", "'a/b'", "letters, digits"]),
    ("..", ["name", "'..'"]),
    ("SageMaker", ["name", "'SageMaker'", "uppercase", "'sagemaker'"]),
])
def test_bad_name_fails_before_writing(envs, tmp_path, name, words):
    res = run_module({"name": name, "python": str(envs["kernel"]), "kernels_dir": str(tmp_path / "k")},
                     fails=True)
    for word in words:
        assert word in res["msg"]
    assert not (tmp_path / "k").exists()


def test_missing_python_fails(tmp_path):
    missing = str(tmp_path / "nope" / "bin" / "python")
    res = run_module({"name": "sm", "python": missing, "kernels_dir": str(tmp_path / "k")}, fails=True)
    assert res["msg"].startswith("python:") and missing in res["msg"] and "does not exist" in res["msg"]
    assert not (tmp_path / "k").exists()


def test_python_required_for_present(tmp_path):
    res = run_module({"name": "sm", "kernels_dir": str(tmp_path / "k")}, fails=True)
    assert "python" in res["msg"] and "required" in res["msg"]


def test_python_not_executable_fails(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("")
    fake.chmod(0o644)
    res = run_module({"name": "sm", "python": str(fake), "kernels_dir": str(tmp_path / "k")}, fails=True)
    assert str(fake) in res["msg"] and "not executable" in res["msg"]


def test_python_without_ipykernel_fails(envs, tmp_path):
    bare = str(envs["bare"])
    res = run_module({"name": "sm", "python": bare, "kernels_dir": str(tmp_path / "k")}, fails=True)
    assert "python" in res["msg"] and bare in res["msg"] and "ipykernel is missing" in res["msg"]
    assert not (tmp_path / "k").exists()


def test_bad_env_value_fails(envs, tmp_path):
    res = run_module({"name": "sm", "python": str(envs["kernel"]), "kernels_dir": str(tmp_path / "k"),
                      "env": {"A": {"nested": 1}}}, fails=True)
    assert res["msg"].startswith("env:") and "nested" in res["msg"] and "string" in res["msg"]
    assert not (tmp_path / "k").exists()
