"""playbooks/lab_image.yml: a lab-machine image built with podman, labelled, locked and validated.

Real podman builds from the local Debian 12 image (scripts/images); PyPI through this machine's proxy
(the CA bundle and a package cache are mounted into the build container, as in Molecule).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import REPO, run_playbook

# Two full image builds: `scripts/test` runs them after the rest (marker fleet), `scripts/test fleet` alone.
pytestmark = [pytest.mark.fleet,
              pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")]

NAME = "localhost/sagelab-pytest-workstation"
BASE = "localhost/sagelab-debian:bookworm"
BUILDER = "sagelab-pytest-image-build"


def _podman(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False)


def _labels(tag: str) -> dict:
    out = _podman("image", "inspect", "--format", "{{json .Labels}}", f"{NAME}:{tag}")
    return json.loads(out.stdout) if out.returncode == 0 else {}


def _packages(lock) -> list[str]:
    return [line for line in lock.read_text().splitlines() if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def image_vars(tmp_path_factory):
    if _podman("image", "exists", BASE).returncode != 0:
        pytest.skip(f"{BASE} is missing: scripts/images builds it")
    cache = REPO / ".sagelab" / "cache" / "molecule"
    cache.mkdir(parents=True, exist_ok=True)
    yield {
        "lab_image_name": NAME, "lab_image_base": BASE, "lab_image_build_container": BUILDER,
        "lab_image_lock_dir": str(tmp_path_factory.mktemp("locks")),
        "sagelab_state_dir": str(REPO / ".sagelab"),  # the check container's report: read below
        "lab_image_volumes": ["/etc/ssl/certs/ca-certificates.crt:/etc/host-ca.crt:ro",
                              f"{cache}:/var/cache/sagelab"],
        "lab_image_env": {"SSL_CERT_FILE": "/etc/host-ca.crt", "PIP_CERT": "/etc/host-ca.crt",
                          "UV_CACHE_DIR": "/var/cache/sagelab/uv", "UV_LINK_MODE": "copy"},
    }
    for tag in ("one", "two", "dry"):
        _podman("rmi", "--force", f"{NAME}:{tag}")
    for name in (BUILDER, f"{BUILDER}-check"):
        _podman("rm", "--force", name)


def test_bad_input_stops_before_any_container(image_vars):
    for bad, named in (({"lab_image_tag": "no spaces"}, "lab_image_tag"),
                       ({"lab_image_base": "localhost/no:such"}, "lab_image_base: 'localhost/no:such'"),
                       ({"lab_image_lock": "/nonexistent.lock"}, "lab_image_lock: '/nonexistent.lock'")):
        run = run_playbook("playbooks/lab_image.yml", extra_vars={**image_vars, **bad})
        assert run.rc != 0 and any(named in msg for msg in run.failure_messages()), (bad, run.stdout[-2000:])
        assert _podman("container", "exists", BUILDER).returncode != 0


def test_check_mode_builds_nothing(image_vars):
    run = run_playbook("playbooks/lab_image.yml", "--check",
                       extra_vars={**image_vars, "lab_image_tag": "dry"})
    assert run.rc == 0, run.stdout[-3000:]
    assert _podman("image", "exists", f"{NAME}:dry").returncode != 0
    assert _podman("container", "exists", BUILDER).returncode != 0


def test_build_label_lock_validate_then_rebuild_from_the_lock(image_vars):
    (REPO / ".sagelab" / "reports" / f"{BUILDER}-check.json").unlink(missing_ok=True)
    first = run_playbook("playbooks/lab_image.yml", extra_vars={**image_vars, "lab_image_tag": "one"})
    assert first.rc == 0, first.failure_messages() or first.stdout[-3000:]
    labels = _labels("one")
    assert labels["io.sagelab.packages.sagemaker"].startswith("2.")
    assert labels["io.sagelab.packages.boto3"] and labels["io.sagelab.packages.pandas"]
    assert labels["io.sagelab.route"] == "venv" and labels["io.sagelab.kernel"] == "sagemaker"
    lock = REPO.joinpath(image_vars["lab_image_lock_dir"], "sagelab-pytest-workstation-one.lock")
    packages = _packages(lock)
    assert f"sagemaker=={labels['io.sagelab.packages.sagemaker']}" in packages
    # The validation ran again in a fresh container of the image: the kernel executed code there.
    check_host = f"{BUILDER}-check"
    assert first.stats[check_host]["failures"] == 0
    report = json.loads((REPO / ".sagelab" / "reports" / f"{check_host}.json").read_text())
    assert report["ok"] and {c["name"]: c["ok"] for c in report["checks"]}["kernel executes code"]
    assert report["versions"]["sagemaker"] == labels["io.sagelab.packages.sagemaker"]
    left = _podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert not [name for name in left if name.startswith(BUILDER)]

    again = run_playbook("playbooks/lab_image.yml", extra_vars={**image_vars, "lab_image_tag": "one"})
    assert again.rc == 0 and again.stats["localhost"]["changed"] == 0 and list(again.stats) == ["localhost"]

    # Same inputs, same package set: a build from the first image's lock installs exactly its packages.
    second = run_playbook("playbooks/lab_image.yml", extra_vars={**image_vars, "lab_image_tag": "two",
                                                                 "lab_image_lock": str(lock)})
    assert second.rc == 0, second.failure_messages() or second.stdout[-3000:]
    assert _packages(lock.with_name("sagelab-pytest-workstation-two.lock")) == packages
    assert _labels("two")["io.sagelab.lock-sha256"] == labels["io.sagelab.lock-sha256"]
    for tag in ("one", "two"):
        _podman("rmi", "--force", f"{NAME}:{tag}")
