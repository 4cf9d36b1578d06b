"""execution-environment.yml: ansible-builder makes a build context that installs this collection.

A build needs the base image pulled, which these machines cannot do; `ansible-builder create` and the
builder's own dependency introspection (the script that runs inside the build) are run for real.
"""

from __future__ import annotations

import subprocess
import tarfile

import pytest
import yaml

from tests.conftest import BIN, REPO


def _ee() -> dict:
    return yaml.safe_load((REPO / "execution-environment.yml").read_text())


def test_collections_match_galaxy_and_requirements():
    ee, galaxy = _ee(), yaml.safe_load((REPO / "galaxy.yml").read_text())
    wanted = {c["name"]: c["version"] for c in yaml.safe_load((REPO / "requirements.yml").read_text())
              ["collections"]}
    tarball = f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    entries = ee["dependencies"]["galaxy"]["collections"]
    assert entries[0] == {"name": f"collections/{tarball}", "type": "file"}
    assert ee["additional_build_files"] == [{"src": f"build/ee/{tarball}", "dest": "collections"}]
    for entry in entries[1:]:
        assert wanted[entry["name"]] == entry["version"], entry
    pins = (REPO / "pyproject.toml").read_text()
    for dep in ("ansible_core", "ansible_runner"):
        assert f'"{ee["dependencies"][dep]["package_pip"]}"' in pins


@pytest.mark.subprocess
def test_builder_creates_a_context_with_the_collection_and_its_dependencies(tmp_path):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    out = tmp_path / "build" / "ee"
    subprocess.run([BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", out, REPO],
                   check=True, capture_output=True)
    tarball = out / f"sagelab-sagemaker-{galaxy['version']}.tar.gz"
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/modules/python_packages.py" in names and "meta/ee-requirements.txt" in names
    assert not [n for n in names if n.startswith((".venv", ".collections", ".sagelab"))
                or n.startswith("tests/") and not n.startswith("tests/sanity")]

    (tmp_path / "execution-environment.yml").write_text((REPO / "execution-environment.yml").read_text())
    # the file named: with no podman installed yet and a docker client on PATH the builder would write a
    # Dockerfile (its default follows the runtime it finds)
    subprocess.run([BIN / "ansible-builder", "create", "-c", tmp_path / "context",
                    "--output-filename", "Containerfile"], cwd=tmp_path, check=True, capture_output=True)
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text()
    assert 'EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert "ansible-core==2.19.14 ansible-runner==2.4.3" in containerfile
    assert (context / "_build" / "collections" / tarball.name).stat().st_size == tarball.stat().st_size
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert requirements["collections"][0]["name"] == f"collections/{tarball.name}"

    # What the build's introspection step finds in the collection (it runs this same script).
    cols = tmp_path / "collections"
    subprocess.run([BIN / "ansible-galaxy", "collection", "install", "--no-deps", "--force", "-p", cols,
                    tarball], check=True, capture_output=True)
    found = subprocess.run([BIN / "python", context / "_build" / "scripts" / "introspect.py", "introspect",
                            cols], check=True, capture_output=True, text=True).stdout
    deps = yaml.safe_load(found)
    assert "boto3>=1.35.0  # from collection sagelab.sagemaker" in deps["python"]
    assert "openssh-clients [platform:rpm]  # from collection sagelab.sagemaker" in deps["system"]
