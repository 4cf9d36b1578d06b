"""sagelab.sagemaker.python_packages: real ad-hoc `ansible` runs creating real environments from PyPI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, ansible_module

pytestmark = pytest.mark.subprocess  # runs Ansible, the sandbox or another program

MODULE = "sagelab.sagemaker.python_packages"
UV = str(BIN / "uv")


def run(args: dict, **kw) -> dict:
    return ansible_module(MODULE, args, **kw)


def site_state(venv: Path) -> dict[str, int]:
    """Every file's mtime in the environment: a run that writes anything changes it (uv's own .lock
    file, which any uv operation touches, aside)."""
    return {str(p): p.stat().st_mtime_ns for p in venv.rglob("*")
            if "__pycache__" not in p.parts and p.name != ".lock"}


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_lifecycle_check_mode_matches_the_real_run(tmp_path, installer):
    venv = tmp_path / "env"
    base = {"venv": str(venv), "installer": installer, "uv": UV if installer == "uv" else None}
    base = {k: v for k, v in base.items() if v is not None}
    old = dict(base, requirements=["six==1.16.0"])

    # check mode, fresh: would create and install, writes nothing
    res = run(old, check=True, diff=True)
    assert res["changed"] is True and res["created"] is True, res
    assert res["installed"] == ["six==1.16.0"]  # uv resolves in a scratch env; pip reports the spec
    assert res["diff"]["after"] == "six==1.16.0\n"
    assert not venv.exists()

    # present: created and installed, exactly what check mode said
    res = run(old, diff=True)
    assert res["changed"] is True and res["created"] is True and res["installer"] == installer, res
    assert res["installed"] == ["six==1.16.0"]
    assert res["packages"]["six"] == "1.16.0" and "pip" in res["packages"]  # seeded with pip
    assert (venv / "pyvenv.cfg").is_file()

    # present again: no change, nothing written
    before = site_state(venv)
    res = run(old)
    assert res["changed"] is False and res["installed"] == [] and res["removed"] == [], res
    assert site_state(venv) == before

    # an upgrade in check mode: the exact before/after, nothing written
    new = dict(base, requirements=["six==1.17.0"])
    res = run(new, check=True, diff=True)
    assert res["changed"] is True and res["created"] is False
    assert (res["installed"], res["removed"]) == (["six==1.17.0"], ["six==1.16.0"])
    assert res["diff"] == {"before": "six==1.16.0\n", "after": "six==1.17.0\n",
                           "before_header": f"{venv} (removed or replaced)",
                           "after_header": f"{venv} (installed or upgraded)"}
    assert site_state(venv) == before

    # the upgrade for real reports the same
    res = run(new, diff=True)
    assert (res["changed"], res["installed"], res["removed"]) == (True, ["six==1.17.0"], ["six==1.16.0"])
    assert run(new)["changed"] is False

    # absent: check mode, real, again
    gone = dict(base, requirements=["six"], state="absent")
    res = run(gone, check=True)
    assert res["changed"] is True and res["removed"] == ["six==1.17.0"]
    assert "six" in run(new, check=True)["packages"]
    res = run(gone)
    assert res["changed"] is True and "six" not in res["packages"]
    assert run(gone)["changed"] is False
    assert (venv / "pyvenv.cfg").is_file()  # the environment stays


@pytest.mark.parametrize("damage", ["files", "metadata"])
@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_package_an_interrupted_install_left_half_copied_is_repaired(tmp_path, installer, damage):
    """What a killed `uv pip install` leaves (both seen in the killed-converge drill): a dependency whose
    dist-info is there but not its INSTALLER (uv writes that last) and not all of its files, which uv and
    pip take as installed; or one whose dist-info has no METADATA yet, on which both stop ("Failed to read
    metadata"). The module reinstalls it; in check mode it says so and writes nothing."""
    venv = tmp_path / "env"
    args = {"venv": str(venv), "installer": installer, "requirements": ["requests==2.32.3"]}
    args.update({"uv": UV} if installer == "uv" else {})
    assert run(args)["changed"] is True
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
    assert "No module named 'urllib3.util'" in broken.stderr

    before = site_state(venv)
    res = run(args, check=True, diff=True)
    assert res["changed"] is True and res["repaired"] == [f"urllib3=={version}"], res
    assert res["removed"] == []
    # with no METADATA the installer's dry run cannot run: the specs are shown as given, with a warning
    assert res["installed"] == ([] if damage == "files" else ["requests==2.32.3"])
    assert res["diff"]["after"].endswith(f"urllib3=={version} (reinstalled: files were missing)\n")
    assert bool(res.get("warnings")) is (damage == "metadata")
    # the venv role's call (no requirements) foretells the same repair (the drill's check run did fail here)
    res = run({k: v for k, v in args.items() if k != "requirements"}, check=True)
    assert res["changed"] is True and res["repaired"] == [f"urllib3=={version}"], res
    assert site_state(venv) == before

    res = run(args)
    assert res["changed"] is True and res["repaired"] == [f"urllib3=={version}"], res
    assert res["packages"]["urllib3"] == version and res["installed"] == []
    subprocess.run([venv / "bin" / "python", "-c", "import requests"], check=True)
    assert run(args)["changed"] is False


def test_names_are_compared_normalized(tmp_path):
    args = {"venv": str(tmp_path / "env"), "uv": UV, "requirements": ["Typing_Extensions"]}
    assert run(args)["changed"] is True
    res = run(dict(args, requirements=["typing-extensions"]))
    assert res["changed"] is False, res


def test_an_empty_list_only_ensures_the_environment(tmp_path):
    args = {"venv": str(tmp_path / "env"), "uv": UV, "seed": False}
    res = run(args)
    assert res["changed"] is True and res["created"] is True and res["installed"] == []
    assert "pip" not in res["packages"]
    assert run(args)["changed"] is False


def test_an_unreachable_index_fails_clearly_and_changes_nothing(tmp_path):
    venv = tmp_path / "env"
    assert run({"venv": str(venv), "uv": UV})["changed"] is True
    before = site_state(venv)
    res = run({"venv": str(venv), "uv": UV, "requirements": ["six"],
               "index_url": "http://mirror:s3cret@127.0.0.1:9/simple"}, fails=True)
    # the index is named (its password masked), whatever the installer's own message says
    named = "installing six failed (uv, rc=2, from http://mirror:****@127.0.0.1:9/simple): "
    assert res["msg"].startswith(named), res["msg"]
    assert "s3cret" not in json.dumps(res)
    assert site_state(venv) == before


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


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT, ids=[m.split(":")[0] for _unused, m in BAD_INPUT])
def test_bad_input_is_refused_before_anything_changes(tmp_path, extra, message):
    res = run({"venv": str(tmp_path / "env"), "requirements": ["six"], **extra}, fails=True)
    assert message in res["msg"], res["msg"]
    assert not (tmp_path / "env").exists()


