"""The offline wheelhouse on this machine, for real: built once for localhost's interpreter and platform,
copied, installed into a temporary venv with no index access (the index is a refusing address), a
second run changes nothing, check mode writes nothing, and bad input is refused before any change.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, cases_inventory, play, run_playbook

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
    root, _unused = wh
    (copy,) = (root / "dest").iterdir()
    # seed false: this wheelhouse holds no pip (the workstation's does: see the test below)
    args = {"venv": str(tmp_path / "venv"), "requirements": REQUIREMENTS, "seed": False,
            "uv": str(REPO / ".venv/bin/uv"),
            "find_links": [str(copy)], "offline": True, "index_url": NO_INDEX}
    # an empty cache: the wheels can only come from the copy
    env = {"UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    # the same install again, and one without the wheelhouse, which fails: the index is really unreachable
    bare_args = {**args, "venv": str(tmp_path / "bare"), "find_links": [], "offline": False}
    res, again, bare = play([("sagelab.sagemaker.python_packages", a) for a in (args, args, bare_args)],
                            tmp_path, env=env)
    assert res.get("changed") is True and not res.get("failed"), res
    pins = dict(line.split("==") for line in (copy / "requirements.txt").read_text().split() if "==" in line)
    for name in ("boto3", "botocore", "pyyaml"):
        assert res["packages"][name] == pins[name], (name, res["packages"])
    assert again.get("changed") is False and not again.get("failed"), again
    assert bare.get("failed") is True, bare


def test_offline_install_takes_the_wheelhouse_version_over_a_newer_one_in_uv_cache(tmp_path):
    """The fleet's case: a uv cache warmed online (another host, an earlier run) knows a newer release
    than the wheelhouse holds; the offline install still takes the wheelhouse's pin."""
    links = tmp_path / "links"
    subprocess.run([str(REPO / ".venv/bin/python"), "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary", ":all:", "six==1.16.0", "-d", str(links)], check=True, timeout=300)
    common = {"requirements": ["six"], "seed": False, "uv": str(REPO / ".venv/bin/uv")}
    online = {**common, "venv": str(tmp_path / "online")}
    offline = {**common, "venv": str(tmp_path / "offline"), "find_links": [str(links)], "offline": True}
    warm, res = play([("sagelab.sagemaker.python_packages", a) for a in (online, offline)], tmp_path,
                     env={"UV_CACHE_DIR": str(tmp_path / "uv-cache")})
    assert warm.get("changed") is True and warm["packages"]["six"] != "1.16.0", warm
    assert res.get("changed") is True and res["packages"]["six"] == "1.16.0", res


def test_second_run_resolves_downloads_and_copies_nothing(wh):
    root, run = wh
    before = files(root)
    res = run()
    assert res.rc == 0, res.stdout[-3000:]
    assert res.stats["localhost"]["changed"] == 0, res.changed_tasks()
    assert files(root) == before


