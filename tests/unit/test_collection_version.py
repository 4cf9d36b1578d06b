"""Filter sagelab.sagemaker.collection_version: a checkout's galaxy.yml, an installed collection's
MANIFEST.json (the one `ansible-galaxy collection build` writes), in-process and through ansible-playbook."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import tarfile

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from tests.conftest import BIN, REPO, run_playbook

_spec = importlib.util.spec_from_file_location("collection_version",
                                               REPO / "plugins" / "filter" / "collection_version.py")
_filter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_filter)
collection_version = _filter.collection_version
VERSION = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]


def test_a_checkout_is_read_from_galaxy_yml():
    assert collection_version(str(REPO)) == VERSION
    assert collection_version(str(REPO / "playbooks" / "..")) == VERSION


@pytest.mark.subprocess
def test_an_installed_collection_is_read_from_the_manifest_the_build_writes(tmp_path):
    build = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                            str(tmp_path), str(REPO)], capture_output=True, text=True, cwd=tmp_path,
                           check=False)
    assert build.returncode == 0, build.stderr
    (tarball,) = tmp_path.glob("sagelab-sagemaker-*.tar.gz")
    root = tmp_path / "installed"
    with tarfile.open(tarball) as archive:
        archive.extract("MANIFEST.json", root, filter="data")
    assert not (root / "galaxy.yml").exists()
    assert collection_version(str(root)) == VERSION


def test_the_manifest_is_used_only_without_galaxy_yml(tmp_path):
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "9.9.9"}}))
    assert collection_version(str(tmp_path)) == "9.9.9"
    (tmp_path / "galaxy.yml").write_text("version: 1.2.3\n")
    assert collection_version(str(tmp_path)) == "1.2.3"


@pytest.mark.parametrize(("files", "message"), [
    ({}, "holds neither galaxy.yml nor MANIFEST.json"),
    ({"MANIFEST.json": "{not json"}, "cannot read the version"),
    ({"MANIFEST.json": json.dumps({"collection_info": {}})}, "MANIFEST.json has no version string"),
    ({"galaxy.yml": "name: sagemaker\n"}, "galaxy.yml has no version string"),
])
def test_a_folder_without_a_version_is_refused_naming_it(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(AnsibleFilterError, match=message):
        collection_version(str(tmp_path))


@pytest.mark.subprocess
def test_lab_image_reads_the_version_through_the_filter(tmp_path):
    """The playbook no longer reads playbook_dir/../galaxy.yml itself (absent in an installed
    collection); the filter runs in a real ansible-playbook run from a folder holding only MANIFEST.json."""
    assert "galaxy.yml" not in (REPO / "playbooks" / "lab_image.yml").read_text()
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "4.5.6"}}))
    playbook = tmp_path / "playbooks" / "show.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Show", "ansible.builtin.debug": {
            "msg": "{{ (playbook_dir ~ '/..') | sagelab.sagemaker.collection_version }}"}}]}]))
    run = run_playbook(str(playbook))
    assert run.rc == 0, run.stdout[-2000:]
    assert run.data["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"] == "4.5.6"