def test_a_path_that_is_not_a_venv_is_refused(tmp_path):
    target = tmp_path / "env"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    res = run({"venv": str(target), "uv": UV, "requirements": ["six"]}, fails=True)
    assert res["msg"].startswith(f"venv: '{target}' exists but is not a Python virtual environment")
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_the_download_cache_goes_to_cache_dir_not_home(tmp_path):
    """cache_dir (the roles pass <sagelab_home>/.cache): uv's cache in its uv/ subfolder, nothing under
    the connection's $HOME; a cache the environment names (UV_CACHE_DIR) is kept. (pip's PIP_CACHE_DIR
    is set the same way; pip wrote no cache here at all, even run by hand, so it is not asserted.)"""
    installer = "uv"
    home, cache, named = tmp_path / "home", tmp_path / "cache", tmp_path / "named"
    home.mkdir()
    variable = "UV_CACHE_DIR"
    env = {"HOME": str(home), "XDG_CACHE_HOME": None, "UV_CACHE_DIR": None, "PIP_CACHE_DIR": None}
    args = {"venv": str(tmp_path / "env"), "installer": installer, "requirements": ["six==1.16.0"],
            "cache_dir": str(cache), "uv": UV}
    res = run(args, env=env)
    assert res["changed"] is True and res["installer"] == installer, res
    assert [p.name for p in cache.iterdir()] == [installer]
    assert any(p.is_file() for p in (cache / installer).rglob("*")), "the installer cached nothing"
    written = [p for p in home.rglob("*") if p.is_file() and ".ansible" not in p.parts]
    assert written == [], f"written into $HOME: {written}"

    res = run(dict(args, venv=str(tmp_path / "env2")), env={**env, variable: str(named)})
    assert res["changed"] is True, res
    assert any(p.is_file() for p in named.rglob("*")), f"{variable} was not kept"
