"""The CLI as a user who does not clone gets it: the wheel built from this checkout, installed into a fresh
venv (as `uv tool install` / `pipx install` do), and `sagelab up --no-aws` run from an empty folder. The
wheel carries the collection; the dependency collections are installed on first run into the state
folder; state goes to $XDG_STATE_HOME/sagelab — nothing into the install folder or the working folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import BIN, REPO

UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or "~/.cache/uv").expanduser()  # this machine's warm cache


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_wheel_in_a_fresh_venv_runs_up_from_an_empty_folder(tmp_path):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "UV_CACHE_DIR": str(UV_CACHE), "UV_SYSTEM_CERTS": "1",
           "UV_NO_PROGRESS": "1", "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    for key in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT"):
        if key in os.environ:
            env[key] = os.environ[key]

    def uv(*args: str) -> None:
        proc = subprocess.run([str(BIN / "uv"), *args], env=env, capture_output=True, text=True, cwd=tmp_path,
                              timeout=600, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]

    uv("build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(REPO))
    (wheel,) = (tmp_path / "dist").glob("sagelab-*.whl")
    # the versions uv.lock pins (what the tool set is tested with), so the install comes from the cache
    pins = subprocess.run([str(BIN / "uv"), "export", "--frozen", "--no-hashes", "--no-emit-project",
                           "--no-dev"], cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    (tmp_path / "constraints.txt").write_text(pins)
    venv = tmp_path / "tool"
    uv("venv", "--quiet", "--python", sys.executable, str(venv))
    uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-c",
       str(tmp_path / "constraints.txt"), str(wheel))
    installed = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    before = tree(installed / "sagelab")
    assert (installed / "sagelab/_collection/ansible_collections/sagelab/sagemaker/playbooks/workstation.yml"
            ).is_file()
    assert {p.name for p in (installed / "sagelab" / "sandbox").glob("*.py")} == \
        {p.name for p in (REPO / "src" / "sagelab" / "sandbox").glob("*.py")}

    work, home = tmp_path / "empty", tmp_path / "home"
    work.mkdir()
    run_env = {**env, "SAGELAB_GALAXY": "0",  # Galaxy is unreachable here: straight to the ansible wheel
               "PATH": f"{venv / 'bin'}:{env['PATH']}"}
    proc = subprocess.run([str(venv / "bin" / "sagelab"), "up", "--no-aws", "--json",
                           "-e", json.dumps({"sagelab_home": str(home)})],
                          cwd=work, env=run_env, capture_output=True, text=True, timeout=1500, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    validation = doc["hosts"]["localhost"]["validation"]
    assert validation["ok"] is True and validation["kernel"]["executed"] is True, validation
    assert validation["env_path"] == str(home / "workdir" / "sagemaker")
    state = home / ".local" / "state" / "sagelab" / ".sagelab"
    assert Path(doc["artifacts"]).is_relative_to(state / "artifacts")
    assert (state / "collections/ansible_collections/amazon/aws/MANIFEST.json").is_file()
    assert list(work.iterdir()) == []
    # the sandbox package as installed: its server process starts from the wheel's files and answers
    sandbox_env = {**run_env, "SAGELAB_HOME": str(tmp_path / "sandbox-home")}

    def sandbox(verb: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv / "bin" / "sagelab"), "sandbox", verb], cwd=work, env=sandbox_env,
                              capture_output=True, text=True, timeout=120, check=False)

    try:
        started = sandbox("start")
        assert started.returncode == 0, started.stdout + started.stderr
        assert sandbox("status").returncode == 0
    finally:
        stopped = sandbox("stop")
    assert stopped.stdout.strip() == "Sandbox stopped."
    assert tree(installed / "sagelab") == before, "the CLI wrote into its install folder"
