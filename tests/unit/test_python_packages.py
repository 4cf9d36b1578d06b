"""sagelab.sagemaker.python_packages: real `ansible-playbook` runs creating real environments from PyPI.

Each test's module runs are steps of one playbook run (conftest's play(): one Ansible start-up, not one
per module run), and the tests that can share a run do (a module-scoped fixture: the installers' lifecycles
in one run, the damaged environments' repairs in another). What a test checked between two module runs
(that nothing was written, that a folder does not exist) is a step of the same run: a snapshot of the
environment's files (site_state, run by ansible.builtin.command) taken between them.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BIN, play, play_steps

pytestmark = pytest.mark.subprocess  # runs Ansible, the sandbox or another program

MODULE = "sagelab.sagemaker.python_packages"
UV = str(BIN / "uv")


def site_state(venv: Path) -> dict[str, int] | None:
    """Every file's mtime in the environment (None when it does not exist): a run that writes anything
    changes it (uv's own .lock file, which any uv operation touches, aside)."""
    if not venv.exists():
        return None
    return {str(p): p.stat().st_mtime_ns for p in venv.rglob("*")
            if "__pycache__" not in p.parts and p.name != ".lock"}


SNAPSHOT = ("import json, sys\nfrom pathlib import Path\n" + inspect.getsource(site_state)
            + "print(json.dumps(site_state(Path(sys.argv[1]))))\n")


def snapshot(venv: Path) -> tuple:
    """A play step: site_state(venv) at that point of the run (read it with state())."""
    return ("ansible.builtin.command", {"argv": [sys.executable, "-c", SNAPSHOT, str(venv)]},
            {"check_mode": False, "changed_when": False})


def state(result: dict) -> dict[str, int] | None:
    assert result.get("rc") == 0, result
    return json.loads(result["stdout"])


def ok(result: dict) -> dict:
    """A module step's result, which must not have failed."""
    assert not result.get("failed"), result
    return result


def failed(result: dict) -> dict:
    """A module step's result, which must have failed."""
    assert result.get("failed"), result
    return result


CHECK = {"check_mode": True}
CHECK_DIFF = {"check_mode": True, "diff": True}
DIFF = {"diff": True}
INSTALLERS = ["uv", "pip"]


@pytest.fixture(scope="module")
def lifecycles(tmp_path_factory):
    """Each installer's lifecycle (check, create, again, upgrade, absent) in one run."""
    root = tmp_path_factory.mktemp("lifecycle")
    tasks = {}
    for installer in INSTALLERS:
        venv = root / installer / "env"
        base = {"venv": str(venv), "installer": installer, **({"uv": UV} if installer == "uv" else {})}
        old, new = dict(base, requirements=["six==1.16.0"]), dict(base, requirements=["six==1.17.0"])
        gone = dict(base, requirements=["six"], state="absent")
        tasks.update({(installer, name): task for name, task in {
            "check fresh": (MODULE, old, CHECK_DIFF), "after check fresh": snapshot(venv),
            "present": (MODULE, old, DIFF), "before again": snapshot(venv),
            "again": (MODULE, old), "after again": snapshot(venv),
            "upgrade check": (MODULE, new, CHECK_DIFF), "after upgrade check": snapshot(venv),
            "upgrade": (MODULE, new, DIFF), "upgrade again": (MODULE, new),
            "absent check": (MODULE, gone, CHECK), "still there": (MODULE, new, CHECK),
            "absent": (MODULE, gone), "absent again": (MODULE, gone)}.items()})
    results = play_steps(tasks, root)
    return root, {installer: {name: result for (who, name), result in results.items() if who == installer}
                  for installer in INSTALLERS}


@pytest.mark.parametrize("installer", INSTALLERS)
def test_lifecycle_check_mode_matches_the_real_run(lifecycles, installer):
    root, all_steps = lifecycles
    step = all_steps[installer]
    venv = root / installer / "env"

    # check mode, fresh: would create and install, writes nothing
    res = ok(step["check fresh"])
    assert res["changed"] is True and res["created"] is True, res
    assert res["installed"] == ["six==1.16.0"]  # uv resolves in a scratch env; pip reports the spec
    assert res["diff"]["after"] == "six==1.16.0\n"
    assert state(step["after check fresh"]) is None  # the environment does not exist

    # present: created and installed, exactly what check mode said
    res = ok(step["present"])
    assert res["changed"] is True and res["created"] is True and res["installer"] == installer, res
    assert res["installed"] == ["six==1.16.0"]
    assert res["packages"]["six"] == "1.16.0" and "pip" in res["packages"]  # seeded with pip
    before = state(step["before again"])
    assert str(venv / "pyvenv.cfg") in before

    # present again: no change, nothing written
    res = ok(step["again"])
    assert res["changed"] is False and res["installed"] == [] and res["removed"] == [], res
    assert state(step["after again"]) == before

    # an upgrade in check mode: the exact before/after, nothing written
    res = ok(step["upgrade check"])
    assert res["changed"] is True and res["created"] is False
    assert (res["installed"], res["removed"]) == (["six==1.17.0"], ["six==1.16.0"])
    assert res["diff"] == {"before": "six==1.16.0\n", "after": "six==1.17.0\n",
                           "before_header": f"{venv} (removed or replaced)",
                           "after_header": f"{venv} (installed or upgraded)"}
    assert state(step["after upgrade check"]) == before

    # the upgrade for real reports the same
    res = ok(step["upgrade"])
    assert (res["changed"], res["installed"], res["removed"]) == (True, ["six==1.17.0"], ["six==1.16.0"])
    assert ok(step["upgrade again"])["changed"] is False

    # absent: check mode, real, again
    res = ok(step["absent check"])
    assert res["changed"] is True and res["removed"] == ["six==1.17.0"]
    assert "six" in ok(step["still there"])["packages"]
    res = ok(step["absent"])
    assert res["changed"] is True and "six" not in res["packages"]
    assert ok(step["absent again"])["changed"] is False
    assert (venv / "pyvenv.cfg").is_file()  # the environment stays


REPAIRS = [(installer, damage) for damage in ("files", "metadata") for installer in INSTALLERS]


def repair_args(venv: Path, installer: str) -> dict:
    return {"venv": str(venv), "installer": installer, "requirements": ["requests==2.32.3"],
            **({"uv": UV} if installer == "uv" else {})}


@pytest.fixture(scope="module")
def repairs(tmp_path_factory):
    """Each (installer, damage) case: an environment installed (one run for all), damaged as a killed
    install leaves it, then checked, repaired and run again (a second run for all)."""
    root = tmp_path_factory.mktemp("repair")
    venvs = {case: root / "-".join(case) / "env" for case in REPAIRS}
    installs = play_steps({case: (MODULE, repair_args(venv, case[0])) for case, venv in venvs.items()}, root)
    cases = {}
    for (installer, damage), venv in venvs.items():
        assert ok(installs[installer, damage])["changed"] is True
        site = next((venv / "lib").glob("python3*/site-packages"))
        (dist_info,) = site.glob("urllib3-*.dist-info")
        version = dist_info.name.removesuffix(".dist-info").split("-")[1]
        (dist_info / "INSTALLER").unlink()
        if damage == "metadata":
            (dist_info / "METADATA").unlink()
        for path in sorted((site / "urllib3" / "util").rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        (site / "urllib3" / "util").rmdir()
        broken = subprocess.run([venv / "bin" / "python", "-c", "import requests"], capture_output=True,
                                text=True, check=False)
        cases[installer, damage] = {"venv": venv, "version": version, "broken": broken.stderr}
    tasks = {}
    for (installer, damage), venv in venvs.items():
        args = repair_args(venv, installer)
        tasks.update({(installer, damage, name): task for name, task in {
            "before": snapshot(venv), "check": (MODULE, args, CHECK_DIFF),
            # the venv role's call (no requirements)
            "check without requirements": (MODULE, {k: v for k, v in args.items() if k != "requirements"},
                                           CHECK),
            "after checks": snapshot(venv), "repair": (MODULE, args), "again": (MODULE, args)}.items()})
    for (installer, damage, name), result in play_steps(tasks, root).items():
        cases[installer, damage][name] = result
    return cases


@pytest.mark.parametrize("damage", ["files", "metadata"])
@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_package_an_interrupted_install_left_half_copied_is_repaired(repairs, installer, damage):
    """What a killed `uv pip install` leaves (both seen in the killed-converge drill): a dependency whose
    dist-info is there but not its INSTALLER (uv writes that last) and not all of its files, which uv and
    pip take as installed; or one whose dist-info has no METADATA yet, on which both stop ("Failed to read
    metadata"). The module reinstalls it; in check mode it says so and writes nothing."""
    case = repairs[installer, damage]
    venv, version = case["venv"], case["version"]
    assert "No module named 'urllib3.util'" in case["broken"]

    before = state(case["before"])
    res = ok(case["check"])
    assert res["changed"] is True and res["repaired"] == [f"urllib3=={version}"], res
    assert res["removed"] == []
    # with no METADATA the installer's dry run cannot run: the specs are shown as given, with a warning
    assert res["installed"] == ([] if damage == "files" else ["requests==2.32.3"])
    assert res["diff"]["after"].endswith(f"urllib3=={version} (reinstalled: files were missing)\n")
    assert bool(res.get("warnings")) is (damage == "metadata")
    # the venv role's call (no requirements) foretells the same repair (the drill's check run did fail here)
    res = ok(case["check without requirements"])
    assert res["changed"] is True and res["repaired"] == [f"urllib3=={version}"], res
    assert state(case["after checks"]) == before

    res = ok(case["repair"])
    assert res["changed"] is True and res["repaired"] == [f"urllib3=={version}"], res
    assert res["packages"]["urllib3"] == version and res["installed"] == []
    subprocess.run([venv / "bin" / "python", "-c", "import requests"], check=True)
    assert ok(case["again"])["changed"] is False


BAD_INPUT = [
    ({"requirements": ["six>>1"]}, "requirements: 'six>>1' is not a valid requirement"),
    ({"requirements": ["six==1; "]}, "requirements: 'six==1; ' is not a valid requirement"),
    ({"requirements": ["https://example.com/six.whl"]}, "is not a valid requirement"),
    ({"index_url": "pypi.org/simple"}, "index_url: 'pypi.org/simple' is not a URL"),
    ({"extra_index_urls": ["ftp://mirror"]}, "extra_index_urls: 'ftp://mirror' is not a URL"),
    ({"installer": "uv", "uv": "/nonexistent/uv"}, "uv: '/nonexistent/uv' is not an executable uv binary"),
    ({"cache_dir": "relative/cache"}, "cache_dir: 'relative/cache' is not an absolute path"),
    ({"installer": "conda"}, "installer"),
    ({"state": "latest"}, "state"),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small cases' module runs, every one in one run: each case's steps by name, in its own folder."""
    root = tmp_path_factory.mktemp("small")
    normalized, empty, unreachable, taken = (root / name / "env" for name in
                                             ("normalized", "empty", "unreachable", "taken"))
    taken.mkdir(parents=True)
    (taken / "notes.txt").write_text("mine")
    empty_args = {"venv": str(empty), "uv": UV, "seed": False}
    tasks = {
        ("normalized", "first"): (MODULE, {"venv": str(normalized), "uv": UV,
                                           "requirements": ["Typing_Extensions"]}),
        ("normalized", "again"): (MODULE, {"venv": str(normalized), "uv": UV,
                                           "requirements": ["typing-extensions"]}),
        ("empty", "first"): (MODULE, empty_args), ("empty", "again"): (MODULE, empty_args),
        ("unreachable", "create"): (MODULE, {"venv": str(unreachable), "uv": UV}),
        ("unreachable", "before"): snapshot(unreachable),
        ("unreachable", "install"): (MODULE, {"venv": str(unreachable), "uv": UV, "requirements": ["six"],
                                              "index_url": "http://mirror:s3cret@127.0.0.1:9/simple"}),
        ("unreachable", "after"): snapshot(unreachable),
        ("taken", "install"): (MODULE, {"venv": str(taken), "uv": UV, "requirements": ["six"]}),
    }
    for i, (extra, _unused) in enumerate(BAD_INPUT):
        tasks["bad", i] = (MODULE, {"venv": str(root / f"bad-{i}" / "env"), "requirements": ["six"], **extra})
    return root, play_steps(tasks, root)


def test_names_are_compared_normalized(small):
    _unused, step = small
    assert ok(step["normalized", "first"])["changed"] is True
    res = ok(step["normalized", "again"])
    assert res["changed"] is False, res


def test_an_empty_list_only_ensures_the_environment(small):
    _unused, step = small
    res = ok(step["empty", "first"])
    assert res["changed"] is True and res["created"] is True and res["installed"] == []
    assert "pip" not in res["packages"]
    assert ok(step["empty", "again"])["changed"] is False


def test_an_unreachable_index_fails_clearly_and_changes_nothing(small):
    _unused, step = small
    assert ok(step["unreachable", "create"])["changed"] is True
    res = failed(step["unreachable", "install"])
    # the index is named (its password masked), whatever the installer's own message says
    named = "installing six failed (uv, rc=2, from http://mirror:****@127.0.0.1:9/simple): "
    assert res["msg"].startswith(named), res["msg"]
    assert "s3cret" not in json.dumps(res)
    assert state(step["unreachable", "after"]) == state(step["unreachable", "before"])


@pytest.mark.parametrize(("case", "message"), [(i, m) for i, (_unused, m) in enumerate(BAD_INPUT)],
                         ids=[m.split(":")[0] for _unused, m in BAD_INPUT])
def test_bad_input_is_refused_before_anything_changes(small, case, message):
    root, step = small
    res = failed(step["bad", case])
    assert message in res["msg"], res["msg"]
    assert not (root / f"bad-{case}" / "env").exists()


def test_a_path_that_is_not_a_venv_is_refused(small):
    root, step = small
    target = root / "taken" / "env"
    res = failed(step["taken", "install"])
    assert res["msg"].startswith(f"venv: '{target}' exists but is not a Python virtual environment")
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_the_download_cache_goes_to_cache_dir_not_home(tmp_path):
    """cache_dir (the roles pass <sagelab_home>/.cache): uv's cache in its uv/ subfolder, nothing under
    the connection's $HOME; a cache the environment names (UV_CACHE_DIR, here the second step's) is kept.
    (pip's PIP_CACHE_DIR is set the same way; pip wrote no cache here at all, even run by hand, so it is
    not asserted.)"""
    installer = "uv"
    home, cache, named = tmp_path / "home", tmp_path / "cache", tmp_path / "named"
    home.mkdir()
    variable = "UV_CACHE_DIR"
    env = {"HOME": str(home), "XDG_CACHE_HOME": None, "UV_CACHE_DIR": None, "PIP_CACHE_DIR": None}
    args = {"venv": str(tmp_path / "env"), "installer": installer, "requirements": ["six==1.16.0"],
            "cache_dir": str(cache), "uv": UV}
    named_cache = {"environment": {variable: str(named)}}
    first, second = play([(MODULE, args), (MODULE, dict(args, venv=str(tmp_path / "env2")), named_cache)],
                         tmp_path, env=env)
    res = ok(first)
    assert res["changed"] is True and res["installer"] == installer, res
    assert [p.name for p in cache.iterdir()] == [installer]
    assert any(p.is_file() for p in (cache / installer).rglob("*")), "the installer cached nothing"
    written = [p for p in home.rglob("*") if p.is_file() and ".ansible" not in p.parts]
    assert written == [], f"written into $HOME: {written}"

    assert ok(second)["changed"] is True, second
    assert any(p.is_file() for p in named.rglob("*")), f"{variable} was not kept"
