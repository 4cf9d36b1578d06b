"""conda_env through real `ansible`, with the py-rattler engine against the local file:// channel:
bad input refused before anything changes, check mode, create, idempotence, lock file out and in, absent."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.conda_channel import conda_channel  # noqa: F401  # pylint: disable=unused-import
from tests.conftest import BIN, play_steps, run_playbook

pytestmark = pytest.mark.subprocess  # runs Ansible, the sandbox or another program

MODULE = "sagelab.sagemaker.conda_env"
SPECS = ["python", "six"]


def snapshot(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*")}


def test_bad_input_is_refused_before_anything_changes(tmp_path, conda_channel):  # noqa: F811
    taken = tmp_path / "root" / "envs" / "taken"
    taken.mkdir(parents=True)
    (taken / "notes.txt").write_text("mine")
    (tmp_path / "not-a-lock.txt").write_text("python\n")
    base = {"root_prefix": str(tmp_path / "root"), "channels": [conda_channel], "specs": SPECS}
    cases = [
        ({"name": "lab", "channels": ["ftp://mirror.example/conda-forge"]},
         "channels: 'ftp://mirror.example/conda-forge' has an unknown URL scheme 'ftp'"),
        ({"name": "lab", "specs": ["python", "no-such-package-xyz >=1"]}, "cannot be installed"),
        ({"name": "lab", "specs": ["python 2.7.*"]}, "cannot be installed"),
        ({"name": "taken"}, "exists but is not a conda environment (no conda-meta/)"),
        ({"name": "lab", "engine": "micromamba"},
         "engine: 'micromamba' was requested but no micromamba binary"),
        ({"name": "lab", "rattler_python": "/bin/true"}, "rattler_python: '/bin/true' cannot import rattler"),
        ({"name": "team/lab"}, "name: 'team/lab' is not a valid environment name"),
        ({"name": "lab", "pip_cache_dir": "rel/cache"}, "pip_cache_dir: 'rel/cache' is not an absolute path"),
        ({"name": "lab", "specs": None, "from_lock": str(tmp_path / "not-a-lock.txt")},
         "is not an explicit lock file"),
    ]
    tasks = [{"name": f"case {i}", MODULE: {k: v for k, v in {**base, **args}.items() if v is not None},
              "ignore_errors": True}
             for i, (args, _unused) in enumerate(cases)]
    play = tmp_path / "bad.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    before = snapshot(tmp_path)
    res = run_playbook(str(play), "-c", "local", "-i", "localhost,", "-e",
                       f"ansible_python_interpreter={sys.executable}",
                       env={"PATH": "/usr/bin:/bin"})  # no conda binary can be found
    results = [t["hosts"]["localhost"] for t in res.data["plays"][0]["tasks"]]
    assert len(results) == len(cases), res.stdout[-3000:]
    for (args, message), result in zip(cases, results, strict=True):
        assert result.get("failed"), (args, result)
        assert message in result["msg"], (args, result["msg"])
        assert len(result["msg"]) < 1200, result["msg"]  # the solver's message, shortened
    unsatisfiable = results[1]["msg"]
    assert "no-such-package-xyz" in unsatisfiable, unsatisfiable
    assert snapshot(tmp_path) == before, "something was changed"


def stat(path: Path) -> tuple:
    """A play step: whether path exists at that point of the run (read it with exists())."""
    return ("ansible.builtin.stat", {"path": str(path), "get_checksum": False})


def exists(result: dict) -> bool:
    assert not result.get("failed"), result
    return result["stat"]["exists"]


def ok(result: dict) -> dict:
    """A module step's result, which must not have failed."""
    assert not result.get("failed"), result
    return result


@pytest.fixture(scope="module")
def env(tmp_path_factory, conda_channel):  # noqa: F811
    """The env's life in two runs of conftest's play() (an Ansible start-up each, not one per module run):
    check mode, create, again, check again, pip, a copy rebuilt from the lock file; then (absent(), when
    the tests of the env as made have read it) removal."""
    root = tmp_path_factory.mktemp("conda")
    args = {"name": "lab", "root_prefix": str(root), "specs": SPECS, "channels": [conda_channel],
            "engine": "rattler", "lock_file": str(root / "lab.lock")}
    copy = root / "copy"
    step = play_steps({
        "check": (MODULE, args, {"check_mode": True, "diff": True}),
        "envs after check": stat(root / "envs"), "lock after check": stat(root / "lab.lock"),
        "first": (MODULE, args, {"diff": True}),
        "lock": ("ansible.builtin.slurp", {"src": str(root / "lab.lock")}),
        "again": (MODULE, args), "check again": (MODULE, args, {"check_mode": True}),
        # six is satisfied by the conda package: uv finds it installed, nothing changes
        "pip": (MODULE, {**args, "pip": ["six"], "uv": str(BIN / "uv")}),
        "rebuilt": (MODULE, {"prefix": str(copy), "from_lock": str(root / "lab.lock"),
                             "root_prefix": str(root)}),
    }, root)
    return root, args, step


@pytest.fixture(scope="module")
def absent(env):
    root, args, _unused = env
    gone = {**args, "state": "absent"}
    prefix = root / "envs" / "lab"
    return play_steps({"check": (MODULE, gone, {"check_mode": True}), "after check": stat(prefix),
                       "gone": (MODULE, gone), "after": stat(prefix), "again": (MODULE, gone)}, root)


def test_check_mode_solves_and_writes_nothing(env):
    _unused, _args, step = env
    result = ok(step["check"])
    assert result["changed"] and result["created"], result
    assert result["engine"] == "rattler"
    assert {p.split("==")[0] for p in result["installed"]} >= {"python", "six"}
    assert "python==3." in result["diff"]["after"]
    assert not exists(step["envs after check"]) and not exists(step["lock after check"])


def test_present_creates_then_changes_nothing(env):
    root, _args, step = env
    first = ok(step["first"])
    assert first["changed"] and first["created"], first
    prefix = root / "envs" / "lab"
    assert (prefix / "conda-meta").is_dir()
    lock = base64.b64decode(ok(step["lock"])["content"]).decode()
    assert "@EXPLICIT" in lock and "/noarch/six-" in lock
    again = ok(step["again"])
    assert again["changed"] is False, again
    assert again["installed"] == again["removed"] == []
    assert set(again["packages"]) == set(first["packages"])
    assert ok(step["check again"])["changed"] is False


def test_pip_packages_go_into_the_env_and_the_lock_file_rebuilds_it(env):
    root, _args, step = env
    prefix, copy = root / "envs" / "lab", root / "copy"
    res = ok(step["pip"])
    assert res["changed"] is False and res["pip_installed"] == [], res
    rebuilt = ok(step["rebuilt"])
    assert rebuilt["changed"] and rebuilt["packages"] == json.loads(json.dumps(res["packages"]))
    assert (copy / "bin" / "python").exists()
    assert sorted(p.name for p in (copy / "conda-meta").glob("*.json")) == \
        sorted(p.name for p in (prefix / "conda-meta").glob("*.json"))


def test_absent_removes_the_env(absent):
    assert ok(absent["check"])["changed"] and exists(absent["after check"])
    assert ok(absent["gone"])["changed"] and not exists(absent["after"])
    assert ok(absent["again"])["changed"] is False