def test_a_whole_workstation_installs_from_the_wheelhouse_with_every_index_refusing(tmp_path, sandbox):
    """uv, the venv's seeded pip, the SDKs, JupyterLab and the AWS CLI all come from the wheelhouse: the
    control node builds it from PyPI (named explicitly), while on the host every index pip or uv
    could fall back to is a refusing address."""
    (tmp_path / "jupyter").mkdir()
    evars = {
        "sagelab_wheelhouse": True, "wheelhouse_index_url": "https://pypi.org/simple",
        "wheelhouse_cache_dir": str(tmp_path / "cache"), "wheelhouse_dest": str(tmp_path / "dest"),
        "python_uv_path": "", "python_tools_dir": str(tmp_path / "tools"),
        "venv_parent": str(tmp_path / "workdir"), "validate_report_dir": str(tmp_path / "reports"),
        "validate_cache_dir": str(tmp_path / "validate-cache"),
        "sagemaker_sdk_config_path": str(tmp_path / "sdk" / "config.yaml"),
        "aws_cli_install_method": "pip", "aws_cli_venv": str(tmp_path / "awscli"),
        "aws_cli_bin_dir": str(tmp_path / "bin"), "aws_cli_config_dir": str(tmp_path / "aws"),
        "sagelab_aws_endpoint_url": sandbox.endpoint_url,
        "aws_cli_access_key_id": "AKIASAGELABTEST00002",
        "aws_cli_secret_access_key": "wheelhouse-test-secret",
    }
    refusing = f"{NO_INDEX}/simple"
    env = {"JUPYTER_DATA_DIR": str(tmp_path / "jupyter"), "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
           "UV_INDEX_URL": refusing, "UV_DEFAULT_INDEX": refusing, "PIP_INDEX_URL": refusing,
           "PIP_FIND_LINKS": None, "UV_FIND_LINKS": None}
    res = run_playbook("playbooks/workstation.yml", extra_vars=evars, env=env)
    assert res.rc == 0, res.failure_messages() or res.stdout[-5000:]
    report = json.loads((tmp_path / "reports" / "localhost.json").read_text())
    assert report["ok"] is True, report
    assert report["kernel"]["executed"] is True, report
    (copy,) = (tmp_path / "dest").iterdir()
    pins = dict(line.split("==") for line in (copy / "requirements.txt").read_text().split() if "==" in line)
    assert {"uv", "pip", "jupyterlab", "awscli", "sagemaker", "boto3", "pandas", "ipykernel"} <= set(pins)
    assert report["versions"]["sagemaker"] == pins["sagemaker"], (report["versions"], pins["sagemaker"])
    assert report["versions"]["boto3"] == pins["boto3"]
    seeded = json.loads(subprocess.run(
        [str(tmp_path / "workdir/sagemaker/bin/python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True, text=True, check=True).stdout)
    assert {p["name"]: p["version"] for p in seeded}["pip"] == pins["pip"]
    assert (tmp_path / "bin" / "aws").exists()
    # the same converge again changes nothing
    again = run_playbook("playbooks/workstation.yml", extra_vars=evars, env=env)
    assert again.rc == 0, again.failure_messages()
    assert again.stats["localhost"]["changed"] == 0, again.changed_tasks()
    for run in (res, again):  # the profile's secret reached the profile, never the output
        assert evars["aws_cli_secret_access_key"] not in run.stdout + run.stderr


def test_the_staging_playbook_builds_the_set_the_workstation_playbook_installs(tmp_path):
    """playbooks/wheelhouse.yml (stage a fleet before a rollout) and playbooks/workstation.yml with the
    wheelhouse on want the same wheelhouse for the same inventory and variables, so staging is not wasted."""
    evars = {"sagelab_wheelhouse": True, "wheelhouse_cache_dir": str(tmp_path / "cache"),
             "wheelhouse_dest": str(tmp_path / "dest"), "venv_parent": str(tmp_path / "workdir"),
             "python_uv_path": "", "aws_cli_install_method": "pip", "sagemaker_sdk_major": 3}

    def wanted(playbook: str) -> set[str]:
        res = run_playbook(playbook, "--check", extra_vars=evars, timeout=600)
        assert res.rc == 0, res.failure_messages() or res.stdout[-3000:]
        names = {r["stdout"] and json.loads(r["stdout"])["name"]
                 for play in res.data["plays"] for task in play["tasks"]
                 if "Ensure the wheelhouse of each target" in task["task"]["name"]
                 for r in task["hosts"]["localhost"].get("results", [])}
        assert names and all(names), res.stdout[-3000:]
        return names

    staged = wanted("playbooks/wheelhouse.yml")
    assert staged == wanted("playbooks/workstation.yml")
    assert not (tmp_path / "cache").exists() and not (tmp_path / "dest").exists()  # check mode


BAD_INPUT = [
    ({"wheelhouse_requirements": ["boto3", "not a spec!"]}, "wheelhouse_requirements: 'not a spec!' is not "
                                                            "a valid requirement"),
    ({"wheelhouse_requirements": []}, "is empty"),
    ({"wheelhouse_index_url": "pypi.org/simple"}, "wheelhouse_index_url: 'pypi.org/simple' is not a URL"),
    ({"wheelhouse_python_version": "3"}, "wheelhouse_python_version: '3' is not a Python version"),
    ({"wheelhouse_platform": "win_amd64"}, "wheelhouse_platform: 'win_amd64' is not supported"),
    ({"wheelhouse_platform": "manylinux_2_5_x86_64"}, "glibc 2.17 or newer"),
    ({"wheelhouse_dest": "relative/dir"}, "must be absolute paths"),
    ({"wheelhouse_configure_roles": "perhaps"}, "wheelhouse_configure_roles"),
]


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """Every bad-input case in ONE run of the playbook, a host each (tests/conftest.py cases_inventory)
    with its own cache and destination folders: each host is refused, or not, on its own."""
    root = tmp_path_factory.mktemp("wheelhouse-refused")
    cases = {f"bad-{i}": {"wheelhouse_requirements": REQUIREMENTS,
                          "wheelhouse_cache_dir": str(root / f"bad-{i}" / "cache"),
                          "wheelhouse_dest": str(root / f"bad-{i}" / "dest"), **extra}
             for i, (extra, _unused) in enumerate(BAD_INPUT)}
    run = run_playbook(PLAYBOOK, "-i", str(cases_inventory(root, cases)), timeout=300)
    assert set(run.stats) == set(cases), run.stdout[-3000:] + run.stderr[-3000:]
    assert run.rc == 2  # hosts failed (not an error of the run itself)
    return root, run


@pytest.mark.parametrize(("case", "message"), [(i, m) for i, (_unused, m) in enumerate(BAD_INPUT)],
                         ids=[json.dumps(extra) for extra, _unused in BAD_INPUT])
def test_bad_input_is_refused_before_any_change(refused, case, message):
    root, run = refused
    host = f"bad-{case}"
    assert run.stats[host]["failures"] == 1 and run.stats[host]["changed"] == 0, run.stats[host]
    assert any(message in m for m in run.failure_messages(host)), run.failure_messages(host)
    assert not (root / host / "cache").exists() and not (root / host / "dest").exists()
