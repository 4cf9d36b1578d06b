"""The offline wheelhouse on this machine, for real: built once for localhost's interpreter and platform,
copied, installed into a temporary venv with no index access (the index is a refusing address), a
second run changes nothing, check mode writes nothing, and bad input is refused before any change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, ansible_module, run_playbook

PLAYBOOK = "playbooks/wheelhouse.yml"
REQUIREMENTS = ["boto3", "pyyaml"]  # pure-Python wheels and one platform wheel (cpXY manylinux)
NO_INDEX = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection is refused


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheelhouse")
    evars = {"wheelhouse_requirements": REQUIREMENTS, "wheelhouse_cache_dir": str(root / "cache"),
             "wheelhouse_dest": str(root / "dest")}

    def run(*args, extra=None):
        return run_playbook(PLAYBOOK, *args, extra_vars={**evars, **(extra or {})}, timeout=600)

    return root, run


def files(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*")}


def test_check_mode_reports_the_build_and_copy_and_writes_nothing(wh):
    root, run = wh
    res = run("--check")
    assert res.rc == 0, res.stdout[-3000:]
    changed = res.changed_tasks()
    assert any("control node's cache" in name for name in changed), changed
    assert "Ensure the host's wheelhouse folder exists" in changed
    assert files(root) == {}


def test_build_copies_a_locked_wheelhouse_for_this_interpreter(wh):
    root, run = wh
    res = run()
    assert res.rc == 0, res.stdout[-3000:]
    (target,) = (root / "cache").iterdir()
    assert target.name.endswith("_x86_64") or target.name.endswith("_aarch64")
    (cache,) = target.iterdir()
    meta = json.loads((cache / "wheelhouse.json").read_text())
    assert meta["requirements"] == sorted(REQUIREMENTS)
    (copy,) = (root / "dest").iterdir()
    assert copy.name == f"{target.name}-{cache.name}"
    wheels = sorted(p.name for p in copy.glob("*.whl"))
    assert wheels == meta["wheels"]
    assert {"boto3", "botocore", "pyyaml"} <= {w.split("-")[0].lower() for w in wheels}
    assert (copy / "requirements.txt").read_text() == (cache / "requirements.txt").read_text()


def test_install_from_the_copy_needs_no_index(wh, tmp_path):
    root, _ = wh
    (copy,) = (root / "dest").iterdir()
    # seed false: `uv venv --seed` would fetch pip from PyPI (the venv role's seeded pip is not offline yet)
    args = {"venv": str(tmp_path / "venv"), "requirements": REQUIREMENTS, "seed": False,
            "uv": str(REPO / ".venv/bin/uv"),
            "find_links": [str(copy)], "offline": True, "index_url": NO_INDEX}
    # an empty cache: the wheels can only come from the copy
    env = {"UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    res = ansible_module("sagelab.sagemaker.python_packages", args, env=env)
    assert res.get("changed") is True, res
    pins = dict(line.split("==") for line in (copy / "requirements.txt").read_text().split() if "==" in line)
    for name in ("boto3", "botocore", "pyyaml"):
        assert res["packages"][name] == pins[name], (name, res["packages"])
    again = ansible_module("sagelab.sagemaker.python_packages", args, env=env)
    assert again.get("changed") is False, again
    # the same install without the wheelhouse fails: the index is really unreachable
    bare_args = {**args, "venv": str(tmp_path / "bare"), "find_links": [], "offline": False}
    bare = ansible_module("sagelab.sagemaker.python_packages", bare_args, env=env)
    assert bare.get("failed"), bare


def test_second_run_resolves_downloads_and_copies_nothing(wh):
    root, run = wh
    before = files(root)
    res = run()
    assert res.rc == 0, res.stdout[-3000:]
    assert res.stats["localhost"]["changed"] == 0, res.changed_tasks()
    assert files(root) == before


@pytest.mark.parametrize(("extra", "message"), [
    ({"wheelhouse_requirements": ["boto3", "not a spec!"]}, "'not a spec!' is not a valid requirement set"),
    ({"wheelhouse_requirements": []}, "is empty"),
    ({"wheelhouse_index_url": "pypi.org/simple"}, "wheelhouse_index_url: 'pypi.org/simple' is not a URL"),
    ({"wheelhouse_python_version": "3"}, "wheelhouse_python_version: '3' is not a Python version"),
    ({"wheelhouse_platform": "win_amd64"}, "wheelhouse_platform: 'win_amd64' is not supported"),
    ({"wheelhouse_platform": "manylinux_2_5_x86_64"}, "glibc 2.17 or newer"),
    ({"wheelhouse_dest": "relative/dir"}, "must be absolute paths"),
    ({"wheelhouse_configure_sdk": "perhaps"}, "wheelhouse_configure_sdk"),
])
def test_bad_input_is_refused_before_any_change(tmp_path, extra, message):
    evars = {"wheelhouse_requirements": REQUIREMENTS, "wheelhouse_cache_dir": str(tmp_path / "cache"),
             "wheelhouse_dest": str(tmp_path / "dest"), **extra}
    res = run_playbook(PLAYBOOK, extra_vars=evars, timeout=300)
    assert res.rc != 0
    assert any(message in m for m in res.failure_messages()), res.failure_messages()
    assert not (tmp_path / "cache").exists() and not (tmp_path / "dest").exists()
