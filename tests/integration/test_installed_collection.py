"""The collection as an Ansible user gets it: the tarball `ansible-galaxy collection build` makes,
installed into an empty collections path, its workstation playbook run from a folder outside the
repository with no repository ansible.cfg — and with $HOME naming another folder than the managed user's
home (sudo -E, CI containers), so one converge proves both:

- it converges, a second run changes nothing, and nothing is written under the installed collection;
- controller-side outputs (the validation report) go to the controller user's $XDG_STATE_HOME/sagelab;
- the venv, the kernel, the AWS CLI with its profile and the installers' download caches all land in
  sagelab_home, the validation finds them there (kernel listed and executed, `aws sagemaker
  list-endpoints` answering), nothing in $HOME.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, REPO, ansible_env

ACCESS_KEY_ID = "AKIASAGELABTEST00002"
SECRET_ACCESS_KEY = "sAgElAbTeSt/SeCrEt+installed0123456789abcd"
DEPENDENCIES = ("amazon", "ansible", "community", "containers")  # bootstrapped into .collections/


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if not p.is_symlink()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The built tarball installed into an empty collections path; the dependency collections beside it
    (Galaxy is unreachable here: the ones scripts/bootstrap took from the ansible wheel)."""
    root = tmp_path_factory.mktemp("installed")
    build = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                            str(root / "dist"), str(REPO)], capture_output=True, text=True, cwd=root,
                           check=False)
    assert build.returncode == 0, build.stderr
    (tarball,) = (root / "dist").glob("sagelab-sagemaker-*.tar.gz")
    collections = root / "collections"
    (collections / "ansible_collections").mkdir(parents=True)
    for namespace in DEPENDENCIES:
        (collections / "ansible_collections" / namespace).symlink_to(
            REPO / ".collections" / "ansible_collections" / namespace)
    # no repository ansible.cfg: it would find the checkout's own sagelab.sagemaker and install nothing
    env = ansible_env(ANSIBLE_CONFIG=None, ANSIBLE_COLLECTIONS_PATH=str(collections))
    install = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p",
                              str(collections), str(tarball)], capture_output=True, text=True, cwd=root,
                             env=env, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    path = collections / "ansible_collections" / "sagelab" / "sagemaker"
    assert (path / "MANIFEST.json").is_file() and not path.is_symlink()
    return root, collections, path


def test_installed_collection_converges_outside_the_repository_in_one_home(installed, sandbox, tmp_path):
    root, collections, path = installed
    work, home, other, xdg = (tmp_path / name for name in ("work", "account", "other", "xdg"))
    work.mkdir()
    (work / "hosts.yml").write_text(json.dumps({"workstations": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
    evars = {"sagelab_home": str(home), "python_uv_path": str(BIN / "uv"),
             "aws_cli_install_method": "pip", "sagelab_aws_endpoint_url": sandbox.endpoint_url,
             "aws_cli_access_key_id": ACCESS_KEY_ID, "aws_cli_secret_access_key": SECRET_ACCESS_KEY}
    # no UV_CACHE_DIR/PIP_CACHE_DIR/XDG_CACHE_HOME: the roles put the caches in <sagelab_home>/.cache; its
    # uv/ is this machine's warm cache (a link), so the run stays fast and any cache use outside
    # sagelab_home would show up in $HOME
    (home / ".cache").mkdir(parents=True)
    (home / ".cache" / "uv").symlink_to(Path("~/.cache/uv").expanduser())
    env = ansible_env(ANSIBLE_CONFIG=None, ANSIBLE_COLLECTIONS_PATH=str(collections), HOME=str(other),
                      XDG_STATE_HOME=str(xdg), JUPYTER_DATA_DIR=None, XDG_DATA_HOME=None,
                      UV_CACHE_DIR=None, PIP_CACHE_DIR=None, XDG_CACHE_HOME=None,
                      PATH=os.pathsep.join([str(BIN), "/usr/local/bin", "/usr/bin", "/bin"]))
    before = tree(path)

    def run(*args: str) -> dict:
        cmd = [str(BIN / "ansible-playbook"), "-i", "hosts.yml", "sagelab.sagemaker.workstation",
               "-e", json.dumps(evars), *args]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=1200,
                              check=False)
        assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
        return json.loads(proc.stdout[proc.stdout.index("{"):])

    first = run()
    assert first["stats"]["localhost"]["changed"] > 0
    # the report: in the controller user's state folder, not in the collection or the working folder
    report = json.loads((xdg / "sagelab" / "reports" / "localhost.json").read_text())
    assert report["ok"] is True, report
    venv = home / "workdir" / "sagemaker"
    assert report["env_path"] == str(venv)
    assert report["kernel"]["listed"] is True and report["kernel"]["executed"] is True
    check = next(c for c in report["checks"] if c["name"] == "aws sagemaker list-endpoints")
    assert check["ok"] is True, check
    # one home: kernel, venv, AWS CLI and profile all under sagelab_home, nothing in $HOME
    kernel = json.loads((home / ".local/share/jupyter/kernels/sagemaker/kernel.json").read_text())
    assert kernel["argv"][0] == str(venv / "bin" / "python")
    assert (home / ".local/bin/aws").resolve() == home / ".local/share/sagelab/awscli/bin/aws"
    config = (home / ".aws" / "config").read_text()
    assert "[profile sagemaker]" in config and sandbox.endpoint_url in config
    assert ACCESS_KEY_ID in (home / ".aws" / "credentials").read_text()
    written = [p for p in other.rglob("*") if p.is_file() and ".ansible" not in p.parts]
    assert written == [], f"written into $HOME: {written}"
    # the caches: uv's (the link, still there and used) and pip's, if pip ran, in sagelab_home only
    assert (home / ".cache" / "uv").is_symlink() and (home / ".cache" / "uv" / "CACHEDIR.TAG").is_file()
    assert {p.name for p in (home / ".cache").iterdir()} <= {"uv", "pip", "sagelab"}
    assert sorted(p.name for p in work.iterdir()) == ["hosts.yml"]

    second = run("-e", "sagelab_fast_path=false")  # every role runs again
    assert second["stats"]["localhost"]["changed"] == 0, [
        t["task"]["name"] for play in second["plays"] for t in play["tasks"]
        if t["hosts"].get("localhost", {}).get("changed")]
    assert tree(path) == before, "something was written under the installed collection"
