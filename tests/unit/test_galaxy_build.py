"""The collection tarball: collection content only, a licence, and every collection it uses declared."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import tomllib

import pytest
import yaml

from tests.conftest import BIN, REPO

GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
# What a collection tarball may hold at its top level (tests/ only for the sanity ignore files, which
# Automation Hub's import needs when it runs ansible-test sanity on the artifact).
CONTENT = {"MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "LICENSE",
           "changelogs", "docs", "meta", "playbooks", "plugins", "roles", "tests"}
# What a working clone holds besides its tracked files: the bootstrap's venv and collections, the CLI's
# state, linters' and pytest's caches, ansible-test's output, built wheels.
LEFTOVERS = [".venv/bin/python", ".collections/ansible_collections/amazon/aws/MANIFEST.json",
             ".sagelab/state/report.json", "tests/output/.tmp/sanity.txt", ".ruff_cache/0.14/x",
             ".pytest_cache/v/cache/nodeids", "plugins/modules/__pycache__/conda_env.cpython-311.pyc",
             "dist/sagelab-0.1.0-py3-none-any.whl", "build/lib/x.py"]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """Build the collection from a copy of this checkout's files plus what a working clone leaves behind."""
    src = tmp_path_factory.mktemp("clone")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, files):
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    for rel in LEFTOVERS:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text("left behind\n")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out),
                           str(src)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    (path,) = out.glob("sagelab-sagemaker-*.tar.gz")
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    return names, manifest


@pytest.mark.subprocess
def test_tarball_holds_collection_content_only(tarball):
    names, _unused = tarball
    assert {"LICENSE", "README.md", "CHANGELOG.md", "meta/runtime.yml",
            "plugins/modules/sagemaker_notebook_instance.py", "roles/venv/meta/argument_specs.yml",
            "playbooks/workstation.yml"} <= set(names)
    outside = sorted(n for n in names if n.split("/")[0] not in CONTENT)
    assert outside == [], f"not collection content: {outside}"
    tests = sorted(n for n in names if n.startswith("tests/") and not n.startswith("tests/sanity"))
    assert tests == [], f"only tests/sanity belongs in the tarball: {tests}"
    for tooling in ("uv.lock", "pyproject.toml", "src", "scripts", ".venv", ".collections", "tests/output",
                    "Makefile", "ansible.cfg", ".ruff_cache", "dist", "build"):
        assert not [n for n in names if n == tooling or n.startswith(tooling + "/")], tooling
    assert not [n for n in names if n.endswith(".pyc")]


@pytest.mark.subprocess
def test_license_is_apache_2_everywhere(tarball):
    _unused, manifest = tarball
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert GALAXY["license"] == ["Apache-2.0"]
    assert manifest["collection_info"]["license"] == ["Apache-2.0"]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"


@pytest.mark.subprocess
def test_dependencies_cover_what_the_content_uses_with_requirements_bounds(tarball):
    _unused, manifest = tarball
    declared = GALAXY["dependencies"]
    assert manifest["collection_info"]["dependencies"] == declared
    required = {c["name"]: c["version"]
                for c in yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]}
    for name, bound in declared.items():
        assert required.get(name) == bound, f"{name}: {bound!r} vs {required.get(name)!r}"
        assert "<" in bound, f"{name}: {bound!r} has no upper bound"
    # Every other collection named in the shipped content (modules in tasks, module_utils imports) is a
    # declared dependency: a user who installs only the declared ones can run every role.
    names = "|".join(re.escape(n) for n in sorted(set(required) | set(declared)))
    pattern = re.compile(rf"\b({names})\.")
    used = set()
    for top in ("roles", "playbooks", "plugins", "meta"):
        for path in (REPO / top).rglob("*"):
            if path.is_file() and path.suffix in {".yml", ".yaml", ".py", ".j2"}:
                used |= set(pattern.findall(path.read_text().replace("ansible_collections.", "")))
    assert used, "the scan found no collection at all"
    assert used <= set(declared), f"used but not in galaxy.yml dependencies: {sorted(used - set(declared))}"


def test_no_placeholder_urls():
    for key in ("repository", "documentation", "homepage", "issues"):
        url = GALAXY.get(key)
        if url:
            assert not re.search(r"example\.(invalid|com|org)|localhost|changeme", url), f"{key}: {url}"
